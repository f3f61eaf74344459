package tracking

import (
	"math"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func TestNormPath(t *testing.T) {
	t.Parallel()
	// Python's posixpath.normpath on the same inputs.
	cases := map[string]string{
		"": ".", "a": "a", "a/b": "a/b", "a//b": "a/b", "a/./b": "a/b", "a/": "a", "./a": "a",
		"..": "..", "../x": "../x", "a/../..": "..", "a/../b": "b", "/a": "/a", "//a": "//a", "///a": "/a",
		"/..": "/", "/../a": "/a", "a/b/../../..": "..", ".": ".", "../../a/..": "../..",
	}
	for in, want := range cases {
		if got := normPath(in); got != want {
			t.Errorf("normPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		msg  string // "" if valid
	}{
		{"loss", ""},
		{"train/loss 1.0-x_y", ""},
		{"métrique", ""}, // Python's \w takes letters of any script
		{"", "Invalid metric name: ''. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '.'"},
		{"../x", "Invalid metric name: '../x'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '../x'"},
		{"a//b", "Invalid metric name: 'a//b'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to 'a/b'"},
		{"/abs", "Invalid metric name: '/abs'. Names may be treated as files"},
		{"a/", "Invalid metric name: 'a/'. Names may be treated as files"},
		{"a*b", "Invalid metric name: 'a*b'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/)."},
		{"a:b", "Invalid metric name: 'a:b'. Names may only contain"},
	}
	for _, c := range cases {
		err := validateName("metric", c.name)
		if c.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", c.name, err)
			}
			continue
		}
		if lathe.ErrorCode(err) != lathe.EINVALID || !strings.HasPrefix(lathe.ErrorMessage(err), c.msg) {
			t.Errorf("%q: %v\nwant %s", c.name, err, c.msg)
		}
	}
}

func TestLengthLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		value string
		limit int
		msg   string
	}{
		{strings.Repeat("é", 6000), 6000, ""}, // characters, not bytes
		{strings.Repeat("x", 6001), 6000, "Param value '" + strings.Repeat("x", 250) + "' had length 6001, which exceeded length limit of 6000"},
	}
	for _, c := range cases {
		err := lengthLimit("Param value", c.limit, c.value)
		if got := lathe.ErrorMessage(err); got != c.msg {
			t.Errorf("lengthLimit(%d chars) = %q, want %q", len([]rune(c.value)), got, c.msg)
		}
	}
}

func TestValidateBatchOrder(t *testing.T) {
	t.Parallel()
	many := make([]lathe.Metric, 1001)
	for i := range many {
		many[i] = lathe.Metric{Key: "m", Timestamp: 1}
	}
	bad := append(append([]lathe.Metric(nil), many...), lathe.Metric{Key: "../x"})
	cases := []struct {
		name    string
		metrics []lathe.Metric
		params  []lathe.Tag
		msg     string
	}{
		{"limit", many, nil, "A batch logging request can contain at most 1000 metrics. Got 1001 metrics."},
		{"entities before limits, as MLflow checks them", bad, nil, "Invalid metric name: '../x'."},
		{"duplicate keys even with one value", nil, []lathe.Tag{{Key: "a", Value: "1"}, {Key: "b"}, {Key: "a", Value: "1"}, {Key: "b"}}, "Duplicate parameter keys have been submitted: ['a', 'b']."},
		{"negative timestamp", []lathe.Metric{{Key: "m", Value: 0.5, Timestamp: -1}}, nil, "Got invalid timestamp -1 for metric 'm' (value=0.5)."},
	}
	for _, c := range cases {
		err := validateBatch(c.metrics, c.params, nil)
		if !strings.HasPrefix(lathe.ErrorMessage(err), c.msg) {
			t.Errorf("%s: %v\nwant %s", c.name, err, c.msg)
		}
	}
}

func TestPyFloat(t *testing.T) {
	t.Parallel()
	cases := map[float64]string{1: "1.0", 0.5: "0.5", -2: "-2.0", 1e16: "1e+16", 1e15: "1000000000000000.0", 1e-5: "1e-05",
		0.0001: "0.0001", 123456789.125: "123456789.125", math.NaN(): "nan", math.Inf(-1): "-inf", 1.5e300: "1.5e+300"}
	for in, want := range cases {
		if got := pyFloat(in); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestPyJSON(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[true,null,"x"]}`, `{"b": 1, "a": [true, null, "x"]}`},
		{`{"run_id": "r", "n": 1.50}`, `{"run_id": "r", "n": 1.50}`},
		{`["é\n\"\\", "\u0001", "😀"]`, `["\u00e9\n\"\\", "\u0001", "\ud83d\ude00"]`},
		{`[]`, `[]`},
		{`{}`, `{}`},
	}
	for _, c := range cases {
		got, err := pyJSON([]byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("pyJSON(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{`{`, `{"a":1} {}`, `nope`} {
		if _, err := pyJSON([]byte(in)); err == nil {
			t.Errorf("pyJSON(%s) accepted malformed JSON", in)
		}
	}
}
