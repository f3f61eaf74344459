package frame

import (
	"math"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func TestReadCSV(t *testing.T) {
	t.Parallel()
	in := "\ufeffage,job,score,empty\n" +
		"30,admin,1.5,\n" +
		"NA,\"blue, collar\",NaN,\n" +
		",admin,-Inf,\n" +
		"41,,2e3,\n"
	f, err := ReadCSV(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows() != 4 || len(f.Columns) != 4 {
		t.Fatalf("got %s, want 4 rows × 4 columns", f.Describe())
	}
	tests := []struct {
		col  string
		kind Kind
	}{
		{"age", Numeric}, {"job", Categorical}, {"score", Numeric}, {"empty", Numeric},
	}
	for _, tt := range tests {
		c := f.Column(tt.col)
		if c == nil || c.Kind != tt.kind {
			t.Errorf("column %q: got %+v, want kind %v", tt.col, c, tt.kind)
		}
	}
	age := f.Column("age").Num
	if age[0] != 30 || !math.IsNaN(age[1]) || !math.IsNaN(age[2]) || age[3] != 41 {
		t.Errorf("age = %v", age)
	}
	if job := f.Column("job").Str; job[1] != "blue, collar" || job[3] != "" {
		t.Errorf("job = %q", job)
	}
	if s := f.Column("score").Num; !math.IsNaN(s[1]) || !math.IsInf(s[2], -1) || s[3] != 2000 {
		t.Errorf("score = %v", s)
	}
}

func TestReadCSVKindsAndMissing(t *testing.T) {
	t.Parallel()
	in := "zip,flag\n01234,NA\n99999,yes\n"
	f, err := ReadCSV(strings.NewReader(in), Options{Kinds: map[string]Kind{"zip": Categorical}, Missing: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if z := f.Column("zip"); z.Kind != Categorical || z.Str[0] != "01234" {
		t.Errorf("zip = %+v, want categorical keeping the leading zero", z)
	}
	if fl := f.Column("flag"); fl.Str[0] != "NA" {
		t.Errorf("with Missing empty, NA must stay a value, got %q", fl.Str[0])
	}
}

func TestReadCSVErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		opts Options
		code string
		msg  string
	}{
		{"empty", "", Options{}, lathe.EINVALID, "empty"},
		{"duplicate header", "a,a\n1,2\n", Options{}, lathe.EINVALID, "twice"},
		{"empty header name", "a,\n1,2\n", Options{}, lathe.EINVALID, "empty name"},
		{"ragged row", "a,b\n1,2\n3\n", Options{}, lathe.EINVALID, "line 3"},
		{"too many rows", "a\n1\n2\n3\n", Options{MaxRows: 2}, lathe.ETOOLARGE, "more than 2 rows"},
		{"too many columns", "a,b,c\n1,2,3\n", Options{MaxColumns: 2}, lathe.ETOOLARGE, "3 columns"},
		{"forced numeric", "a\nx\n", Options{Kinds: map[string]Kind{"a": Numeric}}, lathe.EINVALID, "not a number"},
		{"kind for unknown column", "a\n1\n", Options{Kinds: map[string]Kind{"b": Numeric}}, lathe.EINVALID, "not in the header"},
		{"bad quote", "a\n\"x\n", Options{}, lathe.EINVALID, "CSV line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadCSV(strings.NewReader(tt.in), tt.opts)
			if !lathe.IsCode(err, tt.code) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v (code %q), want code %q containing %q", err, lathe.ErrorCode(err), tt.code, tt.msg)
			}
		})
	}
}

func TestFrameOps(t *testing.T) {
	t.Parallel()
	f, err := New(NewNumeric("x", []float64{1, 2, 3}), NewCategorical("c", []string{"a", "", "b"}))
	if err != nil {
		t.Fatal(err)
	}
	g := f.Take([]int{2, 0})
	if g.Rows() != 2 || g.Column("x").Num[0] != 3 || g.Column("c").Str[1] != "a" {
		t.Errorf("Take = %+v", g.Columns)
	}
	if d := f.Drop("x"); len(d.Columns) != 1 || d.Columns[0].Name != "c" {
		t.Errorf("Drop = %v", d.Names())
	}
	if !f.Column("c").IsMissing(1) || f.Column("x").String(1) != "2" {
		t.Errorf("IsMissing/String wrong")
	}
	bad := []struct {
		name string
		cols []Column
	}{
		{"unequal", []Column{NewNumeric("x", []float64{1}), NewNumeric("y", nil)}},
		{"duplicate", []Column{NewNumeric("x", nil), NewNumeric("x", nil)}},
		{"no name", []Column{NewNumeric("", nil)}},
		{"bad kind", []Column{{Name: "x"}}},
	}
	for _, tt := range bad {
		if _, err := New(tt.cols...); !lathe.IsCode(err, lathe.EINVALID) {
			t.Errorf("%s: err = %v, want EINVALID", tt.name, err)
		}
	}
	if _, err := ParseKind("double"); err != nil {
		t.Error(err)
	}
	if _, err := ParseKind("blob"); err == nil {
		t.Error("ParseKind(blob) succeeded")
	}
}
