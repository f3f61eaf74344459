package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Point is one sample of a series. A Y that is NaN or infinite breaks the
// line there (MLflow metrics may be NaN).
type Point struct{ X, Y float64 }

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point
}

// Chart describes a line chart for LineChart.
type Chart struct {
	// ID makes the chart's element ids unique on the page; derived from
	// Title when empty.
	ID string
	// Title is the chart's accessible name (the page shows its own heading).
	Title          string
	XLabel, YLabel string
	// Width and Height are the SVG's size in pixels (640×260 if zero); CSS
	// scales it to its container.
	Width, Height int
	// XTime says X values are Unix seconds, labelled as UTC times.
	XTime bool
	// YZero includes y = 0 in the Y axis; YInteger keeps its ticks whole
	// numbers (both for counts).
	YZero    bool
	YInteger bool
	Series   []Series
}

// Chart layout, in pixels.
const (
	chartPadLeft   = 56
	chartPadRight  = 16
	chartPadTop    = 8
	chartPadBottom = 44
	chartLegend    = 24
	chartMarkerMax = 40 // series with at most this many points get markers
)

// chartColors are the Okabe–Ito colours, told apart by most colour-blind
// readers; chartDashes vary the line pattern as well, so series differ
// without colour.
func chartColors() []string {
	return []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"}
}

func chartDashes() []string { return []string{"", "6 4", "2 3", "10 3 2 3"} }

// LineChart renders c as an inline SVG element: axes with ticks, a grid,
// one line per series and a legend. It needs no script and works under the
// studio's content security policy (no style attributes).
func LineChart(c Chart) (template.HTML, error) {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 640
	}
	if h == 0 {
		h = 260
	}
	if w < 200 || h < 120 || w > 4000 || h > 4000 {
		return "", fmt.Errorf("line chart %q: size %d×%d is outside 200×120 to 4000×4000", c.Title, w, h)
	}
	id := c.ID
	if id == "" {
		id = "chart-" + slug(c.Title)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title %s-desc">`,
		w, h, w, h, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(c.Title), esc(id), esc(describe(c)))

	xmin, xmax, ymin, ymax, n := bounds(c.Series)
	x0, x1 := float64(chartPadLeft), float64(w-chartPadRight)
	y0, y1 := float64(chartPadTop+chartLegend), float64(h-chartPadBottom)
	legend(&b, c.Series, x0, float64(chartPadTop))
	if n == 0 {
		fmt.Fprintf(&b, `<rect class="chart-frame" x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#d0d7de"/>`, num(x0), num(y0), num(x1-x0), num(y1-y0))
		fmt.Fprintf(&b, `<text class="chart-empty" x="%s" y="%s" text-anchor="middle" fill="#57606a">No data yet</text></svg>`, num((x0+x1)/2), num((y0+y1)/2))
		return template.HTML(b.String()), nil
	}
	if c.YZero {
		ymin, ymax = math.Min(ymin, 0), math.Max(ymax, 0)
	}
	yt := niceTicks(ymin, ymax, 5)
	if c.YInteger && yt[1]-yt[0] < 1 {
		yt = intTicks(ymin, ymax)
	}
	ymin, ymax = yt[0], yt[len(yt)-1]
	var xt []float64
	var xlabel func(float64) string
	if c.XTime {
		if xmin == xmax {
			xmin, xmax = xmin-30, xmax+30
		}
		var step float64
		xt, step = timeTicks(xmin, xmax, 6)
		xlabel = func(v float64) string { return timeLabel(v, step, xmax-xmin) }
	} else {
		xt = niceTicks(xmin, xmax, 6)
		xmin, xmax = xt[0], xt[len(xt)-1]
		step := xt[1] - xt[0]
		xlabel = func(v float64) string { return tickLabel(v, step) }
	}
	px := func(x float64) float64 { return x0 + (x-xmin)/(xmax-xmin)*(x1-x0) }
	py := func(y float64) float64 { return y1 - (y-ymin)/(ymax-ymin)*(y1-y0) }

	b.WriteString(`<g class="chart-grid" stroke="#e5e7eb" stroke-width="1">`)
	for _, v := range yt {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(x0), num(py(v)), num(x1), num(py(v)))
	}
	b.WriteString(`</g><g class="chart-axis" fill="#57606a" font-size="11">`)
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#8c959f"/>`, num(x0), num(y1), num(x1), num(y1))
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#8c959f"/>`, num(x0), num(y0), num(x0), num(y1))
	ystep := yt[1] - yt[0]
	for _, v := range yt {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`, num(x0-6), num(py(v)), esc(tickLabel(v, ystep)))
	}
	for _, v := range xt {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#8c959f"/>`, num(px(v)), num(y1), num(px(v)), num(y1+4))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(px(v)), num(y1+16), esc(xlabel(v)))
	}
	if c.XLabel != "" {
		fmt.Fprintf(&b, `<text class="chart-label" x="%s" y="%d" text-anchor="middle">%s</text>`, num((x0+x1)/2), h-6, esc(c.XLabel))
	}
	if c.YLabel != "" {
		fmt.Fprintf(&b, `<text class="chart-label" x="12" y="%s" text-anchor="middle" transform="rotate(-90 12 %s)">%s</text>`,
			num((y0+y1)/2), num((y0+y1)/2), esc(c.YLabel))
	}
	b.WriteString(`</g>`)

	colors, dashes := chartColors(), chartDashes()
	for i, s := range c.Series {
		color, dash := colors[i%len(colors)], dashes[i%len(dashes)]
		pts := sortedPoints(s.Points)
		var d strings.Builder
		pen := false
		for _, p := range pts {
			if !finite(p.Y) {
				pen = false
				continue
			}
			op := "L"
			if !pen {
				op = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", op, num(px(p.X)), num(py(p.Y)))
			pen = true
		}
		fmt.Fprintf(&b, `<g class="chart-series" data-series="%s">`, esc(s.Name))
		if d.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"`, d.String(), color)
			if dash != "" {
				fmt.Fprintf(&b, ` stroke-dasharray="%s"`, dash)
			}
			b.WriteString(`/>`)
		}
		if len(pts) <= chartMarkerMax {
			for _, p := range pts {
				if !finite(p.Y) {
					continue
				}
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s: %s, %s</title></circle>`,
					num(px(p.X)), num(py(p.Y)), color, esc(s.Name), esc(xlabel(p.X)), esc(strconv.FormatFloat(p.Y, 'g', 6, 64)))
			}
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), nil
}

// legend draws one swatch and name per series in a row at (x, y).
func legend(b *strings.Builder, series []Series, x, y float64) {
	if len(series) == 0 {
		return
	}
	colors, dashes := chartColors(), chartDashes()
	b.WriteString(`<g class="chart-legend" font-size="12" fill="#24292f">`)
	for i, s := range series {
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"`, num(x), num(y+8), num(x+18), num(y+8), colors[i%len(colors)])
		if d := dashes[i%len(dashes)]; d != "" {
			fmt.Fprintf(b, ` stroke-dasharray="%s"`, d)
		}
		b.WriteString(`/>`)
		fmt.Fprintf(b, `<text x="%s" y="%s" dominant-baseline="middle">%s</text>`, num(x+24), num(y+8), esc(s.Name))
		x += 24 + 7*float64(len([]rune(s.Name))) + 20
	}
	b.WriteString(`</g>`)
}

// describe is the chart's text description for screen readers.
func describe(c Chart) string {
	var parts []string
	if c.XLabel != "" || c.YLabel != "" {
		parts = append(parts, fmt.Sprintf("Line chart of %s against %s.", orDash(c.YLabel), orDash(c.XLabel)))
	} else {
		parts = append(parts, "Line chart.")
	}
	if len(c.Series) == 0 {
		return parts[0] + " No data yet."
	}
	for _, s := range c.Series {
		lo, hi, n := math.Inf(1), math.Inf(-1), 0
		for _, p := range s.Points {
			if finite(p.Y) {
				lo, hi, n = math.Min(lo, p.Y), math.Max(hi, p.Y), n+1
			}
		}
		if n == 0 {
			parts = append(parts, fmt.Sprintf("%s: no points.", s.Name))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %d points from %s to %s.", s.Name, n,
			strconv.FormatFloat(lo, 'g', 6, 64), strconv.FormatFloat(hi, 'g', 6, 64)))
	}
	return strings.Join(parts, " ")
}

// bounds returns the extent of the finite points and how many there are.
func bounds(series []Series) (xmin, xmax, ymin, ymax float64, n int) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Points {
			if !finite(p.X) || !finite(p.Y) {
				continue
			}
			xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
			ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
			n++
		}
	}
	return xmin, xmax, ymin, ymax, n
}

// sortedPoints returns the points with a finite X, in X order.
func sortedPoints(ps []Point) []Point {
	out := make([]Point, 0, len(ps))
	for _, p := range ps {
		if finite(p.X) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Point) int {
		switch {
		case a.X < b.X:
			return -1
		case a.X > b.X:
			return 1
		}
		return 0
	})
	return out
}

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

// num formats a coordinate with at most one decimal.
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func esc(s string) string { return html.EscapeString(s) }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// slug turns a title into an id fragment.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "untitled"
	}
	return out
}
