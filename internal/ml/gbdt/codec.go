package gbdt

import (
	"math"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/codec"
)

const (
	magic   = "LTGB"
	version = 1
)

// MarshalBinary encodes the model; UnmarshalBinary restores it bit for bit.
func (m *Model) MarshalBinary() ([]byte, error) {
	nodes := 0
	for t := range m.Trees {
		nodes += len(m.Trees[t].Nodes)
	}
	w := &codec.Writer{B: make([]byte, 0, 64+nodes*72)}
	w.B = append(w.B, magic...)
	w.U32(version)
	w.U32(uint32(m.Features))
	w.U32(uint32(m.Classes))
	w.Len(len(m.Names))
	for _, s := range m.Names {
		w.String(s)
	}
	w.F64s(m.Base)
	w.U32(uint32(m.Rounds))
	w.U32(uint32(m.BestRound))
	w.F64s(m.ValidLoss)
	w.Len(len(m.Trees))
	for t := range m.Trees {
		tr := &m.Trees[t]
		w.Len(len(tr.Nodes))
		for _, nd := range tr.Nodes {
			w.F64(nd.Threshold)
			w.I32(nd.Feature)
			w.I32(nd.Left)
			w.I32(nd.Right)
			w.I32(nd.CatStart)
			w.I32(nd.CatWords)
			w.U8(nd.Flags)
		}
		w.U64s(tr.Cats)
		w.F64s(tr.Gain)
		w.F64s(tr.Cover)
		w.F64s(tr.LeafValue)
		w.F64s(tr.LeafCover)
	}
	return w.B, nil
}

// UnmarshalBinary decodes a model written by MarshalBinary and checks its
// structure, so that prediction cannot index out of range or loop.
func (m *Model) UnmarshalBinary(b []byte) error {
	r := codec.NewReader(b, "gbdt model")
	if len(b) < 4 || string(b[:4]) != magic {
		return lathe.Errorf(lathe.ECORRUPT, "gbdt model: not a gbdt model (bad magic)")
	}
	r.Skip(4)
	if v := r.U32(); v != version && r.Err() == nil {
		return lathe.Errorf(lathe.EUNSUPPORTED, "gbdt model: format version %d is not supported (this build reads %d)", v, version)
	}
	var out Model
	out.Features = int(r.U32())
	out.Classes = int(r.U32())
	nn := r.Len(4)
	for i := 0; i < nn && r.Err() == nil; i++ {
		out.Names = append(out.Names, r.String())
	}
	out.Base = r.F64s()
	out.Rounds = int(r.U32())
	out.BestRound = int(r.U32())
	out.ValidLoss = r.F64s()
	nt := r.Len(4)
	out.Trees = make([]Tree, 0, nt)
	for t := 0; t < nt && r.Err() == nil; t++ {
		var tr Tree
		nn := r.Len(29)
		tr.Nodes = make([]Node, nn)
		for i := range tr.Nodes {
			tr.Nodes[i] = Node{Threshold: r.F64(), Feature: r.I32(), Left: r.I32(), Right: r.I32(),
				CatStart: r.I32(), CatWords: r.I32(), Flags: r.U8()}
		}
		tr.Cats = r.U64s()
		tr.Gain = r.F64s()
		tr.Cover = r.F64s()
		tr.LeafValue = r.F64s()
		tr.LeafCover = r.F64s()
		if r.Err() == nil {
			if err := tr.validate(out.Features); err != nil {
				r.Fail("tree %d: %v", t, err)
			}
		}
		out.Trees = append(out.Trees, tr)
	}
	if err := r.Err(); err != nil {
		return err
	}
	if r.Remaining() != 0 {
		return lathe.Errorf(lathe.ECORRUPT, "gbdt model: %d unexpected trailing bytes", r.Remaining())
	}
	if out.Features <= 0 || out.Classes == 1 || out.Classes < 0 || out.Classes > MaxClasses {
		return lathe.Errorf(lathe.ECORRUPT, "gbdt model: bad header (features %d, classes %d)", out.Features, out.Classes)
	}
	K := out.Outputs()
	if len(out.Base) != K || len(out.Trees)%K != 0 || (len(out.Names) != 0 && len(out.Names) != out.Features) {
		return lathe.Errorf(lathe.ECORRUPT, "gbdt model: %d base scores and %d trees do not fit %d outputs", len(out.Base), len(out.Trees), K)
	}
	*m = out
	return nil
}

// validate checks that nodes reference valid features, children, leaves and
// category words, and that children come after their parent (no cycles).
func (t *Tree) validate(features int) error {
	nn, nl := len(t.Nodes), len(t.LeafValue)
	if len(t.Gain) != nn || len(t.Cover) != nn || len(t.LeafCover) != nl {
		return lathe.Errorf(lathe.ECORRUPT, "array lengths disagree")
	}
	if nl != nn+1 {
		return lathe.Errorf(lathe.ECORRUPT, "%d nodes need %d leaves, found %d", nn, nn+1, nl)
	}
	for i, nd := range t.Nodes {
		if nd.Feature < 0 || int(nd.Feature) >= features {
			return lathe.Errorf(lathe.ECORRUPT, "node %d: feature %d out of range", i, nd.Feature)
		}
		for _, c := range []int32{nd.Left, nd.Right} {
			if c >= 0 && (int(c) <= i || int(c) >= nn) || c < 0 && int(^c) >= nl {
				return lathe.Errorf(lathe.ECORRUPT, "node %d: child %d out of range", i, c)
			}
		}
		if nd.Flags&flagCategorical != 0 {
			if nd.CatStart < 0 || nd.CatWords < 0 || int(nd.CatStart)+int(nd.CatWords) > len(t.Cats) {
				return lathe.Errorf(lathe.ECORRUPT, "node %d: category words out of range", i)
			}
		}
		if !(t.Cover[i] > 0) {
			return lathe.Errorf(lathe.ECORRUPT, "node %d: cover must be positive", i)
		}
	}
	// Children come after parents, so one pass in index order finds depths.
	depth := make([]int, nn)
	for i, nd := range t.Nodes {
		for _, c := range []int32{nd.Left, nd.Right} {
			if c >= 0 {
				depth[c] = max(depth[c], depth[i]+1)
				if depth[c] >= maxTreeDepth {
					return lathe.Errorf(lathe.ECORRUPT, "deeper than %d levels", maxTreeDepth)
				}
			}
		}
	}
	for i, v := range t.LeafValue {
		if math.IsNaN(v) || math.IsInf(v, 0) || !(t.LeafCover[i] > 0) {
			return lathe.Errorf(lathe.ECORRUPT, "leaf %d: bad value or cover", i)
		}
	}
	return nil
}
