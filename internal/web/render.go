package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// page is what the layout template renders: the chrome every page shares
// and the page's own Body.
type page struct {
	Title      string
	Section    string // the sidebar entry that is current
	P          lathe.Principal
	SignedIn   bool
	CSRF       string
	WS         *lathe.Workspace
	Role       lathe.Role
	Workspaces []*lathe.WorkspaceRole
	Nav        []navItem
	RequestID  string
	CSS, JS    string // asset URLs
	Body       any
}

// navItem is one sidebar entry.
type navItem struct {
	Key, Label, Href, Icon string
	Current                bool
}

// section is one sidebar entry's key (the path below the workspace) and
// label.
type section struct{ Key, Label string }

// sections lists the sidebar, in order.
func sections() []section {
	return []section{
		{"", "Home"}, {"data", "Data"}, {"jobs", "Jobs"}, {"schedules", "Schedules"}, {"experiments", "Experiments"},
		{"models", "Models"}, {"endpoints", "Endpoints"}, {"monitors", "Monitors"},
		{"audit", "Audit"}, {"settings", "Settings"},
	}
}

// pageNames lists the page templates; each is parsed with the layout and
// the components.
func pageNames() []string {
	return []string{"signin", "index", "home", "blobs", "section", "audit", "settings", "error",
		"experiments", "experiment", "run", "compare", "assets", "asset", "dataversion", "datadiff"}
}

// parseTemplates parses the layout and components once, then each page on a
// clone of them.
func (s *Studio) parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(s.funcs()).ParseFS(files, "templates/layout.html", "templates/components.html", "templates/tracking.html", "templates/dataparts.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames() {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout: %w", err)
		}
		if _, err := t.ParseFS(files, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// funcs are the helpers templates call.
func (s *Studio) funcs() template.FuncMap {
	return template.FuncMap{
		"time":    fmtTime,
		"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago":     func(t time.Time) string { return ago(s.now(), t) },
		"bytes":   lathe.FormatBytes,
		"count":   fmtCount,
		"short":   func(h string) string { return shorten(h, 12) },
		"tone":    BadgeTone,
		"icon":    icon,
		"wsurl":   wsURL,
		"roles":   func() []lathe.Role { return append([]lathe.Role(nil), lathe.Roles...) },
		"dict":    dict,
		"initial": initial,
		"swatch":  swatch,
		"mstime":  func(ms int64) string { return fmtTime(msTime(ms)) },
	}
}

// render writes a page with the status, filling in the chrome from rc.
func (s *Studio) render(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, name string, pg *page) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("render: no page template %q", name)
	}
	s.fillPage(r.Context(), rc, pg)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// fillPage adds the chrome: who is signed in, the switcher's workspaces and
// the sidebar.
func (s *Studio) fillPage(ctx context.Context, rc *reqCtx, pg *page) {
	pg.RequestID = rc.rid
	pg.CSS = s.assetURL("studio.css")
	pg.JS = s.assetURL("studio.js")
	if !rc.signedIn() {
		return
	}
	pg.SignedIn, pg.P, pg.CSRF = true, rc.p, rc.session.CSRF
	wss, err := s.opts.Workspaces.ListWorkspaces(ctx, rc.p)
	if err != nil {
		s.log.WarnContext(ctx, "studio could not list workspaces for the switcher", "request_id", rc.rid, "error", err.Error())
	}
	pg.Workspaces = wss
	if rc.ws == nil {
		return
	}
	pg.WS, pg.Role = rc.ws, rc.role
	for _, sec := range sections() {
		key := sec.Key
		if key == "" {
			key = "home"
		}
		pg.Nav = append(pg.Nav, navItem{Key: key, Label: sec.Label, Href: wsURL(rc.ws.Name, sec.Key), Icon: key, Current: key == pg.Section})
	}
}

// errorBody is the error page's content.
type errorBody struct {
	Status    int
	Title     string
	Message   string
	Hint      string
	RequestID string
}

// renderError writes the error page for status, with the request id.
func (s *Studio) renderError(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, err error) {
	b := errorBody{Status: status, RequestID: rc.rid, Message: lathe.ErrorMessage(err)}
	switch {
	case status == http.StatusNotFound:
		b.Title = "Page not found"
		b.Hint = "Check the address. Workspaces you are not a member of look the same as ones that do not exist; ask an owner of the workspace for a role."
	case status == http.StatusForbidden:
		b.Title = "Not allowed"
		b.Hint = "Your role does not allow this here. A workspace owner can change roles under Settings; server admins manage users."
	case status >= 500:
		b.Title = "Something went wrong"
		if lathe.ErrorCode(err) == lathe.EINTERNAL {
			b.Message = "The server hit an unexpected error. Its log has the details under the request id below."
		}
		b.Hint = "Try again in a moment. If it keeps happening, send the request id to whoever runs this server."
	default:
		b.Title = "That request could not be done"
		b.Hint = "Go back, correct it and try again."
	}
	if !rc.signedIn() {
		s.trySession(r, rc)
	}
	pg := &page{Title: b.Title, Body: b}
	if rerr := s.render(w, r, rc, status, "error", pg); rerr != nil {
		s.log.ErrorContext(r.Context(), "studio could not render the error page", "request_id", rc.rid, "error", rerr.Error())
		http.Error(w, fmt.Sprintf("%s (request id %s)", b.Title, rc.rid), status)
	}
}

// trySession looks the session up for a page that does not need one, so
// it can show the signed-in chrome; failures are ignored.
func (s *Studio) trySession(r *http.Request, rc *reqCtx) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > maxFieldLen {
		return
	}
	if sess, p, err := s.opts.Sessions.Session(r.Context(), c.Value); err == nil {
		rc.secret, rc.session, rc.p = c.Value, sess, p
	}
}

// notFound answers /ui/ paths no route serves.
func (s *Studio) notFound(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return lathe.Errorf(lathe.ENOTFOUND, "there is no studio page at %s", clip(r.URL.Path, 200))
}

// initial is the upper-cased first letter of a name, for its avatar.
func initial(name string) string {
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// wsURL is the address of a workspace's page ("" for home).
func wsURL(ws, sec string) string {
	return "/ui/w/" + url.PathEscape(ws) + "/" + sec
}

// dict builds a map from alternating keys and values, so a template can
// pass several values to a component.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// fmtTime shows a time in UTC to the minute.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago says how long before now t was, roughly.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	default:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// fmtCount writes an integer with thousands separators.
func fmtCount(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// shorten keeps the first n characters of a hash or id, with an ellipsis.
func shorten(h string, n int) string {
	h = strings.TrimPrefix(h, lathe.DigestPrefix)
	if len(h) <= n {
		return h
	}
	return h[:n] + "…"
}

// asset is one embedded static file.
type asset struct {
	data  []byte
	ctype string
	etag  string
}

// loadAssets reads the static files and fingerprints them.
func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	m := map[string]*asset{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		ctype := "application/octet-stream"
		switch {
		case strings.HasSuffix(path, ".css"):
			ctype = "text/css; charset=utf-8"
		case strings.HasSuffix(path, ".js"):
			ctype = "text/javascript; charset=utf-8"
		case strings.HasSuffix(path, ".svg"):
			ctype = "image/svg+xml"
		}
		m[path] = &asset{data: b, ctype: ctype, etag: fingerprint(b)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read static files: %w", err)
	}
	return m, nil
}

// assetURL is a static file's address with its fingerprint, so browsers
// can cache it for good.
func (s *Studio) assetURL(name string) string {
	a, ok := s.assets[name]
	if !ok {
		return "/ui/static/" + name
	}
	return "/ui/static/" + name + "?v=" + a.etag
}

// static serves an embedded file.
func (s *Studio) static(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	a, ok := s.assets[r.PathValue("file")]
	if !ok {
		return lathe.Errorf(lathe.ENOTFOUND, "there is no static file %q", clip(r.PathValue("file"), 100))
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", `"`+a.etag+`"`)
	if r.URL.Query().Get("v") == a.etag {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == `"`+a.etag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, _ = w.Write(a.data)
	return nil
}
