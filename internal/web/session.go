package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// signinCookie carries the sign-in form's double-submit token. The sign-in
// form has no session to tie a CSRF token to, so the form's hidden field
// must equal this cookie, which only the studio's own pages set (HttpOnly,
// SameSite=Strict, path /ui/signin): another site can make a browser post
// the form, but can neither read nor set the cookie, so it cannot sign a
// victim into the attacker's account. The Origin header is checked as
// well when the browser sends one.
const signinCookie = "lathe_signin"

// signinBody is the sign-in page's content.
type signinBody struct {
	CSRF  string
	Code  string // a one-time link code to redeem
	Next  string // where to go after signing in
	Error string
}

// signinForm shows the token form, or the confirmation of a one-time link.
// A link is redeemed only by the form post, never by the GET itself, so a
// mail scanner fetching the link cannot use it up.
func (s *Studio) signinForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := r.URL.Query()
	next := safeNext(q.Get("next"))
	s.trySession(r, rc)
	if rc.signedIn() && q.Get("code") == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	rc.session = nil // the sign-in page never shows the signed-in chrome
	code := q.Get("code")
	if len(code) > maxFieldLen {
		code = ""
	}
	return s.renderSignin(w, r, rc, http.StatusOK, signinBody{Code: code, Next: next})
}

// renderSignin writes the sign-in page with a double-submit token.
func (s *Studio) renderSignin(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, b signinBody) error {
	tok := ""
	if c, err := r.Cookie(signinCookie); err == nil && len(c.Value) == 43 {
		tok = c.Value
	} else {
		tok = newSecret()
	}
	http.SetCookie(w, &http.Cookie{
		Name: signinCookie, Value: tok, Path: "/ui/signin", MaxAge: 3600,
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteStrictMode,
	})
	b.CSRF = tok
	title := "Sign in"
	if b.Code != "" {
		title = "Continue signing in"
	}
	return s.render(w, r, rc, status, "signin", &page{Title: title, Body: b})
}

// signin exchanges a token or a link code for a session.
func (s *Studio) signin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ctx := r.Context()
	b := signinBody{Code: r.PostForm.Get("code"), Next: safeNext(r.PostForm.Get("next"))}
	if len(b.Code) > maxFieldLen {
		b.Code = ""
	}
	if !sameOrigin(r) || !signinTokenOK(r) {
		rc.denied = true
		rc.failed = lathe.Errorf(lathe.EFORBIDDEN, "sign-in form without a valid CSRF token")
		b.Error = "This sign-in form expired or was sent from another site, so it was ignored. Please sign in again."
		return s.renderSignin(w, r, rc, http.StatusForbidden, b)
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	var (
		secret string
		sess   *lathe.Session
		err    error
	)
	switch {
	case b.Code != "":
		rc.target = "sign-in link"
		secret, sess, err = s.opts.Sessions.RedeemSignInLink(ctx, b.Code)
	case token == "":
		rc.failed = lathe.Errorf(lathe.EINVALID, "no token")
		b.Error = "Enter an API token. `lathe login` prints one, and the admin token is in the server's data directory."
		return s.renderSignin(w, r, rc, http.StatusBadRequest, b)
	case len(token) > maxFieldLen:
		err = lathe.Errorf(lathe.EUNAUTHORIZED, "token too long")
	default:
		secret, sess, err = s.opts.Sessions.SignIn(ctx, token)
	}
	if err != nil {
		switch lathe.ErrorCode(err) {
		case lathe.EUNAUTHORIZED, lathe.EFORBIDDEN, lathe.ENOTFOUND, lathe.EINVALID:
			rc.failed, rc.denied = err, true
			b.Error = "That token was not accepted. Check that you pasted all of it (it starts with lathe_); it may have expired or been revoked."
			if b.Code != "" {
				b.Error = "This sign-in link was already used or has expired. Ask for a new one, or sign in with an API token."
				b.Code = ""
			}
			return s.renderSignin(w, r, rc, http.StatusUnauthorized, b)
		default:
			return err
		}
	}
	if sess2, p, err := s.opts.Sessions.Session(ctx, secret); err == nil {
		rc.p = p
		sess = sess2
	}
	rc.target = sess.ID
	s.setSession(w, secret, sess.ExpiresAt)
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: "", Path: "/ui/signin", MaxAge: -1,
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, b.Next, http.StatusSeeOther)
	return nil
}

// signout ends the session.
func (s *Studio) signout(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	rc.target = rc.session.ID
	if err := s.opts.Sessions.SignOut(r.Context(), rc.secret); err != nil && !lathe.IsCode(err, lathe.EUNAUTHORIZED) {
		return err
	}
	s.clearSession(w)
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
	return nil
}

// setSession sets the session cookie.
func (s *Studio) setSession(w http.ResponseWriter, secret string, expires time.Time) {
	c := &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/ui",
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode,
	}
	if !expires.IsZero() {
		if d := expires.Sub(s.now()); d > 0 {
			c.MaxAge = int(d / time.Second)
		}
	}
	http.SetCookie(w, c)
}

// clearSession removes the session cookie.
func (s *Studio) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/ui", MaxAge: -1,
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
}

// signinTokenOK checks the sign-in form's double-submit token.
func signinTokenOK(r *http.Request) bool {
	c, err := r.Cookie(signinCookie)
	if err != nil {
		return false
	}
	got := r.PostForm.Get("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) == 1
}

// sameOrigin refuses a post whose Origin (or Sec-Fetch-Site) says it came
// from another site. Browsers that send neither are left to the token
// check.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// safeNext keeps a post-sign-in destination only if it is a studio path of
// this site, so the sign-in page cannot be used to redirect elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "/ui/signin") ||
		strings.Contains(next, "//") || len(next) > maxFieldLen {
		return "/ui/"
	}
	return next
}

// index opens the default workspace, or the first one the user is in.
func (s *Studio) index(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	wss, err := s.opts.Workspaces.ListWorkspaces(r.Context(), rc.p)
	if err != nil {
		return err
	}
	for _, ws := range wss {
		if ws.Name == lathe.DefaultWorkspace {
			http.Redirect(w, r, wsURL(ws.Name, ""), http.StatusSeeOther)
			return nil
		}
	}
	if len(wss) > 0 {
		http.Redirect(w, r, wsURL(wss[0].Name, ""), http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, rc, http.StatusOK, "index", &page{Title: "No workspace yet"})
}

// switchWorkspace is the target of the workspace switcher: it opens the
// same section in the chosen workspace, or its home when the user may not
// see that section there.
func (s *Studio) switchWorkspace(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	sec := r.URL.Query().Get("section")
	known := false
	for _, x := range sections() {
		known = known || x.Key == sec
	}
	if !known || sec == "audit" && s.allowed(r, rc, rc.ws.Name, ActionAuditRead) != nil {
		sec = ""
	}
	http.Redirect(w, r, wsURL(rc.ws.Name, sec), http.StatusSeeOther)
	return nil
}

// allowed asks the policy about an extra action for display decisions.
func (s *Studio) allowed(r *http.Request, rc *reqCtx, workspace, action string) error {
	_, _, err := s.opts.Authorizer.Authorize(r.Context(), rc.p, workspace, action)
	return err
}

// rootRedirect sends the bare root to the studio.
func (s *Studio) rootRedirect(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	http.Redirect(w, r, "/ui/", http.StatusFound)
	return nil
}

// newSecret returns 32 random bytes, base64url without padding (43
// characters).
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// fingerprint is a short content hash for cache busting.
func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
