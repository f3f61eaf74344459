// Package linear trains linear and logistic regression (binary and softmax
// multiclass) with L1 and L2 penalties. Standardisation lives inside the
// model: numeric features are centred and scaled by their training mean and
// standard deviation, categorical features are one-hot encoded (a missing or
// unseen category activates no column). The penalised objective
//
//	(1/n) Σ loss_i + (l2/2)·‖w‖² + l1·‖w‖₁      (intercepts not penalised)
//
// is minimised by OWL-QN (orthant-wise L-BFGS, Andrew & Gao 2007), which is
// plain L-BFGS when l1 = 0. Loss and gradient are summed over fixed chunks of
// rows in a fixed order, so results do not depend on the number of threads.
package linear

import (
	"math"
	"runtime"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
)

// Params are the hyperparameters. Start from DefaultParams.
type Params struct {
	// L2 is the ridge penalty per row (scikit-learn's C is 1/(L2·n)).
	L2 float64 `json:"l2"`
	// L1 is the lasso penalty per row.
	L1 float64 `json:"l1"`
	// MaxIter bounds the optimiser's iterations.
	MaxIter int `json:"max_iter"`
	// Tol stops the optimiser when the relative decrease of the objective
	// over an iteration falls below it.
	Tol float64 `json:"tol"`
	// Threads is the number of goroutines; 0 means GOMAXPROCS.
	Threads int `json:"n_jobs"`
}

// DefaultParams returns a light ridge penalty and no lasso.
func DefaultParams() Params {
	return Params{L2: 1e-4, MaxIter: 500, Tol: 1e-9}
}

func errRange(name, rng string, got any) error {
	return lathe.Errorf(lathe.EINVALID, "linear: %s must be %s, got %v", name, rng, got)
}

// Validate checks every parameter against its allowed range.
func (p *Params) Validate() error {
	switch {
	case !(p.L2 >= 0) || p.L2 > 1e6:
		return errRange("l2", "in [0, 1e6]", p.L2)
	case !(p.L1 >= 0) || p.L1 > 1e6:
		return errRange("l1", "in [0, 1e6]", p.L1)
	case p.MaxIter < 1 || p.MaxIter > 100_000:
		return errRange("max_iter", "an integer in [1, 100000]", p.MaxIter)
	case !(p.Tol >= 0) || p.Tol >= 1:
		return errRange("tol", "in [0, 1)", p.Tol)
	case p.Threads < 0 || p.Threads > 1024:
		return errRange("n_jobs", "an integer in [0, 1024] (0 = all cores)", p.Threads)
	}
	return nil
}

// MaxClasses is the most classes a multiclass model may have.
const MaxClasses = 10_000

// Model is a trained linear model. Column j of the design is either numeric
// feature Num[j] standardised, or one category of a categorical feature.
type Model struct {
	Names    []string  // feature names in matrix column order
	Features int       // input features
	Classes  int       // 0 regression, 2 binary, K >= 3 multiclass
	Num      []int     // matrix columns of numeric features
	Mean     []float64 // per numeric feature
	Scale    []float64 // per numeric feature (1 when constant)
	Cat      []int     // matrix columns of categorical features
	Offset   []int     // first design column of each categorical feature
	Levels   []int     // categories of each categorical feature
	Dim      int       // design columns
	// W holds Outputs() rows of Dim weights; Intercept one per output.
	W         []float64
	Intercept []float64
	// Freq is the training frequency of every one-hot design column (the
	// mean of that column), used to centre contributions.
	Freq       []float64
	Iterations int
	Converged  bool
}

// Outputs returns the number of margins per row.
func (m *Model) Outputs() int {
	if m.Classes > 2 {
		return m.Classes
	}
	return 1
}

// design is the standardised training data: dense numeric values row-major
// and one active column (or -1) per categorical feature.
type design struct {
	n    int
	num  []float64 // n × len(Num)
	cat  []int32   // n × len(Cat): design column or -1
	nnum int
	ncat int
}

func (m *Model) newDesign(X *feature.Matrix) *design {
	n := X.Rows
	d := &design{n: n, nnum: len(m.Num), ncat: len(m.Cat)}
	d.num = make([]float64, n*d.nnum)
	for j, c := range m.Num {
		col := X.Cols[c]
		mu, s := m.Mean[j], m.Scale[j]
		for i, v := range col {
			if v != v {
				v = mu // imputation should have happened upstream; centre if not
			}
			d.num[i*d.nnum+j] = (v - mu) / s
		}
	}
	d.cat = make([]int32, n*d.ncat)
	for j, c := range m.Cat {
		col := X.Cols[c]
		for i, v := range col {
			k := int32(-1)
			if v == v && v >= 0 && int(v) < m.Levels[j] {
				k = int32(m.Offset[j] + int(v))
			}
			d.cat[i*d.ncat+j] = k
		}
	}
	return d
}

// fitStandardiser sets the column layout, means and scales from X.
func (m *Model) fitStandardiser(X *feature.Matrix) {
	m.Features = len(X.Cols)
	dim := 0
	for c, ft := range X.Features {
		m.Names = append(m.Names, ft.Name)
		if ft.Kind == frame.Categorical {
			continue
		}
		col := X.Cols[c]
		s, cnt := 0.0, 0
		for _, v := range col {
			if v == v {
				s += v
				cnt++
			}
		}
		mu := 0.0
		if cnt > 0 {
			mu = s / float64(cnt)
		}
		ss := 0.0
		for _, v := range col {
			if v == v {
				ss += (v - mu) * (v - mu)
			}
		}
		sd := 1.0
		if cnt > 0 && ss > 0 {
			sd = math.Sqrt(ss / float64(cnt))
		}
		m.Num = append(m.Num, c)
		m.Mean = append(m.Mean, mu)
		m.Scale = append(m.Scale, sd)
		dim++
	}
	for c, ft := range X.Features {
		if ft.Kind != frame.Categorical {
			continue
		}
		m.Cat = append(m.Cat, c)
		m.Offset = append(m.Offset, dim)
		m.Levels = append(m.Levels, len(ft.Levels))
		dim += len(ft.Levels)
	}
	m.Dim = dim
	m.Freq = make([]float64, dim)
	n := float64(X.Rows)
	for j, c := range m.Cat {
		for _, v := range X.Cols[c] {
			if v == v && v >= 0 && int(v) < m.Levels[j] {
				m.Freq[m.Offset[j]+int(v)] += 1 / n
			}
		}
	}
}

func threads(p int) int {
	if p > 0 {
		return p
	}
	return runtime.GOMAXPROCS(0)
}
