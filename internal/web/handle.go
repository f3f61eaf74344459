package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/api"
)

// Limits on what a browser may send.
const (
	maxFormBytes = 64 << 10 // a form post's body
	maxFieldLen  = 1024     // any one form or query value
)

// SessionCookie is the cookie that holds a signed-in browser's session
// secret.
const SessionCookie = "lathe_session"

// contentSecurityPolicy allows only the studio's own files: no inline
// scripts or styles, no framing, forms only to this origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// reqCtx is what the middleware learned about a request.
type reqCtx struct {
	route   *Route
	rid     string
	secret  string // the session cookie's value
	session *lathe.Session
	p       lathe.Principal
	wsName  string           // the {workspace} path value, once well-formed
	ws      *lathe.Workspace // the page's workspace, once authorized
	role    lathe.Role       // p's role in ws
	event   string           // audit action to record ("" for none)
	target  string           // audit target
	failed  error            // an error the handler showed on its own page
	denied  bool             // the middleware refused the request
}

// signedIn reports whether the request carries a valid session.
func (rc *reqCtx) signedIn() bool { return rc.session != nil }

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
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
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap is the middleware every route runs through: request id, security
// headers, panic recovery, session, CSRF, authorization, error pages and the
// audit record of mutating routes.
func (s *Studio) wrap(rt *Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := &reqCtx{route: rt, rid: requestID(w, r), event: rt.Event}
		h := w.Header()
		h.Set("X-Request-Id", rc.rid)
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err := fmt.Errorf("panic: %v", v)
			s.log.ErrorContext(r.Context(), "studio panic", "request_id", rc.rid, "error", err.Error(), "stack", string(debug.Stack()))
			if sw.status == 0 {
				s.fail(sw, r, rc, err)
			}
			s.record(r, rc, sw.status, err)
		}()
		err := s.serve(sw, r, rc)
		if err != nil && sw.status == 0 {
			s.fail(sw, r, rc, err)
		}
		if r.Method == http.MethodPost {
			s.record(r, rc, sw.status, err)
		}
	})
}

// serve runs the checks a route needs, then its handler.
func (s *Studio) serve(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ctx := r.Context()
	rt := rc.route
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return lathe.Errorf(lathe.ETOOLARGE, "the form is over %d bytes; send less", maxFormBytes)
			}
			return lathe.Errorf(lathe.EINVALID, "the form could not be read: %v", err)
		}
		rc.target = defaultTarget(r)
		if rt.event != nil {
			rc.event = rt.event(r)
		}
	}
	if name := r.PathValue("workspace"); name != "" {
		if err := lathe.ValidateName("workspace", name); err != nil {
			return err
		}
		rc.wsName = name
	}
	if rt.Access == Public {
		return rt.h(w, r, rc)
	}
	if err := s.authenticate(ctx, r, rc); err != nil {
		rc.denied = true
		return err
	}
	if r.Method == http.MethodPost && !csrfOK(r.PostForm.Get("csrf"), rc.session.CSRF) {
		rc.denied = true
		s.log.WarnContext(ctx, "studio form post without a valid CSRF token", "request_id", rc.rid, "user", rc.p.UserName, "path", r.URL.Path)
		return lathe.Errorf(lathe.EFORBIDDEN, "this form was not sent from a studio page of your session (its CSRF token is missing or wrong), so nothing was changed; reload the page and try again")
	}
	if rt.Access == Policy {
		if err := s.authorize(ctx, r, rc); err != nil {
			rc.denied = true
			return err
		}
	}
	return rt.h(w, r, rc)
}

// authenticate finds the session the cookie names.
func (s *Studio) authenticate(ctx context.Context, r *http.Request, rc *reqCtx) error {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > maxFieldLen {
		return lathe.Errorf(lathe.EUNAUTHORIZED, "sign in to continue")
	}
	rc.secret = c.Value
	sess, p, err := s.opts.Sessions.Session(ctx, c.Value)
	if err != nil {
		return fmt.Errorf("check session: %w", err)
	}
	rc.session, rc.p = sess, p
	return nil
}

// authorize asks the policy about the route's action. A route under a
// workspace whose action is checked elsewhere first needs workspace.read in
// the path's workspace, so a non-member gets "not found" before anything
// else.
func (s *Studio) authorize(ctx context.Context, r *http.Request, rc *reqCtx) error {
	rt := rc.route
	if rc.wsName != "" && (rt.Scope != ScopePath || rt.Action != ActionWorkspaceRead) {
		// The Authorizer's errors are shown as they are: they are the
		// policy's verdict, written for the user, and name the workspace.
		ws, role, err := s.opts.Authorizer.Authorize(ctx, rc.p, rc.wsName, ActionWorkspaceRead)
		if err != nil {
			return err
		}
		rc.ws, rc.role = ws, role
	}
	name := ""
	switch rt.Scope {
	case ScopePath:
		name = rc.wsName
	case ScopeQuery:
		name = r.URL.Query().Get("workspace")
		if err := lathe.ValidateName("workspace", name); err != nil {
			return err
		}
	}
	ws, role, err := s.opts.Authorizer.Authorize(ctx, rc.p, name, rt.Action)
	if err != nil {
		return err
	}
	if rt.Scope != ScopeNone {
		rc.ws, rc.role = ws, role
	}
	return nil
}

// csrfOK compares a form's CSRF field with the session's in constant time.
func csrfOK(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// defaultTarget is the audit target of a post before its handler refines
// it: the user or token the path names, else the form's user or name.
func defaultTarget(r *http.Request) string {
	for _, v := range []string{r.PathValue("user"), r.PathValue("id"), r.PostForm.Get("user"), r.PostForm.Get("name")} {
		if v != "" {
			return clip(v, lathe.MaxNameLen)
		}
	}
	return ""
}

// fail answers a request whose handler returned an error: EUNAUTHORIZED
// sends the browser to the sign-in page, every other code gets the error
// page with its status.
func (s *Studio) fail(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	code := lathe.ErrorCode(err)
	if code == lathe.EUNAUTHORIZED {
		if rc.secret != "" {
			s.clearSession(w)
		}
		target := "/ui/signin"
		if r.Method == http.MethodGet && r.URL.Path != "/ui/" {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	status := api.Status(code)
	if code == lathe.EINTERNAL {
		s.log.ErrorContext(r.Context(), "studio internal error", "request_id", rc.rid, "path", r.URL.Path, "error", err.Error())
	}
	s.renderError(w, r, rc, status, err)
}

// record appends the audit event of a mutating request, whatever its
// outcome.
func (s *Studio) record(r *http.Request, rc *reqCtx, status int, err error) {
	if rc.event == "" {
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	if err == nil {
		err = rc.failed
	}
	e := &lathe.AuditEvent{
		Time: s.now().UTC(), Actor: rc.p.UserName, Action: rc.event, Target: rc.target,
		Status: status, RequestID: rc.rid, Workspace: rc.wsName, Outcome: lathe.OutcomeSuccess,
	}
	if e.Actor == "" {
		e.Actor = "anonymous"
	}
	if rc.ws != nil {
		e.WorkspaceID, e.Workspace = rc.ws.ID, rc.ws.Name
	}
	switch code := lathe.ErrorCode(err); {
	case code == "":
	case rc.denied || code == lathe.EFORBIDDEN || code == lathe.EUNAUTHORIZED:
		e.Outcome = lathe.OutcomeDenied
	default:
		e.Outcome = lathe.OutcomeFailure
	}
	if rerr := s.opts.Audit.Record(context.WithoutCancel(r.Context()), e); rerr != nil {
		s.log.ErrorContext(r.Context(), "studio could not record an audit event", "request_id", rc.rid, "action", e.Action, "error", rerr.Error())
	}
}

// requestID returns the id an outer middleware (internal/api's) set on the
// response, a well-formed X-Request-Id from the client, or a new one.
func requestID(w http.ResponseWriter, r *http.Request) string {
	if id := w.Header().Get("X-Request-Id"); id != "" {
		return id
	}
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 &&
		strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
