package profile

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"runtime"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/latheml/lathe"
)

// ParquetOptions configure ProfileParquet.
type ParquetOptions struct {
	Options
}

// ProfileParquet profiles the Parquet file of the given size read through r.
// Each leaf column is profiled with the type its schema gives it; nested
// columns are named by their dotted path and profiled per value (a list of
// three values counts three). Columns are read page by page, so memory is
// bounded by the largest page and the sketches, not by the row count. A file
// that is not valid Parquet is refused with lathe.EINVALID.
func ProfileParquet(ctx context.Context, r io.ReaderAt, size int64, opts ParquetOptions) (prof *Profile, err error) {
	o, err := opts.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	// parquet-go may panic on some malformed inputs instead of returning an
	// error; a profile of untrusted bytes must not take the process down.
	defer func() {
		if v := recover(); v != nil {
			prof, err = nil, lathe.Errorf(lathe.EINVALID, "parquet: the file is corrupt (the reader failed: %v)", v)
		}
	}()
	if err := checkFooter(r, size); err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "parquet: not a valid Parquet file: %v", err)
	}
	if err := checkPages(r, size, f.Metadata()); err != nil {
		return nil, err
	}
	var leaves []*parquet.Column
	var walk func(c *parquet.Column)
	walk = func(c *parquet.Column) {
		if c.Leaf() {
			leaves = append(leaves, c)
			return
		}
		for _, ch := range c.Columns() {
			walk(ch)
		}
	}
	walk(f.Root())
	if len(leaves) > o.MaxColumns {
		return nil, lathe.Errorf(lathe.EINVALID, "parquet: %d columns, more than the limit of %d", len(leaves), o.MaxColumns)
	}
	if f.NumRows() < 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "parquet: the footer gives a negative row count (%d)", f.NumRows())
	}
	limit := o.exactLimit(len(leaves))
	cols := make([]*column, len(leaves))
	for i, l := range leaves {
		cols[i] = newColumn(strings.Join(l.Path(), "."), limit, i)
	}

	nw := min(runtime.GOMAXPROCS(0), len(leaves), 4)
	errs := make([]error, len(leaves))
	var wg sync.WaitGroup
	for w := range nw {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					errs[w] = lathe.Errorf(lathe.EINVALID, "parquet: the file is corrupt (the reader failed: %v)", v)
				}
			}()
			for i := w; i < len(leaves); i += nw {
				if err := readColumn(ctx, leaves[i], cols[i]); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	prof = &Profile{
		Version:  Version,
		Format:   FormatParquet,
		Rows:     f.NumRows(),
		Columns:  make([]ColumnProfile, len(cols)),
		Problems: []Problem{},
	}
	for i, c := range cols {
		prof.Columns[i] = c.finish(o)
	}
	return prof, nil
}

// checkFooter checks the magic numbers and that the footer length fits in
// the file before parquet-go allocates a buffer of that length: a corrupt
// length must not become a multi-gigabyte allocation.
func checkFooter(r io.ReaderAt, size int64) error {
	const minSize = 4 + 4 + 4 // magic, footer length, magic
	if size < minSize {
		return lathe.Errorf(lathe.EINVALID, "parquet: not a valid Parquet file: %d bytes is too short", size)
	}
	var head [4]byte
	var tail [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return fmt.Errorf("parquet: read the header: %w", err)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("parquet: read the footer: %w", err)
	}
	if string(head[:]) != "PAR1" || string(tail[4:]) != "PAR1" {
		return lathe.Errorf(lathe.EINVALID, "parquet: not a valid Parquet file: no PAR1 magic number at both ends (an encrypted or truncated file?)")
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-minSize {
		return lathe.Errorf(lathe.EINVALID, "parquet: not a valid Parquet file: the footer claims %d bytes of a %d-byte file", n, size)
	}
	return nil
}

// readColumn feeds every value of a leaf column, page by page, to c.
func readColumn(ctx context.Context, leaf *parquet.Column, c *column) error {
	name := strings.Join(leaf.Path(), ".")
	add, typ := valueAdder(leaf.Type(), c)
	c.fixed = typ
	pages := leaf.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 1024)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("profile parquet: %w", err)
		}
		page, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return lathe.Errorf(lathe.EINVALID, "parquet: column %q: the file is corrupt: %v", name, err)
		}
		vr := page.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if v.IsNull() {
					c.addNull()
				} else {
					add(v)
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(page)
				return lathe.Errorf(lathe.EINVALID, "parquet: column %q: the file is corrupt: %v", name, err)
			}
		}
		parquet.Release(page)
	}
}

// valueAdder returns how to add one non-null value of type t to c, and the
// profile type of the column.
func valueAdder(t parquet.Type, c *column) (func(parquet.Value), Type) {
	lt := t.LogicalType()
	var ct deprecated.ConvertedType = -1
	if p := t.ConvertedType(); p != nil {
		ct = *p
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(v parquet.Value) { c.addBool(v.Boolean()) }, TypeBool
	case parquet.Int32, parquet.Int64:
		switch {
		case lt != nil && lt.Value != nil:
			switch l := lt.Value.(type) {
			case *format.DateType:
				return func(v parquet.Value) { c.addTime(instant{sec: intOf(v) * 86400}) }, TypeDatetime
			case *format.TimestampType:
				unit := l.Unit.Value.Duration().Nanoseconds()
				return func(v parquet.Value) { c.addTime(unixUnits(intOf(v), unit)) }, TypeDatetime
			case *format.DecimalType:
				scale := math.Pow10(int(l.Scale))
				return func(v parquet.Value) { c.addFloat(float64(intOf(v)) / scale) }, TypeFloat
			case *format.IntType:
				if !l.IsSigned && l.BitWidth == 64 {
					return func(v parquet.Value) { addUint64(c, uint64(v.Int64())) }, TypeInt
				}
				if !l.IsSigned && l.BitWidth == 32 {
					return func(v parquet.Value) { c.addInt(int64(uint32(v.Int32()))) }, TypeInt
				}
			}
		case ct == deprecated.Date:
			return func(v parquet.Value) { c.addTime(instant{sec: intOf(v) * 86400}) }, TypeDatetime
		case ct == deprecated.TimestampMillis:
			return func(v parquet.Value) { c.addTime(unixUnits(intOf(v), 1e6)) }, TypeDatetime
		case ct == deprecated.TimestampMicros:
			return func(v parquet.Value) { c.addTime(unixUnits(intOf(v), 1e3)) }, TypeDatetime
		}
		if t.Kind() == parquet.Int32 {
			return func(v parquet.Value) { c.addInt(int64(v.Int32())) }, TypeInt
		}
		return func(v parquet.Value) { c.addInt(v.Int64()) }, TypeInt
	case parquet.Int96:
		return func(v parquet.Value) { c.addTime(int96Time(v.Int96())) }, TypeDatetime
	case parquet.Float:
		return func(v parquet.Value) { c.addFloat(float64(v.Float())) }, TypeFloat
	case parquet.Double:
		return func(v parquet.Value) { c.addFloat(v.Double()) }, TypeFloat
	}
	// Byte arrays.
	if lt != nil {
		switch l := lt.Value.(type) {
		case *format.DecimalType:
			scale := new(big.Float).SetFloat64(math.Pow10(int(l.Scale)))
			return func(v parquet.Value) { c.addFloat(decimalBytes(v.ByteArray(), scale)) }, TypeFloat
		case *format.UUIDType:
			return func(v parquet.Value) { c.addString([]byte(uuidString(v.ByteArray()))) }, TypeString
		case *format.Float16Type:
			return func(v parquet.Value) { c.addFloat(float16(v.ByteArray())) }, TypeFloat
		}
	}
	return func(v parquet.Value) { c.addString(v.ByteArray()) }, TypeString
}

// intOf returns an INT32 or INT64 value as int64.
func intOf(v parquet.Value) int64 {
	if v.Kind() == parquet.Int32 {
		return int64(v.Int32())
	}
	return v.Int64()
}

// unixUnits converts v units of unit nanoseconds since the epoch.
func unixUnits(v, unit int64) instant {
	per := int64(1e9) / unit
	sec, rem := v/per, v%per
	if rem < 0 {
		sec--
		rem += per
	}
	return instant{sec: sec, nsec: int32(rem * unit)}
}

// int96Time decodes the legacy Impala/Spark timestamp: nanoseconds of the day
// in the low 8 bytes, the Julian day in the high 4.
func int96Time(i deprecated.Int96) instant {
	nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
	days := int64(i[2]) - 2440588 // Julian day of 1970-01-01
	return instant{sec: days*86400 + nanos/1e9, nsec: int32(nanos % 1e9)}
}

func addUint64(c *column, u uint64) {
	if u <= math.MaxInt64 {
		c.addInt(int64(u))
		return
	}
	c.addFloat(float64(u)) // beyond int64: keep it as a number
}

// decimalBytes decodes a big-endian two's-complement unscaled decimal.
func decimalBytes(b []byte, scale *big.Float) float64 {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	f, _ := new(big.Float).Quo(new(big.Float).SetInt(n), scale).Float64()
	return f
}

func uuidString(b []byte) string {
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// float16 decodes an IEEE 754 half-precision float, little-endian.
func float16(b []byte) float64 {
	if len(b) != 2 {
		return math.NaN()
	}
	h := binary.LittleEndian.Uint16(b)
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, frac := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}
