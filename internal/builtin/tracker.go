package builtin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// Tracker logs to one MLflow run over the MLflow REST API.
type Tracker struct {
	URI          string // the tracking URI, e.g. http://host:8080/w/team
	Token        string
	RunID        string
	ExperimentID string
	HTTP         *http.Client
}

// call sends one MLflow REST request.
func (t *Tracker) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(t.URI, "/")+"/api/2.0"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	c := t.HTTP
	if c == nil {
		c = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := c.Do(req)
	if err != nil {
		return lathe.Errorf(lathe.EUNAVAILABLE, "MLflow tracking at %s: %v", t.URI, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return lathe.Errorf(lathe.EUNAVAILABLE, "MLflow %s %s answered %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// finite drops non-finite values, which would not encode as JSON numbers.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// LogParams logs params to the run (at most 100 per call, as MLflow wants).
func (t *Tracker) LogParams(ctx context.Context, params map[string]string) error {
	return t.logParamsTo(ctx, t.RunID, params)
}

func (t *Tracker) logParamsTo(ctx context.Context, run string, params map[string]string) error {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for lo := 0; lo < len(keys); lo += lathe.MaxBatchParamsTags {
		var ps []lathe.Tag
		for _, k := range keys[lo:min(lo+lathe.MaxBatchParamsTags, len(keys))] {
			ps = append(ps, lathe.Tag{Key: k, Value: params[k]})
		}
		if err := t.call(ctx, "POST", "/mlflow/runs/log-batch", map[string]any{"run_id": run, "params": ps}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Point is one metric value at a step.
type Point struct {
	Key   string
	Value float64
	Step  int64
}

// LogMetrics logs metric values in batches of at most 1000.
func (t *Tracker) LogMetrics(ctx context.Context, pts []Point) error {
	return t.logMetricsTo(ctx, t.RunID, pts)
}

func (t *Tracker) logMetricsTo(ctx context.Context, run string, pts []Point) error {
	now := time.Now().UnixMilli()
	var batch []map[string]any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := t.call(ctx, "POST", "/mlflow/runs/log-batch", map[string]any{"run_id": run, "metrics": batch}, nil)
		batch = nil
		return err
	}
	for _, p := range pts {
		if !finite(p.Value) {
			continue
		}
		batch = append(batch, map[string]any{"key": p.Key, "value": p.Value, "step": p.Step, "timestamp": now})
		if len(batch) == lathe.MaxBatchMetrics {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// LogDir uploads every file of a local directory as the run's artifacts
// under prefix.
func (t *Tracker) LogDir(ctx context.Context, dir, prefix string) error {
	return t.logDirTo(ctx, t.RunID, dir, prefix)
}

func (t *Tracker) logDirTo(ctx context.Context, run, dir, prefix string) error {
	var info struct {
		Run struct {
			Info struct {
				ArtifactURI string `json:"artifact_uri"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := t.call(ctx, "GET", "/mlflow/runs/get?run_id="+run, nil, &info); err != nil {
		return err
	}
	root := strings.TrimPrefix(strings.TrimPrefix(info.Run.Info.ArtifactURI, "mlflow-artifacts:"), "/")
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		url := strings.TrimRight(t.URI, "/") + "/api/2.0/mlflow-artifacts/artifacts/" + root + "/" + strings.Trim(prefix, "/") + "/" + filepath.ToSlash(rel)
		req, err := http.NewRequestWithContext(ctx, "PUT", url, f)
		if err != nil {
			return err
		}
		if t.Token != "" {
			req.Header.Set("Authorization", "Bearer "+t.Token)
		}
		c := t.HTTP
		if c == nil {
			c = &http.Client{Timeout: 10 * time.Minute}
		}
		resp, err := c.Do(req)
		if err != nil {
			return lathe.Errorf(lathe.EUNAVAILABLE, "upload artifact %s: %v", rel, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return lathe.Errorf(lathe.EUNAVAILABLE, "upload artifact %s: %s", rel, resp.Status)
		}
		return nil
	})
}

// Child starts a child run of this run (MLflow's nested runs: the
// mlflow.parentRunId tag) and returns a tracker for it.
func (t *Tracker) Child(ctx context.Context, name string) (*Tracker, error) {
	var out struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	err := t.call(ctx, "POST", "/mlflow/runs/create", map[string]any{
		"experiment_id": t.ExperimentID, "run_name": name, "start_time": time.Now().UnixMilli(),
		"tags": []lathe.Tag{{Key: "mlflow.parentRunId", Value: t.RunID}},
	}, &out)
	if err != nil {
		return nil, err
	}
	c := *t
	c.RunID = out.Run.Info.RunID
	return &c, nil
}

// End marks the run finished (or failed).
func (t *Tracker) End(ctx context.Context, ok bool) error {
	status := lathe.RunFinished
	if !ok {
		status = lathe.RunFailed
	}
	return t.call(ctx, "POST", "/mlflow/runs/update", map[string]any{"run_id": t.RunID, "status": status, "end_time": time.Now().UnixMilli()}, nil)
}

func (t *Tracker) String() string { return fmt.Sprintf("MLflow run %s at %s", t.RunID, t.URI) }
