package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
)

// binSample is the number of rows whose values set the numeric bin edges.
const binSample = 200_000

// binMapper maps one feature's values onto bins 0..nonMissing-1; bin
// nonMissing holds missing values.
type binMapper struct {
	cat        bool
	upper      []float64 // numeric: bin i holds values <= upper[i]; the last is +Inf
	levels     int       // categorical: number of codes
	nonMissing int
}

// bin returns the bin of v.
func (m *binMapper) bin(v float64) uint8 {
	if v != v {
		return uint8(m.nonMissing)
	}
	if m.cat {
		c := int(v)
		if c < 0 || c >= m.levels {
			return uint8(m.nonMissing)
		}
		if c >= m.nonMissing {
			c = m.nonMissing - 1 // the "other" bin
		}
		return uint8(c)
	}
	// The first i with v <= upper[i], by a branch-free binary search: the
	// answer stays in [base, base+n). The sign bit of upper[i]-v says
	// upper[i] < v (the last, infinite, edge is never compared).
	u := m.upper
	base, n := 0, len(u)
	for n > 1 {
		half := n >> 1
		lt := int(math.Float64bits(u[base+half-1]-v) >> 63)
		base += half & -lt
		n -= half
	}
	return uint8(base)
}

// newNumericMapper sets at most maxBins bins from the sorted non-missing
// values: one bin per distinct value when there are few; otherwise bins are
// closed greedily at about an equal share of the remaining rows each, and a
// value that alone holds a share gets a bin of its own (so a point mass does
// not swallow its neighbours, as plain quantile edges would).
func newNumericMapper(sorted []float64, maxBins int) binMapper {
	m := binMapper{}
	var vals []float64
	var counts []int
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			vals = append(vals, v)
			counts = append(counts, 0)
		}
		counts[len(counts)-1]++
	}
	if len(vals) <= maxBins {
		for i := 0; i+1 < len(vals); i++ {
			m.upper = append(m.upper, mid(vals[i], vals[i+1]))
		}
	} else {
		remaining, left := float64(len(sorted)), maxBins
		target := remaining / float64(left)
		cur := 0.0
		for i := 0; i+1 < len(vals) && left > 1; i++ {
			c := float64(counts[i])
			cur += c
			remaining -= c
			if cur >= target || float64(counts[i+1]) >= target {
				m.upper = append(m.upper, mid(vals[i], vals[i+1]))
				left--
				cur = 0
				target = remaining / float64(left)
			}
		}
	}
	m.upper = append(m.upper, math.Inf(1))
	m.nonMissing = len(m.upper)
	return m
}

func mid(a, b float64) float64 {
	v := a + (b-a)/2
	if v >= b { // a and b adjacent floats
		v = a
	}
	return v
}

func newCategoricalMapper(levels, maxBins int) binMapper {
	m := binMapper{cat: true, levels: levels, nonMissing: min(levels, maxBins)}
	return m
}

// dataset is the binned training matrix, column by column.
type dataset struct {
	n, p  int
	cols  [][]uint8 // cols[f][r]
	maps  []binMapper
	nb    []int // bins per feature, the missing bin included
	off   []int // offset of each feature in a histogram: f*256
	total int   // histogram length: p*256
}

// newDataset fits bin mappers on (a sample of) X and bins every row.
func newDataset(X *feature.Matrix, maxBins int, rng *rand.Rand, threads int) *dataset {
	n, p := X.Rows, len(X.Cols)
	d := &dataset{n: n, p: p, maps: make([]binMapper, p), nb: make([]int, p), off: make([]int, p)}
	var sample []int
	if n > binSample {
		sample = rng.Perm(n)[:binSample]
		slices.Sort(sample)
	}
	parallel(threads, p, func(f int) {
		col := X.Cols[f]
		ft := X.Features[f]
		if ft.Kind == frame.Categorical {
			d.maps[f] = newCategoricalMapper(len(ft.Levels), maxBins)
			return
		}
		var vals []float64
		if sample != nil {
			vals = make([]float64, 0, len(sample))
			for _, r := range sample {
				if v := col[r]; v == v {
					vals = append(vals, v)
				}
			}
		} else {
			vals = make([]float64, 0, n)
			for _, v := range col {
				if v == v {
					vals = append(vals, v)
				}
			}
		}
		slices.Sort(vals)
		d.maps[f] = newNumericMapper(vals, maxBins)
	})
	for f := range d.maps {
		d.nb[f] = d.maps[f].nonMissing + 1
		d.off[f] = f * 256
	}
	d.total = p * 256
	// Bin every value, in parallel over pieces of columns.
	d.cols = make([][]uint8, p)
	for f := range d.cols {
		d.cols[f] = make([]uint8, n)
	}
	const chunk = 1 << 16
	pieces := (n + chunk - 1) / chunk
	parallel(threads, p*pieces, func(t int) {
		f, c := t/pieces, t%pieces
		lo, hi := c*chunk, min((c+1)*chunk, n)
		m := &d.maps[f]
		out := d.cols[f][lo:hi]
		for i, v := range X.Cols[f][lo:hi] {
			out[i] = m.bin(v)
		}
	})
	return d
}
