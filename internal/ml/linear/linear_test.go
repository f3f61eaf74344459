package linear

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
)

// data returns two numeric features (x1 scaled by 10, x2 pure noise) and one
// categorical feature with 3 levels.
func data(n int, seed uint64) *feature.Matrix {
	rng := rand.New(rand.NewPCG(seed, 3))
	X := &feature.Matrix{Rows: n, Cols: make([][]float64, 3), Features: []feature.Feature{
		{Name: "x1", Kind: frame.Numeric},
		{Name: "x2", Kind: frame.Numeric},
		{Name: "c", Kind: frame.Categorical, Levels: []string{"a", "b", "c"}},
	}}
	for j := range X.Cols {
		X.Cols[j] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		X.Cols[0][i] = 10 * rng.NormFloat64()
		X.Cols[1][i] = rng.NormFloat64()
		X.Cols[2][i] = float64(rng.IntN(3))
	}
	return X
}

var catEffect = []float64{-1, 0, 2}

func TestRegressionRecoversWeights(t *testing.T) {
	t.Parallel()
	X := data(5000, 1)
	y := make([]float64, X.Rows)
	for i := range y {
		y[i] = 3 + 0.5*X.Cols[0][i] + catEffect[int(X.Cols[2][i])]
	}
	p := DefaultParams()
	p.L2 = 0
	m, err := Train(context.Background(), X, y, 0, p)
	if err != nil {
		t.Fatal(err)
	}
	pred := make([]float64, X.Rows)
	_ = m.Margins(X, pred)
	for i := range y {
		if math.Abs(pred[i]-y[i]) > 1e-4 {
			t.Fatalf("row %d: predicted %v, want %v (noise-free data must be fit exactly)", i, pred[i], y[i])
		}
	}
	// Coefficient on the standardised x1 is 0.5 × its standard deviation.
	if w := m.W[0] / m.Scale[0]; math.Abs(w-0.5) > 1e-5 {
		t.Errorf("raw coefficient of x1 = %v, want 0.5", w)
	}
}

func TestLogisticAndL1(t *testing.T) {
	t.Parallel()
	X := data(4000, 2)
	rng := rand.New(rand.NewPCG(9, 9))
	y := make([]float64, X.Rows)
	for i := range y {
		z := 0.3*X.Cols[0][i] + catEffect[int(X.Cols[2][i])]
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	m, err := Train(context.Background(), X, y, 2, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if !m.Converged {
		t.Error("did not converge")
	}
	if w := m.W[0] / m.Scale[0]; math.Abs(w-0.3) > 0.05 {
		t.Errorf("coefficient of x1 = %v, want about 0.3", w)
	}
	if d := (m.W[4] - m.W[2]) - 3; math.Abs(d) > 0.4 {
		t.Errorf("category c minus a = %v, want about 3", m.W[4]-m.W[2])
	}
	p := DefaultParams()
	p.L1 = 0.05
	sparse, err := Train(context.Background(), X, y, 2, p)
	if err != nil {
		t.Fatal(err)
	}
	if sparse.W[1] != 0 {
		t.Errorf("L1 kept the noise feature x2 with weight %v", sparse.W[1])
	}
	if sparse.W[0] == 0 {
		t.Error("L1 dropped the informative feature x1")
	}
}

func TestSoftmax(t *testing.T) {
	t.Parallel()
	X := data(3000, 3)
	y := make([]float64, X.Rows)
	for i := range y {
		y[i] = X.Cols[2][i] // the category is the class
	}
	m, err := Train(context.Background(), X, y, 3, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 3*X.Rows)
	_ = m.Margins(X, out)
	for i := 0; i < X.Rows; i++ {
		best := 0
		for k := 1; k < 3; k++ {
			if out[i*3+k] > out[i*3+best] {
				best = k
			}
		}
		if float64(best) != y[i] {
			t.Fatalf("row %d: predicted class %d, want %v", i, best, y[i])
		}
	}
}

func TestContributionsSumAndDeterminism(t *testing.T) {
	t.Parallel()
	X := data(20000, 4)
	X.Cols[0][0] = math.NaN()
	X.Cols[2][1] = math.NaN()
	y := make([]float64, X.Rows)
	for i := range y {
		y[i] = float64(i % 3)
	}
	var ref []float64
	for _, threads := range []int{1, 2, 5} {
		p := DefaultParams()
		p.Threads = threads
		m, err := Train(context.Background(), X, y, 3, p)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = m.W
			K, nf := 3, m.Features
			out := make([]float64, X.Rows*K*(nf+1))
			margins := make([]float64, X.Rows*K)
			_ = m.Contributions(X, out)
			_ = m.Margins(X, margins)
			for r := 0; r < 50; r++ {
				for k := 0; k < K; k++ {
					s := 0.0
					for _, v := range out[(r*K+k)*(nf+1) : (r*K+k+1)*(nf+1)] {
						s += v
					}
					if math.Abs(s-margins[r*K+k]) > 1e-9 {
						t.Errorf("row %d class %d: contributions sum %v, margin %v", r, k, s, margins[r*K+k])
					}
				}
			}
			continue
		}
		for i := range ref {
			if math.Float64bits(ref[i]) != math.Float64bits(m.W[i]) {
				t.Fatalf("threads=%d: weight %d = %v, threads=1 gave %v", threads, i, m.W[i], ref[i])
			}
		}
	}
}

func TestCodec(t *testing.T) {
	t.Parallel()
	X := data(500, 5)
	y := make([]float64, X.Rows)
	for i := range y {
		y[i] = float64(i % 2)
	}
	m, err := Train(context.Background(), X, y, 2, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	var back Model
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, _ := back.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Error("round trip changed the bytes")
	}
	for _, bad := range [][]byte{nil, b[:len(b)-3], append([]byte("XXXX"), b[4:]...)} {
		var m Model
		if err := m.UnmarshalBinary(bad); err == nil {
			t.Error("corrupt model accepted")
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 300; i++ {
		d := append([]byte(nil), b...)
		d[rng.IntN(len(d))] ^= byte(1 + rng.IntN(255))
		var m2 Model
		if err := m2.UnmarshalBinary(d); err == nil {
			out := make([]float64, X.Rows*m2.Outputs())
			_ = m2.Margins(X, out)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(p *Params)
	}{
		{"l2", func(p *Params) { p.L2 = -1 }},
		{"l1", func(p *Params) { p.L1 = math.NaN() }},
		{"max_iter", func(p *Params) { p.MaxIter = 0 }},
		{"tol", func(p *Params) { p.Tol = 1 }},
		{"n_jobs", func(p *Params) { p.Threads = -1 }},
	}
	for _, tt := range tests {
		p := DefaultParams()
		tt.set(&p)
		if err := p.Validate(); !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tt.name+" must be") {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}
