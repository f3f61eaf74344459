// Package web is Lathe's studio: the browser UI served under /ui/. Pages are
// rendered on the server from html/template files; one CSS file and one small
// JavaScript file come with them, all embedded in the binary, so building it
// needs no Node toolchain and every page works without JavaScript (the script
// only adds conveniences such as submitting the workspace switcher on
// change).
//
// The studio keeps no state of its own. Sessions, permissions and data come
// through the small interfaces declared in iface.go, which the composition
// root satisfies with the real services; tests use in-memory fakes.
//
// Shared components that later pages reuse live here too: Table (server-side
// sorting and pagination), LineChart (an SVG chart rendered in Go, with
// several series, min–max bands, log and time axes), status badges, empty
// states and the error page.
//
// The experiment tracking pages (experiments.go, run.go, artifacts.go,
// compare.go) read through the Tracking interface: every runs table page is
// one bounded search, and metric charts are drawn from downsampled buckets,
// so a run with ten thousand siblings or a million-point metric renders as
// fast as a small one.
//
// The data pages (data.go, dataversion.go, datadiff.go) read through the
// DataAssets interface: the assets list, an asset's versions, a version's
// profile drawn as one card per column (histograms and top values are SVG
// bar charts from chart_bar.go) with its files, and the diff of two
// versions with per-column statistics side by side.
//
// The jobs pages (jobs.go, job.go) read through the Jobs interface: the
// jobs list filtered by status and paged by cursor, and a job's page with
// its spec, inputs and outputs linked to their data versions, its MLflow
// run's params and metric charts, its events and its log, which the page
// follows live over Server-Sent Events served by the studio itself.
//
// Pipeline jobs (pipeline.go) read their steps through the Pipelines
// interface: a pipeline's page draws the steps as a DAG in SVG on the
// server (internal/pipeline's layout), each box linking to the job that
// ran the step, with a steps table below; while the pipeline runs, job.js
// swaps in a fresh fragment of both every 2 seconds. A step's job links
// back to its pipeline, and the jobs list shows pipelines with their
// progress and leaves step jobs out unless asked. The schedules page
// (schedule.go) lists schedules with their next fire times through the
// Schedules interface.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"
)

//go:embed templates/*.html static/*
var files embed.FS

// Options configure the studio.
type Options struct {
	Sessions   Sessions
	Authorizer Authorizer
	Workspaces Workspaces
	Accounts   Accounts
	Roles      Roles
	Audit      Audit
	Data       Data
	// Tracking serves the Experiments pages, the run pages and run
	// comparison. When nil, the Experiments page says how to log runs and
	// the run pages answer 404.
	Tracking Tracking
	// DataAssets serves the versioned data assets under Data: the assets
	// list, an asset's versions, a version's profile and files, and diffs.
	// When nil, the Data page lists the workspace's raw blobs only, as it
	// did before data assets existed.
	DataAssets DataAssets
	// Jobs serves the Jobs pages: the jobs list, a job's page and its log
	// followed live. When nil, the Jobs page explains how to submit a job
	// and job pages answer 404.
	Jobs Jobs
	// Pipelines draws a pipeline job's steps on its page (a DAG and a
	// table, refreshed while it runs) and their progress in the jobs
	// list. When nil, pipeline jobs show as plain jobs.
	Pipelines Pipelines
	// Schedules serves the Schedules page. When nil, it explains how to
	// create a schedule.
	Schedules Schedules
	// Logger receives internal errors and refused requests.
	Logger *slog.Logger
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Secure marks cookies Secure; set it when the studio is served over https.
	Secure bool
}

// Studio is the studio's HTTP handler. Mount it at /ui/ and at GET /{$}
// (the bare root redirects to /ui/).
type Studio struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	mux    *http.ServeMux
	routes []Route
	pages  map[string]*template.Template
	assets map[string]*asset
}

// New builds the studio: it parses the embedded templates and registers
// every route.
func New(opts Options) (*Studio, error) {
	for name, missing := range map[string]bool{
		"Sessions": opts.Sessions == nil, "Authorizer": opts.Authorizer == nil, "Workspaces": opts.Workspaces == nil,
		"Accounts": opts.Accounts == nil, "Roles": opts.Roles == nil, "Audit": opts.Audit == nil, "Data": opts.Data == nil,
	} {
		if missing {
			return nil, fmt.Errorf("web: Options.%s is nil; the studio needs every service", name)
		}
	}
	s := &Studio{opts: opts, log: opts.Logger, now: opts.Now, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	if s.assets, err = loadAssets(static); err != nil {
		return nil, err
	}
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	if err := s.parseJobTemplates(); err != nil {
		return nil, err
	}
	if err := s.parsePipelineTemplates(); err != nil {
		return nil, err
	}
	s.routes = s.table()
	for i := range s.routes {
		rt := &s.routes[i]
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	s.mux.Handle("/ui/", s.wrap(&Route{Path: "/ui/", Access: Public, h: s.notFound}))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Studio) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Routes returns the studio's route table, so a test can check that every
// route has an authorization entry.
func (s *Studio) Routes() []Route { return s.routes }
