package ml

import (
	"math"
	"slices"

	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/gbdt"
	"github.com/latheml/lathe/internal/ml/linear"
)

// Explanation holds per-row feature contributions to the model's raw scores:
// TreeSHAP values for trees, centred coefficient × value for linear models.
// For every row and output the contributions plus Base sum to the margin
// (log-odds for binary, softmax input for multiclass, value for regression).
type Explanation struct {
	Rows     int
	Features []string
	// Outputs names the scores: the positive class for binary, every class for
	// multiclass, the label for regression.
	Outputs []string
	// Values holds Rows × len(Outputs) × (len(Features)+1) numbers; the last
	// of each group is the expected score (the base value).
	Values []float64
}

// Row returns the contributions of row i to output k and the base value. The
// slice aliases e.Values.
func (e *Explanation) Row(i, k int) (contrib []float64, base float64) {
	p := len(e.Features)
	v := e.Values[(i*len(e.Outputs)+k)*(p+1) : (i*len(e.Outputs)+k+1)*(p+1)]
	return v[:p], v[p]
}

// Explain computes per-row contributions for every row of f.
func (m *Model) Explain(f *frame.Frame) (*Explanation, error) {
	X, err := m.Encoder.Encode(f)
	if err != nil {
		return nil, err
	}
	return m.ExplainMatrix(X)
}

// ExplainMatrix is Explain for rows already encoded with m.Encoder.
func (m *Model) ExplainMatrix(X *feature.Matrix) (*Explanation, error) {
	K, p := m.Outputs(), len(m.Encoder.Features)
	e := &Explanation{Rows: X.Rows, Features: m.Encoder.Names(), Outputs: m.outputNames(),
		Values: make([]float64, X.Rows*K*(p+1))}
	if err := m.learner.Contributions(X, e.Values); err != nil {
		return nil, err
	}
	return e, nil
}

func (m *Model) outputNames() []string {
	switch m.Task {
	case Binary:
		return []string{m.Classes[1]}
	case Multiclass:
		return append([]string(nil), m.Classes...)
	}
	return []string{m.Label}
}

// Importance is one feature's global importance.
type Importance struct {
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`
	// Splits is the number of tree splits on the feature (GBDT only).
	Splits int `json:"splits,omitempty"`
}

// Importance returns every feature's global importance, largest first: the
// total split gain for GBDT, the spread (standard deviation) of the
// contribution over the training data for linear models, zero for the
// baseline. Kind names the measure.
func (m *Model) Importance() (kind string, out []Importance) {
	names := m.Encoder.Names()
	out = make([]Importance, len(names))
	for i, n := range names {
		out[i].Feature = n
	}
	switch l := m.learner.(type) {
	case *gbdt.Model:
		kind = "gain"
		gain, splits := l.Importance()
		for i := range out {
			out[i].Value, out[i].Splits = gain[i], splits[i]
		}
	case *linear.Model:
		kind = "coefficient"
		for i, v := range l.Importance() {
			out[i].Value = v
		}
	default:
		kind = "none"
	}
	sortImportance(out)
	return kind, out
}

// MeanAbs returns each feature's mean absolute contribution over the rows of
// e (summed over outputs), largest first: a global importance from any
// explanation, e.g. of a validation set.
func (e *Explanation) MeanAbs() []Importance {
	p, K := len(e.Features), len(e.Outputs)
	out := make([]Importance, p)
	for j := range out {
		out[j].Feature = e.Features[j]
	}
	for i := 0; i < e.Rows; i++ {
		for k := 0; k < K; k++ {
			c, _ := e.Row(i, k)
			for j, v := range c {
				out[j].Value += math.Abs(v)
			}
		}
	}
	if e.Rows > 0 {
		for j := range out {
			out[j].Value /= float64(e.Rows)
		}
	}
	sortImportance(out)
	return out
}

func sortImportance(v []Importance) {
	slices.SortStableFunc(v, func(a, b Importance) int {
		switch {
		case a.Value > b.Value:
			return -1
		case a.Value < b.Value:
			return 1
		}
		return 0
	})
}
