package tracking

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
	"github.com/latheml/lathe/internal/store"
)

// CreateRunRequest creates a run.
type CreateRunRequest struct {
	ExperimentID string
	UserID       string
	Name         string
	StartTime    int64 // 0: now
	Tags         []lathe.Tag
	// Status is the run's first status: RUNNING (the default, as MLflow
	// does) or SCHEDULED (a job's run, created when the job is queued).
	Status string
}

// CreateRun starts a run in an active experiment and returns it. A run with
// no name gets a generated one, and the mlflow.runName tag always matches
// the name, as MLflow does.
func (s *Service) CreateRun(ctx context.Context, ws string, req CreateRunRequest) (*lathe.Run, error) {
	if req.ExperimentID == "" {
		req.ExperimentID = DefaultExperimentID
	}
	status := lathe.RunRunning
	switch req.Status {
	case "", lathe.RunRunning:
	case lathe.RunScheduled:
		status = req.Status
	default:
		return nil, invalid("a run starts RUNNING or SCHEDULED, not %q", req.Status)
	}
	e, err := s.Experiment(ctx, ws, req.ExperimentID)
	if err != nil {
		return nil, err
	}
	if e.LifecycleStage != lathe.StageActive {
		return nil, invalid("The experiment %s must be in the 'active' state. Current state is %s.", e.ID, e.LifecycleStage)
	}
	if err := validateTags(req.Tags); err != nil {
		return nil, err
	}
	id := lathe.NewID()
	name := req.Name
	for _, t := range req.Tags {
		if t.Key == "mlflow.runName" {
			if name != "" && name != t.Value {
				return nil, invalid("Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='%s', mlflow.runName='%s').", name, t.Value)
			}
			name = t.Value
		}
	}
	tags := req.Tags
	if name == "" {
		name = RunName(id)
	}
	if !hasTag(tags, "mlflow.runName") {
		tags = append(tags, lathe.Tag{Key: "mlflow.runName", Value: name})
	}
	start := req.StartTime
	if start == 0 {
		start = s.ms()
	}
	info := &lathe.RunInfo{
		WorkspaceID: ws, RunID: id, ExperimentID: e.ID, Name: name, UserID: req.UserID, Status: status,
		StartTime: start, ArtifactURI: strings.TrimSuffix(e.ArtifactLocation, "/") + "/" + id + "/artifacts",
		LifecycleStage: lathe.StageActive,
	}
	if err := s.store.CreateRun(ctx, info, tags); err != nil {
		return nil, err
	}
	return &lathe.Run{Info: *info, Tags: tags}, nil
}

func hasTag(tags []lathe.Tag, key string) bool {
	for _, t := range tags {
		if t.Key == key {
			return true
		}
	}
	return false
}

// Run returns a run with its latest metrics, params, tags and inputs.
func (s *Service) Run(ctx context.Context, ws, id string) (*lathe.Run, error) {
	if err := needRunID(id); err != nil {
		return nil, err
	}
	return s.store.Run(ctx, ws, id)
}

// UpdateRun changes a run's status, end time and name.
func (s *Service) UpdateRun(ctx context.Context, ws, id, status string, end *int64, name string) (*lathe.RunInfo, error) {
	if err := needRunID(id); err != nil {
		return nil, err
	}
	info, err := s.store.RunInfo(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if info.LifecycleStage != lathe.StageActive {
		return nil, invalid("The run %s must be in the 'active' state. Current state is %s.", id, info.LifecycleStage)
	}
	if status == "" {
		status = info.Status
	}
	if !lathe.ValidRunStatus(status) {
		return nil, invalid("Invalid run status %q: use RUNNING, SCHEDULED, FINISHED, FAILED or KILLED", status)
	}
	if err := s.store.UpdateRun(ctx, ws, id, status, end, name); err != nil {
		return nil, err
	}
	return s.store.RunInfo(ctx, ws, id)
}

// SetRunStage deletes (stage "deleted") or restores ("active") a run.
func (s *Service) SetRunStage(ctx context.Context, ws, id, stage string) error {
	if err := needRunID(id); err != nil {
		return err
	}
	if _, err := s.store.RunInfo(ctx, ws, id); err != nil {
		return err
	}
	return s.store.SetRunStage(ctx, ws, id, stage, s.ms())
}

// validateTags checks run tags.
func validateTags(tags []lathe.Tag) error {
	for _, t := range tags {
		if err := validateTag(t); err != nil {
			return err
		}
	}
	return nil
}

// LogBatch logs metrics, params and tags to an active run in one
// transaction, with MLflow's batch rules: 1000 metrics, 100 params, 100
// tags, 1000 in all, each param key once.
func (s *Service) LogBatch(ctx context.Context, ws, id string, metrics []lathe.Metric, params, tags []lathe.Tag) error {
	if err := validRunID(id); err != nil {
		return err
	}
	if err := validateBatch(metrics, params, tags); err != nil {
		return err
	}
	return s.store.LogBatch(ctx, ws, id, metrics, params, tags)
}

// LogParam logs one param (runs/log-parameter). A param is write-once:
// the same value again is accepted, another value is refused.
func (s *Service) LogParam(ctx context.Context, ws, id string, p lathe.Tag) error {
	if err := needRunID(id); err != nil {
		return err
	}
	if p.Key == "" {
		return missing("key")
	}
	if err := validateParam(p); err != nil {
		return err
	}
	return s.store.LogBatch(ctx, ws, id, nil, []lathe.Tag{p}, nil)
}

// LogMetric logs one metric value (runs/log-metric).
func (s *Service) LogMetric(ctx context.Context, ws, id string, m lathe.Metric) error {
	if err := needRunID(id); err != nil {
		return err
	}
	if m.Key == "" {
		return missing("key")
	}
	if err := validateMetric(m); err != nil {
		return err
	}
	return s.store.LogBatch(ctx, ws, id, []lathe.Metric{m}, nil, nil)
}

// SetTag sets one run tag (runs/set-tag); mlflow.runName renames the run.
func (s *Service) SetTag(ctx context.Context, ws, id string, t lathe.Tag) error {
	if err := needRunID(id); err != nil {
		return err
	}
	if t.Key == "" {
		return missing("key")
	}
	if err := validateTag(t); err != nil {
		return err
	}
	return s.store.LogBatch(ctx, ws, id, nil, nil, []lathe.Tag{t})
}

// DeleteTag removes a tag from an active run.
func (s *Service) DeleteTag(ctx context.Context, ws, id, key string) error {
	if err := needRunID(id); err != nil {
		return err
	}
	if key == "" {
		return missing("key")
	}
	return s.store.DeleteRunTag(ctx, ws, id, key)
}

// LogInputs records the datasets a run used.
func (s *Service) LogInputs(ctx context.Context, ws, id string, inputs []lathe.DatasetInput) error {
	if err := validRunID(id); err != nil {
		return err
	}
	if len(inputs) > lathe.MaxDatasetsPerBatch {
		return invalid("Logging more than %d datasets in one request is not allowed; got %d.", lathe.MaxDatasetsPerBatch, len(inputs))
	}
	for _, d := range inputs {
		switch {
		case d.Name == "" || len(d.Name) > 500:
			return invalid("Dataset name must be 1 to 500 characters long")
		case d.Digest == "" || len(d.Digest) > 36:
			return invalid("Dataset digest must be 1 to 36 characters long")
		case len(d.Source) > 65535 || len(d.Schema) > 1048575 || len(d.Profile) > 16777215:
			return invalid("Dataset source, schema or profile is over MLflow's size limits")
		}
		for _, t := range d.Tags {
			if len(t.Key) > 255 || len(t.Value) > 500 {
				return invalid("Input tag key must be at most 255 and value at most 500 characters long")
			}
		}
	}
	return s.store.LogInputs(ctx, ws, id, inputs)
}

// MetricHistory returns one page of a metric's history and the next page
// token ("" on the last page).
func (s *Service) MetricHistory(ctx context.Context, ws, id, key string, max int, pageToken string) ([]lathe.Metric, string, error) {
	if err := needRunID(id); err != nil {
		return nil, "", err
	}
	if key == "" {
		return nil, "", missing("metric_key")
	}
	if max <= 0 || max > lathe.MaxHistoryPage {
		max = lathe.MaxHistoryPage
	}
	after, err := decodeHistoryToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	list, cur, err := s.store.MetricHistory(ctx, ws, id, key, after, max)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) == max {
		// A full page: there may be more (MLflow does the same).
		next = encodeHistoryToken(cur)
	}
	return list, next, nil
}

// historyToken is the page token of a metric history: the store's cursor,
// behind a version tag so older tokens are refused clearly.
type historyToken struct {
	V int                 `json:"history"`
	C store.HistoryCursor `json:"c"`
}

func encodeHistoryToken(c *store.HistoryCursor) string {
	b, _ := json.Marshal(historyToken{V: 1, C: *c})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeHistoryToken(tok string) (*store.HistoryCursor, error) {
	if tok == "" {
		return nil, nil
	}
	bad := invalid("Invalid page token: it is not one this server issued for a metric history; start again without a page token")
	if len(tok) > 512 {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, bad
	}
	var t historyToken
	if err := json.Unmarshal(b, &t); err != nil || t.V != 1 || t.C.Skip < 1 {
		return nil, bad
	}
	return &t.C, nil
}

// SearchRunsRequest is a runs/search request.
type SearchRunsRequest struct {
	ExperimentIDs []string
	Filter        string
	View          ViewType
	MaxResults    int // 0: an empty page, as in MLflow
	OrderBy       []string
	PageToken     string
}

// SearchRuns finds runs of the given experiments with MLflow's search
// grammar. Like MLflow's SQL store it returns a next page token whenever the
// page is full, and nothing when no experiment is named.
func (s *Service) SearchRuns(ctx context.Context, ws string, req SearchRunsRequest) ([]*lathe.Run, string, error) {
	max := req.MaxResults
	if max > lathe.MaxSearchResults {
		return nil, "", invalid("Invalid value %d for parameter 'max_results' supplied. Hint: Value was of type 'int'. See the API docs for more information about request parameters.", max)
	}
	if err := search.ValidateRunMaxResults(int64(max)); err != nil {
		return nil, "", err
	}
	stages, err := req.View.stages()
	if err != nil {
		return nil, "", err
	}
	f, err := search.ParseRunFilter(req.Filter)
	if err != nil {
		return nil, "", err
	}
	order, err := search.ParseOrderBy(req.OrderBy, true)
	if err != nil {
		return nil, "", err
	}
	offset, err := search.DecodePageToken(req.PageToken)
	if err != nil {
		return nil, "", err
	}
	if max == 0 || len(req.ExperimentIDs) == 0 {
		return nil, "", nil
	}
	if err := s.ensureDefault(ctx, ws); err != nil {
		return nil, "", err
	}
	runs, err := s.store.SearchRuns(ctx, ws, store.RunQuery{ExperimentIDs: req.ExperimentIDs, Filter: f, Order: order, Stages: stages, Offset: offset, Limit: max})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(runs) == max {
		next = search.EncodePageToken(offset + max)
	}
	return runs, next, nil
}

// SearchDatasets lists the datasets that runs of the experiments used.
func (s *Service) SearchDatasets(ctx context.Context, ws string, experimentIDs []string) ([]store.DatasetSummary, error) {
	if len(experimentIDs) > 100 {
		return nil, invalid("at most 100 experiment ids per dataset search; got %d", len(experimentIDs))
	}
	return s.store.SearchDatasets(ctx, ws, experimentIDs)
}

// SampledHistory returns at most max values of a metric, spread evenly over
// the steps in [start, end] (nil: unbounded), always with the first and last.
func (s *Service) SampledHistory(ctx context.Context, ws, id, key string, start, end *int64, max int) ([]lathe.Metric, error) {
	if err := needRunID(id); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, missing("metric_key")
	}
	buckets, err := s.store.MetricBuckets(ctx, ws, id, key, start, end, max-1)
	if err != nil {
		return nil, err
	}
	out := make([]lathe.Metric, 0, len(buckets)+1)
	for _, b := range buckets {
		out = append(out, b.First)
	}
	if n := len(buckets); n > 0 && buckets[n-1].LastStep != buckets[n-1].FirstStep {
		out = append(out, buckets[n-1].Last)
	}
	return out, nil
}

// Downsample returns at most points buckets of a metric's history, each
// with its min, max, mean and end values, so a chart of a million-point
// series keeps its spikes.
func (s *Service) Downsample(ctx context.Context, ws, id, key string, start, end *int64, points int) ([]store.MetricBucket, error) {
	if err := needRunID(id); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, missing("metric_key")
	}
	if points < 1 || points > 10000 {
		return nil, invalid("points must be from 1 to 10000, got %d", points)
	}
	return s.store.MetricBuckets(ctx, ws, id, key, start, end, points)
}

// historyTag is the run tag MLflow keeps the logged models in.
const historyTag = "mlflow.log-model.history"

// LogModel appends a logged model's description (MLflow's model_json) to
// the run's mlflow.log-model.history tag, written as MLflow's server writes
// it (Python's json.dumps of the list).
func (s *Service) LogModel(ctx context.Context, ws, id, modelJSON string) error {
	if err := needRunID(id); err != nil {
		return err
	}
	if modelJSON == "" {
		return missing("model_json")
	}
	var model map[string]json.RawMessage
	if err := json.Unmarshal([]byte(modelJSON), &model); err != nil {
		return invalid("Malformed model info. \n %s \n is not a valid JSON.", modelJSON)
	}
	var absent []string
	for _, f := range []string{"artifact_path", "flavors", "utc_time_created", "run_id"} {
		if _, ok := model[f]; !ok {
			absent = append(absent, f)
		}
	}
	if len(absent) > 0 {
		return invalid("Model json is missing mandatory fields: %s", pySet(absent))
	}
	entry, err := pyJSON([]byte(modelJSON))
	if err != nil {
		return invalid("Malformed model info. \n %s \n is not a valid JSON.", modelJSON)
	}
	err = s.store.UpdateRunTag(ctx, ws, id, historyTag, func(old string, ok bool) (string, error) {
		value := "[" + entry + "]"
		if prev, err := pyJSON([]byte(old)); ok && err == nil && strings.HasPrefix(prev, "[") && prev != "[]" {
			value = strings.TrimSuffix(prev, "]") + ", " + entry + "]"
		}
		return value, lengthLimit("Tag value", lathe.MaxTagValueLen, value)
	})
	return check(err, "log model")
}

// check wraps a store error with what was being done.
func check(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
