package tracking

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
	"github.com/latheml/lathe/internal/store"
)

// runIDRE is MLflow's run ID rule.
var runIDRE = regexp.MustCompile(`^[a-zA-Z0-9][\w\-]{0,255}$`)

// validRunID checks a run ID's form; a malformed ID names no run.
func validRunID(id string) error {
	if id == "" {
		return missing("run_id")
	}
	if !runIDRE.MatchString(id) {
		return invalid("Invalid run ID: '%s'", id)
	}
	return nil
}

// CreateRunRequest creates a run.
type CreateRunRequest struct {
	ExperimentID string
	UserID       string
	Name         string
	StartTime    int64 // 0: now
	Tags         []lathe.Tag
}

// CreateRun starts a run in an active experiment and returns it. A run with
// no name gets a generated one, and the mlflow.runName tag always matches
// the name, as MLflow does.
func (s *Service) CreateRun(ctx context.Context, ws string, req CreateRunRequest) (*lathe.Run, error) {
	if req.ExperimentID == "" {
		req.ExperimentID = DefaultExperimentID
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
		WorkspaceID: ws, RunID: id, ExperimentID: e.ID, Name: name, UserID: req.UserID, Status: lathe.RunRunning,
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
	if err := validRunID(id); err != nil {
		return nil, err
	}
	return s.store.Run(ctx, ws, id)
}

// UpdateRun changes a run's status, end time and name.
func (s *Service) UpdateRun(ctx context.Context, ws, id, status string, end *int64, name string) (*lathe.RunInfo, error) {
	if err := validRunID(id); err != nil {
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
	if err := validRunID(id); err != nil {
		return err
	}
	if _, err := s.store.RunInfo(ctx, ws, id); err != nil {
		return err
	}
	return s.store.SetRunStage(ctx, ws, id, stage, s.ms())
}

// validateTags checks run tag keys and values.
func validateTags(tags []lathe.Tag) error {
	for _, t := range tags {
		if err := lathe.ValidateEntityName("tag", t.Key); err != nil {
			return err
		}
		if utf8.RuneCountInString(t.Value) > lathe.MaxTagValueLen {
			return invalid("Tag value '%s' had length %d, which exceeded length limit of %d", clip(t.Value), utf8.RuneCountInString(t.Value), lathe.MaxTagValueLen)
		}
	}
	return nil
}

func validateParams(params []lathe.Tag) error {
	for _, p := range params {
		if err := lathe.ValidateEntityName("param", p.Key); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(p.Value); n > lathe.MaxParamValueLen {
			return invalid("Param value '%s' had length %d, which exceeded length limit of %d", clip(p.Value), n, lathe.MaxParamValueLen)
		}
	}
	return nil
}

func validateMetrics(metrics []lathe.Metric) error {
	for _, m := range metrics {
		if err := lathe.ValidateEntityName("metric", m.Key); err != nil {
			return err
		}
	}
	return nil
}

// clip shortens a long value for a message, as MLflow does.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// LogBatch logs metrics, params and tags to an active run, with MLflow's
// batch limits: 1000 metrics, 100 params, 100 tags, 1000 in all.
func (s *Service) LogBatch(ctx context.Context, ws, id string, metrics []lathe.Metric, params, tags []lathe.Tag) error {
	if err := validRunID(id); err != nil {
		return err
	}
	switch {
	case len(metrics) > lathe.MaxBatchMetrics:
		return invalid("A batch logging request can contain at most %d metrics. Got %d metrics. Please split up metrics across multiple requests and try again.", lathe.MaxBatchMetrics, len(metrics))
	case len(params) > lathe.MaxBatchParamsTags:
		return invalid("A batch logging request can contain at most %d params. Got %d params. Please split up params across multiple requests and try again.", lathe.MaxBatchParamsTags, len(params))
	case len(tags) > lathe.MaxBatchParamsTags:
		return invalid("A batch logging request can contain at most %d tags. Got %d tags. Please split up tags across multiple requests and try again.", lathe.MaxBatchParamsTags, len(tags))
	case len(metrics)+len(params)+len(tags) > lathe.MaxBatchEntities:
		return invalid("A batch logging request can contain at most %d metrics, params, and tags in total. Got %d entities. Please split up entities across multiple requests and try again.", lathe.MaxBatchEntities, len(metrics)+len(params)+len(tags))
	}
	if err := validateMetrics(metrics); err != nil {
		return err
	}
	if err := validateParams(params); err != nil {
		return err
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	seen := map[string]string{}
	for _, p := range params {
		if v, dup := seen[p.Key]; dup && v != p.Value {
			return invalid("Duplicate parameter keys have been submitted: ['%s']. Please ensure the request contains only one param value per param key.", p.Key)
		}
		seen[p.Key] = p.Value
	}
	return s.store.LogBatch(ctx, ws, id, metrics, params, tags)
}

// DeleteTag removes a tag from an active run.
func (s *Service) DeleteTag(ctx context.Context, ws, id, key string) error {
	if err := validRunID(id); err != nil {
		return err
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
	if err := validRunID(id); err != nil {
		return nil, "", err
	}
	if key == "" {
		return nil, "", missing("metric_key")
	}
	if max <= 0 || max > lathe.MaxHistoryPage {
		max = lathe.MaxHistoryPage
	}
	offset, err := search.DecodePageToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	list, err := s.store.MetricHistory(ctx, ws, id, key, offset, max+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > max {
		list, next = list[:max], search.EncodePageToken(offset+max)
	}
	return list, next, nil
}

// SearchRunsRequest is a runs/search request.
type SearchRunsRequest struct {
	ExperimentIDs []string
	Filter        string
	View          ViewType
	MaxResults    int
	OrderBy       []string
	PageToken     string
}

// SearchRuns finds runs with MLflow's search grammar. Like MLflow's SQL
// store it returns a next page token whenever the page is full.
func (s *Service) SearchRuns(ctx context.Context, ws string, req SearchRunsRequest) ([]*lathe.Run, string, error) {
	if err := s.ensureDefault(ctx, ws); err != nil {
		return nil, "", err
	}
	max := req.MaxResults
	if max == 0 {
		max = lathe.DefaultSearchResults
	}
	if max < 1 || max > lathe.MaxSearchResults {
		return nil, "", invalid("Invalid value %d for parameter 'max_results' supplied. It must be at most %d and at least 1", max, lathe.MaxSearchResults)
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
	if err := validRunID(id); err != nil {
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
	if err := validRunID(id); err != nil {
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

// LogModel appends a logged model's description (MLflow's model_json) to the
// run's mlflow.log-model.history tag, as MLflow's server does.
func (s *Service) LogModel(ctx context.Context, ws, id, modelJSON string) error {
	if err := validRunID(id); err != nil {
		return err
	}
	var model map[string]any
	if err := json.Unmarshal([]byte(modelJSON), &model); err != nil {
		return invalid("model_json is not a JSON object: %v", err)
	}
	run, err := s.store.Run(ctx, ws, id)
	if err != nil {
		return err
	}
	var history []any
	for _, t := range run.Tags {
		if t.Key == "mlflow.log-model.history" {
			if err := json.Unmarshal([]byte(t.Value), &history); err != nil {
				history = nil
			}
		}
	}
	history = append(history, model)
	b, err := json.Marshal(history)
	if err != nil {
		return err
	}
	return s.store.LogBatch(ctx, ws, id, nil, nil, []lathe.Tag{{Key: "mlflow.log-model.history", Value: string(b)}})
}
