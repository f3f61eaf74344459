package profile

import (
	"encoding/binary"
	"math"
	"strconv"
)

// column accumulates one column's profile in one pass. CSV cells go through
// addText, which infers the type as it goes by keeping the evidence for every
// type still possible; Parquet values, whose type is known, go through the
// typed adders.
type column struct {
	name  string
	limit int // exact distinct limit
	seed  uint64
	fixed Type // the type given by the format, if any

	// Type evidence: a flag is set once a non-null value fails that type.
	notInt, notFloat, notBool bool
	notMDY, notDMY            bool // datetime, reading n/n/yyyy month first or day first

	count, nulls, infinite int64

	// numeric summary, valid while !notFloat
	numN     int64
	mean, m2 float64 // Welford
	min, max float64
	trues    int64 // bool

	// datetime min and max for each reading of slash dates
	tMDY, tDMY       [2]instant
	seenMDY, seenDMY bool

	// distinct values: exact until limit, then sketches
	exact  *exactTable
	hll    *hll
	top    *spaceSaving // nil for numeric and datetime columns once past limit
	sketch *kll         // quantiles of numeric columns past limit
	keyBuf []byte
}

func newColumn(name string, limit int, index int) *column {
	return &column{
		name:  name,
		limit: limit,
		seed:  mix64(uint64(index) + 0x5EED),
		exact: newExactTable(),
	}
}

// addText adds one CSV cell.
func (c *column) addText(raw []byte, nulls nullSet) {
	t := trim(raw)
	if nulls.is(t) {
		c.nulls++
		return
	}
	c.count++
	v := math.NaN() // the cell's number, if it is one
	numeric := false
	if !c.notFloat {
		var isInt bool
		var n float64
		n, isInt, numeric = parseNumber(t)
		if numeric {
			v = n
			if !isInt {
				c.notInt = true
			}
			c.addNum(v)
		} else {
			c.dropNumeric()
		}
	}
	if numeric {
		c.notBool, c.notMDY, c.notDMY = true, true, true
	} else {
		if !c.notBool {
			if b, ok := parseBool(t); ok {
				if b {
					c.trues++
				}
			} else {
				c.notBool = true
			}
		}
		if !c.notMDY || !c.notDMY {
			c.addTimeText(t)
		}
	}
	c.addKey(t, v)
}

// addTimeText checks t against both readings of slash dates.
func (c *column) addTimeText(t []byte) {
	if len(t) >= 10 && (t[4] == '-' || t[4] == '/') {
		in, ok := parseTime(t, orderISO)
		if !ok {
			c.notMDY, c.notDMY = true, true
			return
		}
		c.seeTime(in, !c.notMDY, !c.notDMY)
		return
	}
	if !c.notMDY {
		if in, ok := parseTime(t, orderMDY); ok {
			c.seeTime(in, true, false)
		} else {
			c.notMDY = true
		}
	}
	if !c.notDMY {
		if in, ok := parseTime(t, orderDMY); ok {
			c.seeTime(in, false, true)
		} else {
			c.notDMY = true
		}
	}
}

// seeTime widens the datetime range of the readings that accept in.
func (c *column) seeTime(in instant, mdy, dmy bool) {
	upd := func(r *[2]instant, seen *bool) {
		if !*seen || in.before(r[0]) {
			r[0] = in
		}
		if !*seen || r[1].before(in) {
			r[1] = in
		}
		*seen = true
	}
	if mdy {
		upd(&c.tMDY, &c.seenMDY)
	}
	if dmy {
		upd(&c.tDMY, &c.seenDMY)
	}
}

// addNum updates the numeric summary.
func (c *column) addNum(v float64) {
	c.numN++
	if c.numN == 1 {
		c.min, c.max = v, v
	} else if v < c.min {
		c.min = v
	} else if v > c.max {
		c.max = v
	}
	d := v - c.mean
	c.mean += d / float64(c.numN)
	c.m2 += d * (v - c.mean)
	if c.sketch != nil {
		c.sketch.add(v)
	}
}

// dropNumeric records that the column is not numeric after all.
func (c *column) dropNumeric() {
	c.notInt, c.notFloat = true, true
	c.sketch = nil
}

// addKey counts the distinct-value key of t; v is its number, or NaN.
func (c *column) addKey(t []byte, v float64) {
	k := key(t, c.keyBuf)
	if len(k) > maxKey {
		c.keyBuf = k
	}
	h := hash64(k)
	if c.exact != nil {
		if e := c.exact.find(k, h); e != nil {
			e.count++
			return
		}
		if len(c.exact.entries) < c.limit {
			c.exact.insert(k, h, v)
			return
		}
		c.overflow()
		if c.sketch != nil && !math.IsNaN(v) {
			c.sketch.add(v) // the value that overflowed the table
		}
	}
	c.hll.add(h)
	switch {
	case c.top != nil:
		c.top.add(k, h)
	case c.notFloat && c.notMDY && c.notDMY:
		c.top = newSpaceSaving()
		c.top.add(k, h)
	}
}

// overflow folds the exact table into the sketches.
func (c *column) overflow() {
	c.hll = &hll{}
	for _, e := range c.exact.entries {
		c.hll.add(e.hash)
	}
	if !c.notFloat {
		vals := make([]float64, 0, len(c.exact.entries))
		ws := make([]int64, 0, len(c.exact.entries))
		var total int64
		for _, e := range c.exact.entries {
			if !math.IsNaN(e.num) { // ±Inf values are keyed with NaN
				vals, ws = append(vals, e.num), append(ws, e.count)
				total += e.count
			}
		}
		c.sketch = newKLL(kllK, c.seed)
		c.sketch.addWeighted(vals, ws, total)
	}
	if c.notFloat && c.notMDY && c.notDMY {
		c.top = newSpaceSaving()
		c.top.seed(c.exact)
	}
	c.exact = nil
}

// typ returns the inferred type.
func (c *column) typ() Type {
	switch {
	case c.fixed != "":
		return c.fixed
	case c.count == 0:
		return TypeString
	case !c.notBool:
		return TypeBool
	case !c.notInt:
		return TypeInt
	case !c.notFloat:
		return TypeFloat
	case !c.notMDY || !c.notDMY:
		return TypeDatetime
	}
	return TypeString
}

// categoricalMax is the most distinct values a categorical column has.
const categoricalMax = 1000

// finish returns the column's profile.
func (c *column) finish(o Options) ColumnProfile {
	p := ColumnProfile{Name: c.name, Type: c.typ(), Count: c.count, Nulls: c.nulls}
	if total := c.count + c.nulls; total > 0 {
		p.NullRate = float64(c.nulls) / float64(total)
	}
	if c.exact != nil {
		p.Distinct = int64(len(c.exact.entries))
	} else {
		est := int64(math.Round(c.hll.estimate()))
		p.Distinct = min(max(est, int64(c.limit)+1), c.count)
		p.DistinctApproximate = true
	}
	switch p.Type {
	case TypeInt, TypeFloat:
		c.finishNumeric(&p, o)
	case TypeDatetime:
		switch {
		case !c.notMDY && c.seenMDY:
			p.DatetimeMin, p.DatetimeMax = c.tMDY[0].String(), c.tMDY[1].String()
		case !c.notDMY && c.seenDMY:
			p.DatetimeMin, p.DatetimeMax = c.tDMY[0].String(), c.tDMY[1].String()
		}
	case TypeBool:
		if c.count == 0 {
			break
		}
		p.TopK = []ValueCount{{Value: "false", Count: c.count - c.trues}, {Value: "true", Count: c.trues}}
		if c.trues > c.count-c.trues {
			p.TopK[0], p.TopK[1] = p.TopK[1], p.TopK[0]
		}
		p.TopK = p.TopK[:min(len(p.TopK), o.TopK)]
	case TypeString:
		if c.exact != nil {
			p.TopK = topOf(c.exact.counts(), o.TopK)
			p.Categorical = p.Distinct > 0 && p.Distinct <= categoricalMax && 2*p.Distinct <= p.Count
		} else if c.top != nil {
			p.TopK = c.top.top(o.TopK)
			p.TopKApproximate = true
		}
	}
	return p
}

func (c *column) finishNumeric(p *ColumnProfile, o Options) {
	p.Infinite = c.infinite
	if c.numN == 0 {
		return
	}
	p.Min, p.Max = finite(c.min), finite(c.max)
	p.Mean = finite(c.mean)
	if c.numN > 1 {
		p.Std = finite(math.Sqrt(c.m2 / float64(c.numN-1)))
	}
	var ws []weighted
	approx := c.exact == nil
	if approx {
		ws = c.sketch.items()
	} else {
		ws = make([]weighted, 0, len(c.exact.entries))
		for _, e := range c.exact.entries {
			if !math.IsNaN(e.num) { // ±Inf values are keyed with NaN
				ws = append(ws, weighted{e.num, e.count})
			}
		}
		ws = sortWeighted(ws)
	}
	q := &Quantiles{Approximate: approx}
	q.set(quantilesOf(ws, c.numN, quantileLevels()))
	p.Quantiles = q
	p.Histogram = histogramOf(ws, c.min, c.max, p.Type == TypeInt, o.Bins)
	p.Histogram.Approximate = approx
}

// finite returns &v, or nil when v is NaN or infinite (JSON has neither).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// histogramOf bins sorted weighted values between lo and hi.
func histogramOf(ws []weighted, lo, hi float64, isInt bool, bins int) *Histogram {
	h := &Histogram{}
	var bin func(v float64) int
	switch {
	case lo == hi:
		h.Edges = []float64{lo, hi}
		bin = func(float64) int { return 0 }
	case isInt && hi-lo+1 <= float64(bins):
		n := int(hi-lo) + 1
		h.Edges = make([]float64, n+1)
		for i := range h.Edges {
			h.Edges[i] = lo + float64(i)
		}
		bin = func(v float64) int { return int(v - lo) }
	default:
		span := hi - lo
		width := span / float64(bins)
		if math.IsInf(span, 0) { // a range wider than float64: scale first
			width = hi/float64(bins) - lo/float64(bins)
		}
		h.Edges = make([]float64, bins+1)
		for i := range h.Edges {
			if math.IsInf(span, 0) {
				h.Edges[i] = lo + float64(i)*width
			} else {
				h.Edges[i] = lo + span*float64(i)/float64(bins)
			}
		}
		h.Edges[bins] = hi
		bin = func(v float64) int {
			f := (v - lo) / width
			if math.IsInf(span, 0) {
				f = (v/float64(bins) - lo/float64(bins)) / width
			}
			b := bins - 1
			if f < float64(bins) {
				b = max(int(f), 0)
			}
			for b > 0 && v < h.Edges[b] {
				b--
			}
			for b < bins-1 && v >= h.Edges[b+1] {
				b++
			}
			return b
		}
	}
	h.Counts = make([]int64, len(h.Edges)-1)
	for _, x := range ws {
		b := bin(x.v)
		if b < 0 { // a sketch never holds values outside [lo, hi]; be safe
			b = 0
		}
		h.Counts[min(b, len(h.Counts)-1)] += x.w
	}
	return h
}

// Typed adders, for formats that carry their types (Parquet). Each sets the
// type evidence so that typ() returns the format's type.

func (c *column) addNull() { c.nulls++ }

func (c *column) addInt(v int64) {
	c.count++
	c.notBool, c.notMDY, c.notDMY = true, true, true
	c.addNum(float64(v))
	c.keyBuf = strconv.AppendInt(c.keyBuf[:0], v, 10)
	c.addKey(c.keyBuf, float64(v))
}

// addFloat adds a float; NaN counts as null, ±Inf as a value left out of
// the numeric summary.
func (c *column) addFloat(v float64) {
	if math.IsNaN(v) {
		c.nulls++
		return
	}
	c.count++
	c.notInt, c.notBool, c.notMDY, c.notDMY = true, true, true, true
	c.keyBuf = strconv.AppendFloat(c.keyBuf[:0], v, 'g', -1, 64)
	if math.IsInf(v, 0) {
		c.infinite++
		c.addKey(c.keyBuf, math.NaN())
		return
	}
	c.addNum(v)
	c.addKey(c.keyBuf, v)
}

func (c *column) addBool(v bool) {
	c.count++
	c.dropNumeric()
	c.notMDY, c.notDMY = true, true
	if v {
		c.trues++
		c.addKey([]byte("true"), math.NaN())
	} else {
		c.addKey([]byte("false"), math.NaN())
	}
}

func (c *column) addTime(in instant) {
	c.count++
	c.dropNumeric()
	c.notBool = true
	c.seeTime(in, true, true)
	c.keyBuf = binary.LittleEndian.AppendUint64(c.keyBuf[:0], uint64(in.sec))
	c.keyBuf = binary.LittleEndian.AppendUint32(c.keyBuf, uint32(in.nsec))
	c.addKey(c.keyBuf, math.NaN())
}

func (c *column) addString(b []byte) {
	c.count++
	c.dropNumeric()
	c.notBool, c.notMDY, c.notDMY = true, true, true
	c.addKey(b, math.NaN())
}
