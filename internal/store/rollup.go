package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/latheml/lathe"
)

// Rollup levels: buckets of 2^7 = 128 and 2^12 = 4096 steps.
var rollupLevels = []uint{7, 12}

// rollup is one bucket's summary.
type rollup struct {
	key              string
	level            uint
	bucket           int64
	min, max, sum    float64
	fcount, count    int64
	first, last      lathe.Metric
	hasFirst, hasAny bool
}

// before orders two values of a series by (step, timestamp).
func before(a, b lathe.Metric) bool {
	return a.Step < b.Step || a.Step == b.Step && a.Timestamp < b.Timestamp
}

// rollups summarises a batch of values per key, level and bucket.
func rollups(metrics []lathe.Metric) []*rollup {
	by := map[string]*rollup{}
	seen := make(map[lathe.Metric]bool, len(metrics))
	for _, m := range metrics {
		if math.IsNaN(m.Value) || seen[m] {
			continue // NaN is left out; a repeat in one batch is stored once
		}
		seen[m] = true
		for _, lv := range rollupLevels {
			b := m.Step >> lv // floor division, also for negative steps
			k := fmt.Sprintf("%s\x00%d\x00%d", m.Key, lv, b)
			r := by[k]
			if r == nil {
				r = &rollup{key: m.Key, level: lv, bucket: b, min: m.Value, max: m.Value, first: m, last: m}
				by[k] = r
			}
			r.min, r.max = math.Min(r.min, m.Value), math.Max(r.max, m.Value)
			r.count++
			if !math.IsInf(m.Value, 0) {
				r.sum += m.Value
				r.fcount++
			}
			if before(m, r.first) {
				r.first = m
			}
			if !before(m, r.last) {
				r.last = m
			}
		}
	}
	out := make([]*rollup, 0, len(by))
	for _, r := range by {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.key != b.key {
			return a.key < b.key
		}
		if a.level != b.level {
			return a.level < b.level
		}
		return a.bucket < b.bucket
	})
	return out
}

// logRollups folds a batch of values into the rollup table.
func (db *DB) logRollups(ctx context.Context, tx *sql.Tx, id string, metrics []lathe.Metric) error {
	rs := rollups(metrics)
	least, greatest := "MIN", "MAX"
	if db.d.Name == "postgres" {
		least, greatest = "LEAST", "GREATEST"
	}
	const cols = 15
	for lo := 0; lo < len(rs); lo += 100 {
		part := rs[lo:min(lo+100, len(rs))]
		args := make([]any, 0, len(part)*cols)
		for _, r := range part {
			args = append(args, id, r.key, int(r.level), r.bucket, r.min, r.max, r.sum, r.fcount, r.count,
				r.first.Step, r.first.Timestamp, r.first.Value, r.last.Step, r.last.Timestamp, r.last.Value)
		}
		t := "metric_rollups"
		firstNew := `(excluded.first_step < ` + t + `.first_step OR (excluded.first_step = ` + t + `.first_step AND excluded.first_ts < ` + t + `.first_ts))`
		lastNew := `(excluded.last_step > ` + t + `.last_step OR (excluded.last_step = ` + t + `.last_step AND excluded.last_ts >= ` + t + `.last_ts))`
		pick := func(cond, col string) string {
			return col + ` = CASE WHEN ` + cond + ` THEN excluded.` + col + ` ELSE ` + t + `.` + col + ` END`
		}
		q := `INSERT INTO metric_rollups (run_id, key, level, bucket, min, max, sum, fcount, count, first_step, first_ts, first_value, last_step, last_ts, last_value) VALUES ` +
			strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), `, len(part)), ", ") + `
			ON CONFLICT (run_id, key, level, bucket) DO UPDATE SET
			min = ` + least + `(` + t + `.min, excluded.min), max = ` + greatest + `(` + t + `.max, excluded.max),
			sum = ` + t + `.sum + excluded.sum, fcount = ` + t + `.fcount + excluded.fcount, count = ` + t + `.count + excluded.count, ` +
			pick(firstNew, "first_value") + `, ` + pick(firstNew, "first_ts") + `, ` + pick(firstNew, "first_step") + `, ` +
			pick(lastNew, "last_value") + `, ` + pick(lastNew, "last_ts") + `, ` + pick(lastNew, "last_step")
		if _, err := tx.ExecContext(ctx, db.q(q), args...); err != nil {
			return fmt.Errorf("update metric rollups: %w", err)
		}
	}
	return nil
}

// bucketsFromRollups answers MetricBuckets from rollup level lv: each
// output bucket is a whole number of rollup buckets (width is a multiple of
// 2^lv, aligned to them), so every minimum, maximum and count is exact.
func (db *DB) bucketsFromRollups(ctx context.Context, id, key string, lv uint, lo, hi, width int64) ([]MetricBucket, error) {
	first, last := lo>>lv, hi>>lv
	per := width >> lv
	var out []MetricBucket
	var sums []float64
	var fcounts []int64
	lastIdx := int64(-1)
	err := db.eachRow(ctx, `SELECT bucket, min, max, sum, fcount, count, first_step, first_ts, first_value, last_step, last_ts, last_value
		FROM metric_rollups WHERE run_id = ? AND key = ? AND level = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket`,
		[]any{id, key, int(lv), first, last}, func(rows *sql.Rows) error {
			var b, fc, c int64
			var mn, mx, sum float64
			f, l := lathe.Metric{Key: key}, lathe.Metric{Key: key}
			if err := rows.Scan(&b, &mn, &mx, &sum, &fc, &c, &f.Step, &f.Timestamp, &f.Value, &l.Step, &l.Timestamp, &l.Value); err != nil {
				return err
			}
			if idx := (b - first) / per; idx != lastIdx {
				out = append(out, MetricBucket{FirstStep: f.Step, LastStep: l.Step, Min: mn, Max: mx, Count: c, First: f, Last: l})
				sums, fcounts, lastIdx = append(sums, sum), append(fcounts, fc), idx
				return nil
			}
			cur := &out[len(out)-1]
			cur.Min, cur.Max, cur.Count = math.Min(cur.Min, mn), math.Max(cur.Max, mx), cur.Count+c
			sums[len(sums)-1] += sum
			fcounts[len(fcounts)-1] += fc
			if before(f, cur.First) {
				cur.First, cur.FirstStep = f, f.Step
			}
			if !before(l, cur.Last) {
				cur.Last, cur.LastStep = l, l.Step
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("metric rollups: %w", err)
	}
	for i := range out {
		out[i].Mean = math.NaN()
		if fcounts[i] > 0 {
			out[i].Mean = sums[i] / float64(fcounts[i])
		}
	}
	return out, nil
}
