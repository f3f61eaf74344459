// Package codec is the little-endian binary encoding the learners in
// internal/ml use for their model bytes: fixed-size integers and floats,
// length-prefixed slices and strings. The Reader treats its input as
// untrusted: every length is checked against what is left, so a corrupt or
// hostile file fails with a clear error instead of a huge allocation.
package codec

import (
	"encoding/binary"
	"math"

	"github.com/latheml/lathe"
)

// Writer appends encoded values to a byte slice.
type Writer struct {
	B []byte
}

// U8 appends one byte.
func (w *Writer) U8(v uint8) { w.B = append(w.B, v) }

// U32 appends a uint32.
func (w *Writer) U32(v uint32) { w.B = binary.LittleEndian.AppendUint32(w.B, v) }

// I32 appends an int32.
func (w *Writer) I32(v int32) { w.U32(uint32(v)) }

// U64 appends a uint64.
func (w *Writer) U64(v uint64) { w.B = binary.LittleEndian.AppendUint64(w.B, v) }

// F64 appends a float64 bit-exactly.
func (w *Writer) F64(v float64) { w.U64(math.Float64bits(v)) }

// Len appends a slice length.
func (w *Writer) Len(n int) { w.U32(uint32(n)) }

// F64s appends a length-prefixed []float64.
func (w *Writer) F64s(v []float64) {
	w.Len(len(v))
	for _, x := range v {
		w.F64(x)
	}
}

// U64s appends a length-prefixed []uint64.
func (w *Writer) U64s(v []uint64) {
	w.Len(len(v))
	for _, x := range v {
		w.U64(x)
	}
}

// String appends a length-prefixed string.
func (w *Writer) String(s string) {
	w.Len(len(s))
	w.B = append(w.B, s...)
}

// Bytes appends a length-prefixed byte slice.
func (w *Writer) Bytes(b []byte) {
	w.Len(len(b))
	w.B = append(w.B, b...)
}

// Reader decodes what a Writer wrote. After the first failure every read
// returns zero values and Err reports the failure.
type Reader struct {
	b    []byte
	what string
	err  error
}

// NewReader returns a reader over b; what names the data in error messages.
func NewReader(b []byte, what string) *Reader { return &Reader{b: b, what: what} }

// Err returns the first decoding failure.
func (r *Reader) Err() error { return r.err }

// Fail records a failure (the first one wins) found by the caller's checks.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = lathe.Errorf(lathe.ECORRUPT, r.what+": "+format, args...)
	}
}

// Remaining returns the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.b) }

func (r *Reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.Fail("truncated (need %d bytes, %d left)", n, len(r.b))
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// U8 reads one byte.
func (r *Reader) U8() uint8 {
	b := r.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// U32 reads a uint32.
func (r *Reader) U32() uint32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// I32 reads an int32.
func (r *Reader) I32() int32 { return int32(r.U32()) }

// U64 reads a uint64.
func (r *Reader) U64() uint64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// F64 reads a float64.
func (r *Reader) F64() float64 { return math.Float64frombits(r.U64()) }

// Len reads a length written by Writer.Len and checks that elem-byte
// elements of that count fit in what is left.
func (r *Reader) Len(elem int) int {
	n := int(r.U32())
	if r.err == nil && n*elem > len(r.b) {
		r.Fail("length %d exceeds the remaining %d bytes", n, len(r.b))
		return 0
	}
	return n
}

// F64s reads a length-prefixed []float64.
func (r *Reader) F64s() []float64 {
	n := r.Len(8)
	b := r.take(8 * n)
	if b == nil {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// U64s reads a length-prefixed []uint64.
func (r *Reader) U64s() []uint64 {
	n := r.Len(8)
	b := r.take(8 * n)
	if b == nil {
		return nil
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out
}

// String reads a length-prefixed string.
func (r *Reader) String() string { return string(r.Bytes()) }

// Bytes reads a length-prefixed byte slice (a copy).
func (r *Reader) Bytes() []byte {
	n := r.Len(1)
	b := r.take(n)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Skip discards n bytes.
func (r *Reader) Skip(n int) { r.take(n) }
