// Package api is Lathe's HTTP surface: the native REST API under /api/v1, the
// health and metrics endpoints, and (later) the MLflow and inference
// surfaces mounted beside it. One route table drives the mux, the
// authentication requirement of each route and the OpenAPI document, and one
// function maps a lathe.Error to an HTTP status.
package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Authenticator turns a bearer token into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (lathe.Principal, error)
}

// Workspaces finds workspaces by name.
type Workspaces interface {
	WorkspaceByName(ctx context.Context, name string) (*lathe.Workspace, error)
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
	Workspaces Workspaces
	Content    Content
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
	a.routes = a.table()
	for i := range a.routes {
		rt := &a.routes[i]
		a.mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt))
	}
	a.mux.Handle("/", a.wrap(&Route{ID: "notFound", Path: "/", Handler: a.notFound}))
	return a
}

// Routes returns the route table (for tests and the OpenAPI document).
func (a *API) Routes() []Route { return a.routes }

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }
