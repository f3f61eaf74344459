package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/api"
)

// settingsForm is what a settings form post sent back, to show again with
// its error.
type settingsForm struct {
	Errors    map[string]string // by form: token, role, user
	TokenName string
	TokenUser string
	Expires   string
	RoleUser  string
	RoleRole  string
	UserName  string
	UserEmail string
	NewToken  *newToken
	Flash     string
}

// newToken is a token just created, shown once.
type newToken struct {
	Secret string
	Token  *lathe.Token
	User   string
}

// settingsBody is the settings page's content.
type settingsBody struct {
	Form          settingsForm
	Me            string
	Admin         bool
	CanWriteRoles bool
	CanWriteUsers bool
	Tokens        *Table
	Roles         *Table
	Users         *Table
	UserNames     []string // for the role form's suggestions
	ExpiryChoices []expiry
}

// expiry is one choice of the token form's lifetime.
type expiry struct{ Value, Label string }

func expiryChoices() []expiry {
	return []expiry{{"30", "30 days"}, {"90", "90 days"}, {"365", "1 year"}, {"7", "7 days"}, {"never", "Never"}}
}

// flashes are the messages a redirect after a successful post may ask for
// (?done=), so no text of the URL reaches the page.
func flash(code string) string {
	switch code {
	case "token-revoked":
		return "Token revoked. Programs using it can no longer sign in."
	case "role-assigned":
		return "Role assigned."
	case "role-revoked":
		return "Role removed."
	case "user-created":
		return "User created. Create a token for them below so they can sign in."
	case "user-disabled":
		return "User disabled. Their tokens and sessions no longer work."
	case "user-enabled":
		return "User enabled."
	}
	return ""
}

// settings shows tokens, roles and (for admins) users.
func (s *Studio) settings(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.renderSettings(w, r, rc, http.StatusOK, settingsForm{Flash: flash(r.URL.Query().Get("done"))})
}

// renderSettings builds the settings page around a form's state.
func (s *Studio) renderSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, f settingsForm) error {
	ctx := r.Context()
	b := settingsBody{
		Form: f, Me: rc.p.UserName, Admin: rc.p.Admin, ExpiryChoices: expiryChoices(),
		CanWriteRoles: s.allowed(r, rc, rc.ws.Name, ActionRoleWrite) == nil,
		CanWriteUsers: s.allowed(r, rc, "", ActionUserWrite) == nil,
	}
	if b.Form.TokenUser == "" {
		b.Form.TokenUser = rc.p.UserName
	}
	base := &url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	if r.Method != http.MethodGet {
		base.RawQuery = ""
	}
	settingsURL := wsURL(rc.ws.Name, "settings")

	toks, err := s.opts.Accounts.ListTokens(ctx, rc.p, rc.p.UserName)
	if err != nil {
		return err
	}
	b.Tokens = NewTable(base, "tokens", []Column{{Label: "Name"}, {Label: "Starts with"}, {Label: "Created"},
		{Label: "Expires"}, {Label: "Last used"}, {Label: "Status"}, {Label: "Actions"}}, "", false)
	b.Tokens.Caption = "Your API tokens"
	b.Tokens.CSRF = rc.session.CSRF
	b.Tokens.Empty = Empty{Title: "You have no tokens", Text: "Tokens let the CLI, the MLflow client and scripts act as you. Create one below; it is shown once."}
	now := s.now()
	for _, t := range toks {
		status, tone := "active", "ok"
		switch {
		case t.RevokedAt != nil:
			status, tone = "revoked", "bad"
		case !t.Active(now):
			status, tone = "expired", "warn"
		}
		row := []Cell{{Text: t.Name}, {Text: t.Prefix + "…", Mono: true}, {Time: t.CreatedAt, Text: fmtTime(t.CreatedAt)},
			optTime(t.ExpiresAt, "never"), optTime(t.LastUsedAt, "never"), {Text: status, Badge: tone}, {}}
		if status == "active" {
			row[6] = Cell{Action: &Action{URL: settingsURL + "/tokens/" + url.PathEscape(t.ID) + "/revoke", Label: "Revoke",
				AriaLabel: "Revoke token " + t.Name, Danger: true, Confirm: "Revoke token " + t.Name + "? Programs using it will stop working."}}
		}
		b.Tokens.Rows = append(b.Tokens.Rows, row)
	}

	ras, err := s.opts.Roles.ListRoles(ctx, rc.p, rc.ws.Name)
	if err != nil {
		return err
	}
	cols := []Column{{Key: "user", Label: "User"}, {Key: "role", Label: "Role"}, {Key: "created", Label: "Since"}, {Label: "Assigned by"}}
	if b.CanWriteRoles {
		cols = append(cols, Column{Label: "Actions"})
	}
	b.Roles = NewTable(base, "roles", cols, "user", false)
	b.Roles.Caption = "Members of " + rc.ws.Name
	b.Roles.CSRF = rc.session.CSRF
	b.Roles.Empty = Empty{Title: "No members", Text: "Nobody has a role in this workspace."}
	Sort(b.Roles, ras, func(key string, x, y *lathe.RoleAssignment) int {
		switch key {
		case "role":
			return x.Role.Rank() - y.Role.Rank()
		case "created":
			return x.CreatedAt.Compare(y.CreatedAt)
		default:
			return strings.Compare(x.User, y.User)
		}
	})
	for _, ra := range Paginate(b.Roles, ras, 50) {
		row := []Cell{{Text: ra.User}, {Text: string(ra.Role), Badge: BadgeTone(string(ra.Role))},
			{Time: ra.CreatedAt, Text: fmtTime(ra.CreatedAt)}, {Text: orDash(ra.CreatedBy)}}
		if b.CanWriteRoles {
			row = append(row, Cell{Action: &Action{URL: settingsURL + "/roles/" + url.PathEscape(ra.User) + "/revoke", Label: "Remove",
				AriaLabel: "Remove " + ra.User + " from " + rc.ws.Name, Danger: true,
				Confirm: "Remove " + ra.User + "'s role in " + rc.ws.Name + "?"}})
		}
		b.Roles.Rows = append(b.Roles.Rows, row)
	}

	if b.CanWriteUsers {
		users, err := s.opts.Accounts.ListUsers(ctx, rc.p)
		if err != nil {
			return err
		}
		b.Users = NewTable(base, "users", []Column{{Label: "Name"}, {Label: "Email"}, {Label: "Kind"}, {Label: "Status"},
			{Label: "Created"}, {Label: "Actions"}}, "", false)
		b.Users.Caption = "Users of this server"
		b.Users.CSRF = rc.session.CSRF
		b.Users.Empty = Empty{Title: "No users", Text: "Create the first user below."}
		for _, u := range users {
			b.UserNames = append(b.UserNames, u.Name)
			kind, status, tone := "user", "active", "ok"
			if u.Admin {
				kind = "admin"
			}
			if u.Disabled {
				status, tone = "disabled", "bad"
			}
			act := &Action{URL: settingsURL + "/users/" + url.PathEscape(u.Name) + "/disabled", Label: "Disable",
				Fields: map[string]string{"disabled": "true"}, AriaLabel: "Disable user " + u.Name, Danger: true,
				Confirm: "Disable " + u.Name + "? Their tokens and sessions stop working."}
			if u.Disabled {
				act = &Action{URL: act.URL, Label: "Enable", Fields: map[string]string{"disabled": "false"}, AriaLabel: "Enable user " + u.Name}
			}
			if u.Name == rc.p.UserName {
				act = nil // disabling yourself would lock you out
			}
			b.Users.Rows = append(b.Users.Rows, []Cell{{Text: u.Name}, {Text: orDash(u.Email)}, {Text: kind, Badge: BadgeTone(kind)},
				{Text: status, Badge: tone}, {Time: u.CreatedAt, Text: fmtTime(u.CreatedAt)}, {Action: act}})
		}
	}
	return s.render(w, r, rc, status, "settings", &page{Title: "Settings", Section: "settings", Body: b})
}

// optTime is a time cell, or the text when the time is unset.
func optTime(t *time.Time, none string) Cell {
	if t == nil {
		return Cell{Text: none}
	}
	return Cell{Time: *t, Text: fmtTime(*t)}
}

// formFailed shows the settings page again with the form's error when err
// is something the user can correct (EINVALID, ECONFLICT); other errors go
// to the error page.
func (s *Studio) formFailed(w http.ResponseWriter, r *http.Request, rc *reqCtx, form string, f settingsForm, err error) error {
	code := lathe.ErrorCode(err)
	if code != lathe.EINVALID && code != lathe.ECONFLICT {
		return err
	}
	rc.failed = err
	f.Errors = map[string]string{form: lathe.ErrorMessage(err)}
	return s.renderSettings(w, r, rc, api.Status(code), f)
}

// done redirects back to the settings page with a flash message.
func (s *Studio) done(w http.ResponseWriter, r *http.Request, rc *reqCtx, code, anchor string) error {
	http.Redirect(w, r, wsURL(rc.ws.Name, "settings")+"?done="+code+"#"+anchor, http.StatusSeeOther)
	return nil
}

// createToken issues a token and shows its secret once.
func (s *Studio) createToken(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	pf := r.PostForm
	f := settingsForm{TokenName: strings.TrimSpace(pf.Get("name")), TokenUser: strings.TrimSpace(pf.Get("user")), Expires: pf.Get("expires")}
	if f.TokenUser == "" || !rc.p.Admin {
		f.TokenUser = rc.p.UserName
	}
	var expires *time.Time
	switch f.Expires {
	case "never":
	case "7", "30", "90", "365", "":
		days := 30
		switch f.Expires {
		case "7":
			days = 7
		case "90":
			days = 90
		case "365":
			days = 365
		}
		t := s.now().UTC().Add(time.Duration(days) * 24 * time.Hour)
		expires = &t
	default:
		return s.formFailed(w, r, rc, "token", f, lathe.Errorf(lathe.EINVALID, "expiry %q: choose one of the listed lifetimes", clip(f.Expires, 20)))
	}
	if f.TokenName == "" || len(f.TokenName) > lathe.MaxNameLen {
		return s.formFailed(w, r, rc, "token", f, lathe.Errorf(lathe.EINVALID, "give the token a name of 1-%d characters that says where it is used, such as laptop or ci", lathe.MaxNameLen))
	}
	secret, t, err := s.opts.Accounts.CreateToken(r.Context(), rc.p, f.TokenUser, f.TokenName, expires)
	if err != nil {
		return s.formFailed(w, r, rc, "token", f, err)
	}
	rc.target = t.ID
	return s.renderSettings(w, r, rc, http.StatusOK, settingsForm{NewToken: &newToken{Secret: secret, Token: t, User: f.TokenUser}})
}

// revokeToken revokes one of the user's tokens.
func (s *Studio) revokeToken(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := s.opts.Accounts.RevokeToken(r.Context(), rc.p, r.PathValue("id")); err != nil {
		return s.formFailed(w, r, rc, "token", settingsForm{}, err)
	}
	return s.done(w, r, rc, "token-revoked", "tokens")
}

// assignRole gives a user a role in the workspace (owners).
func (s *Studio) assignRole(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	f := settingsForm{RoleUser: strings.TrimSpace(r.PostForm.Get("user")), RoleRole: r.PostForm.Get("role")}
	if err := lathe.ValidateName("user", f.RoleUser); err != nil {
		return s.formFailed(w, r, rc, "role", f, err)
	}
	role, err := lathe.ParseRole(f.RoleRole)
	if err != nil {
		return s.formFailed(w, r, rc, "role", f, err)
	}
	if _, err := s.opts.Roles.AssignRole(r.Context(), rc.p, rc.ws.Name, f.RoleUser, role); err != nil {
		return s.formFailed(w, r, rc, "role", f, err)
	}
	rc.target = f.RoleUser + "=" + string(role)
	return s.done(w, r, rc, "role-assigned", "roles")
}

// revokeRole removes a user's role in the workspace (owners).
func (s *Studio) revokeRole(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := s.opts.Roles.RevokeRole(r.Context(), rc.p, rc.ws.Name, r.PathValue("user")); err != nil {
		return s.formFailed(w, r, rc, "role", settingsForm{}, err)
	}
	return s.done(w, r, rc, "role-revoked", "roles")
}

// createUser creates a user (server admins).
func (s *Studio) createUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	f := settingsForm{UserName: strings.TrimSpace(r.PostForm.Get("name")), UserEmail: strings.TrimSpace(r.PostForm.Get("email"))}
	if err := lathe.ValidateName("user", f.UserName); err != nil {
		return s.formFailed(w, r, rc, "user", f, err)
	}
	if len(f.UserEmail) > 320 || f.UserEmail != "" && !strings.Contains(f.UserEmail, "@") {
		return s.formFailed(w, r, rc, "user", f, lathe.Errorf(lathe.EINVALID, "email %q does not look like an address; leave it empty or give name@example.org", clip(f.UserEmail, 80)))
	}
	if _, err := s.opts.Accounts.CreateUser(r.Context(), rc.p, f.UserName, f.UserEmail); err != nil {
		return s.formFailed(w, r, rc, "user", f, err)
	}
	return s.done(w, r, rc, "user-created", "users")
}

// setUserDisabled disables or re-enables a user (server admins).
func (s *Studio) setUserDisabled(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	var disabled bool
	switch r.PostForm.Get("disabled") {
	case "true":
		disabled = true
	case "false":
	default:
		return s.formFailed(w, r, rc, "user", settingsForm{}, lathe.Errorf(lathe.EINVALID, "disabled must be true or false"))
	}
	if err := s.opts.Accounts.SetUserDisabled(r.Context(), rc.p, r.PathValue("user"), disabled); err != nil {
		return s.formFailed(w, r, rc, "user", settingsForm{}, err)
	}
	if disabled {
		return s.done(w, r, rc, "user-disabled", "users")
	}
	return s.done(w, r, rc, "user-enabled", "users")
}
