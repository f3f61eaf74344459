package pipeline

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"unicode/utf8"
)

// stateStyle is how a state is drawn: fill, border, text colour, and
// whether the border is dashed.
type stateStyle struct {
	fill, stroke, text string
	dashed             bool
}

var stateStyles = [numStates]stateStyle{
	StatePending:   {"#f8fafc", "#94a3b8", "#334155", false},
	StateReady:     {"#f0f9ff", "#38bdf8", "#0c4a6e", false},
	StateQueued:    {"#fefce8", "#ca8a04", "#713f12", false},
	StateRunning:   {"#eff6ff", "#2563eb", "#1e3a8a", false},
	StateCompleted: {"#f0fdf4", "#16a34a", "#14532d", false},
	StateFailed:    {"#fef2f2", "#dc2626", "#7f1d1d", false},
	StateCanceled:  {"#f4f4f5", "#71717a", "#3f3f46", false},
	StateSkipped:   {"#fafafa", "#d4d4d8", "#71717a", true},
	StateReused:    {"#f0fdf4", "#16a34a", "#14532d", true},
}

// maxLabel is how many characters of a step's name fit in its box.
func maxLabel(w float64) int { return max(4, int((w-16)/8)) }

// SVG draws a layout: each step a box coloured by its state (states[i],
// pending when states is shorter), reused steps with a dashed border and
// a ↻ mark, skipped ones dashed and grey, edges as curves with arrows.
// When href is not nil each box links to href(step name) (no link when it
// returns ""). Names and links are escaped; the full name and state are in
// each box's <title>.
func SVG(l *Layout, states []State, href func(step string) string) []byte {
	var b bytes.Buffer
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="lathe-dag" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="pipeline steps" font-family="system-ui, sans-serif" font-size="13">`+"\n",
		num(l.Width), num(l.Height), num(l.Width), num(l.Height))
	b.WriteString(`<defs><marker id="lathe-dag-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#94a3b8"/></marker></defs>` + "\n")
	b.WriteString(`<g class="edges" fill="none" stroke="#94a3b8" stroke-width="1.5">` + "\n")
	for _, e := range l.Edges {
		b.WriteString(`<path d="`)
		for k, p := range e.Points {
			if k == 0 {
				fmt.Fprintf(&b, "M%s,%s", num(p.X), num(p.Y))
				continue
			}
			q := e.Points[k-1]
			if q.X == p.X {
				fmt.Fprintf(&b, " L%s,%s", num(p.X), num(p.Y))
				continue
			}
			mid := (q.Y + p.Y) / 2
			fmt.Fprintf(&b, " C%s,%s %s,%s %s,%s", num(q.X), num(mid), num(p.X), num(mid), num(p.X), num(p.Y))
		}
		fmt.Fprintf(&b, `" marker-end="url(#lathe-dag-arrow)" data-from="%s" data-to="%s"/>`+"\n",
			html.EscapeString(l.Names[e.From]), html.EscapeString(l.Names[e.To]))
	}
	b.WriteString("</g>\n<g class=\"steps\">\n")
	for i, box := range l.Nodes {
		s := StatePending
		if i < len(states) && states[i] < numStates {
			s = states[i]
		}
		st := stateStyles[s]
		name := html.EscapeString(l.Names[i])
		link := ""
		if href != nil {
			link = href(l.Names[i])
		}
		if link != "" {
			fmt.Fprintf(&b, `<a href="%s">`, html.EscapeString(link))
		}
		fmt.Fprintf(&b, `<g class="step state-%s" data-step="%s"><title>%s: %s</title>`, s, name, name, s)
		dash := ""
		if st.dashed {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="6" fill="%s" stroke="%s" stroke-width="1.5"%s/>`,
			num(box.X), num(box.Y), num(box.W), num(box.H), st.fill, st.stroke, dash)
		cx := box.X + box.W/2
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="%s" font-weight="600">%s</text>`,
			num(cx), num(box.Y+box.H/2-2), st.text, html.EscapeString(clip(l.Names[i], maxLabel(box.W))))
		label := s.String()
		if s == StateReused {
			label = "↻ reused"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="%s" font-size="11">%s</text></g>`,
			num(cx), num(box.Y+box.H/2+12), st.text, label)
		if link != "" {
			b.WriteString("</a>")
		}
		b.WriteByte('\n')
	}
	b.WriteString("</g>\n</svg>\n")
	return b.Bytes()
}

// clip shortens s to at most n characters, ending in … when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
