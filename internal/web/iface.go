package web

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/tracking"
)

// Sessions signs browsers in and out.
type Sessions interface {
	// SignIn exchanges an API token for a new session; EUNAUTHORIZED if the
	// token is bad.
	SignIn(ctx context.Context, token string) (secret string, s *lathe.Session, err error)
	// RedeemSignInLink exchanges a one-time link code for a session.
	RedeemSignInLink(ctx context.Context, code string) (secret string, s *lathe.Session, err error)
	// Session returns the session a cookie secret names and who it acts as;
	// EUNAUTHORIZED if it is expired or unknown.
	Session(ctx context.Context, secret string) (*lathe.Session, lathe.Principal, error)
	// SignOut ends the session.
	SignOut(ctx context.Context, secret string) error
}

// Authorizer decides, from the one policy table, whether p may do action in
// workspace ("" for workspace-less actions). It returns the workspace and
// p's role there; ENOTFOUND if p is not a member (so existence does not
// leak), EFORBIDDEN if the role is too low.
type Authorizer interface {
	Authorize(ctx context.Context, p lathe.Principal, workspace, action string) (*lathe.Workspace, lathe.Role, error)
}

// Workspaces lists workspaces and summarises one.
type Workspaces interface {
	// ListWorkspaces returns the workspaces p can see, with p's role.
	ListWorkspaces(ctx context.Context, p lathe.Principal) ([]*lathe.WorkspaceRole, error)
	// Overview returns what a workspace's home page shows.
	Overview(ctx context.Context, p lathe.Principal, workspace string) (*lathe.Overview, error)
}

// Accounts manages users and their API tokens.
type Accounts interface {
	// ListUsers lists the server's users (the studio asks only for admins).
	ListUsers(ctx context.Context, p lathe.Principal) ([]*lathe.User, error)
	// CreateUser is for server admins only (EFORBIDDEN otherwise).
	CreateUser(ctx context.Context, p lathe.Principal, name, email string) (*lathe.User, error)
	// SetUserDisabled is for server admins only.
	SetUserDisabled(ctx context.Context, p lathe.Principal, name string, disabled bool) error
	// ListTokens lists p's own tokens, or any user's for admins.
	ListTokens(ctx context.Context, p lathe.Principal, user string) ([]*lathe.Token, error)
	// CreateToken issues a token and returns its secret, shown once.
	CreateToken(ctx context.Context, p lathe.Principal, user, name string, expires *time.Time) (secret string, t *lathe.Token, err error)
	// RevokeToken revokes one of p's tokens (any user's for admins).
	RevokeToken(ctx context.Context, p lathe.Principal, id string) error
}

// Roles manages role assignments in a workspace.
type Roles interface {
	// ListRoles lists the workspace's role assignments.
	ListRoles(ctx context.Context, p lathe.Principal, workspace string) ([]*lathe.RoleAssignment, error)
	// AssignRole is for owners; ECONFLICT when it would remove the last owner.
	AssignRole(ctx context.Context, p lathe.Principal, workspace, user string, role lathe.Role) (*lathe.RoleAssignment, error)
	// RevokeRole removes a user's role in the workspace (owners; ECONFLICT
	// for the last owner).
	RevokeRole(ctx context.Context, p lathe.Principal, workspace, user string) error
}

// Audit reads, verifies and appends to the audit log.
type Audit interface {
	// ListAudit returns matching events, newest first; f.WorkspaceID ""
	// means every workspace (admins only).
	ListAudit(ctx context.Context, p lathe.Principal, f lathe.AuditFilter) ([]*lathe.AuditEvent, error)
	// VerifyAudit checks the whole hash chain.
	VerifyAudit(ctx context.Context, p lathe.Principal) (*lathe.AuditVerdict, error)
	// Record appends one event; the log fills in Seq and the hashes.
	Record(ctx context.Context, e *lathe.AuditEvent) error
}

// Data lists a workspace's stored content.
type Data interface {
	// ListBlobs returns a page of the workspace's blobs, newest first, and
	// the cursor of the next page ("" on the last).
	ListBlobs(ctx context.Context, p lathe.Principal, workspace, cursor string, limit int) ([]*lathe.Blob, string, error)
}

// Tracking reads experiment tracking: experiments, runs, metric histories
// and artifacts. *tracking.Service satisfies it. Every method takes the
// workspace's ID (lathe.Workspace.ID), not its name; the studio has
// already checked tracking.read there.
type Tracking interface {
	// SearchExperiments finds experiments matching an MLflow filter, with
	// MLflow's page tokens.
	SearchExperiments(ctx context.Context, ws, filter string, view tracking.ViewType, max int, orderBy []string, pageToken string) ([]*lathe.Experiment, string, error)
	// Experiment returns an experiment by ID; ENOTFOUND if there is none.
	Experiment(ctx context.Context, ws, id string) (*lathe.Experiment, error)
	// SearchRuns finds runs with MLflow's filter and order_by grammar. A
	// filter or order_by it cannot parse is a *search.SyntaxError.
	SearchRuns(ctx context.Context, ws string, req tracking.SearchRunsRequest) ([]*lathe.Run, string, error)
	// Run returns a run with its latest metrics, params, tags and inputs.
	Run(ctx context.Context, ws, id string) (*lathe.Run, error)
	// MetricHistory returns one page of a metric's history, in step order.
	MetricHistory(ctx context.Context, ws, id, key string, max int, pageToken string) ([]lathe.Metric, string, error)
	// Downsample summarises a metric's history over the steps in [start,
	// end] (nil: unbounded) in at most points buckets, in one pass.
	Downsample(ctx context.Context, ws, id, key string, start, end *int64, points int) ([]store.MetricBucket, error)
	// ListArtifacts returns the direct children of an artifact directory.
	ListArtifacts(ctx context.Context, ws, dir string) ([]store.ArtifactEntry, error)
	// OpenArtifact opens a stored artifact file.
	OpenArtifact(ctx context.Context, ws, path string) (io.ReadCloser, *store.Artifact, error)
}

// DataAssets reads versioned data assets: the assets of a workspace, their
// versions with manifests and profiles, diffs between versions and the
// files themselves. *data.Service satisfies it. Every method takes the
// workspace's ID (lathe.Workspace.ID), not its name; the studio has
// already checked data.read there.
type DataAssets interface {
	// Assets lists data assets by name after the name after ("" for the
	// first page), at most limit; archived ones too when archived is set.
	Assets(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.DataAsset, error)
	// Asset returns an asset's summary; ENOTFOUND if there is none.
	Asset(ctx context.Context, ws, name string) (*lathe.DataAsset, error)
	// Versions lists an asset's versions, newest first, skipping offset;
	// archived ones too when archived is set.
	Versions(ctx context.Context, ws, name string, archived bool, offset, limit int) ([]*lathe.DataVersion, error)
	// Version returns one version; ref.Latest picks the newest one that
	// is not archived.
	Version(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, error)
	// Files returns a version and one page of its manifest, in path order
	// after the path after.
	Files(ctx context.Context, ws string, ref lathe.AssetRef, after string, limit int) (*lathe.DataVersion, []lathe.ManifestEntry, error)
	// OpenFile opens one file of a version; its final Read fails with
	// ECORRUPT if the bytes do not match the manifest's digest.
	OpenFile(ctx context.Context, ws string, ref lathe.AssetRef, p string) (*lathe.ManifestEntry, io.ReadCloser, error)
	// Profile returns a version's stored profile (the JSON of a
	// profile.Profile); ENOTFOUND for data that is not tabular.
	Profile(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, json.RawMessage, error)
	// DiffVersions compares two versions: files added, removed and
	// changed, and for tables the row counts and the schema.
	DiffVersions(ctx context.Context, ws string, from, to lathe.AssetRef) (*data.Diff, error)
}

// Jobs reads command jobs: a workspace's jobs page by page, one job, its
// lifecycle events and its log, and wakes a follower when a job changes.
// *jobs.Service satisfies it. Every method takes the workspace's ID
// (lathe.Workspace.ID), not its name; the studio has already checked
// job.read there.
type Jobs interface {
	// Jobs lists jobs newest first, only those in statuses when any are
	// given, from a cursor the previous page returned.
	Jobs(ctx context.Context, ws string, statuses []string, cursor string, limit int) (*jobs.JobPage, error)
	// Job returns a job by name; ENOTFOUND if there is none.
	Job(ctx context.Context, ws, name string) (*lathe.Job, error)
	// Events returns the job and its lifecycle events after seq after.
	Events(ctx context.Context, ws, name string, after int64, limit int) (*lathe.Job, []lathe.JobEvent, error)
	// Logs returns the job and at most limit lines of its log after line
	// number after.
	Logs(ctx context.Context, ws, name string, after int64, limit int) (*lathe.Job, []lathe.LogLine, error)
	// Changed returns a channel closed at the job's next change (new
	// lines or a new status), for Wait.
	Changed(jobID string) <-chan struct{}
	// Wait blocks until ch is closed, poll passes or ctx ends; false when
	// ctx ended.
	Wait(ctx context.Context, jobID string, ch <-chan struct{}, poll time.Duration) bool
}

// Pipelines reads pipeline jobs' steps. *pipelines.Service satisfies it.
// The workspace is its ID; the studio has already checked job.read there.
type Pipelines interface {
	// Steps returns a pipeline job and its steps in run order, with their
	// jobs' start and end times; EINVALID when the job is not a pipeline.
	Steps(ctx context.Context, ws, name string) (*lathe.Job, []lathe.PipelineStep, error)
}

// Schedules lists a workspace's schedules. *schedules.Service satisfies
// it. The workspace is its ID; the studio has already checked
// schedule.read there.
type Schedules interface {
	// List returns the schedules by name, each with its next fire times.
	List(ctx context.Context, ws string) ([]*lathe.Schedule, error)
}
