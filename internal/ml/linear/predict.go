package linear

import (
	"math"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/codec"
	"github.com/latheml/lathe/internal/ml/feature"
)

func (m *Model) check(X *feature.Matrix, out []float64, per int) error {
	if len(X.Cols) != m.Features {
		return lathe.Errorf(lathe.EINVALID, "the input has %d features, the model expects %d", len(X.Cols), m.Features)
	}
	if len(out) != X.Rows*per {
		return lathe.Errorf(lathe.EINTERNAL, "output buffer has %d values, need %d", len(out), X.Rows*per)
	}
	return nil
}

// standard returns the standardised value of numeric feature j (0 when
// missing, i.e. the training mean).
func (m *Model) standard(j int, v float64) float64 {
	if v != v {
		return 0
	}
	return (v - m.Mean[j]) / m.Scale[j]
}

// column returns the design column of categorical feature j for code v, or -1.
func (m *Model) column(j int, v float64) int {
	if v == v && v >= 0 && int(v) < m.Levels[j] {
		return m.Offset[j] + int(v)
	}
	return -1
}

// Margins writes the linear scores (before the sigmoid or softmax) of every
// row of X into out, Outputs() values per row.
func (m *Model) Margins(X *feature.Matrix, out []float64) error {
	K := m.Outputs()
	if err := m.check(X, out, K); err != nil {
		return err
	}
	for i := 0; i < X.Rows; i++ {
		for k := 0; k < K; k++ {
			w := m.W[k*m.Dim : (k+1)*m.Dim]
			s := m.Intercept[k]
			for j, c := range m.Num {
				s += w[j] * m.standard(j, X.Cols[c][i])
			}
			for j, c := range m.Cat {
				if col := m.column(j, X.Cols[c][i]); col >= 0 {
					s += w[col]
				}
			}
			out[i*K+k] = s
		}
	}
	return nil
}

// Contributions writes each feature's share of each margin: coefficient ×
// standardised value for numeric features, and for a categorical feature the
// weight of its category minus the training average of that feature's
// weights. Layout as in gbdt: out[(row*Outputs()+k)*(Features+1)+j], with
// j == Features holding the margin at the training mean. Rows sum to their
// margins.
func (m *Model) Contributions(X *feature.Matrix, out []float64) error {
	K, p := m.Outputs(), m.Features
	if err := m.check(X, out, K*(p+1)); err != nil {
		return err
	}
	bias := make([]float64, K)
	mean := make([]float64, K*len(m.Cat)) // average weight per categorical feature
	for k := 0; k < K; k++ {
		w := m.W[k*m.Dim : (k+1)*m.Dim]
		bias[k] = m.Intercept[k]
		for j := range m.Cat {
			a := 0.0
			for c := m.Offset[j]; c < m.Offset[j]+m.Levels[j]; c++ {
				a += w[c] * m.Freq[c]
			}
			mean[k*len(m.Cat)+j] = a
			bias[k] += a
		}
	}
	for i := 0; i < X.Rows; i++ {
		for k := 0; k < K; k++ {
			w := m.W[k*m.Dim : (k+1)*m.Dim]
			phi := out[(i*K+k)*(p+1) : (i*K+k+1)*(p+1)]
			clear(phi)
			phi[p] = bias[k]
			for j, c := range m.Num {
				phi[c] = w[j] * m.standard(j, X.Cols[c][i])
			}
			for j, c := range m.Cat {
				v := -mean[k*len(m.Cat)+j]
				if col := m.column(j, X.Cols[c][i]); col >= 0 {
					v += w[col]
				}
				phi[c] = v
			}
		}
	}
	return nil
}

// Importance returns, per feature, the standard deviation of its
// contribution over the training data, summed over outputs: |coefficient|
// for a standardised numeric feature, the frequency-weighted spread of the
// category weights for a categorical one.
func (m *Model) Importance() []float64 {
	out := make([]float64, m.Features)
	K := m.Outputs()
	for k := 0; k < K; k++ {
		w := m.W[k*m.Dim : (k+1)*m.Dim]
		for j, c := range m.Num {
			out[c] += math.Abs(w[j])
		}
		for j, c := range m.Cat {
			lo, hi := m.Offset[j], m.Offset[j]+m.Levels[j]
			mu, seen := 0.0, 0.0
			for col := lo; col < hi; col++ {
				mu += w[col] * m.Freq[col]
				seen += m.Freq[col]
			}
			v := (1 - seen) * mu * mu // rows with no known category contribute 0
			for col := lo; col < hi; col++ {
				d := w[col] - mu
				v += m.Freq[col] * d * d
			}
			out[c] += math.Sqrt(v)
		}
	}
	return out
}

const (
	magic   = "LTLN"
	version = 1
)

// MarshalBinary encodes the model; UnmarshalBinary restores it bit for bit.
func (m *Model) MarshalBinary() ([]byte, error) {
	w := &codec.Writer{}
	w.B = append(w.B, magic...)
	w.U32(version)
	w.U32(uint32(m.Features))
	w.U32(uint32(m.Classes))
	w.Len(len(m.Names))
	for _, s := range m.Names {
		w.String(s)
	}
	ints := func(v []int) {
		w.Len(len(v))
		for _, x := range v {
			w.U32(uint32(x))
		}
	}
	ints(m.Num)
	w.F64s(m.Mean)
	w.F64s(m.Scale)
	ints(m.Cat)
	ints(m.Offset)
	ints(m.Levels)
	w.U32(uint32(m.Dim))
	w.F64s(m.W)
	w.F64s(m.Intercept)
	w.F64s(m.Freq)
	w.U32(uint32(m.Iterations))
	if m.Converged {
		w.U8(1)
	} else {
		w.U8(0)
	}
	return w.B, nil
}

// UnmarshalBinary decodes a model written by MarshalBinary and checks that
// its arrays fit together.
func (m *Model) UnmarshalBinary(b []byte) error {
	if len(b) < 4 || string(b[:4]) != magic {
		return lathe.Errorf(lathe.ECORRUPT, "linear model: not a linear model (bad magic)")
	}
	r := codec.NewReader(b[4:], "linear model")
	if v := r.U32(); v != version && r.Err() == nil {
		return lathe.Errorf(lathe.EUNSUPPORTED, "linear model: format version %d is not supported (this build reads %d)", v, version)
	}
	var o Model
	o.Features = int(r.U32())
	o.Classes = int(r.U32())
	nn := r.Len(4)
	for i := 0; i < nn && r.Err() == nil; i++ {
		o.Names = append(o.Names, r.String())
	}
	ints := func() []int {
		n := r.Len(4)
		out := make([]int, 0, n)
		for i := 0; i < n && r.Err() == nil; i++ {
			out = append(out, int(r.U32()))
		}
		return out
	}
	o.Num = ints()
	o.Mean = r.F64s()
	o.Scale = r.F64s()
	o.Cat = ints()
	o.Offset = ints()
	o.Levels = ints()
	o.Dim = int(r.U32())
	o.W = r.F64s()
	o.Intercept = r.F64s()
	o.Freq = r.F64s()
	o.Iterations = int(r.U32())
	o.Converged = r.U8() == 1
	if err := r.Err(); err != nil {
		return err
	}
	if r.Remaining() != 0 {
		return lathe.Errorf(lathe.ECORRUPT, "linear model: %d unexpected trailing bytes", r.Remaining())
	}
	if err := o.validate(); err != nil {
		return err
	}
	*m = o
	return nil
}

func (m *Model) validate() error {
	bad := func(what string) error {
		return lathe.Errorf(lathe.ECORRUPT, "linear model: %s", what)
	}
	if m.Features <= 0 || m.Classes == 1 || m.Classes < 0 || m.Classes > MaxClasses {
		return bad("bad header")
	}
	if len(m.Mean) != len(m.Num) || len(m.Scale) != len(m.Num) || len(m.Offset) != len(m.Cat) || len(m.Levels) != len(m.Cat) {
		return bad("column arrays disagree")
	}
	if len(m.Num)+len(m.Cat) != m.Features || (len(m.Names) != 0 && len(m.Names) != m.Features) {
		return bad("feature count disagrees")
	}
	seen := make([]bool, m.Features)
	for _, c := range append(append([]int(nil), m.Num...), m.Cat...) {
		if c < 0 || c >= m.Features || seen[c] {
			return bad("feature index out of range or repeated")
		}
		seen[c] = true
	}
	if m.Dim != len(m.Num)+sum(m.Levels) || len(m.Freq) != m.Dim {
		return bad("design width disagrees")
	}
	for j := range m.Cat {
		if m.Offset[j] < len(m.Num) || m.Levels[j] < 0 || m.Offset[j]+m.Levels[j] > m.Dim {
			return bad("one-hot range out of bounds")
		}
	}
	for _, s := range m.Scale {
		if !(s > 0) || math.IsInf(s, 0) {
			return bad("scales must be positive")
		}
	}
	if len(m.W) != m.Dim*m.Outputs() || len(m.Intercept) != m.Outputs() {
		return bad("weights do not fit the outputs")
	}
	return nil
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}
