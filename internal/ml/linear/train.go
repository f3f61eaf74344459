package linear

import (
	"context"
	"math"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
)

// Train fits a model on X and y. classes is 0 for linear regression, 2 for
// binary logistic regression (y in {0, 1}) and K >= 3 for softmax regression
// (y in 0..K-1). ctx is checked between iterations.
func Train(ctx context.Context, X *feature.Matrix, y []float64, classes int, p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if X == nil || X.Rows == 0 || len(X.Cols) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "the training data has no rows or no features")
	}
	if len(y) != X.Rows {
		return nil, lathe.Errorf(lathe.EINVALID, "the training data has %d rows but %d labels", X.Rows, len(y))
	}
	if classes == 1 || classes < 0 || classes > MaxClasses {
		return nil, lathe.Errorf(lathe.EINVALID, "classes must be 0 (regression), 2 (binary) or 3..%d, got %d", MaxClasses, classes)
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, lathe.Errorf(lathe.EINVALID, "label %d is %v; labels must be finite", i+1, v)
		}
		if classes > 0 && (v != math.Trunc(v) || v < 0 || v >= float64(classes)) {
			return nil, lathe.Errorf(lathe.EINVALID, "label %d is %v; class labels must be integers in [0, %d)", i+1, v, classes)
		}
	}
	m := &Model{Classes: classes}
	m.fitStandardiser(X)
	K := m.Outputs()
	if m.Dim*K > 50_000_000 {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%d design columns × %d outputs is too many weights; cap categories per column", m.Dim, K)
	}
	d := m.newDesign(X)
	o := &objective{m: m, d: d, y: y, l2: p.L2, threads: threads(p.Threads)}
	P := m.Dim*K + K
	x := make([]float64, P)
	// Start from the intercept-only optimum.
	copy(x[m.Dim*K:], baseScores(y, classes))
	pen := make([]bool, P)
	for i := 0; i < m.Dim*K; i++ {
		pen[i] = true
	}
	iters, conv, err := owlqn(ctx, o.eval, x, pen, p.L1, p.MaxIter, p.Tol)
	if err != nil {
		return nil, err
	}
	m.W = x[: m.Dim*K : m.Dim*K]
	m.Intercept = x[m.Dim*K:]
	m.Iterations, m.Converged = iters, conv
	return m, nil
}

func baseScores(y []float64, classes int) []float64 {
	n := float64(len(y))
	switch {
	case classes == 0:
		s := 0.0
		for _, v := range y {
			s += v
		}
		return []float64{s / n}
	case classes == 2:
		s := 0.0
		for _, v := range y {
			s += v
		}
		p := math.Min(math.Max(s/n, 1e-15), 1-1e-15)
		return []float64{math.Log(p / (1 - p))}
	}
	out := make([]float64, classes)
	for _, v := range y {
		out[int(v)]++
	}
	for k := range out {
		out[k] = math.Log(math.Max(out[k]/n, 1e-15))
	}
	return out
}

// objective evaluates the smooth part of the penalised loss.
type objective struct {
	m       *Model
	d       *design
	y       []float64
	l2      float64
	threads int
	parts   [][]float64
}

// evalChunkRows is the least number of rows per chunk; the chunking depends
// only on n, so sums come out the same for any thread count.
const evalChunkRows = 4096

// eval returns the smooth objective at x and writes its gradient into g.
func (o *objective) eval(x, g []float64) float64 {
	m, d := o.m, o.d
	K, dim := m.Outputs(), m.Dim
	n := d.n
	chunk := max(evalChunkRows, (n+63)/64)
	chunks := (n + chunk - 1) / chunk
	for len(o.parts) < chunks {
		o.parts = append(o.parts, make([]float64, len(x)+1))
	}
	W, b := x[:dim*K], x[dim*K:]
	parallel(o.threads, chunks, func(c int) {
		part := o.parts[c]
		clear(part)
		gw, gb := part[:dim*K], part[dim*K:len(x)]
		z := make([]float64, K)
		r := make([]float64, K)
		loss := 0.0
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			num := d.num[i*d.nnum : (i+1)*d.nnum]
			cat := d.cat[i*d.ncat : (i+1)*d.ncat]
			for k := 0; k < K; k++ {
				w := W[k*dim : (k+1)*dim]
				s := b[k]
				for j, v := range num {
					s += w[j] * v
				}
				for _, c := range cat {
					if c >= 0 {
						s += w[c]
					}
				}
				z[k] = s
			}
			loss += lossGrad(m.Classes, z, o.y[i], r)
			for k := 0; k < K; k++ {
				rk := r[k]
				if rk == 0 {
					continue
				}
				gwk := gw[k*dim : (k+1)*dim]
				for j, v := range num {
					gwk[j] += rk * v
				}
				for _, c := range cat {
					if c >= 0 {
						gwk[c] += rk
					}
				}
				gb[k] += rk
			}
		}
		part[len(x)] = loss
	})
	clear(g)
	loss := 0.0
	for _, part := range o.parts[:chunks] {
		for i := range g {
			g[i] += part[i]
		}
		loss += part[len(x)]
	}
	inv := 1 / float64(n)
	loss *= inv
	for i := range g {
		g[i] *= inv
	}
	if o.l2 > 0 {
		for i, w := range W {
			loss += 0.5 * o.l2 * w * w
			g[i] += o.l2 * w
		}
	}
	return loss
}

// lossGrad returns the loss of margins z against label y and writes
// d loss / d z into r.
func lossGrad(classes int, z []float64, y float64, r []float64) float64 {
	switch {
	case classes == 0:
		e := z[0] - y
		r[0] = e
		return 0.5 * e * e
	case classes == 2:
		s := z[0]
		p := 1 / (1 + math.Exp(-s))
		r[0] = p - y
		// log(1+exp(s)) - y*s, computed stably
		if s > 0 {
			return s + math.Log1p(math.Exp(-s)) - y*s
		}
		return math.Log1p(math.Exp(s)) - y*s
	}
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	sum := 0.0
	for k, v := range z {
		r[k] = math.Exp(v - mx)
		sum += r[k]
	}
	yk := int(y)
	for k := range r {
		r[k] /= sum
	}
	loss := mx + math.Log(sum) - z[yk]
	r[yk]--
	return loss
}
