package profile

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestHunt(t *testing.T) {
	type row struct {
		A int64   `parquet:"a"`
		B *string `parquet:"b,optional"`
		C float64 `parquet:"c"`
	}
	s := "x"
	var buf bytes.Buffer
	parquet.Write(&buf, []row{{1, &s, 0.5}, {2, nil, 1.5}, {3, &s, -2}})
	good := buf.Bytes()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200000 {
		bad := append([]byte{}, good...)
		for range 1 + r.IntN(4) {
			switch r.IntN(3) {
			case 0:
				bad[r.IntN(len(bad))] = byte(r.IntN(256))
			case 1:
				bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
			case 2:
				j := r.IntN(len(bad))
				bad = append(bad[:j], bad[j+1:]...)
			}
		}
		os.WriteFile("/tmp/ptest/last.bin", bad, 0o644)
		ProfileParquet(context.Background(), bytes.NewReader(bad), int64(len(bad)), ParquetOptions{})
		_ = i
	}
}
