package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

// Tracking is the part of experiment tracking the native API serves (the
// rest is behind the MLflow API).
type Tracking interface {
	Downsample(ctx context.Context, ws, id, key string, start, end *int64, points int) ([]store.MetricBucket, error)
}

// MetricPoint is one logged value.
type MetricPoint struct {
	Step      int64           `json:"step"`
	Value     lathe.JSONFloat `json:"value"`
	Timestamp int64           `json:"timestamp"`
}

// MetricBucket summarises a range of steps of a metric.
type MetricBucket struct {
	FirstStep int64           `json:"first_step"`
	LastStep  int64           `json:"last_step"`
	Min       lathe.JSONFloat `json:"min"`
	Max       lathe.JSONFloat `json:"max"`
	Mean      lathe.JSONFloat `json:"mean"`
	Count     int64           `json:"count"`
	First     MetricPoint     `json:"first"`
	Last      MetricPoint     `json:"last"`
}

// MetricSeries is a downsampled metric history.
type MetricSeries struct {
	RunID   string         `json:"run_id"`
	Key     string         `json:"key"`
	Buckets []MetricBucket `json:"buckets"`
}

func optInt(r *http.Request, name string) (*int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "%s=%q is not a whole number", name, s)
	}
	return &v, nil
}

// metricHistory serves a metric's history downsampled to at most ?points=
// buckets, each keeping its min and max so spikes survive.
func (a *API) metricHistory(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	q := r.URL.Query()
	points := 1000
	if s := q.Get("points"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return lathe.Errorf(lathe.EINVALID, "points=%q is not a whole number", s)
		}
		points = n
	}
	start, err := optInt(r, "start_step")
	if err != nil {
		return err
	}
	end, err := optInt(r, "end_step")
	if err != nil {
		return err
	}
	run, key := r.PathValue("run"), q.Get("key")
	buckets, err := a.opts.Tracking.Downsample(r.Context(), ws.ID, run, key, start, end, points)
	if err != nil {
		return err
	}
	out := MetricSeries{RunID: run, Key: key, Buckets: make([]MetricBucket, len(buckets))}
	for i, b := range buckets {
		out.Buckets[i] = MetricBucket{FirstStep: b.FirstStep, LastStep: b.LastStep, Min: lathe.JSONFloat(b.Min), Max: lathe.JSONFloat(b.Max),
			Mean: lathe.JSONFloat(b.Mean), Count: b.Count,
			First: MetricPoint{b.First.Step, lathe.JSONFloat(b.First.Value), b.First.Timestamp},
			Last:  MetricPoint{b.Last.Step, lathe.JSONFloat(b.Last.Value), b.Last.Timestamp}}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
