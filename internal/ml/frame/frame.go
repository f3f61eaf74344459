// Package frame holds the column-oriented table every learner in internal/ml
// reads: named columns that are either numeric (float64, NaN for missing) or
// categorical (string, "" for missing). It also builds frames from text
// records and CSV streams with type inference. It does no file I/O of its own:
// callers hand it readers.
package frame

import (
	"fmt"
	"math"
	"strconv"

	"github.com/latheml/lathe"
)

// Kind is the type of a column.
type Kind uint8

// Column kinds.
const (
	// Numeric columns hold float64 values; NaN marks a missing value.
	Numeric Kind = iota + 1
	// Categorical columns hold strings; "" marks a missing value.
	Categorical
)

// String returns "numeric" or "categorical".
func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case Categorical:
		return "categorical"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind is the inverse of Kind.String; it also accepts the MLflow
// signature names "double", "float", "long", "integer" and "string".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "numeric", "double", "float", "long", "integer":
		return Numeric, nil
	case "categorical", "string":
		return Categorical, nil
	}
	return 0, lathe.Errorf(lathe.EINVALID, "unknown column kind %q: use numeric or categorical", s)
}

// Column is one named column. Exactly one of Num and Str is used, as Kind says.
type Column struct {
	Name string
	Kind Kind
	Num  []float64 // Kind == Numeric; NaN = missing
	Str  []string  // Kind == Categorical; "" = missing
}

// Len returns the number of values in the column.
func (c *Column) Len() int {
	if c.Kind == Numeric {
		return len(c.Num)
	}
	return len(c.Str)
}

// IsMissing reports whether row i holds no value.
func (c *Column) IsMissing(i int) bool {
	if c.Kind == Numeric {
		return math.IsNaN(c.Num[i])
	}
	return c.Str[i] == ""
}

// String returns the value of row i as text: "" when missing, floats in the
// shortest form that parses back to the same value.
func (c *Column) String(i int) string {
	if c.Kind == Numeric {
		v := c.Num[i]
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return c.Str[i]
}

// NewNumeric returns a numeric column.
func NewNumeric(name string, v []float64) Column {
	return Column{Name: name, Kind: Numeric, Num: v}
}

// NewCategorical returns a categorical column.
func NewCategorical(name string, v []string) Column {
	return Column{Name: name, Kind: Categorical, Str: v}
}

// Frame is a table of equally long, uniquely named columns.
type Frame struct {
	Columns []Column
}

// New returns a frame of the given columns after checking that names are
// unique and non-empty and that every column has the same length.
func New(cols ...Column) (*Frame, error) {
	f := &Frame{Columns: cols}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// Validate checks names, kinds and lengths.
func (f *Frame) Validate() error {
	seen := make(map[string]bool, len(f.Columns))
	for i := range f.Columns {
		c := &f.Columns[i]
		if c.Name == "" {
			return lathe.Errorf(lathe.EINVALID, "column %d has no name", i+1)
		}
		if seen[c.Name] {
			return lathe.Errorf(lathe.EINVALID, "column %q appears twice; column names must be unique", c.Name)
		}
		seen[c.Name] = true
		switch c.Kind {
		case Numeric:
			if c.Str != nil {
				return lathe.Errorf(lathe.EINVALID, "numeric column %q has string values", c.Name)
			}
		case Categorical:
			if c.Num != nil {
				return lathe.Errorf(lathe.EINVALID, "categorical column %q has numeric values", c.Name)
			}
		default:
			return lathe.Errorf(lathe.EINVALID, "column %q has unknown kind %d", c.Name, c.Kind)
		}
		if c.Len() != f.Columns[0].Len() {
			return lathe.Errorf(lathe.EINVALID, "column %q has %d rows but column %q has %d; all columns must have the same length",
				c.Name, c.Len(), f.Columns[0].Name, f.Columns[0].Len())
		}
	}
	return nil
}

// Rows returns the number of rows.
func (f *Frame) Rows() int {
	if len(f.Columns) == 0 {
		return 0
	}
	return f.Columns[0].Len()
}

// Names returns the column names in order.
func (f *Frame) Names() []string {
	out := make([]string, len(f.Columns))
	for i := range f.Columns {
		out[i] = f.Columns[i].Name
	}
	return out
}

// Column returns the named column, or nil if there is none.
func (f *Frame) Column(name string) *Column {
	for i := range f.Columns {
		if f.Columns[i].Name == name {
			return &f.Columns[i]
		}
	}
	return nil
}

// Take returns a new frame holding the given rows, in the given order. The
// values are copied.
func (f *Frame) Take(rows []int) *Frame {
	out := &Frame{Columns: make([]Column, len(f.Columns))}
	for j := range f.Columns {
		c := &f.Columns[j]
		nc := Column{Name: c.Name, Kind: c.Kind}
		if c.Kind == Numeric {
			nc.Num = make([]float64, len(rows))
			for i, r := range rows {
				nc.Num[i] = c.Num[r]
			}
		} else {
			nc.Str = make([]string, len(rows))
			for i, r := range rows {
				nc.Str[i] = c.Str[r]
			}
		}
		out.Columns[j] = nc
	}
	return out
}

// Drop returns a frame without the named columns; the columns are shared, not
// copied.
func (f *Frame) Drop(names ...string) *Frame {
	out := &Frame{}
	for _, c := range f.Columns {
		keep := true
		for _, n := range names {
			if c.Name == n {
				keep = false
				break
			}
		}
		if keep {
			out.Columns = append(out.Columns, c)
		}
	}
	return out
}

// Options control how text becomes a frame.
type Options struct {
	// Kinds forces the kind of the named columns; other columns are inferred:
	// a column is numeric when every non-missing value parses as a float.
	Kinds map[string]Kind
	// Missing lists the texts read as a missing value, besides the empty
	// string. Nil means DefaultMissing; an empty non-nil slice means only "".
	Missing []string
	// MaxRows bounds the number of data rows (0 means DefaultMaxRows).
	MaxRows int
	// MaxColumns bounds the number of columns (0 means DefaultMaxColumns).
	MaxColumns int
}

// Limits and defaults for Options.
const (
	DefaultMaxRows    = 50_000_000
	DefaultMaxColumns = 10_000
)

// DefaultMissing are the texts read as missing by default (besides "").
var DefaultMissing = []string{"NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "#N/A"}

func (o *Options) missingSet() map[string]bool {
	m := map[string]bool{"": true}
	list := o.Missing
	if list == nil {
		list = DefaultMissing
	}
	for _, s := range list {
		m[s] = true
	}
	return m
}

// FromRecords builds a frame from a header and rows of text, inferring each
// column's kind unless opts.Kinds names it. Rows must all have len(header)
// fields.
func FromRecords(header []string, rows [][]string, opts Options) (*Frame, error) {
	b, err := newBuilder(header, opts)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		if err := b.add(r, i+1); err != nil {
			return nil, err
		}
	}
	return b.frame()
}

// builder accumulates text rows column by column.
type builder struct {
	header  []string
	opts    Options
	missing map[string]bool
	cols    [][]string
	rows    int
	maxRows int
}

func newBuilder(header []string, opts Options) (*builder, error) {
	maxCols := opts.MaxColumns
	if maxCols <= 0 {
		maxCols = DefaultMaxColumns
	}
	if len(header) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "the header has no columns")
	}
	if len(header) > maxCols {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%d columns exceed the limit of %d", len(header), maxCols)
	}
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		if h == "" {
			return nil, lathe.Errorf(lathe.EINVALID, "column %d has an empty name in the header", i+1)
		}
		if seen[h] {
			return nil, lathe.Errorf(lathe.EINVALID, "column %q appears twice in the header; column names must be unique", h)
		}
		seen[h] = true
	}
	for name, k := range opts.Kinds {
		if !seen[name] {
			return nil, lathe.Errorf(lathe.EINVALID, "a kind is given for column %q, which is not in the header", name)
		}
		if k != Numeric && k != Categorical {
			return nil, lathe.Errorf(lathe.EINVALID, "column %q: unknown kind %d", name, k)
		}
	}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	return &builder{header: header, opts: opts, missing: opts.missingSet(), cols: make([][]string, len(header)), maxRows: maxRows}, nil
}

func (b *builder) add(rec []string, line int) error {
	if len(rec) != len(b.header) {
		return lathe.Errorf(lathe.EINVALID, "row %d has %d fields but the header has %d", line, len(rec), len(b.header))
	}
	if b.rows >= b.maxRows {
		return lathe.Errorf(lathe.ETOOLARGE, "more than %d rows; raise the row limit or sample the data", b.maxRows)
	}
	for j, s := range rec {
		if b.missing[s] {
			s = ""
		}
		b.cols[j] = append(b.cols[j], s)
	}
	b.rows++
	return nil
}

func (b *builder) frame() (*Frame, error) {
	f := &Frame{Columns: make([]Column, len(b.header))}
	for j, name := range b.header {
		vals := b.cols[j]
		if vals == nil {
			vals = []string{}
		}
		kind, forced := b.opts.Kinds[name]
		if !forced {
			kind = infer(vals)
		}
		if kind == Categorical {
			f.Columns[j] = NewCategorical(name, vals)
			continue
		}
		num := make([]float64, len(vals))
		for i, s := range vals {
			if s == "" {
				num[i] = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil && !isRangeErr(err) {
				return nil, lathe.Errorf(lathe.EINVALID, "column %q row %d: %q is not a number, but the column is numeric", name, i+1, s)
			}
			num[i] = v
		}
		f.Columns[j] = NewNumeric(name, num)
		b.cols[j] = nil
	}
	return f, nil
}

// infer returns Numeric when every non-empty value parses as a float, else
// Categorical. A column with no values at all is Numeric (all missing).
func infer(vals []string) Kind {
	for _, s := range vals {
		if s == "" {
			continue
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil && !isRangeErr(err) {
			return Categorical
		}
	}
	return Numeric
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// Describe returns a one-line summary of the frame, for messages and logs.
func (f *Frame) Describe() string {
	return fmt.Sprintf("%d rows × %d columns", f.Rows(), len(f.Columns))
}
