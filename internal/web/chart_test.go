package web

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenChart exercises the chart's parts: time axis, two series with a
// NaN gap, labels, a name that needs escaping.
func goldenChart() Chart {
	t0 := 1773489600.0 // 2026-03-14 12:00 UTC
	loss := Series{Name: "train <loss>"}
	val := Series{Name: "validation loss"}
	for i := range 12 {
		x := t0 + float64(i)*600
		loss.Points = append(loss.Points, Point{X: x, Y: 2.0 / float64(i+1)})
		y := 2.2/float64(i+1) + 0.05
		if i == 5 {
			y = math.NaN()
		}
		val.Points = append(val.Points, Point{X: x, Y: y})
	}
	return Chart{ID: "golden", Title: "Loss by time", XLabel: "Time (UTC)", YLabel: "Loss", XTime: true, YZero: true, Series: []Series{loss, val}}
}

// goldenBandChart exercises the features metric charts use: a
// downsampled series with a min–max band, a log Y axis, whole-step X
// ticks, no legend and the drag-to-zoom attributes.
func goldenBandChart() Chart {
	s := Series{Name: "loss"}
	for i := range 40 {
		x := float64(i*50 + 25)
		mean := 2 * math.Exp(-float64(i)/8)
		s.Points = append(s.Points, Point{X: x, Y: mean})
		s.Band = append(s.Band, BandPoint{X: x, Lo: mean * 0.7, Hi: mean * 1.4})
	}
	s.Band[30].Hi = 3 // a spike the mean hides
	return Chart{ID: "band", Title: "loss", XLabel: "Step", XInteger: true, YLog: true, Zoom: true, NoLegend: true, Width: 600, Height: 240, Series: []Series{s}}
}

// goldenOverlayChart exercises comparisons: many series whose legend
// wraps, a series drawn in another's style, and a duration X axis.
func goldenOverlayChart() Chart {
	c := Chart{ID: "overlay", Title: "accuracy", XLabel: "Time since the run started", XDuration: true, Width: 600, Height: 280}
	for i := range 7 {
		s := Series{Name: fmt.Sprintf("run-%d-with-a-rather-long-name-that-is-cut", i), Style: i + 2}
		for j := range 30 {
			s.Points = append(s.Points, Point{X: float64(j * 20), Y: 1 - math.Exp(-float64(j)/float64(4+i))})
		}
		c.Series = append(c.Series, s)
	}
	return c
}

func TestLineChartGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		c    Chart
	}{
		{"testdata/chart.golden.svg", goldenChart()},
		{"testdata/chart_band.golden.svg", goldenBandChart()},
		{"testdata/chart_overlay.golden.svg", goldenOverlayChart()},
	}
	for _, tt := range tests {
		got, err := LineChart(tt.c)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(tt.path, []byte(string(got)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(tt.path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/web -run Golden -update to create it)", err)
		}
		if !bytes.Equal([]byte(string(got)+"\n"), want) {
			t.Errorf("chart SVG changed; look at %s after go test ./internal/web -run Golden -update\ngot:\n%s", tt.path, got)
		}
	}
}

// TestLineChartWellFormed parses every chart as XML and checks its parts.
func TestLineChartWellFormed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		c     Chart
		want  []string
		avoid []string
	}{
		{name: "golden", c: goldenChart(),
			want:  []string{`role="img"`, `<title id="golden-title">Loss by time</title>`, "train &lt;loss&gt;", `stroke-dasharray="6 4"`, ">12:00<", ">13:00<", "Time (UTC)"},
			avoid: []string{"<loss>", "NaN", "style="}},
		{name: "empty", c: Chart{Title: "Nothing"}, want: []string{"No data yet", `id="chart-nothing-title"`}},
		{name: "all NaN", c: Chart{Title: "NaN", Series: []Series{{Name: "a", Points: []Point{{1, math.NaN()}}}}}, want: []string{"No data yet"}},
		{name: "one point", c: Chart{Title: "One", Series: []Series{{Name: "a", Points: []Point{{3, 7}}}}}, want: []string{"<circle"}, avoid: []string{"NaN", "Inf"}},
		{name: "counts", c: Chart{Title: "Counts", YZero: true, YInteger: true, Series: []Series{{Name: "n", Points: []Point{{0, 0}, {1, 1}, {2, 0}}}}},
			want: []string{`"middle">0<`, `"middle">1<`}, avoid: []string{`baseline="middle">0.2<`, `baseline="middle">0.5<`}},
		{name: "large", c: Chart{Title: "Big", Series: []Series{{Name: "rows", Points: []Point{{0, 0}, {10, 2.5e6}}}}}, want: []string{`"middle">0<`, `"middle">1M<`, `"middle">3M<`}},
		{name: "band and log", c: goldenBandChart(),
			want:  []string{`class="chart-band"`, `fill-opacity="0.18"`, `data-zoom="x"`, `data-x-min="0"`, `data-x-max="2000"`, "logarithmic", "shaded band", `"middle">0.01<`},
			avoid: []string{"chart-legend", "NaN", "style="}},
		{name: "overlay", c: goldenOverlayChart(),
			want:  []string{"run-0-with-a-rather-long-name-t…", `y1="76"`, `stroke="#D55E00" stroke-width="2" stroke-dasharray="6 4"`, ">8m<", ">0s<"},
			avoid: []string{"data-zoom"}},
		{name: "log drops values at or below zero", c: Chart{Title: "log", YLog: true, Series: []Series{{Name: "a", Points: []Point{{0, -1}, {1, 0}, {2, 10}, {3, 100}}}}},
			want: []string{`"middle">10<`, `"middle">100<`, "<circle"}, avoid: []string{"NaN", "Inf"}},
		{name: "log with nothing above zero", c: Chart{Title: "log0", YLog: true, Empty: "Nothing to draw on a log scale", Series: []Series{{Name: "a", Points: []Point{{0, 0}, {1, -3}}}}},
			want: []string{"Nothing to draw on a log scale"}},
		{name: "one bucket", c: Chart{Title: "one", Series: []Series{{Name: "a", Points: []Point{{5, 1}}, Band: []BandPoint{{5, 0.5, 2}}}}},
			want: []string{`class="chart-band"`, "Z"}},
		{name: "many points, no markers", c: func() Chart {
			s := Series{Name: "m"}
			for i := range 100 {
				s.Points = append(s.Points, Point{float64(i), float64(i * i)})
			}
			return Chart{Title: "Many", Series: []Series{s}}
		}(), avoid: []string{"<circle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := LineChart(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			s := string(got)
			dec := xml.NewDecoder(strings.NewReader(s))
			for {
				if _, err := dec.Token(); err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("not well-formed XML: %v\n%s", err, s)
					}
					break
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("lacks %q\n%s", w, s)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(s, a) {
					t.Errorf("has %q\n%s", a, s)
				}
			}
		})
	}
	if _, err := LineChart(Chart{Title: "tiny", Width: 10, Height: 10}); err == nil {
		t.Error("a 10×10 chart was accepted")
	}
}

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}},
		{0, 97, 5, []float64{0, 20, 40, 60, 80, 100}},
		{3, 3, 5, []float64{2.6, 2.8000000000000003, 3, 3.2, 3.4000000000000004}},
		{0, 0, 5, []float64{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}},
		{-7, 12, 5, []float64{-10, -5, 0, 5, 10, 15}},
	}
	for _, tt := range tests {
		got := niceTicks(tt.lo, tt.hi, tt.n)
		if len(got) != len(tt.want) {
			t.Errorf("niceTicks(%v, %v) = %v, want %v", tt.lo, tt.hi, got, tt.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tt.want[i]) > 1e-9 {
				t.Errorf("niceTicks(%v, %v) = %v, want %v", tt.lo, tt.hi, got, tt.want)
				break
			}
		}
	}
}

func TestTickLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v, step float64
		want    string
	}{
		{0, 0.2, "0.0"}, {0.4, 0.2, "0.4"}, {0.05, 0.05, "0.05"}, {20, 20, "20"}, {-0.0000001, 0.5, "0.0"},
		{15000, 5000, "15k"}, {2500000, 500000, "2.5M"}, {3e9, 1e9, "3G"}, {1500, 500, "1500"}, {0, 1e6, "0"},
	}
	for _, tt := range tests {
		if got := tickLabel(tt.v, tt.step); got != tt.want {
			t.Errorf("tickLabel(%v, %v) = %q, want %q", tt.v, tt.step, got, tt.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lo, hi float64 // data, not log10
		want   []string
	}{
		{0.001, 10, []string{"0.001", "0.01", "0.1", "1", "10"}},
		{0.3, 0.9, []string{"0.2", "0.4", "0.6", "0.8", "1"}},
		{2, 30, []string{"2", "5", "10", "20", "50"}},
		{1e-9, 1e9, []string{"1e-9", "1e-6", "0.001", "1", "1000", "1M", "1G"}},
		{0.05, 3, []string{"0.05", "0.1", "0.2", "0.5", "1", "2", "5"}},
	}
	for _, tt := range tests {
		var got []string
		for _, v := range logTicks(math.Log10(tt.lo), math.Log10(tt.hi)) {
			got = append(got, logLabel(math.Pow(10, v)))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("logTicks(%v, %v) = %v, want %v", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestDurationLabel(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0: "0s", 45: "45s", 60: "1m", 150: "2m30s", 3600: "1h", 5400: "1h30m", 86400: "1d", 100800: "1d4h", -30: "-30s"} {
		if got := durationLabel(v); got != want {
			t.Errorf("durationLabel(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	t.Parallel()
	lo := 1773489600.0 // 12:00 UTC
	got, step := timeTicks(lo+60, lo+6*3600, 6)
	want := []float64{lo + 3600, lo + 2*3600, lo + 3*3600, lo + 4*3600, lo + 5*3600, lo + 6*3600}
	if step != 3600 || !reflect.DeepEqual(got, want) {
		t.Errorf("timeTicks = %v step %v, want hourly %v", got, step, want)
	}
	if l := timeLabel(lo, 3600, 6*3600); l != "12:00" {
		t.Errorf("timeLabel = %q, want 12:00", l)
	}
	if l := timeLabel(lo, 86400, 20*86400); l != "Mar 14" {
		t.Errorf("timeLabel = %q, want Mar 14", l)
	}
}
