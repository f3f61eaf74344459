package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// HistogramChart describes a histogram for HistogramSVG: len(Counts) bins,
// bin i from Edges[i] to Edges[i+1], as profile.Histogram holds them.
type HistogramChart struct {
	// ID makes the chart's element ids unique on the page.
	ID string
	// Title is the chart's accessible name, e.g. the column's name.
	Title         string
	Width, Height int // pixels; 320×140 if zero
	Edges         []float64
	Counts        []int64
	// Integer says the values are whole numbers: ticks are too, and a
	// histogram with one bin per integer labels each bar with its value.
	Integer bool
	// Approximate says the counts come from a sketch.
	Approximate bool
}

// RankChart describes ranked values for RankSVG: one horizontal bar per
// value, longest first, as a column's top values.
type RankChart struct {
	ID    string
	Title string
	Width int // pixels; 320 if zero (the height follows from the rows)
	Bars  []RankBar
	// Total is what percentages are of (the column's non-null values); 0
	// shows counts only.
	Total int64
	// Approximate marks the counts as upper bounds.
	Approximate bool
}

// RankBar is one bar of a RankChart.
type RankBar struct {
	Label string
	Count int64
	// Muted draws the bar in grey, e.g. for "all other values".
	Muted bool
}

// Bar chart layout, in pixels.
const (
	barPadLeft   = 44
	barPadRight  = 10
	barPadTop    = 8
	barPadBottom = 22
	barColor     = "#0072B2"
	barMuted     = "#afb8c1"
	rankRow      = 20 // one ranked value
	rankLabel    = 112
	rankCount    = 92
	rankLabelMax = 17 // characters of a value shown before an ellipsis
)

// HistogramSVG renders a histogram as an inline SVG element: one bar per
// bin with its range and count as a tooltip, a count axis and ticks at
// round values of the data's range. Like LineChart it needs no script and
// no style attributes.
func HistogramSVG(c HistogramChart) (template.HTML, error) {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 320
	}
	if h == 0 {
		h = 140
	}
	if w < 120 || h < 80 || w > 4000 || h > 4000 {
		return "", fmt.Errorf("histogram %q: size %d×%d is outside 120×80 to 4000×4000", c.Title, w, h)
	}
	id := c.ID
	if id == "" {
		id = "hist-" + slug(c.Title)
	}
	n := len(c.Counts)
	ok := n > 0 && len(c.Edges) == n+1
	var total, top int64
	for _, v := range c.Counts {
		if v < 0 {
			ok = false
		}
		total += v
		top = max(top, v)
	}
	for _, e := range c.Edges {
		if !finite(e) {
			ok = false
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title %s-desc">`,
		w, h, w, h, esc(id), esc(id))
	x0, x1 := float64(barPadLeft), float64(w-barPadRight)
	y0, y1 := float64(barPadTop), float64(h-barPadBottom)
	if !ok || total == 0 {
		fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">No values to draw.</desc>`, esc(id), esc(c.Title), esc(id))
		fmt.Fprintf(&b, `<text class="chart-empty" x="%s" y="%s" text-anchor="middle" fill="#57606a" font-size="12">No values</text></svg>`, num((x0+x1)/2), num((y0+y1)/2))
		return template.HTML(b.String()), nil
	}
	lo, hi := c.Edges[0], c.Edges[n]
	perInt := c.Integer && lo != hi
	for i := 0; i < n && perInt; i++ {
		perInt = c.Edges[i+1]-c.Edges[i] == 1
	}
	if lo == hi { // one value: one bar in the middle
		d := math.Max(math.Abs(lo)*0.05, 0.5)
		lo, hi = lo-d, hi+d
	}
	px := func(x float64) float64 { return x0 + (x-lo)/(hi-lo)*(x1-x0) }
	yt := barTicks(0, float64(top), 3)
	if yt[1]-yt[0] < 1 {
		yt = intTicks(0, float64(top))
	}
	ymax := yt[len(yt)-1]
	py := func(y float64) float64 { return y1 - y/ymax*(y1-y0) }

	desc := fmt.Sprintf("Histogram of %s values from %s to %s in %d bins; the fullest bin holds %s.",
		fmtCount(total), fmtShort(c.Edges[0]), fmtShort(c.Edges[n]), n, fmtCount(top))
	if c.Approximate {
		desc += " The counts are estimates."
	}
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(c.Title), esc(id), esc(desc))
	b.WriteString(`<g class="chart-grid" stroke="#e5e7eb" stroke-width="1">`)
	for _, v := range yt[1:] {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(x0), num(py(v)), num(x1), num(py(v)))
	}
	b.WriteString(`</g><g class="chart-axis" fill="#57606a" font-size="10.5">`)
	ystep := yt[1] - yt[0]
	for _, v := range yt {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`, num(x0-5), num(py(v)), esc(tickLabel(v, ystep)))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#8c959f"/>`, num(x0), num(y1), num(x1), num(y1))
	for _, t := range histTicks(c.Edges, c.Integer, perInt) {
		x := px(t.at)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#8c959f"/>`, num(x), num(y1), num(x), num(y1+3))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(x), num(y1+14), esc(t.label))
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<g class="bar-series" fill="%s">`, barColor)
	for i, v := range c.Counts {
		a, z := px(c.Edges[i]), px(c.Edges[i+1])
		if c.Edges[0] == c.Edges[n] {
			a, z = px(lo)+(x1-x0)*0.3, px(lo)+(x1-x0)*0.7
		}
		if z-a > 3 {
			a, z = a+0.5, z-0.5 // a hairline between bars
		}
		yv := py(float64(v))
		if v > 0 && y1-yv < 1 {
			yv = y1 - 1 // a bin that holds anything shows
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
			num(a), num(yv), num(math.Max(z-a, 0.5)), num(y1-yv), esc(binLabel(c.Edges, i, perInt, v, total, c.Approximate)))
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()), nil
}

// histTick is one labelled tick of a histogram's value axis.
type histTick struct {
	at    float64
	label string
}

// histTicks places the value axis ticks: each integer's bar centre when
// there is one bin per integer, the value itself for a single-value
// histogram, else round values inside the range.
func histTicks(edges []float64, integer, perInt bool) []histTick {
	n := len(edges) - 1
	lo, hi := edges[0], edges[n]
	var out []histTick
	switch {
	case lo == hi:
		return []histTick{{lo, fmtShort(lo)}}
	case perInt:
		every := (n + 7) / 8 // at most about eight labels
		for i := 0; i < n; i += every {
			out = append(out, histTick{edges[i] + 0.5, strconv.FormatFloat(edges[i], 'f', 0, 64)})
		}
		return out
	}
	ts := barTicks(lo, hi, 4)
	step := ts[1] - ts[0]
	if integer && step < 1 {
		ts, step = intTicks(lo, hi), 1
	}
	eps := (hi - lo) * 1e-9
	for _, v := range ts {
		if v >= lo-eps && v <= hi+eps {
			out = append(out, histTick{v, tickLabel(v, step)})
		}
	}
	if len(out) < 2 {
		out = []histTick{{lo, fmtShort(lo)}, {hi, fmtShort(hi)}}
	}
	return out
}

// barTicks returns round values about (hi-lo)/n apart covering lo..hi:
// tighter than niceTicks, which first rounds the span up, so a bar chart's
// tallest bar nearly reaches the top.
func barTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		return niceTicks(lo, hi, n+1)
	}
	step := niceNum((hi-lo)/float64(n), true)
	start := math.Floor(lo/step) * step
	var ts []float64
	for i := 0; ; i++ {
		v := math.Round((start+float64(i)*step)/step) * step
		if v == 0 {
			v = 0 // no -0
		}
		ts = append(ts, v)
		if v >= hi-step*1e-9 {
			break
		}
	}
	return ts
}

// binLabel is the tooltip of bin i: its range (or value), count and share.
func binLabel(edges []float64, i int, perInt bool, v, total int64, approx bool) string {
	n := len(edges) - 1
	var what string
	switch {
	case edges[0] == edges[n]:
		what = fmtValue(edges[0])
	case perInt:
		what = strconv.FormatFloat(edges[i], 'f', 0, 64)
	case i == n-1:
		what = "[" + fmtValue(edges[i]) + ", " + fmtValue(edges[i+1]) + "]"
	default:
		what = "[" + fmtValue(edges[i]) + ", " + fmtValue(edges[i+1]) + ")"
	}
	count := fmtCount(v)
	if approx {
		count = "≈" + count
	}
	return fmt.Sprintf("%s: %s (%s)", what, count, fmtPercent(float64(v)/float64(total)))
}

// RankSVG renders ranked values as horizontal bars, each labelled with the
// value and its count (and share of Total), the full value as a tooltip.
func RankSVG(c RankChart) (template.HTML, error) {
	w := c.Width
	if w == 0 {
		w = 320
	}
	if w < 200 || w > 4000 {
		return "", fmt.Errorf("rank chart %q: width %d is outside 200 to 4000", c.Title, w)
	}
	id := c.ID
	if id == "" {
		id = "rank-" + slug(c.Title)
	}
	h := max(len(c.Bars), 1)*rankRow + 4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title %s-desc">`,
		w, h, w, h, esc(id), esc(id))
	var top int64
	for _, r := range c.Bars {
		top = max(top, r.Count)
	}
	var parts []string
	for _, r := range c.Bars {
		parts = append(parts, blankQuoted(r.Label)+" "+fmtCount(r.Count))
	}
	desc := "No values."
	if len(parts) > 0 {
		desc = "Most frequent values with their counts: " + strings.Join(parts, ", ") + "."
		if c.Approximate {
			desc += " Counts are upper bounds."
		}
	}
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(c.Title), esc(id), esc(desc))
	if top == 0 {
		fmt.Fprintf(&b, `<text class="chart-empty" x="%d" y="14" text-anchor="middle" fill="#57606a" font-size="12">No values</text></svg>`, w/2)
		return template.HTML(b.String()), nil
	}
	bx0, bx1 := float64(rankLabel), float64(w-rankCount)
	b.WriteString(`<g font-size="11.5">`)
	for i, r := range c.Bars {
		y := float64(i*rankRow) + 2
		color := barColor
		if r.Muted {
			color = barMuted
		}
		bw := math.Max((bx1-bx0)*float64(r.Count)/float64(top), 1)
		if r.Count == 0 {
			bw = 0
		}
		count := fmtCount(r.Count)
		if c.Approximate && !r.Muted {
			count = "≤" + count
		}
		tip := blankQuoted(r.Label) + ": " + count
		if c.Total > 0 {
			share := fmtPercent(float64(r.Count) / float64(c.Total))
			tip += " (" + share + ")"
			count += " · " + share
		}
		fmt.Fprintf(&b, `<g class="rank-row"><title>%s</title>`, esc(tip))
		fill := "#24292f"
		if r.Muted {
			fill = "#57606a"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle" fill="%s">%s</text>`,
			num(bx0-6), num(y+rankRow/2-1), fill, esc(rankName(r.Label)))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%d" rx="2" fill="%s"/>`, num(bx0), num(y+3), num(bw), rankRow-8, color)
		fmt.Fprintf(&b, `<text x="%s" y="%s" dominant-baseline="middle" fill="#57606a" font-size="10.5">%s</text></g>`,
			num(bx0+bw+5), num(y+rankRow/2-1), esc(count))
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()), nil
}

// blankQuoted quotes a value that is empty or all spaces, so it can be
// seen.
func blankQuoted(s string) string {
	if strings.TrimSpace(s) == "" {
		return `"` + s + `"`
	}
	return s
}

// rankName shortens a value for a rank chart's label; empty strings and
// spaces are shown so they can be told apart.
func rankName(s string) string {
	if strings.TrimSpace(s) == "" {
		return blankQuoted(s)
	}
	r := []rune(s)
	if len(r) <= rankLabelMax {
		return s
	}
	return string(r[:rankLabelMax-1]) + "…"
}

// meterSVG draws a share from 0 to 1 as a thin bar, hidden from screen
// readers (the page shows the number next to it).
func meterSVG(frac float64, tone string) template.HTML {
	if !finite(frac) || frac < 0 {
		frac = 0
	}
	frac = math.Min(frac, 1)
	color := barColor
	switch tone {
	case "warn":
		color = "#bf8700"
	case "bad":
		color = "#cf222e"
	}
	wid := 100 * frac
	if frac > 0 && wid < 1.5 {
		wid = 1.5 // a few nulls are not no nulls
	}
	return template.HTML(`<svg class="meter" viewBox="0 0 100 8" width="100" height="8" preserveAspectRatio="none" aria-hidden="true" focusable="false">` +
		`<rect width="100" height="8" rx="2" fill="#eaeef2"/><rect width="` + num(wid) + `" height="8" rx="2" fill="` + color + `"/></svg>`)
}

// fmtPercent shows a share as a percentage with up to three significant
// digits, and "<0.1%" rather than 0.0% for a share that is not zero.
func fmtPercent(f float64) string {
	switch {
	case !finite(f):
		return "—"
	case f == 0:
		return "0%"
	case f < 0.001:
		return "<0.1%"
	case f > 0.999 && f < 1:
		return ">99.9%"
	}
	p := f * 100
	switch {
	case p >= 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	default:
		return strconv.FormatFloat(p, 'f', 2, 64) + "%"
	}
}
