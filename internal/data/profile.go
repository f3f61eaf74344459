package data

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data/mltable"
	"github.com/latheml/lathe/internal/profile"
)

// tabularKind says how a uri_file is read as a table, from its name:
// "csv", "csv.gz", "parquet" or "" for a file that is not tabular.
func tabularKind(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".csv"), strings.HasSuffix(n, ".tsv"):
		return "csv"
	case strings.HasSuffix(n, ".csv.gz"), strings.HasSuffix(n, ".tsv.gz"):
		return "csv.gz"
	case strings.HasSuffix(n, ".parquet"), strings.HasSuffix(n, ".pq"):
		return "parquet"
	}
	return ""
}

// profileOf computes the profile of a tabular version by streaming its
// files (never holding one in memory), or returns nil for data that is not
// tabular. With strict, the first problem in a CSV file refuses the
// version; without, problems are recorded in the profile with their line.
func (s *Service) profileOf(ctx context.Context, r *reader, v *lathe.DataVersion, m []lathe.ManifestEntry, strict bool) (*profile.Profile, error) {
	switch v.Type {
	case lathe.DataURIFile:
		e := m[0]
		switch tabularKind(e.Path) {
		case "csv":
			return s.profileCSV(ctx, r, []lathe.ManifestEntry{e}, profile.CSVOptions{Strict: strict}, false, false)
		case "csv.gz":
			return s.profileCSV(ctx, r, []lathe.ManifestEntry{e}, profile.CSVOptions{Strict: strict}, true, false)
		case "parquet":
			return s.profileParquet(ctx, r, []lathe.ManifestEntry{e})
		}
		return nil, nil
	case lathe.DataMLTable:
		t, files, err := s.table(ctx, r, m)
		if err != nil {
			return nil, err
		}
		if t.Format == mltable.Parquet {
			return s.profileParquet(ctx, r, files)
		}
		o := profile.CSVOptions{Strict: strict, Delimiter: t.Delimited.Delimiter[0], Header: profile.HeaderPresent}
		skip := t.Delimited.Header == mltable.AllFilesSameHeaders || t.Delimited.Header == mltable.AllFilesDifferentHeaders
		if t.Delimited.Header == mltable.NoHeader {
			o.Header = profile.HeaderAbsent
		}
		return s.profileCSV(ctx, r, files, o, false, skip)
	}
	return nil, nil
}

// table reads and checks the MLTable file of an mltable version and returns
// it with the entries of the files it names, in order.
func (s *Service) table(ctx context.Context, r *reader, m []lathe.ManifestEntry) (*mltable.Table, []lathe.ManifestEntry, error) {
	byPath := make(map[string]lathe.ManifestEntry, len(m))
	names := make([]string, 0, len(m))
	for _, e := range m {
		byPath[e.Path] = e
		names = append(names, e.Path)
	}
	e, ok := byPath[lathe.MLTableFile]
	if !ok {
		return nil, nil, lathe.Errorf(lathe.EINVALID, "an mltable needs an %s file at the top of its folder; this one has none", lathe.MLTableFile)
	}
	if e.Size > mltable.MaxSize {
		return nil, nil, lathe.Errorf(lathe.ETOOLARGE, "the %s file is %d bytes; the limit is %d", lathe.MLTableFile, e.Size, mltable.MaxSize)
	}
	rc, err := r.open(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(io.LimitReader(rc, mltable.MaxSize+1))
	rc.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", lathe.MLTableFile, err)
	}
	t, err := mltable.Parse(b)
	if err != nil {
		return nil, nil, err
	}
	paths, err := t.Resolve(names)
	if err != nil {
		return nil, nil, err
	}
	files := make([]lathe.ManifestEntry, len(paths))
	for i, p := range paths {
		files[i] = byPath[p]
	}
	return t, files, nil
}

// profileCSV profiles CSV files as one table: files after the first are
// appended (after a line break), without their first line when skipHeaders.
func (s *Service) profileCSV(ctx context.Context, r *reader, files []lathe.ManifestEntry, o profile.CSVOptions, gz, skipHeaders bool) (*profile.Profile, error) {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(s.concat(ctx, r, files, pw, gz, skipHeaders))
	}()
	p, err := profile.ProfileCSV(ctx, pr, o)
	pr.CloseWithError(errors.New("profile done"))
	if err != nil {
		where := files[0].Path
		if len(files) > 1 {
			where = fmt.Sprintf("the %d files of the table (lines count across them, in order)", len(files))
		}
		return nil, fmt.Errorf("profile %s: %w", where, err)
	}
	return p, nil
}

// concat writes the files one after another to w.
func (s *Service) concat(ctx context.Context, r *reader, files []lathe.ManifestEntry, w io.Writer, gz, skipHeaders bool) error {
	for i, e := range files {
		rc, err := r.open(ctx, e)
		if err != nil {
			return err
		}
		var in io.Reader = rc
		if gz {
			zr, err := gzip.NewReader(rc)
			if err != nil {
				rc.Close()
				return lathe.Errorf(lathe.EINVALID, "%s is not gzip-compressed: %v", e.Path, err)
			}
			in = zr
		}
		br := bufio.NewReaderSize(in, 1<<20)
		if i > 0 {
			if _, err := w.Write([]byte("\n")); err != nil {
				rc.Close()
				return err
			}
			if skipHeaders {
				if _, err := br.ReadSlice('\n'); err != nil && !errors.Is(err, bufio.ErrBufferFull) && !errors.Is(err, io.EOF) {
					rc.Close()
					return err
				}
			}
		}
		_, err = br.WriteTo(w)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// profileParquet profiles Parquet files. A table of several files gets the
// columns of the first file and the rows of all; a note says so.
func (s *Service) profileParquet(ctx context.Context, r *reader, files []lathe.ManifestEntry) (*profile.Profile, error) {
	var out *profile.Profile
	for _, e := range files {
		ra, closer, err := r.readerAt(ctx, e)
		if err != nil {
			return nil, err
		}
		p, err := profile.ProfileParquet(ctx, ra, e.Size, profile.ParquetOptions{})
		closer.Close()
		if err != nil {
			return nil, fmt.Errorf("profile Parquet file %s: %w", e.Path, err)
		}
		if out == nil {
			out = p
			continue
		}
		out.Rows += p.Rows
	}
	if len(files) > 1 {
		out.Problems = append(out.Problems, profile.Problem{Message: fmt.Sprintf(
			"the column statistics are those of the first of %d Parquet files (%s); rows are counted over all of them", len(files), files[0].Path)})
		out.ProblemCount++
	}
	return out, nil
}

// encodeProfile returns a profile's stored form.
func encodeProfile(p *profile.Profile) ([]byte, error) {
	if p == nil {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	return b, nil
}

// decodeProfile reads a stored profile.
func decodeProfile(b []byte) (*profile.Profile, error) {
	var p profile.Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode stored profile: %w", err)
	}
	return &p, nil
}
