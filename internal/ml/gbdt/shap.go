package gbdt

import (
	"runtime"

	"github.com/latheml/lathe/internal/ml/feature"
)

// Contributions writes exact SHAP values (TreeSHAP, Lundberg et al. 2018,
// "path-dependent" expectation weighted by training cover) for every row of X.
// Layout: out[(row*Outputs()+k)*(Features+1)+j] is feature j's contribution to
// output k's margin; j == Features holds the expected margin. For each row and
// output the values sum to the margin Margins returns.
func (m *Model) Contributions(X *feature.Matrix, out []float64) error {
	K, p := m.Outputs(), m.Features
	if err := m.check(X, out, K*(p+1)); err != nil {
		return err
	}
	bias := append([]float64(nil), m.Base...)
	maxDepth := 0
	for t := range m.Trees {
		bias[t%K] += m.Trees[t].expected()
		maxDepth = max(maxDepth, m.Trees[t].depth())
	}
	n := X.Rows
	threads := 1
	if n*len(m.Trees) >= 1<<12 {
		threads = runtime.GOMAXPROCS(0)
	}
	arenaLen := (maxDepth + 2) * (maxDepth + 3) / 2
	const block = 16
	parallel(threads, (n+block-1)/block, func(b int) {
		arena := make([]pathElem, arenaLen)
		x := make([]float64, p)
		for r := b * block; r < min((b+1)*block, n); r++ {
			X.Row(r, x)
			for k := 0; k < K; k++ {
				phi := out[(r*K+k)*(p+1) : (r*K+k+1)*(p+1)]
				clear(phi)
				phi[p] = bias[k]
			}
			for t := range m.Trees {
				tree := &m.Trees[t]
				if len(tree.Nodes) == 0 {
					continue
				}
				k := t % K
				phi := out[(r*K+k)*(p+1) : (r*K+k+1)*(p+1)]
				tree.shap(x, phi, 0, nil, arena, 1, 1, -1)
			}
		}
	})
	return nil
}

// pathElem is one feature on the path from the root in TreeSHAP: the share of
// training rows that pass when the feature is unknown (zero), whether x passes
// (one), and the permutation weight w.
type pathElem struct {
	feat      int32
	zero, one float64
	w         float64
}

func (t *Tree) cover(child int32) float64 {
	if child < 0 {
		return t.LeafCover[^child]
	}
	return t.Cover[child]
}

// shap adds the contributions of the subtree at node to phi. parent is the
// path so far; the new path is built in arena, whose tail the children use.
func (t *Tree) shap(x, phi []float64, node int32, parent, arena []pathElem, pz, po float64, pf int32) {
	path := arena[:len(parent)+1]
	copy(path, parent)
	extend(path, pz, po, pf)
	if node < 0 {
		v := t.LeafValue[^node]
		for i := 1; i < len(path); i++ {
			w := unwoundSum(path, i)
			phi[path[i].feat] += w * (path[i].one - path[i].zero) * v
		}
		return
	}
	nd := &t.Nodes[node]
	hot, cold := nd.Left, nd.Right
	if !t.goLeft(nd, x[nd.Feature]) {
		hot, cold = cold, hot
	}
	c := t.Cover[node]
	iz, io := 1.0, 1.0
	for i := 1; i < len(path); i++ {
		if path[i].feat == nd.Feature {
			iz, io = path[i].zero, path[i].one
			path = unwind(path, i)
			break
		}
	}
	rest := arena[len(parent)+1:]
	t.shap(x, phi, hot, path, rest, iz*t.cover(hot)/c, io, nd.Feature)
	t.shap(x, phi, cold, path, rest, iz*t.cover(cold)/c, 0, nd.Feature)
}

// recip[k] is 1/k, so that the inner loops multiply instead of divide.
var recip = func() (r [maxTreeDepth + 2]float64) {
	for k := 1; k < len(r); k++ {
		r[k] = 1 / float64(k)
	}
	return r
}()

// extend adds the last element of path (already allotted) and updates the
// permutation weights.
func extend(path []pathElem, pz, po float64, pf int32) {
	d := len(path) - 1
	path[d] = pathElem{feat: pf, zero: pz, one: po}
	if d == 0 {
		path[d].w = 1
	}
	inv := recip[d+1]
	for i := d - 1; i >= 0; i-- {
		path[i+1].w += po * path[i].w * float64(i+1) * inv
		path[i].w = pz * path[i].w * float64(d-i) * inv
	}
}

// unwind removes element k from path, undoing its extend, and returns the
// shorter path.
func unwind(path []pathElem, k int) []pathElem {
	d := len(path) - 1
	one, zero := path[k].one, path[k].zero
	next := path[d].w
	for i := d - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].w
			path[i].w = next * float64(d+1) / (float64(i+1) * one)
			next = tmp - path[i].w*zero*float64(d-i)/float64(d+1)
		} else {
			path[i].w = path[i].w * float64(d+1) / (zero * float64(d-i))
		}
	}
	for i := k; i < d; i++ {
		path[i].feat, path[i].zero, path[i].one = path[i+1].feat, path[i+1].zero, path[i+1].one
	}
	return path[:d]
}

// unwoundSum returns the total permutation weight of path with element k
// removed, without changing path.
func unwoundSum(path []pathElem, k int) float64 {
	d := len(path) - 1
	one, zero := path[k].one, path[k].zero
	next := path[d].w
	total := 0.0
	d1, inv := float64(d+1), recip[d+1]
	if one != 0 {
		invOne := 1 / one
		for i := d - 1; i >= 0; i-- {
			tmp := next * d1 * recip[i+1] * invOne
			total += tmp
			next = path[i].w - tmp*zero*float64(d-i)*inv
		}
	} else if zero != 0 {
		invZero := 1 / zero
		for i := d - 1; i >= 0; i-- {
			total += path[i].w * invZero * d1 * recip[d-i]
		}
	}
	return total
}
