package web

import (
	"cmp"
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Point is one sample of a series. A Y that is NaN or infinite breaks the
// line there (MLflow metrics may be NaN).
type Point struct{ X, Y float64 }

// BandPoint is one sample of a series' shaded range: from Lo to Hi at X.
type BandPoint struct{ X, Lo, Hi float64 }

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point
	// Band, when set, is drawn as a shaded area behind the line: for a
	// downsampled metric, the min and max of each bucket, so spikes the
	// averaged line smooths away stay visible.
	Band []BandPoint
	// Style, when above zero, draws the series in the colour and dash of
	// series Style-1 instead of its own position, so one run keeps its look
	// on every chart of a comparison, even those some runs are missing
	// from.
	Style int
}

// style is the colour and dash of the i-th series.
func (s Series) style(i int) (color, dash string) {
	if s.Style > 0 {
		return SeriesStyle(s.Style - 1)
	}
	return SeriesStyle(i)
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
	// XDuration says X values are seconds since a start, labelled as
	// durations (90 → 1m30s).
	XDuration bool
	// XInteger keeps the X ticks whole numbers (steps).
	XInteger bool
	// YZero includes y = 0 in the Y axis; YInteger keeps its ticks whole
	// numbers (both for counts).
	YZero    bool
	YInteger bool
	// YLog draws Y on a log10 scale. Values at or below zero have no place
	// there: they break the line, like NaN.
	YLog bool
	// Zoom marks the SVG for the studio script's drag-to-zoom: data
	// attributes carry the X range of the data and of the plot area, so a
	// drag across the plot can be turned into a range of X values.
	Zoom bool
	// NoLegend leaves the legend out, for a one-line chart the page
	// already names.
	NoLegend bool
	// Empty is the text shown when there is nothing to draw ("No data yet"
	// if empty).
	Empty  string
	Series []Series
}

// Chart layout, in pixels.
const (
	chartPadLeft   = 56
	chartPadRight  = 16
	chartPadTop    = 8
	chartPadBottom = 44
	chartLegend    = 24 // the first legend row
	chartLegendRow = 20 // each further legend row
	chartLegendMax = 32 // characters of a series name shown in the legend
	chartMarkerMax = 40 // series with at most this many points get markers
)

// chartColors are the Okabe–Ito colours, told apart by most colour-blind
// readers; chartDashes vary the line pattern as well, so series differ
// without colour.
func chartColors() []string {
	return []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"}
}

func chartDashes() []string { return []string{"", "6 4", "2 3", "10 3 2 3"} }

// SeriesStyle returns the colour and dash pattern ("" for solid) of the
// i-th series of a chart, so a page can draw a matching key. Ten series in
// a row all differ.
func SeriesStyle(i int) (color, dash string) {
	colors, dashes := chartColors(), chartDashes()
	return colors[i%len(colors)], dashes[i%len(dashes)]
}

// LineChart renders c as an inline SVG element: axes with ticks, a grid,
// one line per series (over its band, if it has one) and a legend. It
// needs no script and works under the studio's content security policy
// (no style attributes).
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
	ty := func(y float64) float64 { return y }
	if c.YLog {
		ty = func(y float64) float64 {
			if y > 0 {
				return math.Log10(y)
			}
			return math.NaN()
		}
	}
	x0, x1 := float64(chartPadLeft), float64(w-chartPadRight)
	items, extra := legendLayout(c.Series, x0, float64(chartPadTop), x1)
	y0, y1 := float64(chartPadTop+chartLegend)+extra, float64(h-chartPadBottom)
	if c.NoLegend {
		items, y0 = nil, float64(chartPadTop)+8
	}
	if y1-y0 < 40 {
		return "", fmt.Errorf("line chart %q: %d series leave no room to draw in %d×%d", c.Title, len(c.Series), w, h)
	}
	xmin, xmax, ymin, ymax, n := bounds(c.Series, ty)

	var b strings.Builder
	open := func(attrs string) {
		fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title %s-desc"%s>`,
			w, h, w, h, esc(id), esc(id), attrs)
		fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(c.Title), esc(id), esc(describe(c)))
		legend(&b, c.Series, items)
	}
	if n == 0 {
		open("")
		empty := c.Empty
		if empty == "" {
			empty = "No data yet"
		}
		fmt.Fprintf(&b, `<rect class="chart-frame" x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#d0d7de"/>`, num(x0), num(y0), num(x1-x0), num(y1-y0))
		fmt.Fprintf(&b, `<text class="chart-empty" x="%s" y="%s" text-anchor="middle" fill="#57606a">%s</text></svg>`, num((x0+x1)/2), num((y0+y1)/2), esc(empty))
		return template.HTML(b.String()), nil
	}

	var yt []float64
	var ylabel func(float64) string
	if c.YLog {
		yt = logTicks(ymin, ymax)
		ylabel = func(v float64) string { return logLabel(math.Pow(10, v)) }
	} else {
		if c.YZero {
			ymin, ymax = math.Min(ymin, 0), math.Max(ymax, 0)
		}
		yt = niceTicks(ymin, ymax, 5)
		if c.YInteger && yt[1]-yt[0] < 1 {
			yt = intTicks(ymin, ymax)
		}
		ystep := yt[1] - yt[0]
		ylabel = func(v float64) string { return tickLabel(v, ystep) }
	}
	ymin, ymax = yt[0], yt[len(yt)-1]
	var xt []float64
	var xlabel func(float64) string
	switch {
	case c.XTime || c.XDuration:
		if xmin == xmax {
			if c.XDuration {
				xmax = xmin + 60
			} else {
				xmin, xmax = xmin-30, xmax+30
			}
		}
		var step float64
		xt, step = timeTicks(xmin, xmax, 6)
		if c.XTime {
			xlabel = func(v float64) string { return timeLabel(v, step, xmax-xmin) }
		} else {
			xlabel = durationLabel
		}
	default:
		xt = niceTicks(xmin, xmax, 6)
		if c.XInteger && xt[1]-xt[0] < 1 {
			xt = intTicks(xmin, xmax)
		}
		xmin, xmax = xt[0], xt[len(xt)-1]
		step := xt[1] - xt[0]
		xlabel = func(v float64) string { return tickLabel(v, step) }
	}
	px := func(x float64) float64 { return x0 + (x-xmin)/(xmax-xmin)*(x1-x0) }
	py := func(y float64) float64 { return y1 - (y-ymin)/(ymax-ymin)*(y1-y0) }

	attrs := ""
	if c.Zoom {
		attrs = fmt.Sprintf(` data-zoom="x" data-x-min="%s" data-x-max="%s" data-px-min="%s" data-px-max="%s" data-py-min="%s" data-py-max="%s"`,
			strconv.FormatFloat(xmin, 'g', -1, 64), strconv.FormatFloat(xmax, 'g', -1, 64), num(x0), num(x1), num(y0), num(y1))
	}
	open(attrs)
	b.WriteString(`<g class="chart-grid" stroke="#e5e7eb" stroke-width="1">`)
	for _, v := range yt {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(x0), num(py(v)), num(x1), num(py(v)))
	}
	b.WriteString(`</g><g class="chart-axis" fill="#57606a" font-size="11">`)
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#8c959f"/>`, num(x0), num(y1), num(x1), num(y1))
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#8c959f"/>`, num(x0), num(y0), num(x0), num(y1))
	for _, v := range yt {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`, num(x0-6), num(py(v)), esc(ylabel(v)))
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

	for i, s := range c.Series {
		color, dash := s.style(i)
		fmt.Fprintf(&b, `<g class="chart-series" data-series="%s">`, esc(s.Name))
		for _, seg := range bandSegments(s.Band, ty) {
			var d strings.Builder
			if len(seg) == 1 { // a lone range: a thin bar
				p := seg[0]
				fmt.Fprintf(&d, "M%s %sL%s %sL%s %sL%s %sZ", num(px(p.X)-1.5), num(py(p.Hi)), num(px(p.X)+1.5), num(py(p.Hi)),
					num(px(p.X)+1.5), num(py(p.Lo)), num(px(p.X)-1.5), num(py(p.Lo)))
			} else {
				for j, p := range seg {
					op := "L"
					if j == 0 {
						op = "M"
					}
					fmt.Fprintf(&d, "%s%s %s", op, num(px(p.X)), num(py(p.Hi)))
				}
				for j := len(seg) - 1; j >= 0; j-- {
					fmt.Fprintf(&d, "L%s %s", num(px(seg[j].X)), num(py(seg[j].Lo)))
				}
				d.WriteString("Z")
			}
			fmt.Fprintf(&b, `<path class="chart-band" d="%s" fill="%s" fill-opacity="0.18" stroke="none"/>`, d.String(), color)
		}
		pts := sortedPoints(s.Points)
		var d strings.Builder
		pen := false
		for _, p := range pts {
			y := ty(p.Y)
			if !finite(y) {
				pen = false
				continue
			}
			op := "L"
			if !pen {
				op = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", op, num(px(p.X)), num(py(y)))
			pen = true
		}
		if d.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"`, d.String(), color)
			if dash != "" {
				fmt.Fprintf(&b, ` stroke-dasharray="%s"`, dash)
			}
			b.WriteString(`/>`)
		}
		if len(pts) <= chartMarkerMax {
			for _, p := range pts {
				y := ty(p.Y)
				if !finite(y) {
					continue
				}
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s: %s, %s</title></circle>`,
					num(px(p.X)), num(py(y)), color, esc(s.Name), esc(xlabel(p.X)), esc(strconv.FormatFloat(p.Y, 'g', 6, 64)))
			}
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), nil
}

// legendPos is where one legend entry goes.
type legendPos struct{ X, Y float64 }

// legendLayout places one legend entry per series in rows from (x0, y),
// wrapping before xmax, and returns the height the rows after the first
// add.
func legendLayout(series []Series, x0, y, xmax float64) ([]legendPos, float64) {
	out := make([]legendPos, 0, len(series))
	x, extra := x0, 0.0
	for _, s := range series {
		wid := 24 + 7*float64(len([]rune(legendName(s.Name)))) + 20
		if x > x0 && x+wid-20 > xmax {
			x, y, extra = x0, y+chartLegendRow, extra+chartLegendRow
		}
		out = append(out, legendPos{x, y})
		x += wid
	}
	return out, extra
}

// legendName shortens a long series name for the legend; the line's
// markers and the chart's description keep the whole name.
func legendName(s string) string {
	r := []rune(s)
	if len(r) <= chartLegendMax {
		return s
	}
	return string(r[:chartLegendMax-1]) + "…"
}

// legend draws one swatch and name per series at the places legendLayout
// chose.
func legend(b *strings.Builder, series []Series, at []legendPos) {
	if len(series) == 0 || len(at) < len(series) {
		return
	}
	b.WriteString(`<g class="chart-legend" font-size="12" fill="#24292f">`)
	for i, s := range series {
		color, dash := s.style(i)
		x, y := at[i].X, at[i].Y
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"`, num(x), num(y+8), num(x+18), num(y+8), color)
		if dash != "" {
			fmt.Fprintf(b, ` stroke-dasharray="%s"`, dash)
		}
		b.WriteString(`/>`)
		fmt.Fprintf(b, `<text x="%s" y="%s" dominant-baseline="middle">%s</text>`, num(x+24), num(y+8), esc(legendName(s.Name)))
	}
	b.WriteString(`</g>`)
}

// describe is the chart's text description for screen readers.
func describe(c Chart) string {
	var parts []string
	ylabel := c.YLabel
	if ylabel == "" && c.XLabel != "" {
		ylabel = c.Title
	}
	if c.XLabel != "" || ylabel != "" {
		parts = append(parts, fmt.Sprintf("Line chart of %s against %s.", orDash(ylabel), orDash(c.XLabel)))
	} else {
		parts = append(parts, "Line chart.")
	}
	if c.YLog {
		parts = append(parts, "The Y axis is logarithmic.")
	}
	if len(c.Series) == 0 {
		return strings.Join(parts, " ") + " No data yet."
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
		if len(s.Band) > 0 {
			parts = append(parts, "The shaded band spans the lowest to the highest value around each point.")
		}
	}
	return strings.Join(parts, " ")
}

// bounds returns the extent of the points and bands that can be drawn,
// their Y values passed through ty (the Y scale), and how many there are.
func bounds(series []Series, ty func(float64) float64) (xmin, xmax, ymin, ymax float64, n int) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	add := func(x, y float64) {
		y = ty(y)
		if !finite(x) || !finite(y) {
			return
		}
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		n++
	}
	for _, s := range series {
		for _, p := range s.Points {
			add(p.X, p.Y)
		}
		for _, p := range s.Band {
			add(p.X, p.Lo)
			add(p.X, p.Hi)
		}
	}
	return xmin, xmax, ymin, ymax, n
}

// bandSegments returns the runs of a band's drawable samples, in X order,
// with Lo and Hi passed through ty; a sample that cannot be drawn ends a
// run.
func bandSegments(band []BandPoint, ty func(float64) float64) [][]BandPoint {
	if len(band) == 0 {
		return nil
	}
	sorted := make([]BandPoint, 0, len(band))
	for _, p := range band {
		if finite(p.X) {
			sorted = append(sorted, p)
		}
	}
	slices.SortStableFunc(sorted, func(a, b BandPoint) int { return cmp.Compare(a.X, b.X) })
	var out [][]BandPoint
	var cur []BandPoint
	for _, p := range sorted {
		lo, hi := ty(p.Lo), ty(p.Hi)
		if !finite(lo) || !finite(hi) {
			if len(cur) > 0 {
				out, cur = append(out, cur), nil
			}
			continue
		}
		cur = append(cur, BandPoint{X: p.X, Lo: lo, Hi: hi})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// sortedPoints returns the points with a finite X, in X order.
func sortedPoints(ps []Point) []Point {
	out := make([]Point, 0, len(ps))
	for _, p := range ps {
		if finite(p.X) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Point) int { return cmp.Compare(a.X, b.X) })
	return out
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
