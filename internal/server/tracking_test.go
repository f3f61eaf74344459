package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestMetricHistoryDownsample(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	var run struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	h.jsonCall("POST", "/api/2.0/mlflow/runs/create", h.token, `{"experiment_id":"0"}`, &run)
	id := run.Run.Info.RunID
	const n = 5000
	for lo := 0; lo < n; lo += 1000 {
		var parts []string
		for i := lo; i < lo+1000; i++ {
			v := float64(i)
			if i == 2345 {
				v = 1e6 // a spike a naive sample would miss
			}
			parts = append(parts, fmt.Sprintf(`{"key":"loss","value":%g,"timestamp":%d,"step":%d}`, v, i, i))
		}
		resp := h.jsonCall("POST", "/api/2.0/mlflow/runs/log-batch", h.token, `{"run_id":"`+id+`","metrics":[`+strings.Join(parts, ",")+`]}`, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("log-batch = %d", resp.StatusCode)
		}
	}
	var s struct {
		Buckets []struct {
			FirstStep int64   `json:"first_step"`
			LastStep  int64   `json:"last_step"`
			Min       float64 `json:"min"`
			Max       float64 `json:"max"`
			Count     int64   `json:"count"`
		} `json:"buckets"`
	}
	resp := h.jsonCall("GET", "/api/v1/workspaces/default/runs/"+id+"/metric-history?key=loss&points=10", h.token, "", &s)
	if resp.StatusCode != 200 || len(s.Buckets) != 10 {
		t.Fatalf("downsample: %d, %d buckets", resp.StatusCode, len(s.Buckets))
	}
	var total int64
	spike := false
	for _, b := range s.Buckets {
		total += b.Count
		spike = spike || b.Max == 1e6
	}
	if total != n || s.Buckets[0].FirstStep != 0 || s.Buckets[9].LastStep != n-1 || !spike {
		t.Fatalf("buckets do not cover the series or lost the spike: %+v", s.Buckets)
	}
	resp = h.jsonCall("GET", "/api/v1/workspaces/default/runs/"+id+"/metric-history?key=loss&points=10&start_step=100&end_step=199", h.token, "", &s)
	if s.Buckets[0].FirstStep != 100 || s.Buckets[len(s.Buckets)-1].LastStep != 199 {
		t.Fatalf("range: %+v", s.Buckets)
	}
	wantError(t, h.call("GET", "/api/v1/workspaces/default/runs/"+id+"/metric-history?key=loss&points=0", h.token, nil), 400, "invalid")
	wantError(t, h.call("GET", "/api/v1/workspaces/default/runs/nope/metric-history?key=loss", h.token, nil), 404, "not_found")
	_ = json.Marshal
}
