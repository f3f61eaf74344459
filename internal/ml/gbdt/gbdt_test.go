package gbdt

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
)

// toy returns n rows: x0 numeric with 10% missing, x1 categorical with 8
// levels, x2 numeric noise, x3 categorical noise (3 levels). The binary label
// depends on x0 > 0.3, on x1 being in {0, 2, 5, 7}, and on x0 being missing.
func toy(n int, seed uint64) (*feature.Matrix, []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	X := &feature.Matrix{Rows: n, Cols: make([][]float64, 4), Features: []feature.Feature{
		{Name: "x0", Kind: frame.Numeric},
		{Name: "x1", Kind: frame.Categorical, Levels: []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{Name: "x2", Kind: frame.Numeric},
		{Name: "x3", Kind: frame.Categorical, Levels: []string{"p", "q", "r"}},
	}}
	for j := range X.Cols {
		X.Cols[j] = make([]float64, n)
	}
	y := make([]float64, n)
	good := map[int]bool{0: true, 2: true, 5: true, 7: true}
	for i := 0; i < n; i++ {
		x0 := rng.Float64()
		x1 := rng.IntN(8)
		X.Cols[0][i], X.Cols[1][i] = x0, float64(x1)
		X.Cols[2][i], X.Cols[3][i] = rng.NormFloat64(), float64(rng.IntN(3))
		z := -1.0
		if x0 > 0.3 {
			z += 1.5
		}
		if good[x1] {
			z += 1.5
		}
		if rng.IntN(10) == 0 {
			X.Cols[0][i] = math.NaN()
			z = 3
		}
		if rng.Float64() < 1/(1+math.Exp(-3*z)) {
			y[i] = 1
		}
	}
	return X, y
}

func accuracy(m *Model, X *feature.Matrix, y []float64) float64 {
	out := make([]float64, X.Rows)
	if err := m.Margins(X, out); err != nil {
		panic(err)
	}
	ok := 0
	for i, z := range out {
		if (z > 0) == (y[i] == 1) {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

func small() Params {
	p := DefaultParams()
	p.Trees = 30
	p.MaxLeaves = 8
	return p
}

func TestLearnsToy(t *testing.T) {
	t.Parallel()
	X, y := toy(3000, 1)
	Xt, yt := toy(2000, 2)
	m, err := Train(context.Background(), X, y, 2, nil, small())
	if err != nil {
		t.Fatal(err)
	}
	// The Bayes rate of the toy problem is about 0.93.
	if acc := accuracy(m, Xt, yt); acc < 0.88 {
		t.Errorf("test accuracy %.3f, want >= 0.88", acc)
	}
	gain, splits := m.Importance()
	if gain[0] <= gain[2] || gain[1] <= gain[3] || splits[0] == 0 {
		t.Errorf("importance %v %v: informative features should dominate", gain, splits)
	}
	// The first tree's root should split on a categorical or numeric signal
	// and route missing x0 correctly: a row with x0 missing and a bad
	// category must score higher than one with x0 = 0.1.
	row := func(x0 float64) *feature.Matrix {
		return &feature.Matrix{Rows: 1, Cols: [][]float64{{x0}, {1}, {0}, {0}}, Features: X.Features}
	}
	a, b := make([]float64, 1), make([]float64, 1)
	_ = m.Margins(row(math.NaN()), a)
	_ = m.Margins(row(0.1), b)
	if a[0] <= b[0] {
		t.Errorf("missing x0 scores %.3f, x0=0.1 scores %.3f: missing values should be routed to the positive side", a[0], b[0])
	}
}

func TestCategoricalSetSplit(t *testing.T) {
	t.Parallel()
	// The label is a pure function of the category: one tree with 2 leaves
	// must separate {0,2,5,7} from the rest through one set split.
	X, y := toy(2000, 3)
	for i := range y {
		y[i] = 0
		switch int(X.Cols[1][i]) {
		case 0, 2, 5, 7:
			y[i] = 1
		}
	}
	p := DefaultParams()
	p.Trees, p.MaxLeaves, p.LearningRate, p.CatL2 = 1, 2, 1, 0
	m, err := Train(context.Background(), X, y, 2, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	nd := m.Trees[0].Nodes[0]
	if !nd.Categorical() || nd.Feature != 1 {
		t.Fatalf("root = %+v, want a categorical split on feature 1", nd)
	}
	if acc := accuracy(m, X, y); acc != 1 {
		t.Errorf("accuracy %.3f, want 1", acc)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	X, y := toy(20000, 4)
	p := small()
	p.RowSample, p.ColSample, p.Seed = 0.7, 0.75, 42
	var ref []float64
	for _, threads := range []int{1, 2, 3} {
		p.Threads = threads
		m, err := Train(context.Background(), X, y, 2, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, X.Rows)
		_ = m.Margins(X, out)
		if ref == nil {
			ref = out
			continue
		}
		for i := range out {
			if math.Float64bits(out[i]) != math.Float64bits(ref[i]) {
				t.Fatalf("threads=%d: row %d margin %v differs from threads=1 %v", threads, i, out[i], ref[i])
			}
		}
	}
	p.Seed = 43
	m, _ := Train(context.Background(), X, y, 2, nil, p)
	out := make([]float64, X.Rows)
	_ = m.Margins(X, out)
	same := true
	for i := range out {
		same = same && out[i] == ref[i]
	}
	if same {
		t.Error("a different seed gave the same model with row and column sampling on")
	}
}

func TestMulticlassAndRegression(t *testing.T) {
	t.Parallel()
	X, _ := toy(3000, 5)
	n := X.Rows
	y3 := make([]float64, n)
	yr := make([]float64, n)
	for i := 0; i < n; i++ {
		x0 := X.Cols[0][i]
		switch {
		case math.IsNaN(x0):
			y3[i] = 2
		case x0 > 0.5:
			y3[i] = 1
		}
		if math.IsNaN(x0) {
			x0 = 0.5
		}
		yr[i] = 10*x0*x0 + X.Cols[1][i]
	}
	m3, err := Train(context.Background(), X, y3, 3, nil, small())
	if err != nil {
		t.Fatal(err)
	}
	if m3.Outputs() != 3 || len(m3.Trees) != 3*30 {
		t.Fatalf("multiclass: %d outputs, %d trees", m3.Outputs(), len(m3.Trees))
	}
	out := make([]float64, 3*n)
	_ = m3.Margins(X, out)
	ok := 0
	for i := 0; i < n; i++ {
		best := 0
		for k := 1; k < 3; k++ {
			if out[i*3+k] > out[i*3+best] {
				best = k
			}
		}
		if float64(best) == y3[i] {
			ok++
		}
	}
	if acc := float64(ok) / float64(n); acc < 0.98 {
		t.Errorf("multiclass training accuracy %.3f, want >= 0.98", acc)
	}
	p := small()
	p.Trees = 60
	mr, err := Train(context.Background(), X, yr, 0, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	pr := make([]float64, n)
	_ = mr.Margins(X, pr)
	var res, tot, mu float64
	for _, v := range yr {
		mu += v / float64(n)
	}
	for i, v := range yr {
		res += (v - pr[i]) * (v - pr[i])
		tot += (v - mu) * (v - mu)
	}
	if r2 := 1 - res/tot; r2 < 0.97 {
		t.Errorf("regression R² %.4f, want >= 0.97", r2)
	}
}

func TestEarlyStopping(t *testing.T) {
	t.Parallel()
	X, y := toy(1500, 6)
	Xv, yv := toy(1500, 7)
	p := DefaultParams()
	p.Trees, p.MaxLeaves, p.MinSamplesLeaf, p.LearningRate = 300, 64, 2, 0.5
	p.EarlyStoppingRounds = 5
	m, err := Train(context.Background(), X, y, 2, &Valid{X: Xv, Y: yv}, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rounds >= 300 || len(m.Trees) != m.Rounds || len(m.ValidLoss) < m.Rounds+5 {
		t.Fatalf("rounds %d, trees %d, %d losses: early stopping did not stop and keep the best round", m.Rounds, len(m.Trees), len(m.ValidLoss))
	}
	best := m.ValidLoss[m.Rounds-1]
	for _, l := range m.ValidLoss {
		if l < best-p.Tolerance {
			t.Errorf("kept round %d with loss %v but a later loss %v was lower", m.Rounds, best, l)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(p *Params)
	}{
		{"n_estimators", func(p *Params) { p.Trees = 0 }},
		{"learning_rate", func(p *Params) { p.LearningRate = 0 }},
		{"learning_rate", func(p *Params) { p.LearningRate = math.NaN() }},
		{"max_leaves", func(p *Params) { p.MaxLeaves = 1 }},
		{"max_depth", func(p *Params) { p.MaxDepth = -1 }},
		{"min_samples_leaf", func(p *Params) { p.MinSamplesLeaf = 0 }},
		{"min_child_weight", func(p *Params) { p.MinHessianLeaf = -1 }},
		{"l2_regularization", func(p *Params) { p.L2 = math.Inf(1) }},
		{"min_split_gain", func(p *Params) { p.MinGain = -0.1 }},
		{"max_bins", func(p *Params) { p.MaxBins = 256 }},
		{"subsample", func(p *Params) { p.RowSample = 1.5 }},
		{"colsample_bytree", func(p *Params) { p.ColSample = 0 }},
		{"early_stopping_rounds", func(p *Params) { p.EarlyStoppingRounds = -1 }},
		{"tol", func(p *Params) { p.Tolerance = -1 }},
		{"cat_smooth", func(p *Params) { p.CatSmooth = -1 }},
		{"cat_l2", func(p *Params) { p.CatL2 = -1 }},
		{"max_cat_threshold", func(p *Params) { p.MaxCatThreshold = 0 }},
		{"max_cat_to_onehot", func(p *Params) { p.MaxCatOneHot = -1 }},
		{"min_data_per_group", func(p *Params) { p.MinCatCount = -1 }},
		{"n_jobs", func(p *Params) { p.Threads = -2 }},
	}
	for _, tt := range tests {
		p := DefaultParams()
		tt.set(&p)
		err := p.Validate()
		if !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tt.name+" must be") {
			t.Errorf("%s: err = %v, want EINVALID naming the parameter and its range", tt.name, err)
		}
	}
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestTrainRejectsBadData(t *testing.T) {
	t.Parallel()
	X, y := toy(100, 8)
	tests := []struct {
		name    string
		y       []float64
		classes int
		msg     string
	}{
		{"length", y[:10], 2, "labels"},
		{"nan label", append([]float64{math.NaN()}, y[1:]...), 0, "finite"},
		{"class out of range", append([]float64{2}, y[1:]...), 2, "integers in [0, 2)"},
		{"one class", y, 1, "classes must be"},
	}
	for _, tt := range tests {
		if _, err := Train(context.Background(), X, tt.y, tt.classes, nil, small()); !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want EINVALID containing %q", tt.name, err, tt.msg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, X, y, 2, nil, small()); err != context.Canceled {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestAllMissingAndConstantFeatures(t *testing.T) {
	t.Parallel()
	X, y := toy(500, 9)
	for i := range X.Cols[2] {
		X.Cols[2][i] = math.NaN()
		X.Cols[3][i] = 1
	}
	m, err := Train(context.Background(), X, y, 2, nil, small())
	if err != nil {
		t.Fatal(err)
	}
	_, splits := m.Importance()
	if splits[2] != 0 || splits[3] != 0 {
		t.Errorf("splits on all-missing / constant features: %v", splits)
	}
}
