package web

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// goldenHistogram is a float column's histogram: uneven bins, a bin too
// small to see that must still show, an empty bin.
func goldenHistogram() HistogramChart {
	edges := []float64{0}
	counts := []int64{3, 40, 180, 420, 610, 520, 300, 120, 0, 1}
	for i := range counts {
		edges = append(edges, float64(i+1)*2.5)
	}
	return HistogramChart{ID: "h-income", Title: "Histogram of <income>", Edges: edges, Counts: counts}
}

// goldenIntHistogram is an int column spanning fewer values than bins:
// one bin per integer, each labelled.
func goldenIntHistogram() HistogramChart {
	return HistogramChart{ID: "h-rooms", Title: "Histogram of rooms", Edges: []float64{1, 2, 3, 4, 5, 6}, Counts: []int64{12, 48, 95, 30, 4},
		Integer: true, Approximate: true}
}

// goldenRank is a column's top values with the rest in grey, a long
// value cut short and an empty one.
func goldenRank() RankChart {
	return RankChart{ID: "t-segment", Title: "Most frequent values of segment", Total: 2400, Bars: []RankBar{
		{Label: "retail", Count: 1090}, {Label: "smb", Count: 870}, {Label: "a rather long segment name that is cut", Count: 260},
		{Label: "", Count: 40}, {Label: "(2 other)", Count: 140, Muted: true}}}
}

func TestBarChartsGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		draw func() (string, error)
	}{
		{"testdata/histogram.golden.svg", func() (string, error) { h, err := HistogramSVG(goldenHistogram()); return string(h), err }},
		{"testdata/histogram_int.golden.svg", func() (string, error) { h, err := HistogramSVG(goldenIntHistogram()); return string(h), err }},
		{"testdata/rank.golden.svg", func() (string, error) { h, err := RankSVG(goldenRank()); return string(h), err }},
	}
	for _, tt := range tests {
		got, err := tt.draw()
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(tt.path, []byte(got+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(tt.path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/web -run Golden -update to create it)", err)
		}
		if !bytes.Equal([]byte(got+"\n"), want) {
			t.Errorf("bar chart SVG changed; look at %s after go test ./internal/web -run Golden -update\ngot:\n%s", tt.path, got)
		}
	}
}

// TestBarChartsWellFormed parses every bar chart as XML and checks its
// parts, including the degenerate inputs.
func TestBarChartsWellFormed(t *testing.T) {
	t.Parallel()
	one := func(c HistogramChart) func() (string, error) {
		return func() (string, error) { h, err := HistogramSVG(c); return string(h), err }
	}
	tests := []struct {
		name        string
		draw        func() (string, error)
		rects       int // bars drawn
		want, avoid []string
	}{
		{name: "histogram", draw: one(goldenHistogram()), rects: 10,
			want:  []string{`role="img"`, "Histogram of &lt;income&gt;", "[22.5, 25]: 1 (&lt;0.1%)", "[0, 2.5): 3 (0.14%)", ">0<", ">25<", "2,194 values from 0 to 25 in 10 bins"},
			avoid: []string{"NaN", "estimates"}},
		{name: "one bin per integer", draw: one(goldenIntHistogram()), rects: 5,
			want: []string{">1<", ">5<", "3: ≈95 (50.3%)", "The counts are estimates."}, avoid: []string{"[1, 2)"}},
		{name: "a single value", draw: one(HistogramChart{ID: "s", Title: "one", Edges: []float64{7, 7}, Counts: []int64{30}}), rects: 1,
			want: []string{">7<", "7: 30 (100.0%)"}},
		{name: "large values", draw: one(HistogramChart{ID: "l", Title: "big", Edges: []float64{0, 2.5e6, 5e6}, Counts: []int64{1, 2}}), rects: 2,
			want: []string{">5M<", ">0<"}},
		{name: "no values", draw: one(HistogramChart{ID: "e", Title: "empty", Edges: []float64{0, 1}, Counts: []int64{0}}), want: []string{"No values"}},
		{name: "edges that do not match", draw: one(HistogramChart{ID: "m", Title: "bad", Edges: []float64{0}, Counts: []int64{3}}), want: []string{"No values"}},
		{name: "rank", draw: func() (string, error) { h, err := RankSVG(goldenRank()); return string(h), err }, rects: 5,
			want: []string{"retail: 1,090 (45.4%)", "a rather long se…", `&#34;&#34;`, `fill="#afb8c1"`, "Most frequent values with their counts"}},
		{name: "rank, approximate", draw: func() (string, error) {
			h, err := RankSVG(RankChart{ID: "a", Title: "approx", Approximate: true, Bars: []RankBar{{Label: "x", Count: 9}}})
			return string(h), err
		}, rects: 1, want: []string{"≤9", "Counts are upper bounds."}},
		{name: "rank, empty", draw: func() (string, error) { h, err := RankSVG(RankChart{ID: "n", Title: "none"}); return string(h), err }, want: []string{"No values"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.draw()
			if err != nil {
				t.Fatal(err)
			}
			rects := 0
			d := xml.NewDecoder(strings.NewReader(got))
			for {
				tok, err := d.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v\n%s", err, got)
				}
				if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
					for _, a := range se.Attr {
						if a.Name.Local == "style" {
							t.Error("a style attribute: the CSP refuses it")
						}
					}
					rects++
				}
			}
			if rects != tt.rects {
				t.Errorf("%d bars, want %d", rects, tt.rects)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q\n%s", w, got)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(got, a) {
					t.Errorf("has %q", a)
				}
			}
		})
	}
	if _, err := HistogramSVG(HistogramChart{Width: 50}); err == nil {
		t.Error("a 50-pixel histogram was drawn")
	}
}

func TestFmtNum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v       float64
		integer bool
		want    string
	}{
		{0, false, "0"}, {40.04296809893688, false, "40.04"}, {0.123456, false, "0.1235"}, {52340.567, false, "52,341"}, {8919.24, false, "8,919.2"},
		{-1234.5, false, "-1,234.5"}, {2e6, false, "2,000,000"}, {1234567, true, "1,234,567"}, {3e17, false, "3e+17"},
		{0.00001234, false, "1.234e-05"}, {17, true, "17"}, {-0.5, false, "-0.5"},
	}
	for _, tt := range tests {
		if got := fmtNum(tt.v, tt.integer); got != tt.want {
			t.Errorf("fmtNum(%v, %v) = %q, want %q", tt.v, tt.integer, got, tt.want)
		}
	}
}

func TestFmtCompact(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0: "0", 44.853: "44.9", 0.12345: "0.123", 1200.5: "1.2k", 15432: "15.4k", 207126: "207k",
		-2.5e6: "-2.5M", 999960: "1M", 7e9: "7G", 0.0001: "0.0001", 0.00001: "1e-05", 3e15: "3e+15"} {
		if got := fmtCompact(v); got != want {
			t.Errorf("fmtCompact(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestFmtInstant(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2024-01-01T00:00:00Z": "2024-01-01", "2024-01-01T13:45:10Z": "2024-01-01 13:45", "2024": "2024"} {
		if got := fmtInstant(in); got != want {
			t.Errorf("fmtInstant(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFmtPercent(t *testing.T) {
	t.Parallel()
	for f, want := range map[float64]string{0: "0%", 1: "100.0%", 0.5: "50.0%", 0.0123: "1.23%", 0.0004: "<0.1%", 0.9999: ">99.9%", 0.123: "12.3%"} {
		if got := fmtPercent(f); got != want {
			t.Errorf("fmtPercent(%v) = %q, want %q", f, got, want)
		}
	}
}
