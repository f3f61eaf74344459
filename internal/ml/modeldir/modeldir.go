// Package modeldir reads and writes a model as a lathe_model directory, laid
// out like an MLflow model so that registry and serving can treat both alike:
//
//	MLmodel              metadata: flavor, signature (column names and types), input example info
//	model.lathe          the learner (trees or weights), compact binary
//	preprocessing.json   column order, kinds, category codes, imputation, classes
//	input_example.json   a few raw rows, pandas "split" orientation
//
// Files are written to a temporary name, synced and renamed, so a crash never
// leaves a half-written file under its final name. Load reads only the fixed
// file names below and bounds their sizes.
package modeldir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml"
	"github.com/latheml/lathe/internal/ml/frame"
)

// File names inside a model directory.
const (
	MLmodelFile       = "MLmodel"
	ModelFile         = "model.lathe"
	PreprocessingFile = "preprocessing.json"
	ExampleFile       = "input_example.json"
)

// Flavor is the flavor name in MLmodel and the registry's model type.
const Flavor = "lathe"

// Size limits on load.
const (
	MaxModelBytes         = 2 << 30
	MaxPreprocessingBytes = 512 << 20
	MaxMLmodelBytes       = 1 << 20
	MaxExampleBytes       = 16 << 20
	exampleRows           = 5
)

// SaveOptions add provenance to the metadata. All are optional.
type SaveOptions struct {
	// Example supplies the input example: its first rows, restricted to the
	// model's feature columns.
	Example *frame.Frame
	// Created is written as utc_time_created when not zero.
	Created time.Time
	// RunID and ModelUUID are written when not empty.
	RunID     string
	ModelUUID string
}

// Save writes m into dir, creating dir if needed. Existing files of the same
// names are replaced.
func Save(dir string, m *ml.Model, opts SaveOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create model directory: %w", err)
	}
	lb, err := m.MarshalLearner()
	if err != nil {
		return err
	}
	pre, err := json.MarshalIndent(m.Preprocessing(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode preprocessing: %w", err)
	}
	files := []struct {
		name string
		data []byte
	}{
		{ModelFile, lb},
		{PreprocessingFile, append(pre, '\n')},
	}
	hasExample := opts.Example != nil && opts.Example.Rows() > 0
	if hasExample {
		ex, err := example(m, opts.Example)
		if err != nil {
			return err
		}
		files = append(files, struct {
			name string
			data []byte
		}{ExampleFile, ex})
	}
	files = append(files, struct {
		name string
		data []byte
	}{MLmodelFile, mlmodel(m, opts, hasExample)})
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// Load reads a model directory written by Save.
func Load(dir string) (*ml.Model, error) {
	meta, err := readLimited(filepath.Join(dir, MLmodelFile), MaxMLmodelBytes)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(meta), "\n  "+Flavor+":\n") {
		return nil, lathe.Errorf(lathe.EINVALID, "%s in %s has no %q flavor; it is not a lathe_model directory", MLmodelFile, dir, Flavor)
	}
	pre, err := readLimited(filepath.Join(dir, PreprocessingFile), MaxPreprocessingBytes)
	if err != nil {
		return nil, err
	}
	p, err := ml.ParsePreprocessing(pre)
	if err != nil {
		return nil, err
	}
	lb, err := readLimited(filepath.Join(dir, ModelFile), MaxModelBytes)
	if err != nil {
		return nil, err
	}
	return ml.Assemble(p, lb)
}

// ReadExample returns the input example saved with the model, or nil if there
// is none.
func ReadExample(dir string) (*frame.Frame, error) {
	b, err := readLimited(filepath.Join(dir, ExampleFile), MaxExampleBytes)
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ex struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "%s: %v", ExampleFile, err)
	}
	cols := make([]frame.Column, len(ex.Columns))
	for j, name := range ex.Columns {
		num, str := true, false
		for _, row := range ex.Data {
			if j >= len(row) {
				return nil, lathe.Errorf(lathe.EINVALID, "%s: a row has %d values for %d columns", ExampleFile, len(row), len(ex.Columns))
			}
			switch row[j].(type) {
			case string:
				num, str = false, true
			case float64, nil:
			default:
				num = false
			}
		}
		if num && !str {
			v := make([]float64, len(ex.Data))
			for i, row := range ex.Data {
				v[i] = math.NaN()
				if x, ok := row[j].(float64); ok {
					v[i] = x
				}
			}
			cols[j] = frame.NewNumeric(name, v)
			continue
		}
		v := make([]string, len(ex.Data))
		for i, row := range ex.Data {
			switch x := row[j].(type) {
			case string:
				v[i] = x
			case float64:
				v[i] = strconv.FormatFloat(x, 'g', -1, 64)
			}
		}
		cols[j] = frame.NewCategorical(name, v)
	}
	return frame.New(cols...)
}

// example renders the first rows of f's feature columns as pandas split JSON.
func example(m *ml.Model, f *frame.Frame) ([]byte, error) {
	feats := m.Features()
	n := min(f.Rows(), exampleRows)
	ex := struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}{Data: make([][]any, n)}
	for _, ft := range feats {
		ex.Columns = append(ex.Columns, ft.Name)
	}
	for i := 0; i < n; i++ {
		row := make([]any, len(feats))
		for j, ft := range feats {
			c := f.Column(ft.Name)
			if c == nil {
				return nil, lathe.Errorf(lathe.EINVALID, "the input example has no column %q", ft.Name)
			}
			switch {
			case c.IsMissing(i):
				row[j] = nil
			case c.Kind == frame.Numeric && !math.IsInf(c.Num[i], 0):
				row[j] = c.Num[i]
			case c.Kind == frame.Numeric:
				row[j] = nil
			default:
				row[j] = c.Str[i]
			}
		}
		ex.Data[i] = row
	}
	b, err := json.Marshal(ex)
	if err != nil {
		return nil, fmt.Errorf("encode input example: %w", err)
	}
	return append(b, '\n'), nil
}

// mlmodel renders the MLmodel metadata as YAML. The shape is fixed, so it is
// written by hand; strings are JSON-quoted, which YAML reads as double-quoted
// scalars.
func mlmodel(m *ml.Model, opts SaveOptions, hasExample bool) []byte {
	var b strings.Builder
	q := func(s string) string { v, _ := json.Marshal(s); return string(v) }
	b.WriteString("artifact_path: model\n")
	b.WriteString("flavors:\n")
	b.WriteString("  " + Flavor + ":\n")
	b.WriteString("    format_version: 1\n")
	b.WriteString("    model_file: " + ModelFile + "\n")
	b.WriteString("    preprocessing: " + PreprocessingFile + "\n")
	b.WriteString("    algorithm: " + string(m.Algorithm) + "\n")
	b.WriteString("    task: " + string(m.Task) + "\n")
	b.WriteString("    label: " + q(m.Label) + "\n")
	if len(m.Classes) > 0 {
		b.WriteString("    classes:\n")
		for _, c := range m.Classes {
			b.WriteString("    - " + q(c) + "\n")
		}
	}
	if opts.ModelUUID != "" {
		b.WriteString("model_uuid: " + q(opts.ModelUUID) + "\n")
	}
	if opts.RunID != "" {
		b.WriteString("run_id: " + q(opts.RunID) + "\n")
	}
	if hasExample {
		b.WriteString("saved_input_example_info:\n")
		b.WriteString("  artifact_path: " + ExampleFile + "\n")
		b.WriteString("  pandas_orient: split\n")
		b.WriteString("  type: dataframe\n")
	}
	b.WriteString("signature:\n")
	b.WriteString("  inputs: " + q(signatureInputs(m)) + "\n")
	b.WriteString("  outputs: " + q(signatureOutputs(m)) + "\n")
	b.WriteString("  params: null\n")
	if !opts.Created.IsZero() {
		b.WriteString("utc_time_created: '" + opts.Created.UTC().Format("2006-01-02 15:04:05.000000") + "'\n")
	}
	return []byte(b.String())
}

type colSpec struct {
	Type     string `json:"type"`
	Name     string `json:"name"`
	Required bool   `json:"required"`
}

// signatureInputs lists the feature columns with MLflow types (double or
// string). Columns that were sometimes missing in training are optional.
func signatureInputs(m *ml.Model) string {
	var cols []colSpec
	for _, ft := range m.Features() {
		t := "double"
		if ft.Kind == frame.Categorical {
			t = "string"
		}
		cols = append(cols, colSpec{Type: t, Name: ft.Name, Required: ft.Missing == 0})
	}
	b, _ := json.Marshal(cols)
	return string(b)
}

// signatureOutputs lists what Predict returns: the label (class or value) and,
// for classifiers, one probability column per class.
func signatureOutputs(m *ml.Model) string {
	var cols []colSpec
	if m.Task == ml.Regression {
		cols = append(cols, colSpec{Type: "double", Name: m.Label, Required: true})
	} else {
		cols = append(cols, colSpec{Type: "string", Name: m.Label, Required: true})
		for _, c := range m.Classes {
			cols = append(cols, colSpec{Type: "double", Name: "proba_" + c, Required: true})
		}
	}
	b, _ := json.Marshal(cols)
	return string(b)
}

// writeFile writes data to path atomically: temp file, fsync, rename.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// readLimited reads a regular file of at most max bytes.
func readLimited(path string, max int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "%s is missing; a lathe_model directory needs %s, %s and %s",
			path, MLmodelFile, ModelFile, PreprocessingFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, lathe.Errorf(lathe.EINVALID, "%s is not a regular file", path)
	}
	if fi.Size() > max {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s is %d bytes, more than the limit of %d", path, fi.Size(), max)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s grew past the limit of %d bytes while being read", path, max)
	}
	return b, nil
}
