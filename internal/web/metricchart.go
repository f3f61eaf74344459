package web

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
)

// X axes a metric chart can use.
const (
	axisStep     = "step"
	axisRelative = "relative"
	axisTime     = "time"
)

// chartControls are the settings of the metric charts on a run or compare
// page, read from the query: the X axis, a log Y axis and a step range.
type chartControls struct {
	X        string
	Log      bool
	From, To string // as typed
	from, to *int64
	Error    string
	// Keep are the other query parameters the controls form carries, so
	// applying it changes only the chart settings.
	Keep     url.Values
	Action   string
	ResetURL string // the same page without a step range
}

// Zoomed reports whether a step range applies.
func (c chartControls) Zoomed() bool { return c.from != nil || c.to != nil }

// Axes lists the X axis choices for the form.
func (c chartControls) Axes() []struct{ Value, Label string } {
	return []struct{ Value, Label string }{{axisStep, "Step"}, {axisRelative, "Relative time"}, {axisTime, "Wall time"}}
}

// parseChartControls reads ?x=, ?log=, ?from= and ?to=. A bad value is
// reported in Error and otherwise ignored, so the charts still show.
func parseChartControls(u *url.URL, keep ...string) chartControls {
	q := u.Query()
	c := chartControls{X: q.Get("x"), Log: q.Get("log") == "1", From: clip(strings.TrimSpace(q.Get("from")), 24),
		To: clip(strings.TrimSpace(q.Get("to")), 24), Keep: keepQuery(q, keep...), Action: u.Path}
	switch c.X {
	case "":
		c.X = axisStep
	case axisStep, axisRelative, axisTime:
	default:
		c.Error = fmt.Sprintf("X axis %q: choose step, relative or time", clip(c.X, 20))
		c.X = axisStep
	}
	parse := func(s, what string) *int64 {
		if s == "" {
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			c.Error = fmt.Sprintf("%s step %q is not a whole number", what, s)
			return nil
		}
		return &n
	}
	c.from, c.to = parse(c.From, "The first"), parse(c.To, "The last")
	if c.from != nil && c.to != nil && *c.from > *c.to {
		c.Error = fmt.Sprintf("the step range %d to %d is backwards; put the smaller step first", *c.from, *c.to)
		c.from, c.to = nil, nil
	}
	if c.Error != "" {
		c.from, c.to = nil, nil
	}
	c.ResetURL = withQuery(u, url.Values{"from": nil, "to": nil})
	return c
}

// xLabel is the X axis title for the chosen axis.
func (c chartControls) xLabel() string {
	switch c.X {
	case axisRelative:
		return "Time since the run started"
	case axisTime:
		return "Time (UTC)"
	}
	return "Step"
}

// metricSeries reads one metric of one run as a chart series: downsampled
// into at most points buckets over the chosen step range, the line through
// each bucket's mean and, when buckets hold several values, a band from
// their min to their max. A metric logged at a single step (MLflow's
// default step is 0) is read value by value and drawn against time. note
// says what the reader should know about how it was drawn.
func metricSeries(ctx context.Context, tr Tracking, wsID string, run *lathe.Run, key string, c chartControls, points int, band bool) (sr Series, note string, err error) {
	sr.Name = key
	id := run.Info.RunID
	buckets, err := tr.Downsample(ctx, wsID, id, key, c.from, c.to, points)
	if err != nil {
		return sr, "", err
	}
	start := float64(run.Info.StartTime) / 1000
	xOf := func(step int64, ms int64) float64 {
		switch c.X {
		case axisTime:
			return float64(ms) / 1000
		case axisRelative:
			return float64(ms)/1000 - start
		}
		return float64(step)
	}
	if len(buckets) == 1 && buckets[0].FirstStep == buckets[0].LastStep && buckets[0].Count > 1 {
		hist, _, err := tr.MetricHistory(ctx, wsID, id, key, maxHistoryFallback, "")
		if err != nil {
			return sr, "", err
		}
		pts := make([]Point, 0, len(hist))
		for _, m := range hist {
			x := xOf(m.Step, m.Timestamp)
			if c.X == axisStep {
				x = float64(m.Timestamp)/1000 - start
			}
			pts = append(pts, Point{X: x, Y: m.Value})
		}
		sr.Points, sr.Band = groupPoints(pts, points)
		if !band {
			sr.Band = nil
		}
		note = fmt.Sprintf("All %s values were logged at step %d, so they are drawn against time.", fmtCount(int64(len(hist))), buckets[0].FirstStep)
		if int64(len(hist)) < buckets[0].Count {
			note += fmt.Sprintf(" The first %s are shown.", fmtCount(int64(len(hist))))
		}
		return sr, note, nil
	}
	var values int64
	wide := false
	for _, b := range buckets {
		values += b.Count
		x := xOf(b.FirstStep, b.First.Timestamp)
		if b.LastStep != b.FirstStep {
			x = (x + xOf(b.LastStep, b.Last.Timestamp)) / 2
		}
		sr.Points = append(sr.Points, Point{X: x, Y: b.Mean})
		if b.Count > 1 {
			wide = true
		}
		if band {
			sr.Band = append(sr.Band, BandPoint{X: x, Lo: b.Min, Hi: b.Max})
		}
	}
	if !wide {
		sr.Band = nil
	} else if len(buckets) > 0 {
		note = fmt.Sprintf("%s values in %d groups of steps: the line joins each group's mean", fmtCount(values), len(buckets))
		if band {
			note += ", the band spans its lowest to highest value"
		}
		note += "."
	}
	return sr, note, nil
}

// groupPoints draws at most n points of a series read value by value:
// consecutive values are grouped, the line joins each group's mean and the
// band spans its min and max. NaN values are left out.
func groupPoints(pts []Point, n int) ([]Point, []BandPoint) {
	finitePts := pts[:0:0]
	for _, p := range pts {
		if finite(p.Y) && finite(p.X) {
			finitePts = append(finitePts, p)
		}
	}
	if len(finitePts) <= n {
		return finitePts, nil
	}
	size := (len(finitePts) + n - 1) / n
	var line []Point
	var band []BandPoint
	for i := 0; i < len(finitePts); i += size {
		g := finitePts[i:min(i+size, len(finitePts))]
		var sx, sy float64
		lo, hi := g[0].Y, g[0].Y
		for _, p := range g {
			sx, sy = sx+p.X, sy+p.Y
			lo, hi = min(lo, p.Y), max(hi, p.Y)
		}
		x := sx / float64(len(g))
		line = append(line, Point{X: x, Y: sy / float64(len(g))})
		band = append(band, BandPoint{X: x, Lo: lo, Hi: hi})
	}
	return line, band
}

// metricChart is one chart on a run or compare page.
type metricChart struct {
	Key    string
	ID     string
	SVG    template.HTML
	Latest string
	Note   string
}

// chartFor renders the series of one metric with the page's controls.
func chartFor(id, key string, series []Series, c chartControls, width, height int, legend bool) (template.HTML, error) {
	ch := Chart{ID: id, Title: key, XLabel: c.xLabel(), Width: width, Height: height, Series: series, NoLegend: !legend,
		XTime: c.X == axisTime, XDuration: c.X == axisRelative, XInteger: c.X == axisStep, YLog: c.Log, Zoom: c.X == axisStep}
	if c.Zoomed() {
		ch.Empty = "No values in this step range"
	}
	if c.Log {
		ch.Empty = "No values above zero to draw on a log scale"
		for _, s := range series {
			for _, p := range s.Points {
				if p.Y > 0 {
					ch.Empty = ""
				}
			}
		}
		if ch.Empty != "" {
			ch.Series = nil
		}
	}
	return LineChart(ch)
}
