package gbdt

import (
	"sync"
	"sync/atomic"
)

// gpair is one row's gradient and hessian.
type gpair struct{ g, h float32 }

// hbin is one histogram bin: sums of gradients and hessians. Row counts are
// not summed (that would cost a third of the histogram time); split search
// estimates them from the hessians, as LightGBM does, and the partition then
// gives the exact counts.
type hbin struct {
	g, h float64
}

// stats are the sums over a node or a side of a split.
type stats struct {
	g, h float64
	n    float64
}

func (s stats) sub(o stats) stats { return stats{s.g - o.g, s.h - o.h, s.n - o.n} }

// parallel runs fn(0..tasks-1) on up to threads goroutines (the caller's
// included). Results must not depend on which goroutine runs which task.
func parallel(threads, tasks int, fn func(task int)) {
	if threads <= 1 || tasks <= 1 {
		for i := 0; i < tasks; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= tasks {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < min(threads, tasks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// histBuilder builds gradient histograms over sets of rows. Each feature's
// histogram (256 bins, small enough for L1 cache) is summed by one goroutine
// in row order, so the sums do not depend on the number of threads.
type histBuilder struct {
	d       *dataset
	threads int
	free    [][]hbin // pool of histograms of length d.total
	ordered []gpair  // gradients gathered in node row order
}

// parallelWork is the number of bin updates from which histogram building is
// spread over goroutines.
const parallelWork = 1 << 15

func (b *histBuilder) get() []hbin {
	if k := len(b.free); k > 0 {
		h := b.free[k-1]
		b.free = b.free[:k-1]
		return h
	}
	return make([]hbin, b.d.total)
}

func (b *histBuilder) put(h []hbin) {
	if h != nil {
		b.free = append(b.free, h)
	}
}

// build fills dst with the histogram of rows for the features in feats (all
// features when feats is nil). identity says rows is 0..n-1 in order.
func (b *histBuilder) build(dst []hbin, rows []int32, gh []gpair, feats []int32, identity bool) {
	d := b.d
	n := len(rows)
	nf := d.p
	if feats != nil {
		nf = len(feats)
	}
	threads := b.threads
	if n*nf < parallelWork {
		threads = 1
	}
	og := gh
	if !identity {
		if cap(b.ordered) < n {
			b.ordered = make([]gpair, d.n)
		}
		og = b.ordered[:n]
		const chunk = 1 << 16
		parallel(threads, (n+chunk-1)/chunk, func(c int) {
			lo, hi := c*chunk, min((c+1)*chunk, n)
			o := og[lo:hi]
			for i, r := range rows[lo:hi] {
				o[i] = gh[r]
			}
		})
	}
	// Features go in pairs: the pair shares the row index and gradient loads
	// and its two gathers overlap in memory.
	feat := func(i int) int {
		if feats != nil {
			return int(feats[i])
		}
		return i
	}
	parallel(threads, (nf+1)/2, func(t int) {
		f1 := feat(2 * t)
		h1 := (*[256]hbin)(dst[f1*256 : f1*256+256])
		clear(h1[:d.nb[f1]])
		if 2*t+1 == nf {
			if identity {
				histSeq(h1, d.cols[f1][:n], og[:n])
			} else {
				histIdx(h1, d.cols[f1], rows, og)
			}
			return
		}
		f2 := feat(2*t + 1)
		h2 := (*[256]hbin)(dst[f2*256 : f2*256+256])
		clear(h2[:d.nb[f2]])
		if identity {
			histSeq2(h1, h2, d.cols[f1][:n], d.cols[f2][:n], og[:n])
		} else {
			histIdx2(h1, h2, d.cols[f1], d.cols[f2], rows, og)
		}
	})
}

// histSeq2 is histSeq for two features at once.
func histSeq2(h1, h2 *[256]hbin, b1, b2 []uint8, og []gpair) {
	og = og[:len(b1)]
	b2 = b2[:len(b1)]
	for i, x := range b1 {
		q := og[i]
		g, h := float64(q.g), float64(q.h)
		e1 := &h1[x]
		e1.g += g
		e1.h += h
		e2 := &h2[b2[i]]
		e2.g += g
		e2.h += h
	}
}

// histIdx2 is histIdx for two features at once.
func histIdx2(h1, h2 *[256]hbin, c1, c2 []uint8, rows []int32, og []gpair) {
	og = og[:len(rows)]
	for i, r := range rows {
		q := og[i]
		g, h := float64(q.g), float64(q.h)
		e1 := &h1[c1[r]]
		e1.g += g
		e1.h += h
		e2 := &h2[c2[r]]
		e2.g += g
		e2.h += h
	}
}

// histSeq adds bins[i] with gradients og[i] to h.
func histSeq(h *[256]hbin, bins []uint8, og []gpair) {
	og = og[:len(bins)]
	for i, bn := range bins {
		e := &h[bn]
		q := og[i]
		e.g += float64(q.g)
		e.h += float64(q.h)
	}
}

// histIdx adds col[rows[i]] with gradients og[i] to h.
func histIdx(h *[256]hbin, col []uint8, rows []int32, og []gpair) {
	og = og[:len(rows)]
	for i, r := range rows {
		e := &h[col[r]]
		q := og[i]
		e.g += float64(q.g)
		e.h += float64(q.h)
	}
}

// subtract sets big = parent - small over the bins of feats (all when nil);
// big may alias parent.
func subtract(big, parent, small []hbin, d *dataset, feats []int32) {
	sub := func(lo, hi int) {
		b, p, s := big[lo:hi], parent[lo:hi], small[lo:hi]
		for i := range b {
			b[i] = hbin{p[i].g - s[i].g, p[i].h - s[i].h}
		}
	}
	if feats == nil {
		for f := 0; f < d.p; f++ {
			sub(d.off[f], d.off[f]+d.nb[f])
		}
		return
	}
	for _, f := range feats {
		sub(d.off[f], d.off[f]+d.nb[f])
	}
}
