package client

import (
	"context"
	"io"
	"net/url"
	"strconv"

	"github.com/latheml/lathe"
)

// mlflowPath is the MLflow API path of a workspace.
func mlflowPath(workspace, rest string) string {
	return "/w/" + url.PathEscape(workspace) + "/api/2.0" + rest
}

// Experiment is an experiment as the MLflow API returns it.
type Experiment = lathe.Experiment

// RunInfo is a run's metadata in MLflow's JSON.
type RunInfo struct {
	RunID          string `json:"run_id"`
	ExperimentID   string `json:"experiment_id"`
	RunName        string `json:"run_name"`
	UserID         string `json:"user_id"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        *int64 `json:"end_time,omitempty"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
}

// Metric is one metric value; Value may be NaN or infinite.
type Metric struct {
	Key       string      `json:"key"`
	Value     FloatString `json:"value"`
	Timestamp int64       `json:"timestamp"`
	Step      int64       `json:"step"`
}

// FloatString is a double that MLflow JSON may write as "NaN" or "Infinity".
type FloatString = lathe.JSONFloat

// Run is a run with its data.
type Run struct {
	Info RunInfo `json:"info"`
	Data struct {
		Metrics []Metric    `json:"metrics,omitempty"`
		Params  []lathe.Tag `json:"params,omitempty"`
		Tags    []lathe.Tag `json:"tags,omitempty"`
	} `json:"data"`
}

// SearchExperiments lists experiments; view is ACTIVE_ONLY, DELETED_ONLY or ALL.
func (c *Client) SearchExperiments(ctx context.Context, workspace, filter, view string, max int, token string) ([]Experiment, string, error) {
	var out struct {
		Experiments   []Experiment `json:"experiments"`
		NextPageToken string       `json:"next_page_token"`
	}
	in := map[string]any{"filter": filter, "view_type": view, "max_results": max, "page_token": token}
	err := c.doJSON(ctx, "POST", mlflowPath(workspace, "/mlflow/experiments/search"), in, &out)
	return out.Experiments, out.NextPageToken, err
}

// Experiment returns an experiment by ID or, failing that, by name.
func (c *Client) Experiment(ctx context.Context, workspace, idOrName string) (*Experiment, error) {
	var out struct {
		Experiment Experiment `json:"experiment"`
	}
	if _, err := strconv.ParseInt(idOrName, 10, 64); err == nil {
		err := c.doJSON(ctx, "GET", mlflowPath(workspace, "/mlflow/experiments/get?experiment_id="+url.QueryEscape(idOrName)), nil, &out)
		if err == nil || !lathe.IsCode(err, lathe.ENOTFOUND) {
			return &out.Experiment, err
		}
	}
	if err := c.doJSON(ctx, "GET", mlflowPath(workspace, "/mlflow/experiments/get-by-name?experiment_name="+url.QueryEscape(idOrName)), nil, &out); err != nil {
		return nil, err
	}
	return &out.Experiment, nil
}

// SetExperimentDeleted deletes or restores an experiment (with its runs).
func (c *Client) SetExperimentDeleted(ctx context.Context, workspace, id string, deleted bool) error {
	op := "/mlflow/experiments/restore"
	if deleted {
		op = "/mlflow/experiments/delete"
	}
	return c.doJSON(ctx, "POST", mlflowPath(workspace, op), map[string]string{"experiment_id": id}, nil)
}

// SearchRuns searches runs with MLflow's filter grammar.
func (c *Client) SearchRuns(ctx context.Context, workspace string, experimentIDs []string, filter string, orderBy []string, view string, max int, token string) ([]Run, string, error) {
	var out struct {
		Runs          []Run  `json:"runs"`
		NextPageToken string `json:"next_page_token"`
	}
	in := map[string]any{"experiment_ids": experimentIDs, "filter": filter, "order_by": orderBy, "run_view_type": view, "max_results": max, "page_token": token}
	err := c.doJSON(ctx, "POST", mlflowPath(workspace, "/mlflow/runs/search"), in, &out)
	return out.Runs, out.NextPageToken, err
}

// Run returns one run.
func (c *Client) Run(ctx context.Context, workspace, id string) (*Run, error) {
	var out struct {
		Run Run `json:"run"`
	}
	if err := c.doJSON(ctx, "GET", mlflowPath(workspace, "/mlflow/runs/get?run_id="+url.QueryEscape(id)), nil, &out); err != nil {
		return nil, err
	}
	return &out.Run, nil
}

// ArtifactFile is one entry of an artifact listing.
type ArtifactFile struct {
	Path     string `json:"path"`
	IsDir    bool   `json:"is_dir"`
	FileSize int64  `json:"file_size"`
}

// ListArtifacts lists the direct children of an artifact directory (paths
// are relative to it).
func (c *Client) ListArtifacts(ctx context.Context, workspace, dir string) ([]ArtifactFile, error) {
	var out struct {
		Files []ArtifactFile `json:"files"`
	}
	err := c.doJSON(ctx, "GET", mlflowPath(workspace, "/mlflow-artifacts/artifacts?path="+url.QueryEscape(dir)), nil, &out)
	return out.Files, err
}

// OpenArtifact streams one artifact file.
func (c *Client) OpenArtifact(ctx context.Context, workspace, path string) (io.ReadCloser, int64, error) {
	resp, err := c.do(ctx, request{method: "GET", path: mlflowPath(workspace, "/mlflow-artifacts/artifacts/"+escapePath(path)), size: -1})
	if err != nil {
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

// escapePath escapes each segment of a slash path.
func escapePath(p string) string {
	u := url.URL{Path: p}
	return u.EscapedPath()
}

// MLflow sends one raw MLflow REST call (path after /api/2.0, e.g.
// "/mlflow/runs/create") to the workspace, as the MLflow client would.
func (c *Client) MLflow(ctx context.Context, workspace, method, path string, in, out any) error {
	return c.doJSON(ctx, method, mlflowPath(workspace, path), in, out)
}

// PutArtifact uploads one artifact file through the MLflow artifact proxy.
func (c *Client) PutArtifact(ctx context.Context, workspace, path string, r io.Reader, size int64) error {
	resp, err := c.do(ctx, request{method: "PUT", path: mlflowPath(workspace, "/mlflow-artifacts/artifacts/"+escapePath(path)), body: r, size: size, ctype: "application/octet-stream"})
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}
