package pipeline

import (
	"math"
	"slices"
	"sort"
)

// LayoutOptions size a layout; zero fields take the defaults.
type LayoutOptions struct {
	NodeWidth  float64 // default 168
	NodeHeight float64 // default 44
	LayerGap   float64 // vertical space between layers, default 48
	NodeGap    float64 // horizontal space between boxes, default 24
	Margin     float64 // around the picture, default 16
	Sweeps     int     // barycenter sweeps down and up, default 8
}

func (o *LayoutOptions) defaults() {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.NodeWidth, 168)
	def(&o.NodeHeight, 44)
	def(&o.LayerGap, 48)
	def(&o.NodeGap, 24)
	def(&o.Margin, 16)
	if o.Sweeps <= 0 {
		o.Sweeps = 8
	}
}

// Point is a position in the picture, y growing downwards.
type Point struct{ X, Y float64 }

// Box is where a step is drawn: its top-left corner and size, its layer
// (0 for steps without dependencies) and its place in the layer.
type Box struct {
	X, Y, W, H   float64
	Layer, Order int
}

// EdgePath is an edge drawn from the bottom of step From's box to the top
// of step To's through Points (first and last included).
type EdgePath struct {
	From, To int
	Points   []Point
}

// Layout is a graph placed for drawing, top to bottom.
type Layout struct {
	Width, Height float64
	Names         []string
	Nodes         []Box // by step
	Edges         []EdgePath
	// Crossings is the number of edge crossings between adjacent layers
	// in the chosen order.
	Crossings int
	// InitialCrossings is that number in the initial order (steps by
	// number, virtual points as created), before the sweeps.
	InitialCrossings int
	opt              LayoutOptions
}

// lnode is a node of the layered graph: a step, or a virtual point an edge
// passes through in a layer it spans.
type lnode struct {
	layer    int
	w        float64
	up, down []int
	pos      int     // place in its layer
	key      float64 // barycenter while sorting
	x        float64 // center
}

// NewLayout places g's steps in layers by longest path from the steps
// without dependencies, orders each layer with barycenter sweeps (keeping
// the order with the fewest crossings), and places each step near the
// middle of its neighbours without overlapping.
func NewLayout(g *Graph, o LayoutOptions) *Layout {
	o.defaults()
	n := g.Len()
	l := &Layout{Names: g.names, Nodes: make([]Box, n), opt: o}
	if n == 0 {
		l.Width, l.Height = 2*o.Margin, 2*o.Margin
		return l
	}
	nodes := make([]lnode, n, 2*n)
	for _, i := range g.order {
		layer := 0
		for _, d := range g.deps[i] {
			layer = max(layer, nodes[d].layer+1)
		}
		nodes[i] = lnode{layer: layer, w: o.NodeWidth}
	}
	// Split edges that span layers into chains through virtual nodes.
	chains := make([][]int, 0, g.Edges())
	for i := range n {
		for _, d := range g.deps[i] {
			chain := []int{d}
			for layer := nodes[d].layer + 1; layer < nodes[i].layer; layer++ {
				nodes = append(nodes, lnode{layer: layer, w: o.NodeGap / 2})
				chain = append(chain, len(nodes)-1)
			}
			chain = append(chain, i)
			for k := 1; k < len(chain); k++ {
				a, b := chain[k-1], chain[k]
				nodes[a].down = append(nodes[a].down, b)
				nodes[b].up = append(nodes[b].up, a)
			}
			l.Edges = append(l.Edges, EdgePath{From: d, To: i})
			chains = append(chains, chain)
		}
	}
	var layers [][]int
	for v := range nodes {
		for len(layers) <= nodes[v].layer {
			layers = append(layers, nil)
		}
		layers[nodes[v].layer] = append(layers[nodes[v].layer], v)
	}
	l.InitialCrossings = order(nodes, layers, o.Sweeps)
	l.Crossings = crossings(nodes, layers)
	place(nodes, layers, o)

	minX := nodes[0].x - nodes[0].w/2
	maxX := nodes[0].x + nodes[0].w/2
	for v := range nodes {
		minX = min(minX, nodes[v].x-nodes[v].w/2)
		maxX = max(maxX, nodes[v].x+nodes[v].w/2)
	}
	// Whole pixels: crisp lines and the same output on every platform.
	shift := math.Round(o.Margin - minX)
	for v := range nodes {
		nodes[v].x = math.Round(nodes[v].x)
	}
	rowY := func(layer int) float64 { return o.Margin + float64(layer)*(o.NodeHeight+o.LayerGap) }
	for i := range n {
		v := &nodes[i]
		l.Nodes[i] = Box{X: v.x + shift - o.NodeWidth/2, Y: rowY(v.layer), W: o.NodeWidth, H: o.NodeHeight, Layer: v.layer, Order: v.pos}
	}
	for k, chain := range chains {
		pts := make([]Point, 0, 2*len(chain))
		first, last := &nodes[chain[0]], &nodes[chain[len(chain)-1]]
		pts = append(pts, Point{first.x + shift, rowY(first.layer) + o.NodeHeight})
		for _, v := range chain[1 : len(chain)-1] {
			x := nodes[v].x + shift
			y := rowY(nodes[v].layer)
			pts = append(pts, Point{x, y}, Point{x, y + o.NodeHeight})
		}
		pts = append(pts, Point{last.x + shift, rowY(last.layer)})
		l.Edges[k].Points = pts
	}
	l.Width = math.Ceil(maxX - minX + 2*o.Margin)
	l.Height = rowY(len(layers)-1) + o.NodeHeight + o.Margin
	return l
}

// order sorts each layer by barycenter sweeps, keeping the best order
// seen, and returns the crossings of the initial order.
func order(nodes []lnode, layers [][]int, sweeps int) int {
	renumber := func() {
		for _, layer := range layers {
			for p, v := range layer {
				nodes[v].pos = p
			}
		}
	}
	renumber()
	best := crossings(nodes, layers)
	initial := best
	saved := make([][]int, len(layers))
	save := func() {
		for i, layer := range layers {
			saved[i] = append(saved[i][:0], layer...)
		}
	}
	save()
	sortLayer := func(layer []int, up bool) {
		for _, v := range layer {
			nb := nodes[v].down
			if up {
				nb = nodes[v].up
			}
			if len(nb) == 0 {
				nodes[v].key = float64(nodes[v].pos)
				continue
			}
			sum := 0
			for _, u := range nb {
				sum += nodes[u].pos
			}
			nodes[v].key = float64(sum) / float64(len(nb))
		}
		sort.SliceStable(layer, func(a, b int) bool { return nodes[layer[a]].key < nodes[layer[b]].key })
		for p, v := range layer {
			nodes[v].pos = p
		}
	}
	for s := 0; s < sweeps && best > 0; s++ {
		for i := 1; i < len(layers); i++ {
			sortLayer(layers[i], true)
		}
		for i := len(layers) - 2; i >= 0; i-- {
			sortLayer(layers[i], false)
		}
		if c := crossings(nodes, layers); c < best {
			best = c
			save()
		}
	}
	for i := range layers {
		copy(layers[i], saved[i])
	}
	renumber()
	return initial
}

// crossings counts pairs of edges that cross between adjacent layers: for
// each layer, the inversions among its edges' lower ends when sorted by
// their upper ends (a Fenwick tree counts them).
func crossings(nodes []lnode, layers [][]int) int {
	total := 0
	var ends []int
	var tree []int
	for i := 0; i+1 < len(layers); i++ {
		ends = ends[:0]
		for _, v := range layers[i] { // in position order
			start := len(ends)
			for _, u := range nodes[v].down {
				ends = append(ends, nodes[u].pos)
			}
			slices.Sort(ends[start:])
		}
		size := len(layers[i+1])
		tree = append(tree[:0], make([]int, size+1)...)
		for k, e := range ends {
			// count earlier ends greater than e
			le := 0
			for j := e + 1; j > 0; j -= j & -j {
				le += tree[j]
			}
			total += k - le
			for j := e + 1; j <= size; j += j & -j {
				tree[j]++
			}
		}
	}
	return total
}

// place sets each node's center x: layers are packed left to right in
// order, then each node is pulled towards the mean of its neighbours above
// (top-down) and below (bottom-up) while keeping its distance from the
// nodes beside it.
func place(nodes []lnode, layers [][]int, o LayoutOptions) {
	for _, layer := range layers {
		x := 0.0
		for k, v := range layer {
			if k > 0 {
				x += nodes[layer[k-1]].w/2 + o.NodeGap + nodes[v].w/2
			}
			nodes[v].x = x
		}
	}
	want := make([]float64, 0)
	pull := func(layer []int, up bool) {
		want = want[:0]
		for _, v := range layer {
			nb := nodes[v].down
			if up {
				nb = nodes[v].up
			}
			x := nodes[v].x
			if len(nb) > 0 {
				sum := 0.0
				for _, u := range nb {
					sum += nodes[u].x
				}
				x = (x + sum/float64(len(nb))*2) / 3
			}
			want = append(want, x)
		}
		spread(nodes, layer, want, o.NodeGap)
	}
	for range 3 {
		for i := 1; i < len(layers); i++ {
			pull(layers[i], true)
		}
		for i := len(layers) - 2; i >= 0; i-- {
			pull(layers[i], false)
		}
	}
}

// spread places a layer's nodes as near their wanted centers as a left and
// a right packing pass allow, taking the mean of the two, which keeps the
// minimum distances both guarantee.
func spread(nodes []lnode, layer []int, want []float64, gap float64) {
	k := len(layer)
	if k == 0 {
		return
	}
	sep := func(a, b int) float64 { return nodes[layer[a]].w/2 + gap + nodes[layer[b]].w/2 }
	left := make([]float64, k)
	right := make([]float64, k)
	for i := range k {
		left[i] = want[i]
		if i > 0 {
			left[i] = max(left[i], left[i-1]+sep(i-1, i))
		}
	}
	for i := k - 1; i >= 0; i-- {
		right[i] = want[i]
		if i < k-1 {
			right[i] = min(right[i], right[i+1]-sep(i, i+1))
		}
	}
	for i, v := range layer {
		nodes[v].x = (left[i] + right[i]) / 2
	}
}
