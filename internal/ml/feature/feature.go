// Package feature turns raw frames into the learner-ready Matrix and back:
// it fixes the column order, encodes categories as integer codes, maps ±Inf
// and unparsable-as-missing values to NaN and, when asked, imputes missing
// numbers. The Encoder learned on the training frame is saved with the model,
// so raw rows go in and predictions come out.
package feature

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/frame"
)

// Matrix is an encoded table, stored column by column. Numeric features hold
// their value; categorical features hold the category code (0..Levels-1) as a
// float64. NaN means missing (for categorical features also: a category not
// seen in training).
type Matrix struct {
	Rows     int
	Cols     [][]float64
	Features []Feature
}

// Row copies row i into dst (len(dst) >= number of features) and returns it.
func (m *Matrix) Row(i int, dst []float64) []float64 {
	dst = dst[:len(m.Cols)]
	for j, c := range m.Cols {
		dst[j] = c[i]
	}
	return dst
}

// Feature describes one input column the model reads.
type Feature struct {
	Name string     `json:"name"`
	Kind frame.Kind `json:"-"`
	// Levels are the known categories, most frequent first; code i is Levels[i].
	Levels []string `json:"levels,omitempty"`
	// Impute, when Imputed is true, replaces missing numbers at encode time.
	Impute  float64 `json:"impute,omitempty"`
	Imputed bool    `json:"imputed,omitempty"`
	// Missing is the share of missing values in the training data.
	Missing float64 `json:"missing_fraction"`

	index map[string]int
}

type featureJSON struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Levels  []string `json:"levels,omitempty"`
	Impute  *float64 `json:"impute,omitempty"`
	Missing float64  `json:"missing_fraction"`
}

// MarshalJSON writes the feature with its kind as text.
func (f Feature) MarshalJSON() ([]byte, error) {
	j := featureJSON{Name: f.Name, Kind: f.Kind.String(), Levels: f.Levels, Missing: f.Missing}
	if f.Imputed {
		v := f.Impute
		j.Impute = &v
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (f *Feature) UnmarshalJSON(b []byte) error {
	var j featureJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	k, err := frame.ParseKind(j.Kind)
	if err != nil {
		return err
	}
	*f = Feature{Name: j.Name, Kind: k, Levels: j.Levels, Missing: j.Missing}
	if j.Impute != nil {
		f.Impute, f.Imputed = *j.Impute, true
	}
	return nil
}

// Cardinality returns the number of levels of a categorical feature, 0 for
// numeric ones.
func (f *Feature) Cardinality() int { return len(f.Levels) }

// Options control Fit.
type Options struct {
	// MaxLevels caps the categories kept per column (most frequent first);
	// rarer ones are encoded as unseen. 0 means DefaultMaxLevels.
	MaxLevels int
	// Impute replaces missing numbers by the training mean at encode time
	// (linear models need it; trees handle missing values natively).
	Impute bool
}

// DefaultMaxLevels is the default cap on categories per column.
const DefaultMaxLevels = 10_000

// Encoder maps raw frames onto a Matrix with a fixed column order.
type Encoder struct {
	Features []Feature `json:"features"`
}

// Fit learns an encoder for the named columns of f. It returns warnings for
// columns that carry no information (all missing, constant, ±Inf values,
// categories dropped by the cap) rather than failing on them.
func Fit(f *frame.Frame, names []string, opts Options) (*Encoder, []string, error) {
	maxLevels := opts.MaxLevels
	if maxLevels <= 0 {
		maxLevels = DefaultMaxLevels
	}
	n := f.Rows()
	if n == 0 {
		return nil, nil, lathe.Errorf(lathe.EINVALID, "the training data has no rows")
	}
	var warns []string
	e := &Encoder{Features: make([]Feature, 0, len(names))}
	for _, name := range names {
		c := f.Column(name)
		if c == nil {
			return nil, nil, lathe.Errorf(lathe.EINVALID, "feature column %q is not in the data (columns: %v)", name, f.Names())
		}
		ft := Feature{Name: name, Kind: c.Kind}
		missing := 0
		if c.Kind == frame.Numeric {
			sum, inf, cnt := 0.0, 0, 0
			first, constant := math.NaN(), true
			for _, v := range c.Num {
				switch {
				case math.IsNaN(v):
					missing++
					continue
				case math.IsInf(v, 0):
					missing++
					inf++
					continue
				}
				if cnt == 0 {
					first = v
				} else if v != first {
					constant = false
				}
				sum += v
				cnt++
			}
			if inf > 0 {
				warns = append(warns, "column "+strconv.Quote(name)+": "+strconv.Itoa(inf)+" infinite values are treated as missing")
			}
			if opts.Impute {
				ft.Imputed = true
				if cnt > 0 {
					ft.Impute = sum / float64(cnt)
				}
			}
			if cnt > 0 && constant {
				warns = append(warns, "column "+strconv.Quote(name)+" has a single value and cannot help the model")
			}
		} else {
			counts := map[string]int{}
			for _, s := range c.Str {
				if s == "" {
					missing++
					continue
				}
				counts[s]++
			}
			levels := make([]string, 0, len(counts))
			for s := range counts {
				levels = append(levels, s)
			}
			sort.Slice(levels, func(a, b int) bool {
				ca, cb := counts[levels[a]], counts[levels[b]]
				if ca != cb {
					return ca > cb
				}
				return levels[a] < levels[b]
			})
			if len(levels) > maxLevels {
				warns = append(warns, "column "+strconv.Quote(name)+" has "+strconv.Itoa(len(levels))+
					" categories; the "+strconv.Itoa(len(levels)-maxLevels)+" rarest are treated as unseen")
				levels = levels[:maxLevels]
			}
			if len(levels) == 1 {
				warns = append(warns, "column "+strconv.Quote(name)+" has a single category and cannot help the model")
			}
			ft.Levels = levels
		}
		if missing == n {
			warns = append(warns, "column "+strconv.Quote(name)+" is missing in every row and cannot help the model")
		}
		ft.Missing = float64(missing) / float64(n)
		e.Features = append(e.Features, ft)
	}
	e.init()
	return e, warns, nil
}

// init builds the lookup maps; it is idempotent. Fit and Validate call it,
// so an encoder is read-only (safe for concurrent Encode) once built.
func (e *Encoder) init() {
	for i := range e.Features {
		ft := &e.Features[i]
		if ft.Kind == frame.Categorical && ft.index == nil {
			ft.index = levelIndex(ft.Levels)
		}
	}
}

func levelIndex(levels []string) map[string]int {
	m := make(map[string]int, len(levels))
	for j, s := range levels {
		m[s] = j
	}
	return m
}

// Validate checks an encoder read from outside (a model file).
func (e *Encoder) Validate() error {
	if len(e.Features) == 0 {
		return lathe.Errorf(lathe.EINVALID, "the model has no features")
	}
	seen := map[string]bool{}
	for _, ft := range e.Features {
		if ft.Name == "" || seen[ft.Name] {
			return lathe.Errorf(lathe.EINVALID, "the model's feature names are empty or repeated (%q)", ft.Name)
		}
		seen[ft.Name] = true
		if ft.Kind != frame.Numeric && ft.Kind != frame.Categorical {
			return lathe.Errorf(lathe.EINVALID, "feature %q has an unknown kind", ft.Name)
		}
		lv := map[string]bool{}
		for _, s := range ft.Levels {
			if lv[s] || s == "" {
				return lathe.Errorf(lathe.EINVALID, "feature %q has an empty or repeated category %q", ft.Name, s)
			}
			lv[s] = true
		}
	}
	e.init()
	return nil
}

// Names returns the feature names in model order.
func (e *Encoder) Names() []string {
	out := make([]string, len(e.Features))
	for i := range e.Features {
		out[i] = e.Features[i].Name
	}
	return out
}

// Encode maps f onto a Matrix. Columns are found by name (order and extra
// columns do not matter); a missing column is an error. A numeric feature
// given as text is parsed (unparsable text is an error naming the row); a
// categorical feature given as numbers is formatted as text. Unseen categories
// and ±Inf become NaN.
func (e *Encoder) Encode(f *frame.Frame) (*Matrix, error) {
	n := f.Rows()
	p := len(e.Features)
	m := &Matrix{Rows: n, Cols: make([][]float64, p), Features: e.Features}
	back := make([]float64, n*p)
	nan := math.NaN()
	for j := range e.Features {
		ft := &e.Features[j]
		col := back[j*n : (j+1)*n : (j+1)*n]
		m.Cols[j] = col
		c := f.Column(ft.Name)
		if c == nil {
			return nil, lathe.Errorf(lathe.EINVALID, "input has no column %q; the model needs columns %v", ft.Name, e.Names())
		}
		index := ft.index
		if index == nil && ft.Kind == frame.Categorical {
			index = levelIndex(ft.Levels) // an encoder never passed through Fit or Validate
		}
		switch {
		case ft.Kind == frame.Numeric && c.Kind == frame.Numeric:
			for i, v := range c.Num {
				if math.IsInf(v, 0) {
					v = nan
				}
				col[i] = v
			}
		case ft.Kind == frame.Numeric:
			for i, s := range c.Str {
				if s == "" {
					col[i] = nan
					continue
				}
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return nil, lathe.Errorf(lathe.EINVALID, "column %q row %d: %q is not a number; the model reads this column as numeric", ft.Name, i+1, s)
				}
				if math.IsInf(v, 0) {
					v = nan
				}
				col[i] = v
			}
		case c.Kind == frame.Categorical:
			for i, s := range c.Str {
				if k, ok := index[s]; ok {
					col[i] = float64(k)
				} else {
					col[i] = nan
				}
			}
		default:
			for i := range c.Num {
				if k, ok := index[c.String(i)]; ok {
					col[i] = float64(k)
				} else {
					col[i] = nan
				}
			}
		}
		if ft.Imputed {
			for i, v := range col {
				if v != v {
					col[i] = ft.Impute
				}
			}
		}
	}
	return m, nil
}
