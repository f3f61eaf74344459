package builtin

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/frame"
)

// MaxTableBytes bounds a table a built-in component reads into memory.
const MaxTableBytes = 2 << 30

// csvFiles returns the CSV files of a path: the file itself, or the .csv
// (and .csv.gz) files of a folder, sorted (an input staged as a folder).
func csvFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "input %s: %v", path, err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".csv.gz")) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "input folder %s has no .csv file", path)
	}
	sort.Strings(out)
	return out, nil
}

// openCSV opens one CSV file, decompressing .gz.
func openCSV(p string) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "open %s: %v", p, err)
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxTableBytes {
		f.Close()
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s is %d bytes; built-in components read tables of at most %d bytes", p, fi.Size(), MaxTableBytes)
	}
	if !strings.HasSuffix(p, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, lathe.Errorf(lathe.EINVALID, "%s: %v", p, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

// readTable reads the CSV records of a path (file or folder); the files of
// a folder must share their header.
func readTable(path string) (header []string, rows [][]string, err error) {
	files, err := csvFiles(path)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range files {
		rc, err := openCSV(p)
		if err != nil {
			return nil, nil, err
		}
		r := csv.NewReader(rc)
		r.ReuseRecord = false
		recs, err := r.ReadAll()
		rc.Close()
		if err != nil {
			return nil, nil, lathe.Errorf(lathe.EINVALID, "%s: %v", p, err)
		}
		if len(recs) == 0 {
			continue
		}
		if header == nil {
			header = recs[0]
		} else if strings.Join(recs[0], "\x00") != strings.Join(header, "\x00") {
			return nil, nil, lathe.Errorf(lathe.EINVALID, "%s: its header differs from %s's", p, files[0])
		}
		rows = append(rows, recs[1:]...)
	}
	if header == nil {
		return nil, nil, lathe.Errorf(lathe.EINVALID, "input %s is empty", path)
	}
	return header, rows, nil
}

// readFrame reads a path into a typed frame.
func readFrame(path string) (*frame.Frame, error) {
	header, rows, err := readTable(path)
	if err != nil {
		return nil, err
	}
	f, err := frame.FromRecords(header, rows, frame.Options{})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return f, nil
}

// writeTable writes records as dir/name (creating dir) through a temp file.
func writeTable(dir, name string, header []string, rows [][]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	w := csv.NewWriter(tmp)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
