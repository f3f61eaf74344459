package web

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// niceNum rounds x to 1, 2 or 5 times a power of ten: the nearest when
// round, else the next one up.
func niceNum(x float64, round bool) float64 {
	e := math.Pow(10, math.Floor(math.Log10(x)))
	f := x / e
	switch {
	case round && f < 1.5, !round && f <= 1:
		return e
	case round && f < 3, !round && f <= 2:
		return 2 * e
	case round && f < 7, !round && f <= 5:
		return 5 * e
	default:
		return 10 * e
	}
}

// niceTicks returns about n evenly spaced round values that cover lo..hi.
func niceTicks(lo, hi float64, n int) []float64 {
	if lo == hi {
		if lo == 0 {
			hi = 1
		} else {
			d := math.Abs(lo) * 0.1
			lo, hi = lo-d, hi+d
		}
	}
	step := niceNum(niceNum(hi-lo, false)/float64(n-1), true)
	start, end := math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	var ts []float64
	for i := 0; ; i++ {
		v := start + float64(i)*step
		if v > end+step*1e-9 {
			break
		}
		v = math.Round(v/step) * step
		if v == 0 {
			v = 0 // no -0
		}
		ts = append(ts, v)
	}
	return ts
}

// intTicks returns whole-number ticks one apart covering lo..hi (used when
// nice ticks would be fractions of a count).
func intTicks(lo, hi float64) []float64 {
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if hi == lo {
		hi = lo + 1
	}
	var ts []float64
	for v := lo; v <= hi; v++ {
		ts = append(ts, v)
	}
	return ts
}

// timeTicks returns ticks at round times (UTC) within lo..hi, at most about
// n of them, and the step in seconds.
func timeTicks(lo, hi float64, n int) ([]float64, float64) {
	steps := []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
		86400, 172800, 604800, 2592000, 7776000, 31536000}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if (hi-lo)/s <= float64(n) {
			step = s
			break
		}
	}
	var ts []float64
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ts = append(ts, v)
	}
	return ts, step
}

// timeLabel formats a time tick for its step and the chart's span.
func timeLabel(v, step, span float64) string {
	t := time.Unix(int64(v), 0).UTC()
	switch {
	case step < 60:
		return t.Format("15:04:05")
	case span <= 86400:
		return t.Format("15:04")
	case step < 86400:
		return t.Format("Jan 2 15:04")
	case span <= 366*86400:
		return t.Format("Jan 2")
	default:
		return t.Format("2006-01")
	}
}

// tickLabel formats a number tick with as many decimals as the step needs,
// and k, M or G for large values.
func tickLabel(v, step float64) string {
	div, suffix := 1.0, ""
	switch a := math.Max(math.Abs(v), math.Abs(step)); {
	case a >= 1e9 && step >= 1e8:
		div, suffix = 1e9, "G"
	case a >= 1e6 && step >= 1e5:
		div, suffix = 1e6, "M"
	case a >= 1e4 && step >= 1e3:
		div, suffix = 1e3, "k"
	}
	if v == 0 && suffix != "" {
		return "0"
	}
	s := step / div
	d := 0
	if s < 1 {
		d = int(math.Ceil(-math.Log10(s) - 1e-9))
	}
	out := strconv.FormatFloat(v/div, 'f', d, 64)
	if out == "-0" || strings.Trim(out, "-0.") == "" {
		out = strconv.FormatFloat(0, 'f', d, 64)
	}
	return out + suffix
}

// logTicks returns ticks for a log10 axis whose data spans lo..hi (both
// already log10): whole decades, every k-th one when there are many, and 2
// and 5 between them when the data spans under two decades. The first and
// last ticks bound the axis.
func logTicks(lo, hi float64) []float64 {
	if hi-lo < 1 {
		// Under a decade: round values, evenly spaced, placed on the log scale.
		lin := niceTicks(math.Pow(10, lo), math.Pow(10, hi), 5)
		if lin[0] > 0 {
			out := make([]float64, len(lin))
			for i, v := range lin {
				out[i] = math.Log10(v)
			}
			return out
		}
	}
	a, b := math.Floor(lo), math.Ceil(hi)
	if a == b {
		b = a + 1
	}
	var ts []float64
	if hi-lo <= 2.5 {
		for e := a; e <= b; e++ {
			ts = append(ts, e)
			if e < b {
				ts = append(ts, e+math.Log10(2), e+math.Log10(5))
			}
		}
		// Trim to the ticks just outside the data.
		first, last := 0, len(ts)-1
		for i, t := range ts {
			if t <= lo+1e-12 {
				first = i
			}
		}
		for i := len(ts) - 1; i >= 0; i-- {
			if ts[i] >= hi-1e-12 {
				last = i
			}
		}
		if last <= first {
			last = min(first+1, len(ts)-1)
		}
		return ts[first : last+1]
	}
	k := math.Ceil((b - a) / 6)
	a, b = math.Floor(a/k)*k, math.Ceil(b/k)*k
	for e := a; e <= b+1e-9; e += k {
		ts = append(ts, e)
	}
	return ts
}

// logLabel formats a tick of a log axis: plain digits from 0.0001 to 9999,
// k, M or G above, and 1e-5 style below.
func logLabel(v float64) string {
	if v <= 0 || !finite(v) {
		return ""
	}
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64) // three significant digits, no float noise
	short := func(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }
	switch {
	case v >= 1e9:
		return short(v/1e9) + "G"
	case v >= 1e6:
		return short(v/1e6) + "M"
	case v >= 1e4:
		return short(v/1e3) + "k"
	case v >= 1e-4:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(v, 'e', -1, 64), "e") // 1e-05
	return mant + "e-" + strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
}

// durationLabel formats seconds since a start as 45s, 2m, 2m30s, 1h,
// 1h30m, 2d or 2d4h.
func durationLabel(v float64) string {
	neg := ""
	if v < 0 {
		neg, v = "-", -v
	}
	s := int64(math.Round(v))
	two := func(a int64, au string, b int64, bu string) string {
		if b == 0 {
			return neg + strconv.FormatInt(a, 10) + au
		}
		return neg + strconv.FormatInt(a, 10) + au + strconv.FormatInt(b, 10) + bu
	}
	switch {
	case s < 60:
		return neg + strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return two(s/60, "m", s%60, "s")
	case s < 86400:
		return two(s/3600, "h", s%3600/60, "m")
	default:
		return two(s/86400, "d", s%86400/3600, "h")
	}
}
