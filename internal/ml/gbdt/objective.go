package gbdt

import "math"

// objective computes the loss, its gradients and the initial score for a
// task: classes 0 = squared error, 2 = binary log loss, K >= 3 = softmax.
type objective struct{ classes int }

func (o objective) outputs() int {
	if o.classes > 2 {
		return o.classes
	}
	return 1
}

const probEps = 1e-15

// base returns the initial score per output: the mean, the log-odds of the
// positive rate, or the log of each class prior.
func (o objective) base(y []float64) []float64 {
	n := float64(len(y))
	switch {
	case o.classes == 0:
		s := 0.0
		for _, v := range y {
			s += v
		}
		return []float64{s / n}
	case o.classes == 2:
		s := 0.0
		for _, v := range y {
			s += v
		}
		p := math.Min(math.Max(s/n, probEps), 1-probEps)
		return []float64{math.Log(p / (1 - p))}
	}
	counts := make([]float64, o.classes)
	for _, v := range y {
		counts[int(v)]++
	}
	out := make([]float64, o.classes)
	for k, c := range counts {
		out[k] = math.Log(math.Max(c/n, probEps))
	}
	return out
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// fastSigmoid is sigmoid with expApprox, for gradients (stored as float32).
func fastSigmoid(x float64) float64 { return 1 / (1 + expApprox(-x)) }

// expApprox returns e^x with a relative error below 3e-10: Cody-Waite range
// reduction to |r| <= ln2/2 and a degree-8 Taylor polynomial. It is several
// times faster than math.Exp, which dominates gradient computation
// otherwise. Results are deterministic.
func expApprox(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 709:
		return math.Inf(1)
	case x < -708:
		return 0
	}
	const (
		log2e = 1.4426950408889634
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
	)
	k := math.Floor(x*log2e + 0.5)
	r := (x - k*ln2hi) - k*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320))))))))
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// gradients fills gh[k][r] from the current scores (row-major, outputs per row).
func (o objective) gradients(score, y []float64, gh [][]gpair, threads int) {
	n := len(y)
	K := o.outputs()
	const chunk = 16384
	parallel(threads, (n+chunk-1)/chunk, func(c int) {
		lo, hi := c*chunk, min((c+1)*chunk, n)
		switch {
		case o.classes == 0:
			g := gh[0]
			for r := lo; r < hi; r++ {
				g[r] = gpair{float32(score[r] - y[r]), 1}
			}
		case o.classes == 2:
			g := gh[0]
			for r := lo; r < hi; r++ {
				p := fastSigmoid(score[r])
				g[r] = gpair{float32(p - y[r]), hess(p)}
			}
		default:
			prob := make([]float64, K)
			for r := lo; r < hi; r++ {
				softmaxApprox(score[r*K:(r+1)*K], prob)
				yk := int(y[r])
				for k := 0; k < K; k++ {
					p := prob[k]
					t := 0.0
					if k == yk {
						t = 1
					}
					gh[k][r] = gpair{float32(p - t), hess(p)}
				}
			}
		}
	})
}

// hess is the log-loss hessian p(1-p), kept away from 0.
func hess(p float64) float32 {
	h := p * (1 - p)
	if h < 1e-16 {
		h = 1e-16
	}
	return float32(h)
}

// softmax writes the softmax of s into out.
func softmax(s, out []float64) {
	mx := math.Inf(-1)
	for _, v := range s {
		mx = math.Max(mx, v)
	}
	sum := 0.0
	for k, v := range s {
		e := math.Exp(v - mx)
		out[k] = e
		sum += e
	}
	for k := range out {
		out[k] /= sum
	}
}

// softmaxApprox is softmax with expApprox.
func softmaxApprox(s, out []float64) {
	mx := math.Inf(-1)
	for _, v := range s {
		mx = math.Max(mx, v)
	}
	sum := 0.0
	for k, v := range s {
		e := expApprox(v - mx)
		out[k] = e
		sum += e
	}
	for k := range out {
		out[k] /= sum
	}
}

// loss returns the mean loss of the scores: squared error, log loss or
// multiclass log loss.
func (o objective) loss(score, y []float64) float64 {
	n := len(y)
	K := o.outputs()
	s := 0.0
	switch {
	case o.classes == 0:
		for r, v := range y {
			d := score[r] - v
			s += d * d
		}
	case o.classes == 2:
		for r, v := range y {
			p := math.Min(math.Max(sigmoid(score[r]), probEps), 1-probEps)
			if v == 1 {
				s -= math.Log(p)
			} else {
				s -= math.Log(1 - p)
			}
		}
	default:
		prob := make([]float64, K)
		for r, v := range y {
			softmax(score[r*K:(r+1)*K], prob)
			s -= math.Log(math.Max(prob[int(v)], probEps))
		}
	}
	return s / float64(n)
}
