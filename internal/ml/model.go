package ml

import (
	"math"

	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/gbdt"
	"github.com/latheml/lathe/internal/ml/linear"
)

// learner is what every algorithm provides: raw scores, their per-feature
// contributions, and its bytes.
type learner interface {
	Outputs() int
	Margins(X *feature.Matrix, out []float64) error
	Contributions(X *feature.Matrix, out []float64) error
	MarshalBinary() ([]byte, error)
}

var (
	_ learner = (*gbdt.Model)(nil)
	_ learner = (*linear.Model)(nil)
	_ learner = (*baseline)(nil)
)

// Model is a trained model with its preprocessing: raw frame in, prediction
// out. It is safe for concurrent use.
type Model struct {
	Task      Task
	Algorithm Algorithm
	Label     string
	Classes   []string // classification: class names; index 1 is positive for binary
	Encoder   *feature.Encoder
	Info      Info
	learner   learner
}

// Features returns the input columns the model reads, in model order.
func (m *Model) Features() []feature.Feature { return m.Encoder.Features }

// Outputs returns the number of raw scores per row: 1 for regression and
// binary, one per class for multiclass.
func (m *Model) Outputs() int { return m.learner.Outputs() }

// GBDT returns the tree ensemble, or nil for other algorithms.
func (m *Model) GBDT() *gbdt.Model { g, _ := m.learner.(*gbdt.Model); return g }

// Linear returns the linear model, or nil for other algorithms.
func (m *Model) Linear() *linear.Model { l, _ := m.learner.(*linear.Model); return l }

// Prediction holds the model's answers for a batch of rows.
type Prediction struct {
	Rows int
	// Label is the predicted class per row (classification).
	Label []string
	// Proba holds len(Classes) probabilities per row (classification).
	Proba []float64
	// Value is the prediction per row (regression).
	Value []float64
	// Margin holds Outputs() raw scores per row: log-odds of the positive
	// class for binary, softmax inputs for multiclass, the value for
	// regression.
	Margin []float64
}

// Predict scores every row of f. f must have every feature column (any order;
// other columns are ignored). Missing values and unseen categories are
// handled by the model; ±Inf is read as missing.
func (m *Model) Predict(f *frame.Frame) (*Prediction, error) {
	X, err := m.Encoder.Encode(f)
	if err != nil {
		return nil, err
	}
	return m.PredictMatrix(X)
}

// PredictMatrix scores rows already encoded with m.Encoder.
func (m *Model) PredictMatrix(X *feature.Matrix) (*Prediction, error) {
	K := m.Outputs()
	p := &Prediction{Rows: X.Rows, Margin: make([]float64, X.Rows*K)}
	if err := m.learner.Margins(X, p.Margin); err != nil {
		return nil, err
	}
	switch m.Task {
	case Regression:
		p.Value = p.Margin
	case Binary:
		p.Proba = make([]float64, 2*X.Rows)
		p.Label = make([]string, X.Rows)
		for i, z := range p.Margin {
			q := 1 / (1 + math.Exp(-z))
			p.Proba[2*i], p.Proba[2*i+1] = 1-q, q
			p.Label[i] = m.Classes[0]
			if q >= 0.5 {
				p.Label[i] = m.Classes[1]
			}
		}
	default:
		p.Proba = make([]float64, len(p.Margin))
		p.Label = make([]string, X.Rows)
		for i := 0; i < X.Rows; i++ {
			z, q := p.Margin[i*K:(i+1)*K], p.Proba[i*K:(i+1)*K]
			softmax(z, q)
			best := 0
			for k := range q {
				if q[k] > q[best] {
					best = k
				}
			}
			p.Label[i] = m.Classes[best]
		}
	}
	return p, nil
}

func softmax(z, out []float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for k, v := range z {
		out[k] = math.Exp(v - mx)
		s += out[k]
	}
	for k := range out {
		out[k] /= s
	}
}

// baseline predicts the training class priors or mean for every row.
type baseline struct {
	features int
	base     []float64 // margins
}

func newBaseline(features, classes int, y []float64) *baseline {
	n := float64(len(y))
	switch {
	case classes == 0:
		s := 0.0
		for _, v := range y {
			s += v
		}
		return &baseline{features, []float64{s / n}}
	case classes == 2:
		s := 0.0
		for _, v := range y {
			s += v
		}
		p := math.Min(math.Max(s/n, 1e-15), 1-1e-15)
		return &baseline{features, []float64{math.Log(p / (1 - p))}}
	}
	counts := make([]float64, classes)
	for _, v := range y {
		counts[int(v)]++
	}
	b := make([]float64, classes)
	for k, c := range counts {
		b[k] = math.Log(math.Max(c/n, 1e-15))
	}
	return &baseline{features, b}
}

// Outputs implements learner.
func (b *baseline) Outputs() int { return len(b.base) }

// Margins implements learner: every row gets the same scores.
func (b *baseline) Margins(X *feature.Matrix, out []float64) error {
	K := len(b.base)
	for i := 0; i < X.Rows; i++ {
		copy(out[i*K:(i+1)*K], b.base)
	}
	return nil
}

// Contributions implements learner: no feature contributes.
func (b *baseline) Contributions(X *feature.Matrix, out []float64) error {
	K, p := len(b.base), b.features
	clear(out)
	for i := 0; i < X.Rows; i++ {
		for k := 0; k < K; k++ {
			out[(i*K+k)*(p+1)+p] = b.base[k]
		}
	}
	return nil
}
