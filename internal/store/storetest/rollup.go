package storetest

import (
	"math"
	"testing"

	"github.com/latheml/lathe"
)

// testMetricBuckets checks downsampling against a brute-force reference,
// both on a long series (answered from the rollups) and on short or
// unaligned ranges (answered from the raw values).
func testMetricBuckets(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	e := &lathe.Experiment{WorkspaceID: w.ID, Name: "e", LifecycleStage: lathe.StageActive}
	if err := db.CreateExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	r := &lathe.RunInfo{WorkspaceID: w.ID, RunID: lathe.NewID(), ExperimentID: e.ID, Name: "r", Status: lathe.RunRunning, LifecycleStage: lathe.StageActive}
	if err := db.CreateRun(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	value := func(step int) float64 {
		switch step {
		case 12345:
			return 1e9 // a spike
		case 7:
			return math.NaN()
		}
		return math.Sin(float64(step)/500) + float64(step%7)/10
	}
	var batch []lathe.Metric
	for s := 0; s < n; s++ {
		batch = append(batch, lathe.Metric{Key: "m", Value: value(s), Timestamp: int64(s), Step: int64(s)})
		if len(batch) == 1000 || s == n-1 {
			if err := db.LogBatch(ctx, w.ID, r.RunID, batch, nil, nil); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	i64 := func(v int64) *int64 { return &v }
	tests := []struct {
		name       string
		start, end *int64
		points     int
	}{
		{"whole series, rollups", nil, nil, 50},
		{"whole series, fine rollups", nil, nil, 150},
		{"aligned range, rollups", i64(4096), i64(16383), 10},
		{"unaligned range, raw", i64(100), i64(19000), 40},
		{"short range, raw", i64(12300), i64(12400), 10},
		{"more points than steps", i64(0), i64(9), 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.MetricBuckets(ctx, w.ID, r.RunID, "m", tc.start, tc.end, tc.points)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || len(got) > tc.points {
				t.Fatalf("%d buckets for %d points", len(got), tc.points)
			}
			lo, hi := int64(0), int64(n-1)
			if tc.start != nil {
				lo = *tc.start
			}
			if tc.end != nil {
				hi = *tc.end
			}
			var count int64
			prevLast := lo - 1
			for _, b := range got {
				// The reference: every value from FirstStep to LastStep.
				mn, mx, c := math.Inf(1), math.Inf(-1), int64(0)
				for s := b.FirstStep; s <= b.LastStep; s++ {
					v := value(int(s))
					if math.IsNaN(v) {
						continue
					}
					mn, mx, c = math.Min(mn, v), math.Max(mx, v), c+1
				}
				if b.Min != mn || b.Max != mx || b.Count != c || b.FirstStep <= prevLast {
					t.Fatalf("bucket %d-%d: min %g max %g count %d, want %g %g %d (after %d)", b.FirstStep, b.LastStep, b.Min, b.Max, b.Count, mn, mx, c, prevLast)
				}
				if b.First.Step != b.FirstStep || b.Last.Step != b.LastStep || b.First.Value != value(int(b.FirstStep)) {
					t.Fatalf("bucket %d-%d ends: %+v %+v", b.FirstStep, b.LastStep, b.First, b.Last)
				}
				prevLast = b.LastStep
				count += b.Count
			}
			want := int64(0)
			for s := lo; s <= hi; s++ {
				if !math.IsNaN(value(int(s))) {
					want++
				}
			}
			if count != want {
				t.Fatalf("buckets count %d values, the range holds %d", count, want)
			}
			if lo <= 12345 && 12345 <= hi {
				spike := false
				for _, b := range got {
					spike = spike || b.Max == 1e9
				}
				if !spike {
					t.Fatal("the spike was lost")
				}
			}
		})
	}
	// The rollups stay right when more values arrive for a bucket later,
	// including an earlier step and a later one.
	late := []lathe.Metric{{Key: "m", Value: -5, Timestamp: 1, Step: 3}, {Key: "m", Value: 99, Timestamp: 99999, Step: n + 10}}
	if err := db.LogBatch(ctx, w.ID, r.RunID, late, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.MetricBuckets(ctx, w.ID, r.RunID, "m", nil, nil, 20)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Min != -5 || got[len(got)-1].Max != 99 || got[len(got)-1].LastStep != n+10 {
		t.Fatalf("after late values: first %+v, last %+v", got[0], got[len(got)-1])
	}
}
