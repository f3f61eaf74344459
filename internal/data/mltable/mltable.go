// Package mltable reads Azure ML's MLTable files: which files of a folder
// make up a table (paths: file, folder, pattern) and how to read them
// (read_delimited for CSV, read_parquet for Parquet). It is pure: it parses
// bytes and matches paths, and touches no files.
package mltable

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/latheml/lathe"
)

// MaxSize bounds an MLTable file.
const MaxSize = 64 << 10

// Formats of a table.
const (
	Delimited = "delimited"
	Parquet   = "parquet"
)

// Header modes of read_delimited (Azure's names).
const (
	NoHeader                 = "no_header"
	FromFirstFile            = "from_first_file"
	AllFilesSameHeaders      = "all_files_same_headers"
	AllFilesDifferentHeaders = "all_files_different_headers"
)

// Path is one entry of paths: exactly one of File, Folder, Pattern.
type Path struct {
	File    string `yaml:"file,omitempty" json:"file,omitempty"`
	Folder  string `yaml:"folder,omitempty" json:"folder,omitempty"`
	Pattern string `yaml:"pattern,omitempty" json:"pattern,omitempty"`
}

// DelimitedOptions are read_delimited's arguments.
type DelimitedOptions struct {
	Delimiter         string `yaml:"delimiter,omitempty" json:"delimiter,omitempty"`
	Header            string `yaml:"header,omitempty" json:"header,omitempty"`
	Encoding          string `yaml:"encoding,omitempty" json:"encoding,omitempty"`
	EmptyAsString     bool   `yaml:"empty_as_string,omitempty" json:"empty_as_string,omitempty"`
	IncludePathColumn bool   `yaml:"include_path_column,omitempty" json:"include_path_column,omitempty"`
	PathColumn        string `yaml:"path_column,omitempty" json:"path_column,omitempty"`
	InferColumnTypes  *bool  `yaml:"infer_column_types,omitempty" json:"infer_column_types,omitempty"`
	SupportMultiLine  bool   `yaml:"support_multi_line,omitempty" json:"support_multi_line,omitempty"`
}

// ParquetOptions are read_parquet's arguments.
type ParquetOptions struct {
	IncludePathColumn bool   `yaml:"include_path_column,omitempty" json:"include_path_column,omitempty"`
	PathColumn        string `yaml:"path_column,omitempty" json:"path_column,omitempty"`
}

// Table is a parsed MLTable file.
type Table struct {
	Paths  []Path
	Format string // Delimited or Parquet
	// Delimited holds read_delimited's options with defaults filled in:
	// delimiter ",", header all_files_same_headers, encoding utf8.
	Delimited DelimitedOptions
	Parquet   ParquetOptions
}

type file struct {
	Schema          string           `yaml:"$schema"`
	Type            string           `yaml:"type"`
	Paths           []Path           `yaml:"paths"`
	Transformations []map[string]any `yaml:"transformations"`
	Traits          map[string]any   `yaml:"traits"`
	Metadata        map[string]any   `yaml:"metadata"`
}

// unsupported are Azure transformations Lathe knows but does not apply.
var unsupported = []string{"read_json_lines", "read_delta_lake", "take", "take_random_sample", "skip", "drop_columns",
	"keep_columns", "filter", "convert_column_types", "extract_columns_from_partition_format"}

// Parse reads an MLTable file. Unknown fields are refused with their line;
// transformations other than one read_delimited or read_parquet are
// refused as unsupported.
func Parse(b []byte) (*Table, error) {
	if len(b) > MaxSize {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "MLTable is %d bytes; the limit is %d", len(b), MaxSize)
	}
	var f file
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField()).Decode(&f); err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "MLTable: %s", yaml.FormatError(err, false, true))
	}
	if f.Type != "" && f.Type != "mltable" {
		return nil, lathe.Errorf(lathe.EINVALID, "MLTable: type %q; the only type is mltable", f.Type)
	}
	if len(f.Paths) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "MLTable has no paths; list the table's files, e.g. paths: [{file: ./train.csv}]")
	}
	t := &Table{Paths: f.Paths}
	for i, p := range f.Paths {
		n := 0
		for _, s := range []string{p.File, p.Folder, p.Pattern} {
			if s != "" {
				n++
			}
		}
		if n != 1 {
			return nil, lathe.Errorf(lathe.EINVALID, "MLTable paths[%d] must have exactly one of file, folder or pattern", i)
		}
	}
	for i, tr := range f.Transformations {
		if len(tr) != 1 {
			return nil, lathe.Errorf(lathe.EINVALID, "MLTable transformations[%d] must name one transformation, like - read_delimited: {delimiter: ','}", i)
		}
		for name, args := range tr {
			if err := t.transformation(i, name, args); err != nil {
				return nil, err
			}
		}
	}
	if t.Format == "" {
		return nil, lathe.Errorf(lathe.EINVALID, "MLTable has no read_delimited or read_parquet transformation; add one so the files can be read as a table")
	}
	return t, nil
}

func (t *Table) transformation(i int, name string, args any) error {
	for _, u := range unsupported {
		if name == u {
			return lathe.Errorf(lathe.EUNSUPPORTED, "MLTable transformations[%d]: %s is not supported by Lathe; use read_delimited or read_parquet alone", i, name)
		}
	}
	if name != "read_delimited" && name != "read_parquet" {
		return lathe.Errorf(lathe.EINVALID, "MLTable transformations[%d]: unknown transformation %q; use read_delimited or read_parquet", i, name)
	}
	if t.Format != "" {
		return lathe.Errorf(lathe.EINVALID, "MLTable transformations[%d]: %s after another read transformation; a table is read one way", i, name)
	}
	raw, err := yaml.Marshal(args)
	if err != nil {
		return lathe.Errorf(lathe.EINVALID, "MLTable transformations[%d]: %v", i, err)
	}
	if args == nil {
		raw = []byte("{}")
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw), yaml.DisallowUnknownField())
	if name == "read_parquet" {
		t.Format = Parquet
		if err := dec.Decode(&t.Parquet); err != nil {
			return lathe.Errorf(lathe.EINVALID, "MLTable read_parquet: %s", yaml.FormatError(err, false, false))
		}
		return nil
	}
	t.Format = Delimited
	o := &t.Delimited
	if err := dec.Decode(o); err != nil {
		return lathe.Errorf(lathe.EINVALID, "MLTable read_delimited: %s", yaml.FormatError(err, false, false))
	}
	if o.Delimiter == "" {
		o.Delimiter = ","
	}
	if len(o.Delimiter) != 1 || o.Delimiter == "\"" || o.Delimiter == "\n" || o.Delimiter == "\r" {
		return lathe.Errorf(lathe.EUNSUPPORTED, "MLTable read_delimited: delimiter %q must be one character other than a quote or a line break", o.Delimiter)
	}
	switch o.Header {
	case "":
		o.Header = AllFilesSameHeaders
	case NoHeader, FromFirstFile, AllFilesSameHeaders, AllFilesDifferentHeaders:
	default:
		return lathe.Errorf(lathe.EINVALID, "MLTable read_delimited: header %q must be no_header, from_first_file, all_files_same_headers or all_files_different_headers", o.Header)
	}
	switch strings.ToLower(o.Encoding) {
	case "", "utf8", "utf-8", "ascii", "utf8bom":
		o.Encoding = "utf8"
	default:
		return lathe.Errorf(lathe.EUNSUPPORTED, "MLTable read_delimited: encoding %q is not supported; convert the files to UTF-8", o.Encoding)
	}
	return nil
}

// Resolve returns the files of the table, in the order of its paths (and by
// name within a folder or pattern), from the files of the asset (manifest
// paths, relative to the folder that holds the MLTable file). Paths that
// leave the asset, URIs and paths that match nothing are errors.
func (t *Table) Resolve(files []string) ([]string, error) {
	sorted := append([]string(nil), files...)
	sort.Strings(sorted)
	has := make(map[string]bool, len(files))
	for _, f := range files {
		has[f] = true
	}
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if f != lathe.MLTableFile && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for i, p := range t.Paths {
		raw := p.File + p.Folder + p.Pattern
		if strings.Contains(raw, "://") {
			return nil, lathe.Errorf(lathe.EUNSUPPORTED, "MLTable paths[%d] %q: an MLTable in a data asset can only name the asset's own files (relative paths)", i, raw)
		}
		rel, err := clean(raw)
		if err != nil {
			return nil, fmt.Errorf("MLTable paths[%d]: %w", i, err)
		}
		n := len(out)
		switch {
		case p.File != "":
			if !has[rel] {
				return nil, lathe.Errorf(lathe.EINVALID, "MLTable paths[%d]: file %q is not in the asset", i, raw)
			}
			add(rel)
		case p.Folder != "":
			for _, f := range sorted {
				if rel == "" || strings.HasPrefix(f, rel+"/") {
					add(f)
				}
			}
		default:
			for _, f := range sorted {
				if Match(rel, f) {
					add(f)
				}
			}
		}
		if len(out) == n {
			return nil, lathe.Errorf(lathe.EINVALID, "MLTable paths[%d] %q matches no file of the asset", i, raw)
		}
	}
	return out, nil
}

// clean turns "./a/b", "a/b/" or "." into a manifest path ("" for the top).
func clean(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return "", lathe.Errorf(lathe.EINVALID, "path %q is absolute; write it relative to the MLTable file, like ./train.csv", p)
	}
	c := path.Clean(p)
	if c == "." {
		return "", nil
	}
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", lathe.Errorf(lathe.EINVALID, "path %q leaves the folder of the MLTable file", p)
	}
	return c, nil
}

// Match reports whether name matches a glob pattern whose segments use
// path.Match syntax, where a "**" segment matches any number of segments.
func Match(pattern, name string) bool {
	return matchSegs(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegs(ps, ns []string) bool {
	for len(ps) > 0 {
		if ps[0] == "**" {
			for k := 0; k <= len(ns); k++ {
				if matchSegs(ps[1:], ns[k:]) {
					return true
				}
			}
			return false
		}
		if len(ns) == 0 {
			return false
		}
		if ok, err := path.Match(ps[0], ns[0]); err != nil || !ok {
			return false
		}
		ps, ns = ps[1:], ns[1:]
	}
	return len(ns) == 0
}
