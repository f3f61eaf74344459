package profile

import (
	"github.com/latheml/lathe"
)

// Version is the version of the Profile JSON layout, stored in every profile
// so readers can tell old layouts from new ones.
const Version = 1

// Formats of the profiled data, as in Profile.Format.
const (
	FormatCSV     = "csv"
	FormatParquet = "parquet"
)

// Type is a column's inferred type.
type Type string

// Column types.
const (
	TypeInt      Type = "int"      // every value is a 64-bit integer
	TypeFloat    Type = "float"    // every value is a number, not all integers
	TypeBool     Type = "bool"     // every value is true or false
	TypeString   Type = "string"   // anything else, and columns with no values
	TypeDatetime Type = "datetime" // every value is a date or a timestamp
)

// Numeric reports whether t is int or float.
func (t Type) Numeric() bool { return t == TypeInt || t == TypeFloat }

// Profile summarises one table. It is JSON-serialisable with stable
// snake_case field names, and deterministic: the same input and options give
// the same Profile and the same JSON.
type Profile struct {
	Version int    `json:"version"` // the layout version, Version
	Format  string `json:"format"`  // FormatCSV or FormatParquet
	Rows    int64  `json:"rows"`    // data rows (CSV: not counting the header or blank lines)

	// CSV only: the delimiter used (given or detected) and whether the first
	// record was taken as a header (given or detected).
	Delimiter string `json:"delimiter,omitempty"`
	Header    bool   `json:"header"`

	Columns []ColumnProfile `json:"columns"`

	// Problems found in lenient mode, in input order, at most
	// Options.MaxProblems of them; ProblemCount counts all of them and
	// Truncated says the list was cut short.
	Problems     []Problem `json:"problems"`
	ProblemCount int64     `json:"problem_count"`
	Truncated    bool      `json:"truncated"`

	// CSV only: rows with more or fewer fields than the header (missing cells
	// count as nulls, extra cells are dropped) and rows with invalid UTF-8
	// (invalid bytes are replaced by U+FFFD).
	RaggedRows      int64 `json:"ragged_rows"`
	InvalidUTF8Rows int64 `json:"invalid_utf8_rows"`
}

// Problem is something wrong with the input that lenient mode recorded and
// went past. Line is the 1-based line of the input where the record starts.
type Problem struct {
	Line    int64  `json:"line"`
	Message string `json:"message"`
}

// Column returns the profile of the named column, or nil.
func (p *Profile) Column(name string) *ColumnProfile {
	for i := range p.Columns {
		if p.Columns[i].Name == name {
			return &p.Columns[i]
		}
	}
	return nil
}

// ColumnProfile summarises one column. Fields that do not apply to the
// column's type are omitted from the JSON.
type ColumnProfile struct {
	Name        string  `json:"name"`
	Type        Type    `json:"type"`
	Categorical bool    `json:"categorical"` // a string column with few, repeating values
	Count       int64   `json:"count"`       // non-null values
	Nulls       int64   `json:"nulls"`       // null values (and cells missing from short CSV rows)
	NullRate    float64 `json:"null_rate"`   // Nulls / (Count + Nulls), 0 for an empty column

	// Distinct non-null values: exact up to Options.ExactDistinct, then a
	// HyperLogLog estimate with DistinctApproximate set.
	Distinct            int64 `json:"distinct"`
	DistinctApproximate bool  `json:"distinct_approximate"`

	// Numeric columns (int and float). Std is the sample standard deviation
	// (n-1 in the denominator, as pandas), nil with fewer than two values.
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	Mean *float64 `json:"mean,omitempty"`
	Std  *float64 `json:"std,omitempty"`
	// Infinite counts ±Inf values of a Parquet float column; they are left
	// out of the numeric summaries.
	Infinite  int64      `json:"infinite,omitempty"`
	Quantiles *Quantiles `json:"quantiles,omitempty"`
	Histogram *Histogram `json:"histogram,omitempty"`

	// Datetime columns: the earliest and latest instants, RFC 3339 in UTC
	// (timestamps without a zone are read as UTC).
	DatetimeMin string `json:"datetime_min,omitempty"`
	DatetimeMax string `json:"datetime_max,omitempty"`

	// String and bool columns: the most frequent values, by count descending
	// then value ascending. Exact when the distinct count is; otherwise from
	// SpaceSaving counters with TopKApproximate set (see ValueCount).
	TopK            []ValueCount `json:"top_k,omitempty"`
	TopKApproximate bool         `json:"top_k_approximate,omitempty"`
}

// Quantiles of a numeric column. Exact ones interpolate linearly between the
// two nearest values (as pandas and numpy do by default); approximate ones
// (Approximate set) are values retained by the KLL sketch.
type Quantiles struct {
	P01         float64 `json:"p01"`
	P05         float64 `json:"p05"`
	P25         float64 `json:"p25"`
	P50         float64 `json:"p50"`
	P75         float64 `json:"p75"`
	P95         float64 `json:"p95"`
	P99         float64 `json:"p99"`
	Approximate bool    `json:"approximate"`
}

// quantileLevels returns the probabilities of Quantiles' fields, in order.
func quantileLevels() []float64 { return []float64{0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99} }

func (q *Quantiles) set(vals []float64) {
	q.P01, q.P05, q.P25, q.P50, q.P75, q.P95, q.P99 = vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]
}

// Histogram is a numeric column's distribution: len(Counts) bins with
// len(Counts)+1 Edges. Bin i holds values v with Edges[i] <= v < Edges[i+1],
// the last bin also its upper edge. Bins are equal-width between the min and
// the max, except that an int column spanning fewer values than bins gets one
// bin per integer. Counts sum to the column's non-null count; they are exact
// unless Approximate is set, in which case they come from the quantile
// sketch's CDF.
type Histogram struct {
	Edges       []float64 `json:"edges"`
	Counts      []int64   `json:"counts"`
	Approximate bool      `json:"approximate"`
}

// ValueCount is a value and how many times it occurs. Values longer than
// 64 bytes are cut there and end in "…". In an approximate top-k, Count is an
// upper bound and Count - Error a lower bound of the true count, and values
// are ranked by that lower bound: in a column without frequent values the
// errors are as large as the counts, which says the ranking is noise.
type ValueCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
	Error int64  `json:"error,omitempty"`
}

// Options are the knobs common to every format. The zero value means the
// defaults.
type Options struct {
	// TopK is how many frequent values to report per string or bool column
	// (default 10, at most 1,000).
	TopK int
	// Bins is the number of histogram bins (default 20, at most 1,000).
	Bins int
	// ExactDistinct is how many distinct values a column counts exactly before
	// it switches to sketches (default 10,000, at most 1,000,000). The whole
	// profile keeps at most 2,000,000 exact values, so with many columns the
	// per-column limit shrinks (to no less than 100).
	ExactDistinct int
	// MaxProblems caps Profile.Problems (default 100).
	MaxProblems int
	// MaxColumns refuses wider tables (default 2,000, at most 100,000).
	MaxColumns int
}

// Defaults of Options.
const (
	DefaultTopK          = 10
	DefaultBins          = 20
	DefaultExactDistinct = 10_000
	DefaultMaxProblems   = 100
	DefaultMaxColumns    = 2_000

	exactBudget      = 2_000_000 // exact distinct values over all columns
	minExactDistinct = 100
)

// withDefaults fills in zero fields and checks the others.
func (o Options) withDefaults() (Options, error) {
	def := func(v *int, d, hi int, name string) error {
		switch {
		case *v == 0:
			*v = d
		case *v < 0 || *v > hi:
			return lathe.Errorf(lathe.EINVALID, "profile option %s is %d; it must be between 1 and %d (0 means the default, %d)", name, *v, hi, d)
		}
		return nil
	}
	for _, f := range []struct {
		v     *int
		d, hi int
		name  string
	}{
		{&o.TopK, DefaultTopK, 1_000, "TopK"},
		{&o.Bins, DefaultBins, 1_000, "Bins"},
		{&o.ExactDistinct, DefaultExactDistinct, 1_000_000, "ExactDistinct"},
		{&o.MaxProblems, DefaultMaxProblems, 1_000_000, "MaxProblems"},
		{&o.MaxColumns, DefaultMaxColumns, 100_000, "MaxColumns"},
	} {
		if err := def(f.v, f.d, f.hi, f.name); err != nil {
			return o, err
		}
	}
	return o, nil
}

// exactLimit is the per-column exact distinct limit for ncols columns.
func (o Options) exactLimit(ncols int) int {
	limit := o.ExactDistinct
	if ncols > 0 && limit*ncols > exactBudget {
		limit = max(exactBudget/ncols, minExactDistinct)
	}
	return limit
}

// problems collects Problems up to a cap.
type problems struct {
	max   int
	list  []Problem
	count int64
}

func (p *problems) add(line int64, msg string) {
	p.count++
	if len(p.list) < p.max {
		p.list = append(p.list, Problem{Line: line, Message: msg})
	}
}

func (p *problems) fill(pr *Profile) {
	pr.Problems = p.list
	if pr.Problems == nil {
		pr.Problems = []Problem{}
	}
	pr.ProblemCount = p.count
	pr.Truncated = p.count > int64(len(p.list))
}
