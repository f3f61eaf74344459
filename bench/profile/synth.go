package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

// synthHeader names the 20 generated columns: 7 int, 7 float, 4 text, 1 bool
// and 1 timestamp, several with nulls.
func synthHeader() []string {
	return []string{
		"id", "age", "visits", "amount_cents", "zip", "score_int", "bucket",
		"price", "ratio", "temperature", "latency_ms", "balance", "lat", "weight",
		"country", "segment", "user", "status", "active", "created_at",
	}
}

// writeSynth writes rows generated from seed as CSV to path: a header and
// rows × 20 mixed columns. The same seed always gives the same bytes.
func writeSynth(path string, rows int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 0x9f0f11e))
	countries := []string{"FR", "DE", "US", "GB", "ES", "IT", "NL", "PL", "SE", "JP", "BR", "IN"}
	statuses := []string{"new", "active", "churned", "paused", "trial"}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	var b []byte
	for i, h := range synthHeader() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, h...)
	}
	b = append(b, '\n')
	null := func(p float64) bool { return rng.Float64() < p }
	for r := range rows {
		b = strconv.AppendInt(b, int64(r+1), 10) // id
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(18+rng.IntN(70)), 10) // age
		b = append(b, ',')
		if !null(0.02) { // visits: Poisson-like
			b = strconv.AppendInt(b, int64(math.Floor(rng.ExpFloat64()*4)), 10)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, rng.Int64N(1_000_000_000), 10) // amount_cents
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(10000+rng.IntN(90000)), 10) // zip
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(rng.NormFloat64()*15+600), 10) // score_int
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(rng.IntN(10)), 10) // bucket
		b = append(b, ',')
		b = strconv.AppendFloat(b, math.Round(math.Exp(rng.NormFloat64()+3)*100)/100, 'f', -1, 64) // price
		b = append(b, ',')
		if !null(0.05) {
			b = strconv.AppendFloat(b, rng.Float64(), 'f', 6, 64) // ratio
		}
		b = append(b, ',')
		b = strconv.AppendFloat(b, math.Round((rng.NormFloat64()*8+15)*10)/10, 'f', -1, 64) // temperature
		b = append(b, ',')
		b = strconv.AppendFloat(b, rng.ExpFloat64()*120, 'f', 3, 64) // latency_ms
		b = append(b, ',')
		if !null(0.1) {
			b = strconv.AppendFloat(b, rng.NormFloat64()*5000, 'f', 2, 64) // balance
		}
		b = append(b, ',')
		b = strconv.AppendFloat(b, rng.Float64()*180-90, 'f', 5, 64) // lat
		b = append(b, ',')
		b = strconv.AppendFloat(b, rng.NormFloat64()*12+70, 'g', 8, 64) // weight
		b = append(b, ',')
		b = append(b, countries[min(int(rng.ExpFloat64()*3), len(countries)-1)]...) // country
		b = append(b, ',')
		if !null(0.03) {
			b = append(b, "seg_"...)
			b = strconv.AppendInt(b, int64(rng.IntN(200)), 10) // segment
		}
		b = append(b, ',')
		b = append(b, "user_"...)
		b = strconv.AppendInt(b, int64(rng.IntN(200_000)), 10) // user
		b = append(b, ',')
		b = append(b, statuses[rng.IntN(len(statuses))]...) // status
		b = append(b, ',')
		b = strconv.AppendBool(b, rng.IntN(3) > 0) // active
		b = append(b, ',')
		b = time.Unix(base+rng.Int64N(366*86400), 0).UTC().AppendFormat(b, "2006-01-02T15:04:05Z") // created_at
		b = append(b, '\n')
		if len(b) > 1<<20 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
