// Package api is Lathe's HTTP surface: the native REST API under /api/v1, the
// health and metrics endpoints, and (later) the MLflow and inference
// surfaces mounted beside it. One route table drives the mux, the
// authentication requirement of each route and the OpenAPI document, and one
// function maps a lathe.Error to an HTTP status.
package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/access"
	"github.com/latheml/lathe/internal/blob"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Authenticator turns a bearer token into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (lathe.Principal, error)
}

// Authorizer applies the one access policy to a principal, a workspace name
// ("" for none) and an action.
type Authorizer interface {
	Authorize(ctx context.Context, p lathe.Principal, workspace, action string) (*lathe.Workspace, lathe.Role, error)
}

// Workspaces manages workspaces.
type Workspaces interface {
	CreateWorkspace(ctx context.Context, p lathe.Principal, name, description string) (*lathe.WorkspaceRole, error)
	ListWorkspaces(ctx context.Context, p lathe.Principal) ([]*lathe.WorkspaceRole, error)
	Workspace(ctx context.Context, p lathe.Principal, name string) (*access.WorkspaceDetail, error)
	DeleteWorkspace(ctx context.Context, p lathe.Principal, name string, force bool) error
}

// Accounts manages users, tokens and sign-in links.
type Accounts interface {
	ListUsers(ctx context.Context, p lathe.Principal) ([]*lathe.User, error)
	CreateUser(ctx context.Context, p lathe.Principal, name, email string) (*lathe.User, error)
	SetUserDisabled(ctx context.Context, p lathe.Principal, name string, disabled bool) error
	ListTokens(ctx context.Context, p lathe.Principal, user string) ([]*lathe.Token, error)
	CreateToken(ctx context.Context, p lathe.Principal, user, name string, expires *time.Time) (string, *lathe.Token, error)
	RevokeToken(ctx context.Context, p lathe.Principal, id string) error
	CreateSignInLink(ctx context.Context, p lathe.Principal, user string) (string, time.Time, error)
}

// Roles manages workspace role assignments.
type Roles interface {
	ListRoles(ctx context.Context, p lathe.Principal, workspace string) ([]*lathe.RoleAssignment, error)
	AssignRole(ctx context.Context, p lathe.Principal, workspace, user string, role lathe.Role) (*lathe.RoleAssignment, error)
	RevokeRole(ctx context.Context, p lathe.Principal, workspace, user string) error
}

// Auditor records and reads the audit log.
type Auditor interface {
	Record(ctx context.Context, e *lathe.AuditEvent) error
	ListAudit(ctx context.Context, p lathe.Principal, f lathe.AuditFilter) ([]*lathe.AuditEvent, error)
	VerifyAudit(ctx context.Context, p lathe.Principal) (*lathe.AuditVerdict, error)
}

// Content is the workspace view of the blob store.
type Content interface {
	Put(ctx context.Context, workspaceID, actor string, r io.Reader, opts blob.PutOptions) (*lathe.Blob, error)
	Stat(ctx context.Context, workspaceID string, d lathe.Digest) (*lathe.Blob, error)
	Open(ctx context.Context, workspaceID string, d lathe.Digest, offset, length int64) (io.ReadCloser, error)
	Exist(ctx context.Context, workspaceID string, ds []lathe.Digest) ([]bool, error)
	List(ctx context.Context, workspaceID, cursor string, limit int) ([]*lathe.Blob, string, error)
}

// Info is the server's description of itself.
type Info struct {
	Version       string          `json:"version"`
	Store         string          `json:"store" doc:"metadata store backend: sqlite or postgres"`
	Blob          string          `json:"blob" doc:"blob store backend: file or s3"`
	SchemaVersion int             `json:"schema_version"`
	StartedAt     time.Time       `json:"started_at"`
	Principal     lathe.Principal `json:"principal" doc:"who the request was authenticated as"`
	Limits        Limits          `json:"limits"`
}

// Limits are the sizes the server enforces on clients.
type Limits struct {
	MaxJSONBody int64 `json:"max_json_body"`
	MaxBlobSize int64 `json:"max_blob_size"`
	MaxPageSize int   `json:"max_page_size"`
	MaxBatch    int   `json:"max_batch"`
}

// Options configure the API.
type Options struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	Auth       Authenticator
	Authorizer Authorizer
	Workspaces Workspaces
	Accounts   Accounts
	Roles      Roles
	Audit      Auditor
	Content    Content
	Tracking   Tracking
	Data       Data
	Jobs       Jobs
	// Pipelines serves pipeline jobs and components.
	Pipelines Pipelines
	// Schedules keeps and fires schedules.
	Schedules Schedules
	// Studio, if set, serves the web UI under /ui/ (and / redirects there).
	Studio http.Handler
	// Extra routes from other surfaces (the MLflow API), run through the
	// same middleware and policy.
	Extra []Route
	// Info describes the server (Principal and Limits are filled in here).
	Info Info
	// Ready checks each dependency; /readyz fails if any returns an error.
	Ready       map[string]func(ctx context.Context) error
	MaxJSONBody int64
	MaxBlobSize int64
}

// Limits on what a client may ask for in one request.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
	MaxBatch        = 1000
)

// API is the HTTP handler of the whole server.
type API struct {
	opts    Options
	mux     *http.ServeMux
	routes  []Route
	log     *slog.Logger
	metrics *metrics
	prom    http.Handler
}

// New builds the API and registers every route.
func New(opts Options) *API {
	a := &API{opts: opts, mux: http.NewServeMux(), log: opts.Logger}
	a.metrics = newMetrics(opts.Registerer)
	if opts.Gatherer != nil {
		a.prom = promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{})
	}
	a.routes = append(a.table(), opts.Extra...)
	for i := range a.routes {
		rt := &a.routes[i]
		if _, ok := lathe.PolicyFor(rt.Action); !ok {
			panic(fmt.Sprintf("api: route %s %s has action %q with no access rule", rt.Method, rt.Path, rt.Action))
		}
		a.mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt))
	}
	a.mux.Handle("/", a.wrap(&Route{ID: "notFound", Path: "/", Action: lathe.ActInfo, Handler: a.notFound}))
	if opts.Studio != nil {
		// The studio authenticates with its own session cookies and checks
		// the same policy per page; here it only gets the request id,
		// logs and metrics.
		a.mux.Handle("/ui/", a.observed("studio", opts.Studio))
		a.mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	}
	return a
}

// Routes returns the route table (for tests and the OpenAPI document).
func (a *API) Routes() []Route { return a.routes }

// ServeHTTP implements http.Handler. A path with "." or ".." segments or
// doubled slashes is refused here: the mux would answer it with a redirect
// to the cleaned path, and a client that follows it would send its body (an
// artifact upload, say) somewhere it did not name.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; !isClean(p) {
		rid := requestID(r)
		w.Header().Set("X-Request-Id", rid)
		r = r.WithContext(context.WithValue(r.Context(), keyRequestID, rid))
		rt := &Route{ID: "uncleanPath", Compat: strings.Contains(p, "/api/2.0/") || strings.Contains(p, "/ajax-api/2.0/")}
		a.writeError(w, r, rt, lathe.Errorf(lathe.EINVALID, "Invalid path %q: it has '.' or '..' segments or an empty one; send the path as it is meant", p))
		return
	}
	a.mux.ServeHTTP(w, r)
}

// isClean reports whether a URL path is already in clean form (a trailing
// slash allowed).
func isClean(p string) bool {
	if p == "" || p == "/" {
		return true
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") {
		c += "/"
	}
	return c == p
}
