package web

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
)

func TestParseChartControls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query    string
		x        string
		log      bool
		from, to string // "" for none
		err      string
	}{
		{query: "", x: "step"},
		{query: "x=time&log=1", x: "time", log: true},
		{query: "x=relative&from=10&to=20", x: "relative", from: "10", to: "20"},
		{query: "from=-5", x: "step", from: "-5"},
		{query: "from=20&to=10", x: "step", err: "backwards"},
		{query: "from=1.5", x: "step", err: "not a whole number"},
		{query: "to=" + strings.Repeat("9", 30), x: "step", err: "not a whole number"},
		{query: "x=bogus&from=3", x: "step", err: "choose step, relative or time"},
	}
	for _, tt := range tests {
		u, _ := url.Parse("/ui/w/default/runs/r?" + tt.query + "&m=loss")
		c := parseChartControls(u, "m")
		if c.X != tt.x || c.Log != tt.log || !strings.Contains(c.Error, tt.err) || (tt.err == "") != (c.Error == "") {
			t.Errorf("%q: x %q log %v error %q; want %q %v %q", tt.query, c.X, c.Log, c.Error, tt.x, tt.log, tt.err)
		}
		str := func(p *int64) string {
			if p == nil {
				return ""
			}
			return strconv.FormatInt(*p, 10)
		}
		if str(c.from) != tt.from || str(c.to) != tt.to {
			t.Errorf("%q: range %q to %q, want %q to %q", tt.query, str(c.from), str(c.to), tt.from, tt.to)
		}
		if c.Keep.Get("m") != "loss" || strings.Contains(c.ResetURL, "from=") || !strings.Contains(c.ResetURL, "m=loss") {
			t.Errorf("%q: keeps %v, reset %q", tt.query, c.Keep, c.ResetURL)
		}
	}
}

func TestGroupPoints(t *testing.T) {
	t.Parallel()
	var pts []Point
	for i := range 1000 {
		y := float64(i % 10)
		if i == 500 {
			y = math.NaN()
		}
		pts = append(pts, Point{X: float64(i), Y: y})
	}
	line, band := groupPoints(pts, 100)
	if len(line) > 100 || len(line) != len(band) || len(line) < 90 {
		t.Fatalf("%d points and %d band samples from 1000 values, want at most 100 of each", len(line), len(band))
	}
	if band[0].Lo != 0 || band[0].Hi != 9 {
		t.Errorf("first group spans %v to %v, want 0 to 9", band[0].Lo, band[0].Hi)
	}
	for _, p := range line {
		if !finite(p.Y) {
			t.Fatal("a NaN reached the line")
		}
	}
	if line, band := groupPoints(pts[:50], 100); len(line) != 50 || band != nil {
		t.Errorf("a short series was grouped: %d points, band %v", len(line), band != nil)
	}
}

func TestFilterError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		filter, before, at, after string
	}{
		{"metrics.loss <", "metrics.loss <", " ", ""},
		{"metrics.loss <> 1", "metrics.loss ", "<", "> 1"},
		{"params.é = 'x", "params.é = ", "'", "x"},
	} {
		_, err := search.ParseRunFilter(tt.filter)
		if err == nil {
			t.Fatalf("%q parsed", tt.filter)
		}
		fe := newFilterError(err, tt.filter)
		if fe.Before != tt.before || fe.At != tt.at || fe.After != tt.after {
			t.Errorf("%q: split %q|%q|%q, want %q|%q|%q", tt.filter, fe.Before, fe.At, fe.After, tt.before, tt.at, tt.after)
		}
		if !strings.HasSuffix(fe.Caret, "^") || len([]rune(fe.Caret)) != len([]rune(fe.Before))+1 {
			t.Errorf("%q: caret %q does not point after %q", tt.filter, fe.Caret, fe.Before)
		}
	}
	if fe := newFilterError(lathe.Errorf(lathe.EINVALID, "boom"), "x"); fe.Caret != "" || fe.Message != "boom" {
		t.Errorf("a plain error: %+v", fe)
	}
}

func TestCompareIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query string
		n     int
		err   string
	}{
		{"runs=a,b", 2, ""},
		{"runs=a&runs=b,c&runs=a", 3, ""},
		{"runs=+a+,,b", 2, ""},
		{"", 0, "choose the runs"},
		{"runs=a,../b", 0, "not a run ID"},
		{"runs=1,2,3,4,5,6,7,8,9,10,11", 0, "at most 10"},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		ids, err := compareIDs(q)
		if len(ids) != tt.n || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%q: %v, %v; want %d ids, error %q", tt.query, ids, err, tt.n, tt.err)
		}
	}
}

func TestArtifactPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rel, full string
		ok        bool
	}{
		{"", "1/r/artifacts", true},
		{"a/b.csv", "1/r/artifacts/a/b.csv", true},
		{"/a/", "1/r/artifacts/a", true},
		{"../x", "", false},
		{"a/../../x", "", false},
		{"a//b", "", false},
		{"a\\b", "", false},
		{"a/./b", "", false},
	} {
		_, full, err := artifactPath("1/r/artifacts", tt.rel)
		if (err == nil) != tt.ok || full != tt.full {
			t.Errorf("artifactPath(%q) = %q, %v; want %q ok=%v", tt.rel, full, err, tt.full, tt.ok)
		}
	}
	if root := artifactRoot(&lathe.Run{Info: lathe.RunInfo{ArtifactURI: "s3://bucket/x"}}); root != "" {
		t.Errorf("an s3 artifact URI maps to %q", root)
	}
	if root := artifactRoot(&lathe.Run{Info: lathe.RunInfo{ArtifactURI: "mlflow-artifacts:/1/r/artifacts"}}); root != "1/r/artifacts" {
		t.Errorf("root %q", root)
	}
}

func TestPreviewKinds(t *testing.T) {
	t.Parallel()
	for name, want := range map[string][2]string{
		"a.png": {"image", "image/png"}, "b.JPG": {"image", "image/jpeg"}, "c.svg": {"image", "image/svg+xml"},
		"d.json": {"json", "text/plain; charset=utf-8"}, "e.csv": {"csv", "text/plain; charset=utf-8"},
		"f.html": {"text", "text/plain; charset=utf-8"}, "model/MLmodel": {"text", "text/plain; charset=utf-8"},
		"g.pkl": {"none", "application/octet-stream"}, "h": {"", "application/octet-stream"},
	} {
		if k, ct := fileKind(name), artifactType(name); k != want[0] || ct != want[1] {
			t.Errorf("%s: kind %q type %q, want %q %q", name, k, ct, want[0], want[1])
		}
	}
	for in, want := range map[string]bool{"hello\n": true, "caf\xc3\xa9": true, "caf\xc3": true, "a\x00b": false, "\xff\xfe\xfd\xfc": false} {
		if got := looksText([]byte(in)); got != want {
			t.Errorf("looksText(%q) = %v", in, got)
		}
	}
	p := &artifactPreview{}
	if !p.csvHead([]byte("a,b\n1,2\n3\n\"x,y\",4\n5,6,7"), false) || len(p.Header) != 2 || len(p.Rows) != 4 || p.Rows[1][1] != "" || p.Rows[2][0] != "x,y" {
		t.Errorf("csv head %q %q", p.Header, p.Rows)
	}
	if p := (&artifactPreview{}); !p.csvHead([]byte("a\tb\n1\t2\n"), true) || p.Rows[0][1] != "2" {
		t.Errorf("tsv head %q", p.Rows)
	}
}
