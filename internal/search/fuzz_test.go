package search

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

// Run the fuzzers with, for example:
//
//	go test -fuzz=FuzzParseRunFilter -fuzztime=60s ./internal/search/

func FuzzParseRunFilter(f *testing.F) {
	for _, tc := range recordedRunFilters {
		f.Add(tc.in)
	}
	for _, tc := range validRunFilters {
		f.Add(tc.in)
	}
	for _, tc := range invalidRunFilters {
		f.Add(tc.in)
	}
	sample := runAlpha
	sample.Datasets = []DatasetView{{Name: "iris", Digest: "d", Context: "train"}}
	sample.Metrics = map[string]float64{"rmse": 0.42, "nan": math.NaN()}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseRunFilter(s)
		if err != nil {
			checkFuzzError(t, s, err)
			return
		}
		checkRoundTrip(t, s, flt, ParseRunFilter)
		flt.Match(sample)
		flt.Match(RunView{})
		orders := make([]Order, 0, len(flt.Comparisons))
		for _, c := range flt.Comparisons {
			if c.Kind != Dataset {
				orders = append(orders, Order{Kind: c.Kind, Key: c.Key})
			}
		}
		Less(CompleteRunOrder(orders), sample, RunView{})
	})
}

func FuzzParseExperimentFilter(f *testing.F) {
	for _, tc := range validExperimentFilters {
		f.Add(tc.in)
	}
	for _, tc := range invalidExperimentFilters {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseExperimentFilter(s)
		if err != nil {
			checkFuzzError(t, s, err)
			return
		}
		checkRoundTrip(t, s, flt, ParseExperimentFilter)
		flt.MatchExperiment(ExperimentView{ExperimentID: "1", Name: "x", Tags: map[string]string{"a": "b"}})
	})
}

// FuzzParseOrderBy parses s split at newlines as order_by clauses, for runs
// and for experiments.
func FuzzParseOrderBy(f *testing.F) {
	for _, s := range []string{
		"metrics.rmse ASC\nattributes.start_time DESC", "name ASC", "params.x", "metrics.`my metric` desc",
		"created DESC\nstart_time", "experiment_id DESC", "tags.x", "metrics.a foo", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clauses := strings.Split(s, "\n")
		for _, forRuns := range []bool{true, false} {
			orders, err := ParseOrderBy(clauses, forRuns)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || !lathe.IsCode(err, lathe.EINVALID) || se.Pos < 0 || se.Pos > len(se.Input) {
					t.Fatalf("ParseOrderBy(%q): bad error %#v", clauses, err)
				}
				continue
			}
			canon := make([]string, len(orders))
			for i, o := range orders {
				canon[i] = o.String()
			}
			back, err := ParseOrderBy(canon, forRuns)
			if err != nil || len(back) != len(orders) {
				t.Fatalf("canonical %q of %q: %v", canon, clauses, err)
			}
			for i := range back {
				if back[i] != orders[i] {
					t.Fatalf("canonical %q of %q parses to %+v, want %+v", canon, clauses, back, orders)
				}
			}
		}
	})
}

func FuzzDecodePageToken(f *testing.F) {
	for _, s := range []string{"", "eyJvZmZzZXQiOiAxfQ==", "eyJvZmZzZXQiOiAxfQ", "garbage", EncodePageToken(123456)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := DecodePageToken(s)
		if err != nil {
			if !lathe.IsCode(err, lathe.EINVALID) {
				t.Fatalf("DecodePageToken(%q): %v is not EINVALID", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("DecodePageToken(%q) = %d", s, n)
		}
		if m, err := DecodePageToken(EncodePageToken(n)); err != nil || m != n {
			t.Fatalf("round trip of %d: %d, %v", n, m, err)
		}
	})
}

func checkFuzzError(t *testing.T, s string, err error) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%q: %T is not a *SyntaxError", s, err)
	}
	if !lathe.IsCode(err, lathe.EINVALID) || se.Err.Message == "" {
		t.Fatalf("%q: bad error %#v", s, err)
	}
	if se.Input != s || se.Pos < 0 || se.Pos > len(s) {
		t.Fatalf("%q: Pos %d out of range (Input %q)", s, se.Pos, se.Input)
	}
}

func checkRoundTrip(t *testing.T, s string, flt Filter, parse func(string) (Filter, error)) {
	t.Helper()
	for _, c := range flt.Comparisons {
		ok := true
		switch v := c.Value.(type) {
		case nil:
			ok = c.Op == OpIsNull || c.Op == OpIsNotNull
		case []string:
			ok = len(v) > 0 && (c.Op == OpIn || c.Op == OpNotIn)
		case float64:
			ok = !math.IsNaN(v) && !math.IsInf(v, 0)
		case string:
		default:
			ok = false
		}
		if !ok || c.Pos < 0 || c.Pos >= len(s) {
			t.Fatalf("%q: bad comparison %#v", s, c)
		}
	}
	canon := flt.String()
	back, err := parse(canon)
	if err != nil {
		t.Fatalf("%q: canonical %q does not parse: %v", s, canon, err)
	}
	if !sameFilter(flt, back) {
		t.Fatalf("%q: canonical %q parses to %#v, want %#v", s, canon, back, flt)
	}
	if again := back.String(); again != canon {
		t.Fatalf("%q: canonical form is not stable: %q then %q", s, canon, again)
	}
}
