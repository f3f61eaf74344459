package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// hllBound is 3 standard errors of a 2^14-register HyperLogLog.
const hllBound = 3 * 1.04 / 128

func TestHLLAccuracy(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 100, 5_000, 30_000, 60_000, 200_000, 1_000_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			var h hll
			buf := []byte("value-")
			for i := range n {
				h.add(hash64(strconv.AppendInt(buf[:6], int64(i), 10)))
				if i%3 == 0 { // duplicates must not count
					h.add(hash64(strconv.AppendInt(buf[:6], int64(i), 10)))
				}
			}
			est := h.estimate()
			if n == 0 {
				if est != 0 {
					t.Fatalf("empty sketch estimates %v", est)
				}
				return
			}
			if rel := math.Abs(est-float64(n)) / float64(n); rel > hllBound {
				t.Errorf("estimate %.0f for %d distinct: relative error %.4f > %.4f", est, n, rel, hllBound)
			}
		})
	}
}

// rankError returns how far q is from the range of ranks (as fractions) that
// x occupies in sorted.
func rankError(sorted []float64, x, q float64) float64 {
	lo := float64(sortSearch(sorted, x, false)) / float64(len(sorted))
	hi := float64(sortSearch(sorted, x, true)) / float64(len(sorted))
	switch {
	case q < lo:
		return lo - q
	case q > hi:
		return q - hi
	}
	return 0
}

// sortSearch counts values < x, or <= x with orEqual.
func sortSearch(sorted []float64, x float64, orEqual bool) int {
	i, _ := slices.BinarySearch(sorted, x)
	if orEqual {
		for i < len(sorted) && sorted[i] == x {
			i++
		}
	}
	return i
}

// kllBound is the normalized rank error the package documents for k = 1024.
const kllBound = 0.005

func TestKLLRankError(t *testing.T) {
	t.Parallel()
	const n = 500_000
	for _, tc := range []struct {
		name string
		gen  func(r *rand.Rand, i int) float64
	}{
		{"uniform", func(r *rand.Rand, _ int) float64 { return r.Float64() }},
		{"normal", func(r *rand.Rand, _ int) float64 { return r.NormFloat64() }},
		{"lognormal", func(r *rand.Rand, _ int) float64 { return math.Exp(3 * r.NormFloat64()) }},
		{"ascending", func(_ *rand.Rand, i int) float64 { return float64(i) }},
		{"descending", func(_ *rand.Rand, i int) float64 { return float64(-i) }},
		{"few values", func(r *rand.Rand, _ int) float64 { return float64(r.IntN(50)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
			xs := make([]float64, n)
			s := newKLL(kllK, 1)
			for i := range xs {
				xs[i] = tc.gen(r, i)
				s.add(xs[i])
			}
			slices.Sort(xs)
			if s.size > 4*kllK {
				t.Errorf("sketch retains %d values, want at most %d", s.size, 4*kllK)
			}
			checkSketch(t, s.items(), xs)
		})
	}
}

// checkSketch checks the quantiles and the histogram read from a sketch
// against the exact sorted values.
func checkSketch(t *testing.T, ws []weighted, xs []float64) {
	t.Helper()
	n := int64(len(xs))
	var total int64
	for _, w := range ws {
		total += w.w
	}
	if total != n {
		t.Fatalf("sketch weight %d, want %d", total, n)
	}
	worst := 0.0
	for _, q := range []float64{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999} {
		est := quantilesOf(ws, n, []float64{q})[0]
		worst = max(worst, rankError(xs, est, q))
	}
	if worst > kllBound {
		t.Errorf("worst rank error %.5f > %.3f", worst, kllBound)
	}
	lo, hi := xs[0], xs[len(xs)-1]
	approx := histogramOf(ws, lo, hi, false, 20)
	exactW := make([]weighted, len(xs))
	for i, x := range xs {
		exactW[i] = weighted{x, 1}
	}
	exact := histogramOf(sortWeighted(exactW), lo, hi, false, 20)
	for i := range exact.Counts {
		if d := math.Abs(float64(approx.Counts[i] - exact.Counts[i])); d > 2*kllBound*float64(n) {
			t.Errorf("histogram bin %d: %d, exact %d", i, approx.Counts[i], exact.Counts[i])
		}
	}
	t.Logf("worst rank error %.5f with %d retained values", worst, len(ws))
}

// TestColumnOverflow drives a column past its exact limit, so the exact table
// is folded into the sketches (heavy values included) and streaming goes on.
func TestColumnOverflow(t *testing.T) {
	t.Parallel()
	const n = 300_000
	r := rand.New(rand.NewPCG(3, 4))
	c := newColumn("x", 1_000, 0)
	xs := make([]float64, 0, n)
	var buf []byte
	for i := range n {
		var v float64
		switch {
		case i < 50_000: // heavy repeated values first
			v = float64(r.IntN(10))
		default:
			v = math.Round(r.NormFloat64()*1e6) / 100
		}
		xs = append(xs, v)
		buf = strconv.AppendFloat(buf[:0], v, 'f', -1, 64)
		c.addText(buf, nullSet{})
	}
	p := c.finish(Options{Bins: 20, TopK: 10})
	if p.Type != TypeFloat || !p.DistinctApproximate || !p.Quantiles.Approximate || !p.Histogram.Approximate {
		t.Fatalf("type %s, approximate flags %v %v %v", p.Type, p.DistinctApproximate, p.Quantiles.Approximate, p.Histogram.Approximate)
	}
	slices.Sort(xs)
	distinct := 1
	for i := 1; i < len(xs); i++ {
		if xs[i] != xs[i-1] {
			distinct++
		}
	}
	if rel := math.Abs(float64(p.Distinct-int64(distinct))) / float64(distinct); rel > hllBound {
		t.Errorf("distinct %d, exact %d", p.Distinct, distinct)
	}
	checkSketch(t, c.sketch.items(), xs)
	var sum float64
	for _, x := range xs {
		sum += x
	}
	if mean := sum / n; math.Abs(*p.Mean-mean) > 1e-6*math.Abs(mean)+1e-9 {
		t.Errorf("mean %v, exact %v", *p.Mean, mean)
	}
}

func TestSpaceSaving(t *testing.T) {
	t.Parallel()
	const n = 300_000
	r := rand.New(rand.NewPCG(5, 6))
	z := rand.NewZipf(r, 1.1, 1, 100_000)
	exact := map[string]int64{}
	c := newColumn("s", 1_000, 0)
	var buf []byte
	for range n {
		buf = append(buf[:0], 'k')
		buf = strconv.AppendUint(buf, z.Uint64(), 10)
		exact[string(buf)]++
		c.addText(buf, nullSet{})
	}
	p := c.finish(Options{TopK: 10})
	if !p.TopKApproximate || p.Categorical {
		t.Fatalf("top_k_approximate %v categorical %v", p.TopKApproximate, p.Categorical)
	}
	var es []keyCount
	for k, v := range exact {
		es = append(es, keyCount{key: k, count: v})
	}
	want := topOf(es, 10)
	for i, vc := range p.TopK {
		if vc.Value != want[i].Value {
			t.Errorf("top %d is %q, want %q", i, vc.Value, want[i].Value)
		}
		if over := vc.Count - exact[vc.Value]; over < 0 || over > n/topCounters || vc.Count-vc.Error > exact[vc.Value] {
			t.Errorf("%q counted %d (error %d), exact %d: beyond the bounds", vc.Value, vc.Count, vc.Error, exact[vc.Value])
		}
	}
}

// TestSpaceSavingStructure checks the Stream-Summary links and SpaceSaving's
// guarantees on every counter after a skewed stream with many evictions.
func TestSpaceSavingStructure(t *testing.T) {
	t.Parallel()
	const n = 200_000
	r := rand.New(rand.NewPCG(8, 9))
	s := newSpaceSaving()
	exact := map[string]int64{}
	var buf []byte
	for range n {
		k := r.IntN(4000)
		if r.IntN(2) == 0 {
			k = r.IntN(20)
		}
		buf = strconv.AppendInt(append(buf[:0], 'v'), int64(k), 10)
		exact[string(buf)]++
		s.add(buf, hash64(buf))
	}
	var total int64
	prev := int64(-1)
	seen := 0
	for b := s.head; b >= 0; b = s.buckets[b].next {
		bk := s.buckets[b]
		if bk.count <= prev {
			t.Fatalf("bucket counts not ascending: %d after %d", bk.count, prev)
		}
		prev = bk.count
		for c := bk.first; c >= 0; c = s.ctr[c].next {
			if s.ctr[c].bucket != b {
				t.Fatalf("counter %d in bucket %d says %d", c, b, s.ctr[c].bucket)
			}
			seen++
			total += bk.count
			key := string(s.ctr[c].key)
			if over := bk.count - exact[key]; over < 0 || over > n/topCounters || bk.count-s.ctr[c].err > exact[key] {
				t.Errorf("%s: estimate %d (error %d), exact %d", key, bk.count, s.ctr[c].err, exact[key])
			}
		}
	}
	if seen != topCounters || total != n {
		t.Errorf("%d counters summing to %d, want %d and %d", seen, total, topCounters, n)
	}
}
