package builtin

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
)

// Small, dependency-free SVG plots for evaluation artifacts: readable in a
// browser and in the studio's artifact preview.

const (
	plotW, plotH           = 480, 360
	padL, padR, padT, padB = 60, 20, 36, 48
)

type xy struct{ x, y float64 }

type curve struct {
	name string
	pts  []xy
}

var palette = []string{"#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df"}

func svgOpen(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`, plotW, plotH, plotW, plotH)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="#fff"/><text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`, padL, html.EscapeString(title))
}

// lineSVG draws curves on [x0,x1]×[y0,y1] with axis labels; diag adds the
// y = x reference line.
func lineSVG(title, xlabel, ylabel string, curves []curve, x0, x1, y0, y1 float64, diag bool) string {
	var b strings.Builder
	svgOpen(&b, title)
	pw, ph := float64(plotW-padL-padR), float64(plotH-padT-padB)
	sx := func(x float64) float64 { return padL + (x-x0)/(x1-x0)*pw }
	sy := func(y float64) float64 { return padT + ph - (y-y0)/(y1-y0)*ph }
	for i := 0; i <= 5; i++ {
		fx := x0 + (x1-x0)*float64(i)/5
		fy := y0 + (y1-y0)*float64(i)/5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`, sx(fx), padT, sx(fx), padT+int(ph))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`, padL, sy(fy), padL+int(pw), sy(fy))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`, sx(fx), padT+int(ph)+16, tick(fx))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`, padL-6, sy(fy)+4, tick(fy))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`, padL, padT, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, padL+pw/2, plotH-8, html.EscapeString(xlabel))
	fmt.Fprintf(&b, `<text x="14" y="%.1f" text-anchor="middle" transform="rotate(-90 14 %.1f)">%s</text>`, padT+ph/2, padT+ph/2, html.EscapeString(ylabel))
	if diag {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#aaa" stroke-dasharray="4 4"/>`, sx(x0), sy(y0), sx(x1), sy(y1))
	}
	for i, c := range curves {
		var pts []string
		for _, p := range c.pts {
			if math.IsNaN(p.x) || math.IsNaN(p.y) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", sx(p.x), sy(p.y)))
		}
		col := palette[i%len(palette)]
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, col, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" fill="%s" text-anchor="end">%s</text>`, float64(plotW-padR)-4, padT+16+14*i, col, html.EscapeString(c.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func tick(v float64) string {
	if math.Abs(v) >= 1000 || (v != 0 && math.Abs(v) < 0.01) {
		return fmt.Sprintf("%.2g", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// rocPoints returns the ROC curve (FPR, TPR) of scores for positives,
// thinned to at most 200 points.
func rocPoints(pos []bool, score []float64) []xy {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	var p, n float64
	for _, v := range pos {
		if v {
			p++
		} else {
			n++
		}
	}
	if p == 0 || n == 0 {
		return nil
	}
	pts := []xy{{0, 0}}
	var tp, fp float64
	for i, j := range idx {
		if pos[j] {
			tp++
		} else {
			fp++
		}
		if i == len(idx)-1 || score[idx[i+1]] != score[j] {
			pts = append(pts, xy{fp / n, tp / p})
		}
	}
	return thin(pts, 200)
}

// prPoints returns the precision-recall curve (recall, precision).
func prPoints(pos []bool, score []float64) []xy {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	var p float64
	for _, v := range pos {
		if v {
			p++
		}
	}
	if p == 0 {
		return nil
	}
	var pts []xy
	var tp float64
	for i, j := range idx {
		if pos[j] {
			tp++
		}
		if i == len(idx)-1 || score[idx[i+1]] != score[j] {
			pts = append(pts, xy{tp / p, tp / float64(i+1)})
		}
	}
	return thin(pts, 200)
}

// thin keeps at most n points, always the first and last.
func thin(pts []xy, n int) []xy {
	if len(pts) <= n {
		return pts
	}
	out := make([]xy, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, pts[i*(len(pts)-1)/(n-1)])
	}
	return out
}

// matrixSVG draws a confusion matrix as a heat map with counts.
func matrixSVG(title string, classes []string, cm [][]int) string {
	var b strings.Builder
	svgOpen(&b, title)
	k := len(classes)
	if k == 0 {
		b.WriteString(`</svg>`)
		return b.String()
	}
	size := math.Min(float64(plotW-padL-padR), float64(plotH-padT-padB)) / float64(k)
	max := 1
	for _, r := range cm {
		for _, v := range r {
			max = int(math.Max(float64(max), float64(v)))
		}
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := cm[i][j]
			a := 0.08 + 0.85*float64(v)/float64(max)
			x, y := float64(padL)+float64(j)*size, float64(padT)+float64(i)*size
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1f6feb" fill-opacity="%.2f" stroke="#fff"/>`, x, y, size, size, a)
			col := "#000"
			if a > 0.55 {
				col = "#fff"
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%d</text>`, x+size/2, y+size/2+4, col, v)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, float64(padT)+float64(i)*size+size/2+4, html.EscapeString(classes[i]))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, float64(padL)+float64(i)*size+size/2, float64(padT)+float64(k)*size+16, html.EscapeString(classes[i]))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">predicted</text>`, float64(padL)+float64(k)*size/2, plotH-8)
	fmt.Fprintf(&b, `<text x="14" y="%.1f" text-anchor="middle" transform="rotate(-90 14 %.1f)">actual</text>`, float64(padT)+float64(k)*size/2, float64(padT)+float64(k)*size/2)
	b.WriteString(`</svg>`)
	return b.String()
}

// barsSVG draws horizontal bars (largest first), at most 20.
func barsSVG(title string, names []string, vals []float64) string {
	var b strings.Builder
	svgOpen(&b, title)
	n := min(len(names), 20)
	if n == 0 {
		b.WriteString(`</svg>`)
		return b.String()
	}
	max := 0.0
	for _, v := range vals[:n] {
		max = math.Max(max, math.Abs(v))
	}
	if max == 0 {
		max = 1
	}
	left := 150.0
	rowH := float64(plotH-padT-16) / float64(n)
	for i := 0; i < n; i++ {
		w := (float64(plotW) - left - padR - 50) * math.Abs(vals[i]) / max
		y := float64(padT) + float64(i)*rowH
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`, left-6, y+rowH*0.7, html.EscapeString(names[i]))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.1f" fill="#1f6feb"/>`, left, y+rowH*0.15, w, rowH*0.7)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#555">%s</text>`, left+w+4, y+rowH*0.7, tick(vals[i]))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
