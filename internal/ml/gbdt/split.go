package gbdt

import (
	"math"
	"slices"
)

// split is the best split found for a node, in bin space.
type split struct {
	gain    float64
	feat    int32 // -1: no split
	cat     bool
	thr     int       // numeric: non-missing bins <= thr go left
	set     [4]uint64 // categorical: bins (the missing bin included) that go left
	defLeft bool      // missing values go left
	left    stats
	right   stats
}

func (s *split) valid() bool { return s.feat >= 0 }

// table returns, for every bin of the split feature, 1 if it goes left and
// 0 if it goes right.
func (s *split) table(nonMissing int) *[256]uint8 {
	var t [256]uint8
	for b := 0; b <= nonMissing; b++ {
		var left bool
		switch {
		case s.cat:
			left = s.set[b>>6]>>(b&63)&1 == 1
		case b == nonMissing:
			left = s.defLeft
		default:
			left = b <= s.thr
		}
		if left {
			t[b] = 1
		}
	}
	return &t
}

// splitter finds best splits from histograms.
type splitter struct {
	p     *Params
	d     *dataset
	cands []catCand
}

type catCand struct {
	bin   int
	ratio float64
}

func leafGain(s stats, l2 float64) float64 { return s.g * s.g / (s.h + l2) }

// best finds the best split over feats (all features when nil) of a node with
// histogram h and totals tot.
func (sp *splitter) best(h []hbin, tot stats, feats []int32) split {
	best := split{feat: -1, gain: sp.p.MinGain}
	if best.gain <= 0 {
		best.gain = 1e-12
	}
	parent := leafGain(tot, sp.p.L2)
	if feats == nil {
		for f := 0; f < sp.d.p; f++ {
			sp.feature(h, f, tot, parent, &best)
		}
	} else {
		for _, f := range feats {
			sp.feature(h, int(f), tot, parent, &best)
		}
	}
	return best
}

func (sp *splitter) feature(h []hbin, f int, tot stats, parent float64, best *split) {
	m := &sp.d.maps[f]
	hb := h[sp.d.off[f] : sp.d.off[f]+sp.d.nb[f]]
	if m.cat {
		sp.categorical(hb, f, m.nonMissing, tot, parent, best)
	} else {
		sp.numeric(hb, f, m.nonMissing, tot, parent, best)
	}
}

// count estimates the rows behind a hessian sum h in a node where cf is
// rows per unit of hessian (exact when every hessian is equal).
func count(h, cf float64) float64 { return math.Round(h * cf) }

func (sp *splitter) numeric(hb []hbin, f, nm int, tot stats, parent float64, best *split) {
	l2, minN, minH := sp.p.L2, float64(sp.p.MinSamplesLeaf), sp.p.MinHessianLeaf
	cf := tot.n / tot.h
	miss := hb[nm]
	hasMiss := miss.h > tot.h*1e-12 // not just rounding left by histogram subtraction
	last := nm - 2
	if hasMiss {
		last = nm - 1 // all non-missing left, missing right
	}
	// Missing values to the right.
	var l stats
	for t := 0; t <= last; t++ {
		l.g += hb[t].g
		l.h += hb[t].h
		l.n = count(l.h, cf)
		if l.n < minN || l.h < minH {
			continue
		}
		r := tot.sub(l)
		if r.n < minN || r.h < minH {
			break
		}
		if g := leafGain(l, l2) + leafGain(r, l2) - parent; g > best.gain {
			*best = split{gain: g, feat: int32(f), thr: t, left: l, right: r}
			// With no missing values here, unseen ones follow the majority.
			best.defLeft = !hasMiss && l.n >= r.n
		}
	}
	if !hasMiss {
		return
	}
	// Missing values to the left.
	l = stats{g: miss.g, h: miss.h}
	for t := 0; t <= nm-2; t++ {
		l.g += hb[t].g
		l.h += hb[t].h
		l.n = count(l.h, cf)
		if l.n < minN || l.h < minH {
			continue
		}
		r := tot.sub(l)
		if r.n < minN || r.h < minH {
			break
		}
		if g := leafGain(l, l2) + leafGain(r, l2) - parent; g > best.gain {
			*best = split{gain: g, feat: int32(f), thr: t, defLeft: true, left: l, right: r}
		}
	}
}

// categorical treats every bin, the missing one included, as a category.
// Few categories: one against the rest. Many: order by gradient/hessian and
// scan prefixes from both ends (Fisher's grouping, as LightGBM does).
func (sp *splitter) categorical(hb []hbin, f, nm int, tot stats, parent float64, best *split) {
	p := sp.p
	minN, minH := float64(p.MinSamplesLeaf), p.MinHessianLeaf
	minCat := math.Max(float64(p.MinCatCount), 1)
	cf := tot.n / tot.h
	cands := sp.cands[:0]
	for b := 0; b <= nm; b++ {
		if hb[b].h > 0 && count(hb[b].h, cf) >= minCat {
			cands = append(cands, catCand{bin: b, ratio: hb[b].g / (hb[b].h + p.CatSmooth)})
		}
	}
	sp.cands = cands
	try := func(l stats, l2 float64, bins []catCand) {
		l.n = count(l.h, cf)
		if l.n < minN || l.h < minH {
			return
		}
		r := tot.sub(l)
		if r.n < minN || r.h < minH {
			return
		}
		g := leafGain(l, l2) + leafGain(r, l2) - parent
		if g <= best.gain {
			return
		}
		*best = split{gain: g, feat: int32(f), cat: true, left: l, right: r}
		for _, c := range bins {
			best.set[c.bin>>6] |= 1 << (c.bin & 63)
		}
		best.defLeft = best.set[nm>>6]>>(nm&63)&1 == 1
	}
	if len(cands) <= p.MaxCatOneHot {
		for i, c := range cands {
			try(stats{g: hb[c.bin].g, h: hb[c.bin].h}, p.L2, cands[i:i+1])
		}
		return
	}
	slices.SortStableFunc(cands, func(a, b catCand) int {
		switch {
		case a.ratio < b.ratio:
			return -1
		case a.ratio > b.ratio:
			return 1
		}
		return 0
	})
	l2 := p.L2 + p.CatL2
	maxK := min(p.MaxCatThreshold, (len(cands)+1)/2)
	var l stats
	for i := 0; i < len(cands)-1 && i < maxK; i++ {
		b := hb[cands[i].bin]
		l = stats{g: l.g + b.g, h: l.h + b.h}
		try(l, l2, cands[:i+1])
	}
	l = stats{}
	for i := len(cands) - 1; i > 0 && len(cands)-i <= maxK; i-- {
		b := hb[cands[i].bin]
		l = stats{g: l.g + b.g, h: l.h + b.h}
		try(l, l2, cands[i:])
	}
}
