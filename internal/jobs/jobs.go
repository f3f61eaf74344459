// Package jobs runs command jobs: submission (validation, resolving inputs,
// environments and computes), the lifecycle queued → preparing → running →
// completed | failed | canceled with timestamped events, a controller that
// starts queued jobs on a compute backend as slots free up (fair across
// workspaces), leases on started jobs so a restarted server (or another
// replica) finds them again, cancellation, timeouts, retries of
// infrastructure failures, logs (bounded, paged and followed live), and the
// API a job's wrapper (`lathe exec`) uses with the job's own token: its
// plan, status, logs, outputs and exit.
//
// A job is one MLflow run, created at submit through the Tracker the server
// plugs in (tracking is a later stage of the lifecycle than jobs).
package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/compute"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/store"
)

// Store is what jobs need from the metadata store.
type Store interface {
	CreateJob(ctx context.Context, j *lathe.Job, ev lathe.JobEvent, inputs []lathe.JobLineage) error
	Job(ctx context.Context, ws, name string) (*lathe.Job, error)
	JobByID(ctx context.Context, id string) (*lathe.Job, error)
	ListJobs(ctx context.Context, ws string, q store.JobQuery) ([]*lathe.Job, error)
	JobsByStatus(ctx context.Context, statuses ...string) ([]*lathe.Job, error)
	CountJobs(ctx context.Context, ws string) (map[string]int64, error)
	UpdateJob(ctx context.Context, id string, u store.JobUpdate) (*lathe.Job, error)
	JobEvents(ctx context.Context, id string, after int64, limit int) ([]lathe.JobEvent, error)
	AppendJobLogs(ctx context.Context, id string, lines []lathe.LogLine, maxBytes int64) (store.LogAppend, error)
	JobLogs(ctx context.Context, id string, after int64, limit int) ([]lathe.LogLine, error)

	SetLeaseHandle(ctx context.Context, jobID, holder, handle string) error
	RenewLeases(ctx context.Context, holder string, expires time.Time) (int64, error)
	TakeLease(ctx context.Context, jobID, from, to string, expires time.Time) (bool, error)
	Leases(ctx context.Context) ([]*store.JobLease, error)

	RecordJobOutput(ctx context.Context, jobID, port, name, version string, at time.Time) error
	JobLineage(ctx context.Context, jobID string) ([]lathe.JobLineage, error)

	CreateEnvironment(ctx context.Context, e *lathe.Environment) error
	NextEnvironmentVersion(ctx context.Context, ws, name string) (int64, error)
	Environment(ctx context.Context, ws, name, version string) (*lathe.Environment, error)
	LatestEnvironment(ctx context.Context, ws, name string) (*lathe.Environment, error)
	ListEnvironments(ctx context.Context, ws, after string, limit int) ([]*lathe.Environment, error)
	ListEnvironmentVersions(ctx context.Context, ws, name string, offset, limit int) ([]*lathe.Environment, error)

	CreateCompute(ctx context.Context, c *lathe.Compute) error
	Compute(ctx context.Context, ws, name string) (*lathe.Compute, error)
	ListComputes(ctx context.Context, ws string) ([]*lathe.Compute, error)
}

// Data is what jobs need from the data service: resolving the data a job
// reads and registering what it writes.
type Data interface {
	Version(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, error)
	CreateVersion(ctx context.Context, ws, actor, name string, spec data.VersionSpec) (*lathe.DataVersion, error)
}

// RunStart describes the MLflow run of a job.
type RunStart struct {
	Experiment string // name; "" is the Default experiment
	Name       string
	User       string
	Start      time.Time
	Tags       []lathe.Tag
	Params     []lathe.Tag
}

// Tracker keeps the MLflow run of each job (implemented over tracking by
// the server).
type Tracker interface {
	// StartRun creates the run (and its experiment if needed) with its
	// params and tags, in status SCHEDULED.
	StartRun(ctx context.Context, ws string, r RunStart) (experimentID, runID string, err error)
	// SetRunStatus sets an MLflow status (RUNNING, FINISHED, FAILED,
	// KILLED); end is set for the last three.
	SetRunStatus(ctx context.Context, ws, runID, status string, end *time.Time) error
}

// Tokens hashes job token secrets the way the authenticator checks them.
type Tokens interface {
	Hash(secret string) string
}

// Options configure the service.
type Options struct {
	Store   Store
	Data    Data
	Tracker Tracker
	Tokens  Tokens
	// Blobs checks code snapshots at submit (nil: not checked).
	Blobs Blobs
	// Backends run jobs, by compute type (local).
	Backends map[string]compute.Backend
	// ServerURL is how a job's wrapper reaches the API.
	ServerURL string
	// Holder names this controller in leases; it must stay the same across
	// restarts of one server (so it takes its own jobs back at once) and
	// differ between replicas.
	Holder string
	// EnvironmentMap maps Azure registry and curated environment names
	// (azureml://registries/azureml/environments/sklearn-1.5/labels/latest,
	// AzureML-sklearn-1.5) to a Lathe environment reference; a name not in
	// the map, and not an environment of the workspace, runs on host.
	EnvironmentMap map[string]string
	// ContainerRuntime runs image environments (podman or docker); "" means
	// none is configured and image environments are refused.
	ContainerRuntime string
	// MaxRetries bounds the retries of infrastructure failures (default 2).
	MaxRetries int
	// KillGrace is how long a stopped job has between SIGTERM and SIGKILL
	// (default 10s).
	KillGrace time.Duration
	// LeaseTTL is how long a lease lasts without renewal (default 30s).
	LeaseTTL time.Duration
	// MaxLogBytes caps the log the server keeps per job (default 32 MiB).
	MaxLogBytes int64
	Now         func() time.Time
	Logger      *slog.Logger
}

// Service is the jobs service and its controller.
type Service struct {
	o   Options
	hub *hub

	mu      sync.Mutex
	pending []*pendingJob
	running map[string]*slot // by job ID + attempt
	seq     int64
	started bool // Run has reconciled
	kick    chan struct{}
	// pools caches the capacity of compute targets by pool key.
	pools map[string]poolInfo
	// served says which workspace got a slot most recently (see Pick).
	served map[string]int64
}

// New returns the service; Run starts its controller.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 2
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.KillGrace <= 0 {
		o.KillGrace = 10 * time.Second
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.MaxLogBytes <= 0 {
		o.MaxLogBytes = 32 << 20
	}
	return &Service{o: o, hub: newHub(), running: map[string]*slot{}, kick: make(chan struct{}, 1), pools: map[string]poolInfo{}, served: map[string]int64{}}
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

// wake tells the controller to look at the queue.
func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
