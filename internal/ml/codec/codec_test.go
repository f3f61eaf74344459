package codec

import (
	"math"
	"testing"

	"github.com/latheml/lathe"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	w := &Writer{}
	w.U8(7)
	w.U32(1 << 31)
	w.I32(-5)
	w.F64(math.Copysign(0, -1))
	w.F64s([]float64{1.5, math.NaN(), math.Inf(-1)})
	w.U64s([]uint64{1, 1 << 63})
	w.String("héllo")
	w.Bytes(nil)
	r := NewReader(w.B, "test data")
	if r.U8() != 7 || r.U32() != 1<<31 || r.I32() != -5 {
		t.Fatal("integers differ")
	}
	if z := r.F64(); z != 0 || !math.Signbit(z) {
		t.Error("-0 lost its sign")
	}
	f := r.F64s()
	if len(f) != 3 || f[0] != 1.5 || !math.IsNaN(f[1]) || !math.IsInf(f[2], -1) {
		t.Errorf("floats = %v", f)
	}
	if u := r.U64s(); len(u) != 2 || u[1] != 1<<63 {
		t.Errorf("uint64s = %v", u)
	}
	if s := r.String(); s != "héllo" {
		t.Errorf("string = %q", s)
	}
	if b := r.Bytes(); len(b) != 0 {
		t.Errorf("bytes = %v", b)
	}
	if r.Err() != nil || r.Remaining() != 0 {
		t.Errorf("err %v, %d bytes left", r.Err(), r.Remaining())
	}
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
		read func(r *Reader)
	}{
		{"truncated integer", []byte{1, 2}, func(r *Reader) { r.U32() }},
		{"huge slice length", []byte{0xff, 0xff, 0xff, 0x7f}, func(r *Reader) { r.F64s() }},
		{"string past the end", []byte{10, 0, 0, 0, 'a'}, func(r *Reader) { _ = r.String() }},
	}
	for _, tt := range tests {
		r := NewReader(tt.data, "model")
		tt.read(r)
		if !lathe.IsCode(r.Err(), lathe.ECORRUPT) {
			t.Errorf("%s: err = %v, want ECORRUPT", tt.name, r.Err())
		}
		// Later reads keep failing quietly with zero values.
		if r.U64() != 0 || r.F64s() != nil {
			t.Errorf("%s: reads after a failure returned data", tt.name)
		}
	}
}
