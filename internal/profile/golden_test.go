package profile

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

var update = flag.Bool("update", false, "rewrite the golden profiles in testdata")

func TestGoldenBankMarketing(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("..", "demo", "data", "bank_marketing_train.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ProfileCSV(context.Background(), zr, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "bank_marketing_train.profile.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("profile differs from %s (run go test -update after checking the change):\n%s", golden, firstDiff(string(got), string(want)))
	}
	// Figures checked against pandas 1.5.3 read_csv + describe().
	if p.Rows != 29999 || len(p.Columns) != 21 || p.ProblemCount != 0 {
		t.Fatalf("rows %d columns %d problems %d", p.Rows, len(p.Columns), p.ProblemCount)
	}
	age := p.Column("age")
	if fmt.Sprintf("%.6f %.6f %v %v", *age.Mean, *age.Std, age.Quantiles.P50, *age.Max) != "40.042968 10.443217 38 98" {
		t.Errorf("age: mean %v std %v p50 %v max %v", *age.Mean, *age.Std, age.Quantiles.P50, *age.Max)
	}
	if d := p.Column("duration").Quantiles; d.P95 < 754.0999 || d.P95 > 754.1001 {
		t.Errorf("duration p95 %v, pandas says 754.1", d.P95)
	}
	if y := p.Column("y"); y.Type != TypeString || !y.Categorical || y.TopK[0].Value != "no" {
		t.Errorf("y: %+v", y)
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(al), len(bl))
}

// genCSV makes a CSV with columns that overflow every exact table.
func genCSV(rows int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("id;x;s;t;q\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d;%.4f;k%d;2024-01-%02dT%02d:%02d:00Z;\"a;%d\"\n",
			i, r.NormFloat64(), r.IntN(30_000), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(3))
	}
	return b.String()
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	in := genCSV(25_000, 9)
	ctx := context.Background()
	var outs []string
	for _, r := range []func() *strings.Reader{
		func() *strings.Reader { return strings.NewReader(in) },
		func() *strings.Reader { return strings.NewReader(in) },
	} {
		p, err := ProfileCSV(ctx, r(), CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, mustJSON(t, p))
	}
	// Short reads move every buffer boundary.
	p, err := ProfileCSV(ctx, iotest.HalfReader(strings.NewReader(in)), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, mustJSON(t, p))
	for i := 1; i < len(outs); i++ {
		if outs[i] != outs[0] {
			t.Fatalf("run %d differs:\n%s", i, firstDiff(outs[i], outs[0]))
		}
	}
	if !p.Column("x").DistinctApproximate || !p.Column("s").TopKApproximate || p.Column("q").Type != TypeString {
		t.Errorf("the generated data should overflow the exact tables: %+v", p.Columns)
	}
}
