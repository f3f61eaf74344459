package gbdt

// gnode is a node of the tree being grown. Its rows are rows[begin:end] of
// the grower's row buffer.
type gnode struct {
	begin, end  int
	depth       int
	sum         stats
	hist        []hbin
	best        split
	tab         *[256]uint8 // set once split: 1 for bins that go left
	left, right int         // child gnode indices; -1 for a leaf
}

// grower grows one tree at a time on a dataset.
type grower struct {
	p       *Params
	d       *dataset
	threads int
	hb      *histBuilder
	sp      splitter
	nodes   []gnode
	tmp     []int32
	held    int // histograms held by leaves
}

// maxTreeDepth bounds the depth of any tree, also when MaxDepth is 0 (no
// limit), so that recursion over trees (TreeSHAP) stays shallow; model files
// with deeper trees are refused.
const maxTreeDepth = 256

// maxHeldBins bounds the histogram memory kept for subtraction (in bins).
const maxHeldBins = 8 << 20

func newGrower(p *Params, d *dataset, threads int) *grower {
	return &grower{
		p: p, d: d, threads: threads,
		hb:  &histBuilder{d: d, threads: threads},
		sp:  splitter{p: p, d: d},
		tmp: make([]int32, d.n),
	}
}

// grow builds a tree on rows (which it reorders so that every leaf's rows are
// contiguous) from the gradients gh, using the features feats (nil: all).
func (gr *grower) grow(rows []int32, gh []gpair, feats []int32, identity bool) {
	gr.nodes = gr.nodes[:0]
	gr.held = 0
	root := gnode{begin: 0, end: len(rows), left: -1, right: -1}
	root.hist = gr.hb.get()
	gr.held++
	gr.hb.build(root.hist, rows, gh, feats, identity)
	f0 := 0
	if feats != nil {
		f0 = int(feats[0])
	}
	for _, b := range root.hist[gr.d.off[f0] : gr.d.off[f0]+gr.d.nb[f0]] {
		root.sum.g += b.g
		root.sum.h += b.h
	}
	root.sum.n = float64(len(rows))
	gr.nodes = append(gr.nodes, root)
	gr.evaluate(0, feats)
	maxDepth := gr.p.MaxDepth
	if maxDepth == 0 {
		maxDepth = maxTreeDepth
	}
	for leaves := 1; leaves < gr.p.MaxLeaves; {
		bi := -1
		for i := range gr.nodes {
			nd := &gr.nodes[i]
			if nd.left < 0 && nd.best.valid() && (bi < 0 || nd.best.gain > gr.nodes[bi].best.gain) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		more := leaves+1 < gr.p.MaxLeaves && gr.nodes[bi].depth+1 < maxDepth
		if gr.apply(bi, rows, gh, feats, more) {
			leaves++
		}
	}
	for i := range gr.nodes {
		gr.release(i)
	}
}

func (gr *grower) release(i int) {
	if h := gr.nodes[i].hist; h != nil {
		gr.hb.put(h)
		gr.nodes[i].hist = nil
		gr.held--
	}
}

func (gr *grower) splittable(s stats) bool {
	return s.n >= 2*float64(gr.p.MinSamplesLeaf) && s.h >= 2*gr.p.MinHessianLeaf
}

// evaluate finds node i's best split, or releases its histogram.
func (gr *grower) evaluate(i int, feats []int32) {
	nd := &gr.nodes[i]
	nd.best.feat = -1
	if gr.splittable(nd.sum) {
		nd.best = gr.sp.best(nd.hist, nd.sum, feats)
	}
	if !nd.best.valid() || gr.held*gr.d.total > maxHeldBins {
		gr.release(i)
	}
}

// apply splits leaf i into two new leaves and reports whether it did; when
// more is set it also finds the children's best splits.
func (gr *grower) apply(i int, rows []int32, gh []gpair, feats []int32, more bool) bool {
	nd := &gr.nodes[i]
	s := nd.best
	nd.tab = s.table(gr.d.maps[s.feat].nonMissing)
	mid := nd.begin + gr.partition(rows[nd.begin:nd.end], int(s.feat), nd.tab)
	if mid == nd.begin || mid == nd.end {
		// Only rounding left over by histogram subtraction made this split
		// look possible: every row went one way (and kept its order).
		nd.best.feat, nd.tab = -1, nil
		gr.release(i)
		return false
	}
	// The split search estimated the counts; the partition knows them.
	s.left.n, s.right.n = float64(mid-nd.begin), float64(nd.end-mid)
	l := gnode{begin: nd.begin, end: mid, depth: nd.depth + 1, sum: s.left, left: -1, right: -1}
	r := gnode{begin: mid, end: nd.end, depth: nd.depth + 1, sum: s.right, left: -1, right: -1}
	l.best.feat, r.best.feat = -1, -1
	li := len(gr.nodes)
	nd.left, nd.right = li, li+1
	parentHist := nd.hist
	nd.hist = nil
	gr.nodes = append(gr.nodes, l, r)
	if !more || !gr.splittable(s.left) && !gr.splittable(s.right) {
		if parentHist != nil {
			gr.hb.put(parentHist)
			gr.held--
		}
		return true
	}
	small, large := li, li+1
	if gr.nodes[large].end-gr.nodes[large].begin < gr.nodes[small].end-gr.nodes[small].begin {
		small, large = large, small
	}
	sn, ln := &gr.nodes[small], &gr.nodes[large]
	sn.hist = gr.hb.get()
	gr.held++
	gr.hb.build(sn.hist, rows[sn.begin:sn.end], gh, feats, false)
	if parentHist != nil {
		subtract(parentHist, parentHist, sn.hist, gr.d, feats)
		ln.hist = parentHist
	} else {
		ln.hist = gr.hb.get()
		gr.held++
		gr.hb.build(ln.hist, rows[ln.begin:ln.end], gh, feats, false)
	}
	gr.evaluate(small, feats)
	gr.evaluate(large, feats)
	return true
}

// partitionParallelRows is the node size from which partitioning is split
// across goroutines.
const partitionParallelRows = 1 << 15

// partition reorders seg stably so that the rows going left come first, and
// returns their number. It is branch-free: which way a row goes is
// unpredictable, so branches would mispredict half the time.
func (gr *grower) partition(seg []int32, f int, tab *[256]uint8) int {
	col := gr.d.cols[f]
	n := len(seg)
	if gr.threads <= 1 || n < partitionParallelRows {
		return partitionPart(seg, gr.tmp[:n], col, tab)
	}
	// Each part partitions itself in place; then all lefts, in part order,
	// are followed by all rights.
	parts := 4 * gr.threads
	per := (n + parts - 1) / parts
	lefts := make([]int, parts)
	tmp := gr.tmp[:n]
	parallel(gr.threads, parts, func(k int) {
		lo, hi := min(k*per, n), min((k+1)*per, n)
		lefts[k] = partitionPart(seg[lo:hi], tmp[lo:hi], col, tab)
	})
	total := 0
	for _, c := range lefts {
		total += c
	}
	parallel(gr.threads, parts, func(k int) {
		lo, hi := min(k*per, n), min((k+1)*per, n)
		li := 0
		for j := 0; j < k; j++ {
			li += lefts[j]
		}
		ri := total + lo - li
		copy(tmp[li:], seg[lo:lo+lefts[k]])
		copy(tmp[ri:], seg[lo+lefts[k]:hi])
	})
	parallel(gr.threads, parts, func(k int) {
		lo, hi := min(k*per, n), min((k+1)*per, n)
		copy(seg[lo:hi], tmp[lo:hi])
	})
	return total
}

// partitionPart stably partitions seg by tab using tmp (len(seg)) as scratch.
func partitionPart(seg, tmp []int32, col []uint8, tab *[256]uint8) int {
	tmp = tmp[:len(seg)]
	k, j := 0, 0
	for _, r := range seg {
		left := int(tab[col[r]])
		seg[k] = r // k <= the current index, so nothing unread is overwritten
		tmp[j] = r
		k += left
		j += 1 - left
	}
	copy(seg[k:], tmp[:j])
	return k
}

// leafNodes returns the gnode indices of the leaves, in the order toTree
// numbers them.
func (gr *grower) leafNodes() []int {
	var out []int
	var rec func(i int)
	rec = func(i int) {
		nd := &gr.nodes[i]
		if nd.left < 0 {
			out = append(out, i)
			return
		}
		rec(nd.left)
		rec(nd.right)
	}
	rec(0)
	return out
}

// binnedLeaf returns the gnode index of the leaf that binned row r reaches.
func (gr *grower) binnedLeaf(r int) int {
	i := 0
	for {
		nd := &gr.nodes[i]
		if nd.left < 0 {
			return i
		}
		if nd.tab[gr.d.cols[nd.best.feat][r]] == 1 {
			i = nd.left
		} else {
			i = nd.right
		}
	}
}

// toTree converts the grown tree to raw-value form with leaf values
// -G/(H+l2) * learning rate. Nodes and leaves are numbered in depth-first
// order, so every child's index is larger than its parent's.
func (gr *grower) toTree(leafValue func(s stats) float64) Tree {
	var t Tree
	var rec func(i int) int32
	rec = func(i int) int32 {
		nd := &gr.nodes[i]
		if nd.left < 0 {
			k := len(t.LeafValue)
			t.LeafValue = append(t.LeafValue, leafValue(nd.sum))
			t.LeafCover = append(t.LeafCover, nd.sum.n)
			return ^int32(k)
		}
		s := &nd.best
		m := &gr.d.maps[s.feat]
		k := int32(len(t.Nodes))
		node := Node{Feature: s.feat}
		if s.defLeft {
			node.Flags |= flagDefaultLeft
		}
		if s.cat {
			node.Flags |= flagCategorical
			words := make([]uint64, (m.levels+63)/64)
			for c := 0; c < m.levels; c++ {
				b := min(c, m.nonMissing-1)
				if s.set[b>>6]>>(b&63)&1 == 1 {
					words[c>>6] |= 1 << (c & 63)
				}
			}
			for len(words) > 0 && words[len(words)-1] == 0 {
				words = words[:len(words)-1]
			}
			node.CatStart, node.CatWords = int32(len(t.Cats)), int32(len(words))
			t.Cats = append(t.Cats, words...)
		} else {
			node.Threshold = m.upper[s.thr]
		}
		t.Nodes = append(t.Nodes, node)
		t.Gain = append(t.Gain, s.gain)
		t.Cover = append(t.Cover, nd.sum.n)
		l := rec(nd.left)
		r := rec(nd.right)
		t.Nodes[k].Left, t.Nodes[k].Right = l, r
		return k
	}
	rec(0)
	return t
}
