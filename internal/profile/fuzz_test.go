package profile

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/latheml/lathe"
)

func FuzzProfileCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n",
		"x;y\n\"1;2\";3\n4\n",
		"\"unclosed\n",
		"a\tb\n2024-01-01\ttrue\n12/31/2024\tFALSE\n",
		"h\n\xff\xfe\n1e400\n-0\n.5\n",
		"a,b\n\"x\"\"y\",\"\"\n,\n",
		"\uFEFFid|v\r\n1|NA\r\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		opts := CSVOptions{
			Delimiter:      []byte{0, ',', ';', '\t'}[mode&3],
			Header:         Header(mode >> 2 & 3 % 3),
			Strict:         mode&16 != 0,
			MaxRecordBytes: 4096,
			Options:        Options{ExactDistinct: 4, MaxProblems: 3, Bins: 3},
		}
		p, err := ProfileCSV(context.Background(), bytes.NewReader(in), opts)
		if err != nil {
			return
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatalf("profile does not encode: %v", err)
		}
		if len(p.Problems) > 3 || p.ProblemCount < int64(len(p.Problems)) {
			t.Fatalf("problems %d, count %d", len(p.Problems), p.ProblemCount)
		}
		for _, c := range p.Columns {
			if c.Count+c.Nulls != p.Rows {
				t.Fatalf("column %q: count %d + nulls %d != rows %d", c.Name, c.Count, c.Nulls, p.Rows)
			}
			if h := c.Histogram; h != nil {
				var sum int64
				for _, n := range h.Counts {
					sum += n
				}
				if sum != c.Count-c.Infinite || len(h.Edges) != len(h.Counts)+1 {
					t.Fatalf("column %q: histogram %+v for %d values", c.Name, h, c.Count)
				}
			}
		}
	})
}

func FuzzProfileParquet(f *testing.F) {
	type row struct {
		A int64   `parquet:"a"`
		B *string `parquet:"b,optional"`
		C float64 `parquet:"c"`
	}
	s := "x"
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []row{{1, &s, 0.5}, {2, nil, 1.5}, {3, &s, -2}}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ProfileParquet(context.Background(), bytes.NewReader(in), int64(len(in)), ParquetOptions{})
		if err != nil {
			if !lathe.IsCode(err, lathe.EINVALID) {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatalf("profile does not encode: %v", err)
		}
	})
}
