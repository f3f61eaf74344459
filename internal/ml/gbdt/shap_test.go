package gbdt

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
)

// condExp is E[tree(x) | x_S] under the path-dependent (cover-weighted)
// expectation TreeSHAP defines.
func condExp(t *Tree, node int32, x []float64, in func(f int) bool) float64 {
	if node < 0 {
		return t.LeafValue[^node]
	}
	nd := &t.Nodes[node]
	if in(int(nd.Feature)) {
		if t.goLeft(nd, x[nd.Feature]) {
			return condExp(t, nd.Left, x, in)
		}
		return condExp(t, nd.Right, x, in)
	}
	l, r := condExp(t, nd.Left, x, in), condExp(t, nd.Right, x, in)
	return (t.cover(nd.Left)*l + t.cover(nd.Right)*r) / t.Cover[node]
}

// bruteShap computes exact Shapley values by enumerating every subset.
func bruteShap(m *Model, x []float64) []float64 {
	p := m.Features
	fact := func(n int) float64 {
		f := 1.0
		for i := 2; i <= n; i++ {
			f *= float64(i)
		}
		return f
	}
	v := func(S uint) float64 {
		s := m.Base[0]
		for t := range m.Trees {
			tr := &m.Trees[t]
			if len(tr.Nodes) == 0 {
				s += tr.LeafValue[0]
				continue
			}
			s += condExp(tr, 0, x, func(f int) bool { return S&(1<<f) != 0 })
		}
		return s
	}
	phi := make([]float64, p+1)
	for i := 0; i < p; i++ {
		for S := uint(0); S < 1<<p; S++ {
			if S&(1<<i) != 0 {
				continue
			}
			k := 0
			for b := 0; b < p; b++ {
				if S&(1<<b) != 0 {
					k++
				}
			}
			w := fact(k) * fact(p-k-1) / fact(p)
			phi[i] += w * (v(S|1<<i) - v(S))
		}
	}
	phi[p] = v(0)
	return phi
}

func TestTreeSHAPMatchesBruteForce(t *testing.T) {
	t.Parallel()
	X, y := toy(2000, 11)
	p := DefaultParams()
	p.Trees, p.MaxLeaves, p.MaxDepth = 8, 12, 5
	m, err := Train(context.Background(), X, y, 2, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	// Rows with missing values and categories included.
	rows := &feature.Matrix{Rows: 6, Features: X.Features, Cols: make([][]float64, 4)}
	for j := range rows.Cols {
		rows.Cols[j] = append([]float64(nil), X.Cols[j][:6]...)
	}
	rows.Cols[0][0] = math.NaN()
	rows.Cols[1][1] = math.NaN()
	out := make([]float64, rows.Rows*(m.Features+1))
	if err := m.Contributions(rows, out); err != nil {
		t.Fatal(err)
	}
	margins := make([]float64, rows.Rows)
	_ = m.Margins(rows, margins)
	x := make([]float64, m.Features)
	for r := 0; r < rows.Rows; r++ {
		want := bruteShap(m, rows.Row(r, x))
		got := out[r*(m.Features+1) : (r+1)*(m.Features+1)]
		sum := 0.0
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-9 {
				t.Errorf("row %d feature %d: TreeSHAP %v, brute force %v", r, j, got[j], want[j])
			}
			sum += got[j]
		}
		if math.Abs(sum-margins[r]) > 1e-9 {
			t.Errorf("row %d: contributions sum to %v, margin is %v", r, sum, margins[r])
		}
	}
}

func TestMulticlassContributionsSum(t *testing.T) {
	t.Parallel()
	X, _ := toy(1000, 12)
	y := make([]float64, X.Rows)
	for i := range y {
		y[i] = float64(int(X.Cols[1][i]) % 3)
	}
	m, err := Train(context.Background(), X, y, 3, nil, small())
	if err != nil {
		t.Fatal(err)
	}
	K, p := 3, m.Features
	out := make([]float64, X.Rows*K*(p+1))
	margins := make([]float64, X.Rows*K)
	_ = m.Contributions(X, out)
	_ = m.Margins(X, margins)
	for r := 0; r < X.Rows; r++ {
		for k := 0; k < K; k++ {
			s := 0.0
			for _, v := range out[(r*K+k)*(p+1) : (r*K+k+1)*(p+1)] {
				s += v
			}
			if math.Abs(s-margins[r*K+k]) > 1e-9 {
				t.Fatalf("row %d class %d: sum %v, margin %v", r, k, s, margins[r*K+k])
			}
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	X, y := toy(2000, 13)
	m, err := Train(context.Background(), X, y, 2, nil, small())
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, _ := back.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Error("re-encoding the decoded model gives different bytes")
	}
	o1, o2 := make([]float64, X.Rows), make([]float64, X.Rows)
	_ = m.Margins(X, o1)
	_ = back.Margins(X, o2)
	for i := range o1 {
		if math.Float64bits(o1[i]) != math.Float64bits(o2[i]) {
			t.Fatalf("row %d: %v before, %v after the round trip", i, o1[i], o2[i])
		}
	}
}

func TestCodecRejectsCorruption(t *testing.T) {
	t.Parallel()
	X, y := toy(500, 14)
	m, _ := Train(context.Background(), X, y, 2, nil, small())
	b, _ := m.MarshalBinary()
	cases := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXX"), b[4:]...),
		"truncated": b[:len(b)/2],
		"trailing":  append(append([]byte(nil), b...), 0),
	}
	for name, data := range cases {
		var back Model
		if err := back.UnmarshalBinary(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A child pointing back to its parent would loop forever; it must be refused.
	bad := *m
	bad.Trees = append([]Tree(nil), m.Trees...)
	tr := bad.Trees[0]
	tr.Nodes = append([]Node(nil), tr.Nodes...)
	tr.Nodes[0].Left = 0
	bad.Trees[0] = tr
	data, _ := bad.MarshalBinary()
	var back Model
	if err := back.UnmarshalBinary(data); !lathe.IsCode(err, lathe.ECORRUPT) {
		t.Errorf("cyclic tree: err = %v, want ECORRUPT", err)
	}
	// A chain deeper than maxTreeDepth would make TreeSHAP recurse too deep.
	var chain Tree
	for i := 0; i < maxTreeDepth+5; i++ {
		chain.Nodes = append(chain.Nodes, Node{Feature: 0, Left: ^int32(i), Right: int32(i + 1)})
		chain.Gain = append(chain.Gain, 1)
		chain.Cover = append(chain.Cover, 1)
		chain.LeafValue = append(chain.LeafValue, 0)
		chain.LeafCover = append(chain.LeafCover, 1)
	}
	chain.Nodes[len(chain.Nodes)-1].Right = ^int32(len(chain.Nodes))
	chain.LeafValue = append(chain.LeafValue, 0)
	chain.LeafCover = append(chain.LeafCover, 1)
	deep := Model{Features: m.Features, Classes: 2, Base: m.Base, Trees: []Tree{chain}, Rounds: 1}
	data, _ = deep.MarshalBinary()
	if err := back.UnmarshalBinary(data); !lathe.IsCode(err, lathe.ECORRUPT) || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("deep tree: err = %v, want ECORRUPT about depth", err)
	}
	// Random byte flips must never panic.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		d := append([]byte(nil), b...)
		for k := 0; k < 3; k++ {
			d[rng.IntN(len(d))] ^= byte(1 + rng.IntN(255))
		}
		var m2 Model
		if err := m2.UnmarshalBinary(d); err == nil {
			out := make([]float64, X.Rows)
			_ = m2.Margins(X, out)
		}
	}
}
