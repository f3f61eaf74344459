package gbdt

// Node flags.
const (
	flagDefaultLeft = 1 << iota // missing values go left
	flagCategorical             // Cats holds the codes that go left
)

// Node is an internal node of a Tree. Children are node indices when >= 0 and
// ^leaf when negative.
type Node struct {
	Threshold float64 // numeric: x <= Threshold goes left
	Feature   int32
	Left      int32
	Right     int32
	CatStart  int32 // categorical: first word of the code bitset in Tree.Cats
	CatWords  int32 // categorical: number of words
	Flags     uint8
}

// DefaultLeft reports whether missing values go left.
func (n *Node) DefaultLeft() bool { return n.Flags&flagDefaultLeft != 0 }

// Categorical reports whether the node splits on a set of categories.
func (n *Node) Categorical() bool { return n.Flags&flagCategorical != 0 }

// Tree is one regression tree on raw (encoded) feature values.
type Tree struct {
	Nodes     []Node
	Cats      []uint64  // bitsets of category codes going left
	Gain      []float64 // per node: loss reduction of its split
	Cover     []float64 // per node: training rows that reached it
	LeafValue []float64
	LeafCover []float64 // per leaf: training rows that reached it
}

// goLeft reports whether x takes the left branch at node nd.
func (t *Tree) goLeft(nd *Node, v float64) bool {
	if v != v {
		return nd.Flags&flagDefaultLeft != 0
	}
	if nd.Flags&flagCategorical == 0 {
		return v <= nd.Threshold
	}
	if v < 0 {
		return false
	}
	c := uint64(v)
	w := c >> 6
	if w >= uint64(nd.CatWords) {
		return false
	}
	return t.Cats[uint64(nd.CatStart)+w]>>(c&63)&1 == 1
}

// Leaf returns the index of the leaf that row x falls into. (A branch-free
// child selection was measured slower: most rows follow predictable paths,
// and the dependent loads it chains cost more than the mispredictions.)
func (t *Tree) Leaf(x []float64) int {
	if len(t.Nodes) == 0 {
		return 0
	}
	i := int32(0)
	for {
		nd := &t.Nodes[i]
		if t.goLeft(nd, x[nd.Feature]) {
			i = nd.Left
		} else {
			i = nd.Right
		}
		if i < 0 {
			return int(^i)
		}
	}
}

// Predict returns the leaf value for row x.
func (t *Tree) Predict(x []float64) float64 { return t.LeafValue[t.Leaf(x)] }

// expected returns the cover-weighted mean of the leaf values.
func (t *Tree) expected() float64 {
	s, w := 0.0, 0.0
	for i, v := range t.LeafValue {
		s += v * t.LeafCover[i]
		w += t.LeafCover[i]
	}
	if w == 0 {
		return 0
	}
	return s / w
}

// depth returns the longest root-to-leaf path (in edges).
func (t *Tree) depth() int {
	if len(t.Nodes) == 0 {
		return 0
	}
	var rec func(i int32) int
	rec = func(i int32) int {
		if i < 0 {
			return 0
		}
		nd := &t.Nodes[i]
		return 1 + max(rec(nd.Left), rec(nd.Right))
	}
	return rec(0)
}
