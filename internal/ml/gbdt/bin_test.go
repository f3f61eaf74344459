package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func TestNumericBins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		values  []float64
		maxBins int
		want    int // non-missing bins
	}{
		{"empty", nil, 255, 1},
		{"constant", []float64{3, 3, 3}, 255, 1},
		{"few distinct", []float64{1, 2, 2, 3, 10}, 255, 4},
		{"many distinct", nil, 16, 16},
		{"point mass", append(make([]float64, 900), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 4, 4},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	tests[3].values = make([]float64, 1000)
	for i := range tests[3].values {
		tests[3].values[i] = rng.NormFloat64()
	}
	for _, tt := range tests {
		vals := slices.Clone(tt.values)
		slices.Sort(vals)
		m := newNumericMapper(vals, tt.maxBins)
		if m.nonMissing != tt.want || !math.IsInf(m.upper[len(m.upper)-1], 1) {
			t.Errorf("%s: %d bins %v, want %d ending at +Inf", tt.name, m.nonMissing, m.upper, tt.want)
		}
		if !sort.Float64sAreSorted(m.upper) {
			t.Errorf("%s: edges not sorted: %v", tt.name, m.upper)
		}
		// bin must agree with a linear scan, and missing gets its own bin.
		probe := append(slices.Clone(tt.values), m.upper[:len(m.upper)-1]...)
		probe = append(probe, math.Inf(1), math.Inf(-1), -1e300, 1e300, 0, math.Copysign(0, -1))
		for _, v := range probe {
			want := 0
			for want < len(m.upper)-1 && !(v <= m.upper[want]) {
				want++
			}
			if got := m.bin(v); int(got) != want {
				t.Errorf("%s: bin(%v) = %d, want %d (edges %v)", tt.name, v, got, want, m.upper)
			}
		}
		if got := m.bin(math.NaN()); int(got) != m.nonMissing {
			t.Errorf("%s: bin(NaN) = %d, want the missing bin %d", tt.name, got, m.nonMissing)
		}
	}
}

func TestCategoricalBins(t *testing.T) {
	t.Parallel()
	m := newCategoricalMapper(300, 255)
	tests := []struct {
		v    float64
		want uint8
	}{
		{0, 0}, {253, 253}, {254, 254}, {299, 254}, {300, 255}, {-1, 255}, {math.NaN(), 255},
	}
	for _, tt := range tests {
		if got := m.bin(tt.v); got != tt.want {
			t.Errorf("bin(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}
