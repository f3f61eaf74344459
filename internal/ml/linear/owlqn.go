package linear

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
)

// lbfgsMemory is the number of correction pairs L-BFGS keeps.
const lbfgsMemory = 10

// owlqn minimises f(x) + l1·Σ_{pen[i]} |x_i| where f is smooth and evaluated
// by eval (which returns f and writes ∇f). It updates x in place and returns
// the iterations used and whether the relative decrease fell below tol.
func owlqn(ctx context.Context, eval func(x, g []float64) float64, x []float64, pen []bool, l1 float64, maxIter int, tol float64) (int, bool, error) {
	P := len(x)
	g := make([]float64, P)
	pg := make([]float64, P)
	d := make([]float64, P)
	xn := make([]float64, P)
	gn := make([]float64, P)
	var S, Y [][]float64
	var rho []float64
	alpha := make([]float64, lbfgsMemory)

	obj := func(x []float64, fs float64) float64 {
		if l1 == 0 {
			return fs
		}
		for i, v := range x {
			if pen[i] {
				fs += l1 * math.Abs(v)
			}
		}
		return fs
	}
	fs := eval(x, g)
	f := obj(x, fs)
	for iter := 1; iter <= maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return iter, false, err
		}
		pseudoGradient(x, g, pen, l1, pg)
		if normInf(pg) < 1e-12 {
			return iter, true, nil
		}
		// d = -H·pg by the two-loop recursion.
		for i := range d {
			d[i] = -pg[i]
		}
		for k := len(S) - 1; k >= 0; k-- {
			alpha[k] = rho[k] * dot(S[k], d)
			axpy(-alpha[k], Y[k], d)
		}
		if k := len(S) - 1; k >= 0 {
			gamma := dot(S[k], Y[k]) / dot(Y[k], Y[k])
			for i := range d {
				d[i] *= gamma
			}
		}
		for k := range S {
			beta := rho[k] * dot(Y[k], d)
			axpy(alpha[k]-beta, S[k], d)
		}
		if l1 > 0 {
			for i := range d {
				if pen[i] && d[i]*pg[i] >= 0 {
					d[i] = 0
				}
			}
		}
		if dot(d, pg) >= 0 { // not a descent direction: restart
			S, Y, rho = S[:0], Y[:0], rho[:0]
			for i := range d {
				d[i] = -pg[i]
			}
		}
		step := 1.0
		if len(S) == 0 {
			step = 1 / math.Max(norm2(pg), 1)
		}
		var fn, fsn float64
		accepted := false
		for try := 0; try < 50; try++ {
			for i := range x {
				v := x[i] + step*d[i]
				if l1 > 0 && pen[i] {
					orth := x[i]
					if orth == 0 {
						orth = -pg[i]
					}
					if v*orth <= 0 {
						v = 0
					}
				}
				xn[i] = v
			}
			fsn = eval(xn, gn)
			fn = obj(xn, fsn)
			dec := 0.0
			for i := range x {
				dec += pg[i] * (xn[i] - x[i])
			}
			if fn <= f+1e-4*dec {
				accepted = true
				break
			}
			step *= 0.5
		}
		if !accepted {
			return iter, true, nil // no progress possible at machine precision
		}
		// Store the correction pair.
		var s, yv []float64
		if len(S) == lbfgsMemory {
			s, yv = S[0], Y[0]
			S, Y, rho = S[1:], Y[1:], rho[1:]
		} else {
			s, yv = make([]float64, P), make([]float64, P)
		}
		for i := range s {
			s[i] = xn[i] - x[i]
			yv[i] = gn[i] - g[i]
		}
		if sy := dot(s, yv); sy > 1e-16 {
			S, Y, rho = append(S, s), append(Y, yv), append(rho, 1/sy)
		}
		rel := (f - fn) / math.Max(math.Max(math.Abs(f), math.Abs(fn)), 1)
		copy(x, xn)
		copy(g, gn)
		f = fn
		if rel < tol {
			return iter, true, nil
		}
	}
	return maxIter, false, nil
}

// pseudoGradient is the steepest-descent direction's negative for the L1
// penalised objective (the gradient where it exists, else the one-sided one
// with the smaller magnitude, or 0 at a kink that is a minimum).
func pseudoGradient(x, g []float64, pen []bool, l1 float64, pg []float64) {
	for i, v := range x {
		if !pen[i] || l1 == 0 {
			pg[i] = g[i]
			continue
		}
		switch {
		case v > 0:
			pg[i] = g[i] + l1
		case v < 0:
			pg[i] = g[i] - l1
		case g[i]+l1 < 0:
			pg[i] = g[i] + l1
		case g[i]-l1 > 0:
			pg[i] = g[i] - l1
		default:
			pg[i] = 0
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

func norm2(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func normInf(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// parallel runs fn(0..tasks-1) on up to threads goroutines.
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
