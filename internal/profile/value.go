package profile

import (
	"bytes"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// trim strips ASCII spaces and tabs from both ends of b.
func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// nullSet recognises null tokens: the empty cell always, and either the
// default tokens (custom nil) or the caller's.
type nullSet struct {
	custom map[string]struct{}
}

func newNullSet(values []string) nullSet {
	if values == nil {
		return nullSet{}
	}
	m := make(map[string]struct{}, len(values))
	for _, v := range values {
		m[v] = struct{}{}
	}
	return nullSet{custom: m}
}

// is reports whether the trimmed cell t is null.
func (n nullSet) is(t []byte) bool {
	if len(t) == 0 {
		return true
	}
	if n.custom != nil {
		_, ok := n.custom[string(t)]
		return ok
	}
	if len(t) > 4 {
		return false
	}
	switch string(t) {
	case "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "null", "NULL", "None", "<NA>", "#N/A":
		return true
	}
	return false
}

// parseBool recognises true and false in any letter case.
func parseBool(t []byte) (value, ok bool) {
	switch len(t) {
	case 4:
		return true, bytes.EqualFold(t, []byte("true"))
	case 5:
		return false, bytes.EqualFold(t, []byte("false"))
	}
	return false, false
}

// parseNumber parses decimal notation — an optional sign, digits with an
// optional decimal point, an optional exponent — and reports whether it was
// an integer that fits in int64. Hex, inf, nan, underscores and thousands
// separators are not numbers here. Up to 19 significant digits with a power
// of ten up to 10^22 take Clinger's fast path, which is exactly rounded
// (both operands are exact float64s, so the one operation rounds once);
// anything else goes to strconv.ParseFloat.
func parseNumber(b []byte) (v float64, isInt, ok bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		i++
	}
	var mant uint64
	nd, exp10 := 0, 0
	digits, truncated := false, false
	isInt = true
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		digits = true
		d := uint64(b[i] - '0')
		switch {
		case mant == 0 && d == 0:
		case nd < 19:
			mant = mant*10 + d
			nd++
		default:
			exp10++
			truncated = true
		}
	}
	if i < len(b) && b[i] == '.' {
		isInt = false
		for i++; i < len(b) && b[i]-'0' <= 9; i++ {
			digits = true
			d := uint64(b[i] - '0')
			switch {
			case mant == 0 && d == 0:
				exp10--
			case nd < 19:
				mant = mant*10 + d
				nd++
				exp10--
			default:
				truncated = true
			}
		}
	}
	if !digits {
		return 0, false, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		if i == len(b) {
			return 0, false, false
		}
		e := 0
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			if e < 100_000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	if i != len(b) {
		return 0, false, false
	}
	if isInt && !truncated && (mant <= math.MaxInt64 || neg && mant == 1<<63) {
		v = float64(mant)
		if neg {
			v = -v
		}
		return v, true, true
	}
	if !truncated && mant <= 1<<53 && exp10 >= -22 && exp10 <= 22 {
		v = float64(mant)
		if exp10 < 0 {
			v /= math.Pow10(-exp10)
		} else {
			v *= math.Pow10(exp10)
		}
		if neg {
			v = -v
		}
		return v, false, true
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false, false
	}
	return v, false, true
}

// instant is a point in time as Unix seconds and nanoseconds.
type instant struct {
	sec  int64
	nsec int32
}

func (a instant) before(b instant) bool {
	return a.sec < b.sec || a.sec == b.sec && a.nsec < b.nsec
}

func (a instant) String() string {
	return time.Unix(a.sec, int64(a.nsec)).UTC().Format(time.RFC3339Nano)
}

// Date orders of slash dates: parseTime reads n/n/yyyy either way.
const (
	orderISO = iota // year first: yyyy-mm-dd or yyyy/mm/dd
	orderMDY        // mm/dd/yyyy (US)
	orderDMY        // dd/mm/yyyy
)

// parseTime parses the datetimes Lathe recognises:
//
//	yyyy-mm-dd, yyyy/mm/dd                  (ISO 8601 dates)
//	mm/dd/yyyy or dd/mm/yyyy                (order chosen per column)
//
// each optionally followed by 'T' or a space and hh:mm[:ss[.fraction]], then
// an optional zone: Z, ±hh:mm, ±hhmm or ±hh (RFC 3339 is the ISO case with
// 'T' and a zone). Times without a zone are read as UTC. With a slash date
// of n/n/yyyy, order says which of the two numbers is the month; ISO dates
// ignore it. The digits of months, days and hours may be one or two long in
// slash dates.
func parseTime(b []byte, order int) (instant, bool) {
	var y, mo, d int
	var ok bool
	i := 0
	if len(b) >= 10 && (b[4] == '-' || b[4] == '/') {
		sep := b[4]
		if y, ok = digitsN(b[0:4]); !ok || b[7] != sep {
			return instant{}, false
		}
		if mo, ok = digitsN(b[5:7]); !ok {
			return instant{}, false
		}
		if d, ok = digitsN(b[8:10]); !ok {
			return instant{}, false
		}
		i = 10
	} else {
		if order == orderISO {
			return instant{}, false
		}
		var a, c int
		if a, i, ok = shortNum(b, 0); !ok || i >= len(b) || b[i] != '/' {
			return instant{}, false
		}
		if c, i, ok = shortNum(b, i+1); !ok || i >= len(b) || b[i] != '/' || len(b) < i+5 {
			return instant{}, false
		}
		if y, ok = digitsN(b[i+1 : i+5]); !ok {
			return instant{}, false
		}
		i += 5
		mo, d = a, c
		if order == orderDMY {
			mo, d = c, a
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return instant{}, false
	}
	var hh, mm, ss, ns, off int
	if i < len(b) {
		if b[i] != 'T' && b[i] != ' ' {
			return instant{}, false
		}
		if hh, i, ok = shortNum(b, i+1); !ok || hh > 23 || i >= len(b) || b[i] != ':' || len(b) < i+3 {
			return instant{}, false
		}
		if mm, ok = digitsN(b[i+1 : i+3]); !ok || mm > 59 {
			return instant{}, false
		}
		i += 3
		if i < len(b) && b[i] == ':' {
			if len(b) < i+3 {
				return instant{}, false
			}
			if ss, ok = digitsN(b[i+1 : i+3]); !ok || ss > 60 {
				return instant{}, false
			}
			i += 3
			if i < len(b) && (b[i] == '.' || b[i] == ',') {
				i++
				start, scale := i, 100_000_000
				for ; i < len(b) && b[i]-'0' <= 9; i++ {
					ns += int(b[i]-'0') * scale
					scale /= 10
				}
				if i == start {
					return instant{}, false
				}
			}
		}
		if i < len(b) && b[i] == ' ' {
			i++ // "2024-01-02 10:00 +01:00"
		}
		if i < len(b) {
			if off, ok = parseZone(b[i:]); !ok {
				return instant{}, false
			}
		}
	}
	sec := daysFromCivil(y, mo, d)*86400 + int64(hh*3600+mm*60+ss) - int64(off)
	return instant{sec: sec, nsec: int32(ns)}, true
}

// parseZone parses Z, ±hh:mm, ±hhmm or ±hh into seconds east of UTC.
func parseZone(b []byte) (int, bool) {
	if len(b) == 1 && (b[0] == 'Z' || b[0] == 'z') {
		return 0, true
	}
	if len(b) < 3 || b[0] != '+' && b[0] != '-' {
		return 0, false
	}
	h, ok := digitsN(b[1:3])
	if !ok || h > 23 {
		return 0, false
	}
	m := 0
	switch rest := b[3:]; {
	case len(rest) == 0:
	case len(rest) == 3 && rest[0] == ':':
		m, ok = digitsN(rest[1:])
	case len(rest) == 2:
		m, ok = digitsN(rest)
	default:
		ok = false
	}
	if !ok || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if b[0] == '-' {
		off = -off
	}
	return off, true
}

// digitsN parses b, all ASCII digits.
func digitsN(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c-'0' > 9 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// shortNum parses one or two digits at b[i:] and returns the index after them.
func shortNum(b []byte, i int) (n, next int, ok bool) {
	start := i
	for i < len(b) && i-start < 2 && b[i]-'0' <= 9 {
		n = n*10 + int(b[i]-'0')
		i++
	}
	return n, i, i > start
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d in the proleptic
// Gregorian calendar (the era arithmetic of Howard Hinnant's date algorithms).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// maxKey is the longest value kept verbatim as a distinct-value key.
const maxKey = 64

// key returns the distinct-value key of the trimmed cell t: t itself when it
// is at most maxKey bytes, else its first bytes (cut on a UTF-8 boundary)
// followed by "\x00\xff" and a 64-bit hash of all of t, so long values stay
// distinct without being kept whole. buf is scratch space.
func key(t, buf []byte) []byte {
	if len(t) <= maxKey {
		return t
	}
	n := maxKey
	for n > maxKey-utf8.UTFMax && !utf8.RuneStart(t[n]) {
		n--
	}
	h := hash64(t)
	buf = append(buf[:0], t[:n]...)
	buf = append(buf, 0, 0xff)
	for s := 0; s < 64; s += 8 {
		buf = append(buf, byte(h>>s))
	}
	return buf
}

// displayKey turns a key back into the text shown in TopK.
func displayKey(k string) string {
	if len(k) > maxKey {
		return k[:len(k)-10] + "…"
	}
	return k
}
