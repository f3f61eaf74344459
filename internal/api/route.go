package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// Route is one entry of the route table: the HTTP pattern, what it needs,
// how it is documented, and its handler.
type Route struct {
	Method  string // GET, POST, ...
	Path    string // a net/http pattern path, e.g. /api/v1/workspaces/{workspace}/blobs
	ID      string // OpenAPI operationId
	Summary string
	Tag     string
	// Action names what the route does for the access policy
	// (lathe.PolicyFor) and the audit log; every route has one.
	Action string
	// Body documents the JSON request body (nil: none); RawBody marks a
	// streamed application/octet-stream body instead.
	Body    any
	RawBody bool
	// Response documents the JSON response (nil: none); RawResponse marks a
	// streamed application/octet-stream response.
	Response    any
	RawResponse bool
	Status      int // success status, 200 if zero
	// ReadOnly marks a POST that changes nothing (a batch query), so it is
	// not recorded in the audit log.
	ReadOnly bool
	// Compat marks a route of another product's API (MLflow): errors use
	// that API's shape and the route is not in Lathe's OpenAPI document.
	Compat bool
	// DefaultWorkspace makes a workspace-scoped action without {workspace}
	// in the path act on the default workspace.
	DefaultWorkspace bool
	Query            []Param
	Headers          []Param
	Handler          func(w http.ResponseWriter, r *http.Request) error
}

// Param documents one query parameter or header.
type Param struct {
	Name, Type, Doc string
}

type ctxKey int

const (
	keyPrincipal ctxKey = iota
	keyWorkspace
	keyRequestID
)

// PrincipalFrom returns the authenticated principal of a request context.
func PrincipalFrom(ctx context.Context) (lathe.Principal, bool) {
	p, ok := ctx.Value(keyPrincipal).(lathe.Principal)
	return p, ok
}

// WorkspaceFrom returns the workspace a request addresses, if its route has one.
func WorkspaceFrom(ctx context.Context) (*lathe.Workspace, bool) {
	w, ok := ctx.Value(keyWorkspace).(*lathe.Workspace)
	return w, ok
}

// RequestIDFrom returns the request id of a request context.
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(keyRequestID).(string)
	return s
}

// requestID takes a well-formed X-Request-Id from the client or makes one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// bearer extracts the token from "Authorization: Bearer <token>", or from
// HTTP basic auth's password (the MLflow client's basic-auth mode).
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	if _, pass, ok := r.BasicAuth(); ok {
		return pass
	}
	return ""
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap is the middleware every route runs through: request id, panic
// recovery, authentication, workspace resolution, error mapping, logging and
// metrics.
func (a *API) wrap(rt *Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := requestID(r)
		w.Header().Set("X-Request-Id", rid)
		sw := &statusWriter{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), keyRequestID, rid)
		a.metrics.inFlight.Inc()
		var user string
		defer func() {
			a.metrics.inFlight.Dec()
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					a.observe(r, rt, sw, user, rid, start, fmt.Errorf("aborted"))
					panic(v)
				}
				err := fmt.Errorf("panic: %v", v)
				if sw.status == 0 {
					a.writeError(sw, r.WithContext(ctx), rt, err)
				}
				a.observe(r, rt, sw, user, rid, start, err)
				return
			}
		}()
		var ws *lathe.Workspace
		err := func() error {
			rule, _ := lathe.PolicyFor(rt.Action)
			if rule.Need == lathe.NeedPublic {
				return rt.Handler(sw, r.WithContext(ctx))
			}
			p, err := a.opts.Auth.Authenticate(ctx, bearer(r))
			if err != nil {
				return err
			}
			user = p.UserName
			ctx = context.WithValue(ctx, keyPrincipal, p)
			name := ""
			if strings.Contains(rt.Path, "{workspace}") {
				name = r.PathValue("workspace")
			} else if rt.DefaultWorkspace {
				name = lathe.DefaultWorkspace
			}
			w, _, err := a.opts.Authorizer.Authorize(ctx, p, name, rt.Action)
			ws = w
			if err != nil {
				return err
			}
			if w != nil {
				ctx = context.WithValue(ctx, keyWorkspace, w)
			}
			return rt.Handler(sw, r.WithContext(ctx))
		}()
		if err != nil && sw.status == 0 {
			a.writeError(sw, r.WithContext(ctx), rt, err)
		}
		a.audit(ctx, r, rt, sw.status, user, ws, rid)
		a.observe(r, rt, sw, user, rid, start, err)
	})
}

// observed wraps a handler that does its own authentication with the
// request id, the request log line and the metrics.
func (a *API) observed(id string, h http.Handler) http.Handler {
	rt := &Route{ID: id}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := requestID(r)
		w.Header().Set("X-Request-Id", rid)
		sw := &statusWriter{ResponseWriter: w}
		a.metrics.inFlight.Inc()
		defer a.metrics.inFlight.Dec()
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), keyRequestID, rid)))
		a.observe(r, rt, sw, "", rid, start, nil)
	})
}

// audit records mutating calls and denied ones in the audit log.
func (a *API) audit(ctx context.Context, r *http.Request, rt *Route, status int, user string, ws *lathe.Workspace, rid string) {
	if status == 0 {
		status = http.StatusOK
	}
	denied := status == http.StatusUnauthorized || status == http.StatusForbidden
	mutating := !rt.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
	if a.opts.Audit == nil || !(mutating || denied) {
		return
	}
	e := &lathe.AuditEvent{Actor: user, Action: rt.ID, Target: r.Method + " " + r.URL.Path, Status: status, RequestID: rid, Outcome: lathe.OutcomeSuccess}
	switch {
	case denied:
		e.Outcome = lathe.OutcomeDenied
	case status >= 400:
		e.Outcome = lathe.OutcomeFailure
	}
	if ws != nil {
		e.WorkspaceID, e.Workspace = ws.ID, ws.Name
	} else if n := r.PathValue("workspace"); n != "" && lathe.ValidateName("workspace", n) == nil {
		e.Workspace = n
	}
	if err := a.opts.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
		a.log.ErrorContext(ctx, "audit record failed", "request_id", rid, "action", e.Action, "error", err.Error())
	}
}

// observe logs the request and records its metrics.
func (a *API) observe(r *http.Request, rt *Route, sw *statusWriter, user, rid string, start time.Time, err error) {
	d := time.Since(start)
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	a.metrics.requests.WithLabelValues(rt.ID, r.Method, fmt.Sprint(status)).Inc()
	a.metrics.duration.WithLabelValues(rt.ID).Observe(d.Seconds())
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", rt.ID),
		slog.Int("status", status), slog.Duration("duration", d), slog.Int64("bytes", sw.bytes),
		slog.String("request_id", rid),
	}
	if user != "" {
		attrs = append(attrs, slog.String("user", user))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	a.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// notFound answers paths and methods no route serves: 405 with Allow when
// the path exists under another method, 404 otherwise.
func (a *API) notFound(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return &statusError{status: http.StatusMethodNotAllowed, err: lathe.Errorf(lathe.EINVALID,
			"method %s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))}
	}
	return lathe.Errorf(lathe.ENOTFOUND, "no API route %s %s; GET /api/v1/openapi.json lists the routes", r.Method, r.URL.Path)
}
