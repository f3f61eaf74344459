// Package pipelines runs pipeline jobs and keeps command components.
//
// A pipeline job is a row of jobs with type "pipeline" and one MLflow run
// (each step's command job is a run of its own, tagged
// mlflow.parentRunId with the pipeline's run, so MLflow shows them nested).
// Its spec as submitted (the pipelineJob YAML, the components its steps
// name, code snapshots and uploads) is kept beside it and parsed again
// wherever it is needed, so errors keep their file and line.
//
// Submit parses the YAML, loads each step's component (a registered one,
// an anonymous one registered from a pipeline file, or a built-in
// lathe.* one), checks the DAG (internal/spec) and every step's inputs
// (types, enum, min, max, required) by binding them with placeholder
// upstream outputs, and stores the job running with every step pending.
//
// The controller (Run) runs one goroutine per pipeline job: as steps
// become ready (internal/pipeline.Run) it computes their concrete inputs
// from the pipeline's inputs and the upstream steps' registered outputs,
// computes the step's cache key, and either reuses the outputs of an
// earlier completed job with the same key (deterministic steps, not
// forced) or submits a command job and follows it. Step states are
// written to the store as they change, so a restarted server takes every
// unfinished pipeline up again and re-attaches to its step jobs. Canceling
// the pipeline job (jobs' Cancel) cancels its running step jobs.
package pipelines

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/store"
)

// Store is what pipelines need from the metadata store.
type Store interface {
	CreateComponent(ctx context.Context, c *lathe.Component) error
	NextComponentVersion(ctx context.Context, ws, name string) (int64, error)
	Component(ctx context.Context, ws, name, version string) (*lathe.Component, error)
	LatestComponent(ctx context.Context, ws, name string) (*lathe.Component, error)
	ListComponents(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.Component, error)
	ListComponentVersions(ctx context.Context, ws, name string, offset, limit int) ([]*lathe.Component, error)
	ArchiveComponent(ctx context.Context, ws, name, version string, archived bool) (*lathe.Component, error)

	CreatePipelineJob(ctx context.Context, j *lathe.Job, ev lathe.JobEvent, ps *lathe.PipelineSpec, steps []lathe.PipelineStep) error
	PutPipelineSteps(ctx context.Context, pipelineID, ws string, steps []lathe.PipelineStep) error
	PipelineSpec(ctx context.Context, pipelineID string) (*lathe.PipelineSpec, error)
	PipelineSteps(ctx context.Context, pipelineID string) ([]lathe.PipelineStep, error)
	PipelineOf(ctx context.Context, jobID string) (pipelineID, step string, err error)
	PutStepCache(ctx context.Context, e *lathe.StepCacheEntry) error
	StepCache(ctx context.Context, ws string, key lathe.Digest) (*lathe.StepCacheEntry, error)
	StepCacheByJob(ctx context.Context, ws, jobID string) ([]*lathe.StepCacheEntry, error)
	DeleteStepCache(ctx context.Context, ws string, key lathe.Digest, jobID string) (int64, error)

	Job(ctx context.Context, ws, name string) (*lathe.Job, error)
	JobByID(ctx context.Context, id string) (*lathe.Job, error)
	JobsByStatus(ctx context.Context, statuses ...string) ([]*lathe.Job, error)
	UpdateJob(ctx context.Context, id string, u store.JobUpdate) (*lathe.Job, error)
	RecordJobOutput(ctx context.Context, jobID, port, name, version string, at time.Time) error
}

// Jobs runs the steps' command jobs.
type Jobs interface {
	Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req jobs.SubmitRequest) (*lathe.Job, error)
	Cancel(ctx context.Context, ws, name, actor string) (*lathe.Job, error)
	Changed(jobID string) <-chan struct{}
	Notify(jobID string)
}

// Data resolves data versions (for cache keys and to pin @latest inputs).
type Data interface {
	Version(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, error)
}

// Environments resolves the environment a step would run in to a content
// digest for its cache key (the jobs service).
type Environments interface {
	EnvironmentDigest(ctx context.Context, ws, ref string, inline *lathe.EnvironmentSpec) (lathe.Digest, error)
}

// Options configure the service.
type Options struct {
	Store Store
	Jobs  Jobs
	Data  Data
	// Environments, when set, puts what an environment reference resolves
	// to in the cache key (so azureml:sk@latest moving to a new version
	// reruns the step); when nil, the reference as written.
	Environments Environments
	Tracker      jobs.Tracker // the pipeline's own MLflow run (nil: none)
	// Poll is how often a running pipeline looks at its steps' jobs
	// without being told of a change (default 2s).
	Poll   time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Service is the pipelines service and its controller.
type Service struct {
	o Options

	mu     sync.Mutex
	ctx    context.Context // the controller's, once Run has started
	active map[string]bool // pipeline job IDs with a runner
	wg     sync.WaitGroup
}

// New returns the service; Run starts its controller.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	return &Service{o: o, active: map[string]bool{}}
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

// Run takes up the pipeline jobs the store says are running (after a
// restart) and runs until ctx ends; pipelines submitted meanwhile start
// at once. Step jobs keep running when it stops; the next start finds
// them again.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	list, err := s.o.Store.JobsByStatus(ctx, lathe.JobQueued, lathe.JobPreparing, lathe.JobRunning)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		s.o.Logger.Error("pipelines: reconcile", "error", err)
	}
	for _, j := range list {
		if j.Type == lathe.JobTypePipeline {
			s.launch(j.ID)
		}
	}
	<-ctx.Done()
	s.wg.Wait()
	return nil
}

// launch starts the runner of a pipeline job unless one runs already or
// the controller has not started (Run takes it up then).
func (s *Service) launch(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.active[id] || s.ctx.Err() != nil {
		return
	}
	s.active[id] = true
	ctx := s.ctx
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.active, id)
			s.mu.Unlock()
		}()
		if err := s.drive(ctx, id); err != nil && ctx.Err() == nil {
			s.o.Logger.Error("pipeline controller", "pipeline", id, "error", err)
		}
	}()
}
