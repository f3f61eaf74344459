package profile

import (
	"math"
	"math/bits"
)

// hllP is the HyperLogLog precision: 2^14 registers of one byte each, for a
// relative standard error of 1.04/sqrt(2^14) ≈ 0.81 %.
const (
	hllP = 14
	hllM = 1 << hllP
	hllQ = 64 - hllP // hash bits left for the rank
)

// hll is a HyperLogLog distinct-count sketch (Flajolet et al., 2007) over
// 64-bit hashes, estimated with the improved raw estimator of Otmar Ertl,
// "New cardinality estimation algorithms for HyperLogLog sketches" (2017),
// which needs neither bias tables nor a switch to linear counting and is
// unbiased from empty to far beyond 2^32 distinct values.
type hll struct {
	reg [hllM]uint8
}

// add records a hash: the top hllP bits pick the register, which keeps the
// largest rank (leading zeros + 1) of the remaining bits seen.
func (h *hll) add(x uint64) {
	i := x >> hllQ
	r := uint8(min(bits.LeadingZeros64(x<<hllP), hllQ) + 1)
	if r > h.reg[i] {
		h.reg[i] = r
	}
}

// estimate returns the estimated number of distinct hashes added.
func (h *hll) estimate() float64 {
	var c [hllQ + 2]int // histogram of register values
	for _, r := range h.reg {
		c[r]++
	}
	const m = float64(hllM)
	z := m * ertlTau(1-float64(c[hllQ+1])/m)
	for k := hllQ; k >= 1; k-- {
		z = 0.5 * (z + float64(c[k]))
	}
	z += m * ertlSigma(float64(c[0])/m)
	return m * m / (2 * math.Ln2) / z
}

// ertlSigma is σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k-1) from Ertl (2017).
func ertlSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if z == prev {
			return z
		}
	}
}

// ertlTau is τ(x) = (1 - x - Σ_{k≥1} (1 - x^(2^-k))^2 2^-k) / 3 from Ertl (2017).
func ertlTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if z == prev {
			return z / 3
		}
	}
}
