package feature

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/frame"
)

func trainFrame(t *testing.T) *frame.Frame {
	t.Helper()
	f, err := frame.New(
		frame.NewNumeric("x", []float64{1, math.NaN(), 3, math.Inf(1)}),
		frame.NewCategorical("c", []string{"b", "a", "b", ""}),
		frame.NewNumeric("gone", []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN()}),
		frame.NewCategorical("one", []string{"k", "k", "k", "k"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFit(t *testing.T) {
	t.Parallel()
	e, warns, err := Fit(trainFrame(t), []string{"x", "c", "gone", "one"}, Options{Impute: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Features[1].Levels; !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Errorf("levels = %q, want most frequent first", got)
	}
	if x := e.Features[0]; !x.Imputed || x.Impute != 2 || x.Missing != 0.5 {
		t.Errorf("x = %+v, want mean 2 of finite values and half missing", x)
	}
	joined := strings.Join(warns, "\n")
	for _, w := range []string{`"x": 1 infinite`, `"gone" is missing in every row`, `"one" has a single category`} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings %q lack %q", warns, w)
		}
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	e, _, err := Fit(trainFrame(t), []string{"x", "c"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Columns in another order, text numbers, an unseen category, an extra column.
	in, _ := frame.New(
		frame.NewCategorical("extra", []string{"q", "q", "q"}),
		frame.NewCategorical("c", []string{"a", "zzz", ""}),
		frame.NewCategorical("x", []string{"4.5", "", "-Inf"}),
	)
	m, err := e.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{4.5, math.NaN(), math.NaN()}, {1, math.NaN(), math.NaN()}}
	for j := range want {
		for i := range want[j] {
			g, w := m.Cols[j][i], want[j][i]
			if g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
				t.Errorf("col %d row %d = %v, want %v", j, i, g, w)
			}
		}
	}
	bad := []struct {
		name string
		f    *frame.Frame
		msg  string
	}{
		{"missing column", &frame.Frame{Columns: []frame.Column{frame.NewNumeric("x", []float64{1})}}, `no column "c"`},
		{"text in numeric", &frame.Frame{Columns: []frame.Column{frame.NewCategorical("x", []string{"abc"}), frame.NewCategorical("c", []string{"a"})}}, "not a number"},
	}
	for _, tt := range bad {
		if _, err := e.Encode(tt.f); !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want EINVALID with %q", tt.name, err, tt.msg)
		}
	}
}

func TestEncodeNumbersAsCategories(t *testing.T) {
	t.Parallel()
	f, _ := frame.New(frame.NewCategorical("k", []string{"1", "2", "2"}))
	e, _, err := Fit(f, []string{"k"}, Options{MaxLevels: 1})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := frame.New(frame.NewNumeric("k", []float64{2, 1}))
	m, err := e.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cols[0][0] != 0 || !math.IsNaN(m.Cols[0][1]) {
		t.Errorf("codes = %v, want [0 NaN] (level 1 dropped by the cap)", m.Cols[0])
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	e, _, err := Fit(trainFrame(t), []string{"x", "c"}, Options{Impute: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back Encoder
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	in := trainFrame(t)
	m1, _ := e.Encode(in)
	m2, err := back.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for j := range m1.Cols {
		for i := range m1.Cols[j] {
			if math.Float64bits(m1.Cols[j][i]) != math.Float64bits(m2.Cols[j][i]) {
				t.Errorf("col %d row %d differs after JSON round trip", j, i)
			}
		}
	}
	for _, bad := range []string{
		`{"features":[]}`,
		`{"features":[{"name":"a","kind":"numeric"},{"name":"a","kind":"numeric"}]}`,
		`{"features":[{"name":"a","kind":"categorical","levels":["x","x"]}]}`,
	} {
		var e Encoder
		if err := json.Unmarshal([]byte(bad), &e); err == nil {
			err = e.Validate()
			if err == nil {
				t.Errorf("%s: Validate accepted it", bad)
			}
		}
	}
}
