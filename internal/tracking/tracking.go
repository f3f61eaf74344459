// Package tracking is experiment tracking: experiments, runs, params,
// metrics, tags, dataset inputs and artifacts, with MLflow's rules and
// messages, so the stock MLflow client sees the answers it expects. The
// MLflow REST surface (internal/mlflowapi), the native API and the studio
// all call this package.
package tracking

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
	"github.com/latheml/lathe/internal/store"
)

// Store is what tracking needs from the metadata store.
type Store interface {
	CreateExperiment(ctx context.Context, e *lathe.Experiment) error
	Experiment(ctx context.Context, ws, id string) (*lathe.Experiment, error)
	ExperimentByName(ctx context.Context, ws, name string) (*lathe.Experiment, error)
	UpdateExperiment(ctx context.Context, ws, id, name string, at int64) error
	SetExperimentStage(ctx context.Context, ws, id, stage string, at int64) error
	SetExperimentTag(ctx context.Context, ws, id string, t lathe.Tag) error
	DeleteExperimentTag(ctx context.Context, ws, id, key string) error
	SearchExperiments(ctx context.Context, ws string, q store.ExperimentQuery) ([]*lathe.Experiment, error)
	WorkspaceCreated(ctx context.Context, ws string) (int64, error)

	CreateRun(ctx context.Context, r *lathe.RunInfo, tags []lathe.Tag) error
	RunInfo(ctx context.Context, ws, id string) (*lathe.RunInfo, error)
	Run(ctx context.Context, ws, id string) (*lathe.Run, error)
	UpdateRun(ctx context.Context, ws, id, status string, end *int64, name string) error
	SetRunStage(ctx context.Context, ws, id, stage string, at int64) error
	LogBatch(ctx context.Context, ws, id string, metrics []lathe.Metric, params, tags []lathe.Tag) error
	DeleteRunTag(ctx context.Context, ws, id, key string) error
	UpdateRunTag(ctx context.Context, ws, id, key string, fn func(old string, ok bool) (string, error)) error
	LogInputs(ctx context.Context, ws, id string, inputs []lathe.DatasetInput) error
	MetricHistory(ctx context.Context, ws, id, key string, after *store.HistoryCursor, limit int) ([]lathe.Metric, *store.HistoryCursor, error)
	MetricBuckets(ctx context.Context, ws, id, key string, start, end *int64, n int) ([]store.MetricBucket, error)
	SearchRuns(ctx context.Context, ws string, q store.RunQuery) ([]*lathe.Run, error)
	SearchDatasets(ctx context.Context, ws string, experimentIDs []string) ([]store.DatasetSummary, error)

	ArtifactStore
}

// Service is experiment tracking.
type Service struct {
	store   Store
	content Content
	now     func() time.Time
	// defaults remembers workspaces whose Default experiment exists.
	defaults sync.Map
}

// New returns a Service.
func New(st Store, content Content, now func() time.Time) *Service {
	return &Service{store: st, content: content, now: now}
}

func (s *Service) ms() int64 { return s.now().UnixMilli() }

// DefaultExperimentID is the ID of each workspace's Default experiment.
const DefaultExperimentID = "0"

// ensureDefault creates the workspace's Default experiment ("0") the first
// time anything touches experiments there. It dates from the workspace's
// creation, as MLflow's dates from the database's, so it sorts after every
// experiment a user creates.
func (s *Service) ensureDefault(ctx context.Context, ws string) error {
	if _, ok := s.defaults.Load(ws); ok {
		return nil
	}
	_, err := s.store.Experiment(ctx, ws, DefaultExperimentID)
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		t, werr := s.store.WorkspaceCreated(ctx, ws)
		if werr != nil || t <= 0 {
			t = s.ms()
		}
		err = s.store.CreateExperiment(ctx, &lathe.Experiment{WorkspaceID: ws, ID: DefaultExperimentID, Name: "Default",
			LifecycleStage: lathe.StageActive, CreationTime: t, LastUpdateTime: t})
		if lathe.IsCode(err, lathe.ECONFLICT) {
			err = nil // created concurrently
		}
	}
	if err != nil {
		return fmt.Errorf("default experiment: %w", err)
	}
	s.defaults.Store(ws, true)
	return nil
}

// CreateExperiment creates an experiment and returns its ID. Its artifacts
// live behind the artifact proxy (mlflow-artifacts:/<id>).
func (s *Service) CreateExperiment(ctx context.Context, ws, name, artifactLocation string, tags []lathe.Tag) (string, error) {
	if name == "" {
		return "", missing("name")
	}
	if err := s.ensureDefault(ctx, ws); err != nil {
		return "", err
	}
	if err := lengthLimit("Experiment name", lathe.MaxExperimentNameLen, name); err != nil {
		return "", err
	}
	if artifactLocation != "" && !strings.HasPrefix(artifactLocation, "mlflow-artifacts:") {
		return "", invalid("artifact_location %q is not supported: Lathe stores artifacts itself and serves them through the artifact proxy; leave artifact_location out", artifactLocation)
	}
	for _, t := range tags {
		if err := validateExperimentTag(t); err != nil {
			return "", err
		}
	}
	t := s.ms()
	e := &lathe.Experiment{WorkspaceID: ws, Name: name, LifecycleStage: lathe.StageActive, CreationTime: t, LastUpdateTime: t, Tags: tags}
	if err := s.store.CreateExperiment(ctx, e); err != nil {
		if lathe.IsCode(err, lathe.ECONFLICT) {
			return "", lathe.Errorf(lathe.ECONFLICT, "Experiment(name=%s) already exists.", name)
		}
		return "", err
	}
	return e.ID, nil
}

// Experiment returns an experiment by ID, whatever its stage.
func (s *Service) Experiment(ctx context.Context, ws, id string) (*lathe.Experiment, error) {
	if id == "" {
		return nil, missing("experiment_id")
	}
	if err := s.ensureDefault(ctx, ws); err != nil {
		return nil, err
	}
	return s.store.Experiment(ctx, ws, id)
}

// ExperimentByName returns an experiment by name, whatever its stage.
func (s *Service) ExperimentByName(ctx context.Context, ws, name string) (*lathe.Experiment, error) {
	if name == "" {
		return nil, missing("experiment_name")
	}
	if err := s.ensureDefault(ctx, ws); err != nil {
		return nil, err
	}
	return s.store.ExperimentByName(ctx, ws, name)
}

// RenameExperiment renames an active experiment.
func (s *Service) RenameExperiment(ctx context.Context, ws, id, name string) error {
	if id == "" {
		return missing("experiment_id")
	}
	if name == "" {
		return missing("new_name")
	}
	if err := lengthLimit("Experiment name", lathe.MaxExperimentNameLen, name); err != nil {
		return err
	}
	e, err := s.Experiment(ctx, ws, id)
	if err != nil {
		return err
	}
	if e.LifecycleStage != lathe.StageActive {
		return invalid("Cannot rename a non-active experiment.")
	}
	return s.store.UpdateExperiment(ctx, ws, id, name, s.ms())
}

// SetExperimentStage deletes (stage "deleted") an active experiment or
// restores ("active") a deleted one, together with its runs. As in MLflow,
// an experiment not in the stage the call starts from does not exist for
// it. The Default experiment cannot be deleted.
func (s *Service) SetExperimentStage(ctx context.Context, ws, id, stage string) error {
	if id == "" {
		return missing("experiment_id")
	}
	if id == DefaultExperimentID && stage == lathe.StageDeleted {
		return invalid("Cannot delete the default experiment '0'. This is an internally reserved experiment.")
	}
	e, err := s.Experiment(ctx, ws, id)
	if err != nil {
		return err
	}
	if e.LifecycleStage == stage {
		return lathe.Errorf(lathe.ENOTFOUND, "No Experiment with id=%s exists", id)
	}
	return s.store.SetExperimentStage(ctx, ws, id, stage, s.ms())
}

// SetExperimentTag sets a tag on an active experiment.
func (s *Service) SetExperimentTag(ctx context.Context, ws, id string, t lathe.Tag) error {
	if id == "" {
		return missing("experiment_id")
	}
	if t.Key == "" {
		return missing("key")
	}
	if err := validateExperimentTag(t); err != nil {
		return err
	}
	e, err := s.Experiment(ctx, ws, id)
	if err != nil {
		return err
	}
	if e.LifecycleStage != lathe.StageActive {
		return invalid("The experiment %s must be in the 'active' state. Current state is %s.", id, e.LifecycleStage)
	}
	return s.store.SetExperimentTag(ctx, ws, id, t)
}

// DeleteExperimentTag removes a tag from an active experiment.
func (s *Service) DeleteExperimentTag(ctx context.Context, ws, id, key string) error {
	if id == "" {
		return missing("experiment_id")
	}
	if key == "" {
		return missing("key")
	}
	e, err := s.Experiment(ctx, ws, id)
	if err != nil {
		return err
	}
	if e.LifecycleStage != lathe.StageActive {
		return invalid("The experiment %s must be in the 'active' state. Current state is %s.", id, e.LifecycleStage)
	}
	return s.store.DeleteExperimentTag(ctx, ws, id, key)
}

// ViewType is which lifecycle stages a search includes.
type ViewType string

// View types (MLflow's names).
const (
	ActiveOnly  ViewType = "ACTIVE_ONLY"
	DeletedOnly ViewType = "DELETED_ONLY"
	All         ViewType = "ALL"
)

// stages turns a view type into the stages it includes.
func (v ViewType) stages() ([]string, error) {
	switch v {
	case "", ActiveOnly:
		return []string{lathe.StageActive}, nil
	case DeletedOnly:
		return []string{lathe.StageDeleted}, nil
	case All:
		return []string{lathe.StageActive, lathe.StageDeleted}, nil
	}
	return nil, invalid("Invalid value \"%s\" for parameter 'view_type' supplied: use ACTIVE_ONLY, DELETED_ONLY or ALL", string(v))
}

// SearchExperiments finds experiments matching an MLflow filter; max is
// max_results (1 to 50000). Like MLflow's SQL store it returns a next page
// token only when more experiments follow.
func (s *Service) SearchExperiments(ctx context.Context, ws, filter string, view ViewType, max int, orderBy []string, pageToken string) ([]*lathe.Experiment, string, error) {
	if err := search.ValidateExperimentMaxResults(int64(max)); err != nil {
		return nil, "", err
	}
	stages, err := view.stages()
	if err != nil {
		return nil, "", err
	}
	f, err := search.ParseExperimentFilter(filter)
	if err != nil {
		return nil, "", err
	}
	order, err := search.ParseOrderBy(orderBy, false)
	if err != nil {
		return nil, "", err
	}
	offset, err := search.DecodePageToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	if err := s.ensureDefault(ctx, ws); err != nil {
		return nil, "", err
	}
	list, err := s.store.SearchExperiments(ctx, ws, store.ExperimentQuery{Filter: f, Order: order, Stages: stages, Offset: offset, Limit: max + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > max {
		list, next = list[:max], search.EncodePageToken(offset+max)
	}
	return list, next, nil
}
