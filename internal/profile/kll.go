package profile

import (
	"cmp"
	"math"
	"slices"
)

// KLL parameters: k = 1024 gives a normalized rank error below 0.5 % with
// probability above 99 % (measured in kll_test.go; the analysis of Karnin,
// Lang and Liberty bounds it by O(1/k)) while retaining about 3k values.
const (
	kllK      = 1024
	kllMinCap = 8
)

// kll is the quantile sketch of Karnin, Lang and Liberty, "Optimal Quantile
// Approximation in Streams" (2016): level h holds values of weight 2^h; when
// the sketch is full the lowest over-full level is sorted and every other
// value (starting at a random offset) is promoted to the level above, the
// rest dropped. Level capacities shrink geometrically (by 2/3) going down from
// the top level, with a floor of kllMinCap. The coin flips come from a fixed
// seed, so the sketch is deterministic.
type kll struct {
	k      int
	levels [][]uint64 // values as orderKey

	caps     []int // capacity of each level
	capTotal int
	size     int   // values retained
	n        int64 // total weight
	rng      uint64
	merged   []uint64 // scratch for compact
}

func newKLL(k int, seed uint64) *kll {
	s := &kll{k: k, rng: seed | 1}
	s.addLevel()
	return s
}

func (s *kll) addLevel() {
	s.levels = append(s.levels, nil)
	s.caps = s.caps[:0]
	s.capTotal = 0
	top := len(s.levels) - 1
	for h := range s.levels {
		c := max(int(math.Ceil(float64(s.k)*math.Pow(2.0/3.0, float64(top-h)))), kllMinCap)
		s.caps = append(s.caps, c)
		s.capTotal += c
	}
}

// add records one value.
func (s *kll) add(x float64) {
	s.levels[0] = append(s.levels[0], orderKey(x))
	s.size++
	s.n++
	switch {
	case s.size >= s.capTotal:
		s.compress()
	case len(s.levels[0]) >= max(s.caps[0], 2*kllMinCap):
		// Level 0 is compacted as soon as it fills, lazily or not: its
		// compactions cost the least error (weight 1 each) and keep its
		// sorts short.
		s.compact(0)
	}
}

// addWeighted records each value of vals with its weight; their weights sum
// to total. Weights are split into powers of two placed at levels no higher
// than the one a stream of total values would reach, so one heavy value does
// not stretch the sketch into many thin levels.
func (s *kll) addWeighted(vals []float64, weights []int64, total int64) {
	top := 0
	for int64(s.k)<<(top+1) <= total {
		top++
	}
	for len(s.levels) <= top {
		s.addLevel()
	}
	for i, v := range vals {
		x, w := orderKey(v), weights[i]
		for range w >> top {
			s.levels[top] = append(s.levels[top], x)
			s.size++
		}
		for h := 0; h < top; h++ {
			if w>>h&1 == 1 {
				s.levels[h] = append(s.levels[h], x)
				s.size++
			}
		}
		s.n += w
	}
	for h := 1; h < len(s.levels); h++ {
		slices.Sort(s.levels[h])
	}
	for s.size >= s.capTotal {
		s.compress()
	}
}

// compress compacts the lowest over-full level.
func (s *kll) compress() {
	for h := range s.levels {
		if len(s.levels[h]) >= s.caps[h] {
			s.compact(h)
			return
		}
	}
}

// compact halves level h into level h+1. Levels above 0 are kept sorted, so
// only level 0 needs sorting; the promoted values are merged in linearly.
func (s *kll) compact(h int) {
	if h+1 == len(s.levels) {
		s.addLevel()
	}
	lv := s.levels[h]
	if h == 0 {
		sortFloats(lv)
	}
	s.rng ^= s.rng << 13 // xorshift64
	s.rng ^= s.rng >> 7
	s.rng ^= s.rng << 17
	// With an odd count one value stays behind: the smallest or the largest.
	var keep []uint64
	if len(lv)%2 == 1 {
		if s.rng&2 == 0 {
			keep, lv = lv[:1], lv[1:]
		} else {
			keep, lv = lv[len(lv)-1:], lv[:len(lv)-1]
		}
	}
	// Promote every other value, from a random offset, in place.
	prom := lv[:0]
	for i := int(s.rng & 1); i < len(lv); i += 2 {
		prom = append(prom, lv[i])
	}
	s.size -= len(prom)
	s.merged = mergeSorted(s.merged[:0], s.levels[h+1], prom)
	s.levels[h+1], s.merged = s.merged, s.levels[h+1]
	s.levels[h] = append(s.levels[h][:0], keep...)
}

// sortFloats sorts keys; short runs by insertion.
func sortFloats(xs []uint64) {
	if len(xs) > 32 {
		slices.Sort(xs)
		return
	}
	for i := 1; i < len(xs); i++ {
		x, j := xs[i], i
		for ; j > 0 && x < xs[j-1]; j-- {
			xs[j] = xs[j-1]
		}
		xs[j] = x
	}
}

// orderKey maps a float64 (not NaN) to a uint64 with the same order, so the
// sketch sorts and merges integers: flip all bits of negatives, and the sign
// bit of the rest.
func orderKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// fromOrderKey inverts orderKey.
func fromOrderKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// mergeSorted appends the merge of sorted a and b to dst.
func mergeSorted(dst, a, b []uint64) []uint64 {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if b[j] < a[i] {
			dst = append(dst, b[j])
			j++
		} else {
			dst = append(dst, a[i])
			i++
		}
	}
	dst = append(dst, a[i:]...)
	return append(dst, b[j:]...)
}

// weighted is a value with a weight (a count).
type weighted struct {
	v float64
	w int64
}

// items returns the retained values with their weights, sorted by value.
func (s *kll) items() []weighted {
	out := make([]weighted, 0, s.size)
	for h, lv := range s.levels {
		for _, x := range lv {
			out = append(out, weighted{fromOrderKey(x), 1 << h})
		}
	}
	return sortWeighted(out)
}

// sortWeighted sorts by value and merges equal values.
func sortWeighted(ws []weighted) []weighted {
	slices.SortFunc(ws, func(a, b weighted) int { return cmp.Compare(a.v, b.v) })
	out := ws[:0]
	for _, x := range ws {
		if len(out) > 0 && out[len(out)-1].v == x.v {
			out[len(out)-1].w += x.w
			continue
		}
		out = append(out, x)
	}
	return out
}

// quantilesOf returns the values at the given probabilities of sorted,
// weighted values with total weight n: the value at position q·(n-1) of the
// expanded sorted list, interpolated linearly between neighbouring positions
// (numpy's default, "type 7").
func quantilesOf(ws []weighted, n int64, qs []float64) []float64 {
	out := make([]float64, len(qs))
	if n == 0 || len(ws) == 0 {
		return out
	}
	at := func(pos int64) float64 { // the value at a 0-based position
		var cum int64
		for _, x := range ws {
			cum += x.w
			if pos < cum {
				return x.v
			}
		}
		return ws[len(ws)-1].v
	}
	for i, q := range qs {
		p := q * float64(n-1)
		lo := int64(math.Floor(p))
		v := at(lo)
		if frac := p - float64(lo); frac > 0 {
			if hi := at(lo + 1); hi != v {
				v += frac * (hi - v)
			}
		}
		out[i] = v
	}
	return out
}
