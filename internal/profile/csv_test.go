package profile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func profileString(t *testing.T, in string, opts CSVOptions) *Profile {
	t.Helper()
	p, err := ProfileCSV(context.Background(), strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("ProfileCSV: %v", err)
	}
	return p
}

func names(p *Profile) string {
	var ns []string
	for _, c := range p.Columns {
		ns = append(ns, c.Name)
	}
	return strings.Join(ns, ",")
}

func TestDelimiterDetection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     string
	}{
		{"comma", "a,b,c\n1,2,3\n4,5,6\n", ","},
		{"semicolon", "a;b;c\n1,5;2;3\n4,5;5;6\n", ";"},
		{"tab", "a\tb\n1\t2\n", "\t"},
		{"pipe", "a|b|c\nx|y|z\n", "|"},
		{"quoted commas in a semicolon file", "name;note\n\"Smith, J\";\"a, b, c\"\n\"Doe, A\";\"d, e\"\n", ";"},
		{"consistency beats count", "a,b;c;d\n1,2;3;4\n5,6;7\n", ","},
		{"one column", "value\n1\n2\n", ","},
		{"crlf", "a;b\r\n1;2\r\n", ";"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if p := profileString(t, tc.in, CSVOptions{}); p.Delimiter != tc.want {
				t.Errorf("delimiter %q, want %q", p.Delimiter, tc.want)
			}
		})
	}
}

func TestHeaderDetection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		header   Header
		want     bool
		names    string
	}{
		{"names over numbers", "age,income\n30,1000\n40,2000\n", HeaderAuto, true, "age,income"},
		{"numbers only", "30,1000\n40,2000\n", HeaderAuto, false, "column_1,column_2"},
		{"names over text and dates", "name,born\nann,2001-02-03\nbob,1999-12-31\n", HeaderAuto, true, "name,born"},
		{"all text, names not repeated", "color,size\nred,small\nblue,large\nred,large\n", HeaderAuto, true, "color,size"},
		{"all text, first row repeats", "red,small\nblue,large\nred,large\n", HeaderAuto, false, "column_1,column_2"},
		{"empty first cell", ",b\n1,2\n", HeaderAuto, false, "column_1,column_2"},
		{"duplicate names", "x,x\n1,2\n", HeaderAuto, false, "column_1,column_2"},
		{"a number in the first row", "id,2020\n1,2\n", HeaderAuto, false, "column_1,column_2"},
		{"a lone row of names", "a,b,c\n", HeaderAuto, true, "a,b,c"},
		{"forced present", "1,2\n3,4\n", HeaderPresent, true, "1,2"},
		{"forced absent", "a,b\nc,d\n", HeaderAbsent, false, "column_1,column_2"},
		{"forced present, empty and duplicate names", "x,,x,x.1\n1,2,3,4\n", HeaderPresent, true, "x,column_2,x.2,x.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := profileString(t, tc.in, CSVOptions{Header: tc.header})
			if p.Header != tc.want || names(p) != tc.names {
				t.Errorf("header %v, names %q; want %v, %q", p.Header, names(p), tc.want, tc.names)
			}
		})
	}
}

func TestQuoting(t *testing.T) {
	t.Parallel()
	in := "id,text,n\n" +
		"1,\"a, b\",1\n" +
		"2,\"say \"\"hi\"\"\",2\n" +
		"3,\"two\nlines\",3\r\n" +
		"4, \"spaced\" ,4\n" +
		"5,\"\",5\n" +
		"6,plain,x\n"
	p := profileString(t, in, CSVOptions{})
	if p.Rows != 6 || len(p.Columns) != 3 {
		t.Fatalf("rows %d columns %d, want 6 and 3", p.Rows, len(p.Columns))
	}
	text := p.Column("text")
	got := map[string]int64{}
	for _, vc := range text.TopK {
		got[vc.Value] = vc.Count
	}
	for _, want := range []string{"a, b", `say "hi"`, "two\nlines", "spaced", "plain"} {
		if got[want] != 1 {
			t.Errorf("value %q counted %d times; top_k %v", want, got[want], text.TopK)
		}
	}
	if text.Nulls != 1 {
		t.Errorf("text nulls %d, want 1 (the empty quoted field)", text.Nulls)
	}
	// The line numbers after a multi-line field stay right: row 6 is on line 8.
	if c := p.Column("n"); c.Type != TypeString {
		t.Errorf("n type %s, want string", c.Type)
	}
	if p.ProblemCount != 0 {
		t.Errorf("problems %v, want none", p.Problems)
	}
	bad := "a,b\n1,2\n\"x\ny\",\"unclosed\n"
	p = profileString(t, bad, CSVOptions{})
	if len(p.Problems) != 1 || p.Problems[0].Line != 3 || !strings.Contains(p.Problems[0].Message, "not closed") {
		t.Errorf("problems %+v, want one on line 3 about a quote not closed", p.Problems)
	}
}

func TestLenientAndStrict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in  string
		lines     []int64
		contains  string
		ragged    int64
		badUTF8   int64
		wantCount map[string]int64 // column → non-null count in lenient mode
	}{
		{
			name:     "ragged rows",
			in:       "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n",
			lines:    []int64{3, 4},
			contains: "fields where the header has 3",
			ragged:   2, wantCount: map[string]int64{"a": 4, "c": 3},
		},
		{
			name:     "bad utf-8",
			in:       "a,b\n1,ok\n2,caf\xe9\n3,x\n",
			lines:    []int64{3},
			contains: `invalid UTF-8 in column "b"`,
			badUTF8:  1, wantCount: map[string]int64{"b": 3},
		},
		{
			name:     "bad utf-8 in a quoted field after a multi-line one",
			in:       "a,b\n1,\"x\ny\"\n2,\"\xff\"\n",
			lines:    []int64{4},
			contains: "invalid UTF-8",
			badUTF8:  1,
		},
		{
			name:     "stray quotes",
			in:       "a,b\n1,5\" screen\n2,\"ok\"x\n",
			lines:    []int64{2, 3},
			contains: "quote",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := profileString(t, tc.in, CSVOptions{})
			var lines []int64
			for _, pr := range p.Problems {
				lines = append(lines, pr.Line)
			}
			if fmt.Sprint(lines) != fmt.Sprint(tc.lines) {
				t.Errorf("problem lines %v, want %v (%+v)", lines, tc.lines, p.Problems)
			}
			if !strings.Contains(p.Problems[0].Message, tc.contains) {
				t.Errorf("problem %q does not say %q", p.Problems[0].Message, tc.contains)
			}
			if p.RaggedRows != tc.ragged || p.InvalidUTF8Rows != tc.badUTF8 || p.ProblemCount != int64(len(tc.lines)) {
				t.Errorf("ragged %d, bad UTF-8 %d, problems %d; want %d, %d, %d", p.RaggedRows, p.InvalidUTF8Rows, p.ProblemCount, tc.ragged, tc.badUTF8, len(tc.lines))
			}
			for col, n := range tc.wantCount {
				if c := p.Column(col); c.Count != n || c.Count+c.Nulls != p.Rows {
					t.Errorf("column %s: count %d nulls %d rows %d, want count %d", col, c.Count, c.Nulls, p.Rows, n)
				}
			}
			_, err := ProfileCSV(context.Background(), strings.NewReader(tc.in), CSVOptions{Strict: true})
			want := fmt.Sprintf("csv line %d: ", tc.lines[0])
			if !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "strict") {
				t.Errorf("strict: %v; want EINVALID starting %q", err, want)
			}
		})
	}
}

func TestProblemCap(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := range 50 {
		fmt.Fprintf(&b, "%d\n%d,%d\n", i, i, i)
	}
	p := profileString(t, b.String(), CSVOptions{Options: Options{MaxProblems: 5}})
	if len(p.Problems) != 5 || p.ProblemCount != 50 || !p.Truncated || p.RaggedRows != 50 {
		t.Errorf("problems %d count %d truncated %v ragged %d; want 5, 50, true, 50", len(p.Problems), p.ProblemCount, p.Truncated, p.RaggedRows)
	}
	if p.Problems[4].Line != 10 {
		t.Errorf("fifth problem on line %d, want 10", p.Problems[4].Line)
	}
}

func TestTypeInference(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []string
		want   Type
		cat    bool
	}{
		{"ints", []string{"1", "-2", "+3", "007"}, TypeInt, false},
		{"floats", []string{"1", "2.5", "-.5", "1e3", "5."}, TypeFloat, false},
		{"int overflow is float", []string{"1", "99999999999999999999"}, TypeFloat, false},
		{"bools", []string{"true", "False", "TRUE", "false"}, TypeBool, false},
		{"yes/no stays text", []string{"yes", "no", "yes", "no"}, TypeString, true},
		{"0/1 stays int", []string{"0", "1", "1", "0"}, TypeInt, false},
		{"iso dates", []string{"2024-01-31", "2023-12-01"}, TypeDatetime, false},
		{"rfc3339", []string{"2024-01-31T10:00:00Z", "2024-01-31T10:00:00.123+02:00", "2024-01-31 09:00"}, TypeDatetime, false},
		{"us dates", []string{"12/31/2024", "1/2/2024"}, TypeDatetime, false},
		{"day-first dates", []string{"31/12/2024", "2/1/2024"}, TypeDatetime, false},
		{"a bad date", []string{"2024-01-31", "2024-02-30"}, TypeString, false},
		{"numbers then text", []string{"1", "2", "x"}, TypeString, false},
		{"nulls ignored", []string{"1", "NA", "", "null", "2"}, TypeInt, false},
		{"all null", []string{"", "NA"}, TypeString, false},
		{"hex and inf are text", []string{"0x10", "inf"}, TypeString, false},
		{"categorical", []string{"a", "b", "a", "b", "a"}, TypeString, true},
		{"free text", []string{"a", "b", "c"}, TypeString, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := "v\n" + strings.Join(tc.values, "\n") + "\n"
			p := profileString(t, in, CSVOptions{Header: HeaderPresent})
			c := p.Columns[0]
			if c.Type != tc.want || c.Categorical != tc.cat {
				t.Errorf("type %s categorical %v, want %s %v", c.Type, c.Categorical, tc.want, tc.cat)
			}
		})
	}
}

func TestDatetimeRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		values   string
		min, max string
	}{
		{"zones", "2024-01-01T10:00:00+02:00\n2024-01-01T09:00:00Z\n2024-01-01 07:30", "2024-01-01T07:30:00Z", "2024-01-01T09:00:00Z"},
		{"month first wins when both read", "01/02/2024\n03/04/2024", "2024-01-02T00:00:00Z", "2024-03-04T00:00:00Z"},
		{"day first when month first fails", "01/02/2024\n31/01/2024", "2024-01-31T00:00:00Z", "2024-02-01T00:00:00Z"},
		{"fractions", "2024-05-05T00:00:00.5Z\n2024-05-05T00:00:00.25Z", "2024-05-05T00:00:00.25Z", "2024-05-05T00:00:00.5Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := profileString(t, "t\n"+tc.values+"\n", CSVOptions{Header: HeaderPresent})
			c := p.Columns[0]
			if c.Type != TypeDatetime || c.DatetimeMin != tc.min || c.DatetimeMax != tc.max {
				t.Errorf("%s [%s, %s], want datetime [%s, %s]", c.Type, c.DatetimeMin, c.DatetimeMax, tc.min, tc.max)
			}
		})
	}
}

func TestNumericSummary(t *testing.T) {
	t.Parallel()
	p := profileString(t, "x\n1\n2\n3\n4\n\n5\nNA\n", CSVOptions{})
	c := p.Columns[0]
	if c.Count != 5 || c.Nulls != 1 || c.NullRate != 1.0/6 || c.Distinct != 5 {
		t.Fatalf("count %d nulls %d rate %v distinct %d", c.Count, c.Nulls, c.NullRate, c.Distinct)
	}
	if *c.Min != 1 || *c.Max != 5 || *c.Mean != 3 || *c.Std != 1.5811388300841898 {
		t.Errorf("min %v max %v mean %v std %v", *c.Min, *c.Max, *c.Mean, *c.Std)
	}
	q := c.Quantiles
	if q.P25 != 2 || q.P50 != 3 || q.P75 != 4 || q.P01 != 1.04 || q.P99 != 4.96 || q.Approximate {
		t.Errorf("quantiles %+v", q)
	}
	h := c.Histogram
	if fmt.Sprint(h.Edges) != "[1 2 3 4 5 6]" || fmt.Sprint(h.Counts) != "[1 1 1 1 1]" {
		t.Errorf("histogram %+v, want one bin per integer", h)
	}
	p = profileString(t, "x\n0.5\n1.5\n2.5\n10\n", CSVOptions{Options: Options{Bins: 4}})
	h = p.Columns[0].Histogram
	if fmt.Sprint(h.Edges) != "[0.5 2.875 5.25 7.625 10]" || fmt.Sprint(h.Counts) != "[3 0 0 1]" {
		t.Errorf("histogram %+v", h)
	}
}

func TestLongValues(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 40) // 80 bytes
	p := profileString(t, "s\n"+long+"a\n"+long+"b\n"+long+"a\n", CSVOptions{})
	c := p.Columns[0]
	if c.Distinct != 2 || len(c.TopK) != 2 || c.TopK[0].Count != 2 {
		t.Fatalf("distinct %d top %+v", c.Distinct, c.TopK)
	}
	if v := c.TopK[0].Value; v != strings.Repeat("é", 32)+"…" {
		t.Errorf("long value shown as %q", v)
	}
}

func TestCSVEdgeCases(t *testing.T) {
	t.Parallel()
	p := profileString(t, "", CSVOptions{})
	if p.Rows != 0 || len(p.Columns) != 0 {
		t.Errorf("empty input: %+v", p)
	}
	p = profileString(t, "\uFEFFa,b\n1,2\n", CSVOptions{})
	if names(p) != "a,b" {
		t.Errorf("BOM not stripped: %q", names(p))
	}
	p = profileString(t, "a,b\n\n1,2\n\n\n3,4", CSVOptions{})
	if p.Rows != 2 || p.ProblemCount != 0 {
		t.Errorf("blank lines: rows %d problems %v", p.Rows, p.Problems)
	}
	p = profileString(t, "a;b\n1;NA\n2;-\n", CSVOptions{NullValues: []string{"-"}})
	if c := p.Column("b"); c.Nulls != 1 || c.Count != 1 {
		t.Errorf("custom nulls: %+v", c)
	}
}

func TestCSVLimitsAndOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   string
		opts CSVOptions
		want string
	}{
		{"record too long", "a\n\"" + strings.Repeat("x", 200) + "\n", CSVOptions{MaxRecordBytes: 100}, "longer than 100 bytes"},
		{"too many columns", "a,b,c\n", CSVOptions{Options: Options{MaxColumns: 2}}, "3 columns, more than the limit of 2"},
		{"bad delimiter", "a\n", CSVOptions{Delimiter: '\n'}, "delimiter"},
		{"quote is delimiter", "a\n", CSVOptions{Delimiter: '"'}, "delimiter"},
		{"negative bins", "a\n", CSVOptions{Options: Options{Bins: -1}}, "Bins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ProfileCSV(ctx, strings.NewReader(tc.in), tc.opts)
			if !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	big := "a,b\n" + strings.Repeat("1,2\n", 20000)
	if _, err := ProfileCSV(cctx, strings.NewReader(big), CSVOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}
