package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/access"
)

// CreateWorkspaceRequest creates a workspace.
type CreateWorkspaceRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// WorkspaceDetail is one workspace with your role and its usage.
type WorkspaceDetail = access.WorkspaceDetail

// AssignRoleRequest gives a role.
type AssignRoleRequest struct {
	Role lathe.Role `json:"role" doc:"reader, data-scientist, contributor or owner"`
}

// CreateUserRequest creates a user.
type CreateUserRequest struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// UpdateUserRequest changes a user.
type UpdateUserRequest struct {
	Disabled *bool `json:"disabled,omitempty"`
}

// CreateTokenRequest creates an API token.
type CreateTokenRequest struct {
	Name      string     `json:"name,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"when the token stops working; absent for never"`
}

// CreatedToken is a new token with its secret, shown this once.
type CreatedToken struct {
	Token  string      `json:"token" doc:"the secret: store it now, it cannot be shown again"`
	Record lathe.Token `json:"record"`
}

// SignInLink is a one-time studio sign-in link.
type SignInLink struct {
	Path      string    `json:"path" doc:"append to the server URL"`
	ExpiresAt time.Time `json:"expires_at"`
}

func principal(r *http.Request) lathe.Principal {
	p, _ := PrincipalFrom(r.Context())
	return p
}

func (a *API) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	var req CreateWorkspaceRequest
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &req); err != nil {
		return err
	}
	ws, err := a.opts.Workspaces.CreateWorkspace(r.Context(), principal(r), req.Name, req.Description)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ws)
	return nil
}

func (a *API) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	list, err := a.opts.Workspaces.ListWorkspaces(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[*lathe.WorkspaceRole]{Items: nonNil(list)})
	return nil
}

func (a *API) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	d, err := a.opts.Workspaces.Workspace(r.Context(), principal(r), r.PathValue("workspace"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) deleteWorkspace(w http.ResponseWriter, r *http.Request) error {
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	if err := a.opts.Workspaces.DeleteWorkspace(r.Context(), principal(r), r.PathValue("workspace"), force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listRoles(w http.ResponseWriter, r *http.Request) error {
	list, err := a.opts.Roles.ListRoles(r.Context(), principal(r), r.PathValue("workspace"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[*lathe.RoleAssignment]{Items: nonNil(list)})
	return nil
}

func (a *API) assignRole(w http.ResponseWriter, r *http.Request) error {
	var req AssignRoleRequest
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &req); err != nil {
		return err
	}
	role, err := lathe.ParseRole(string(req.Role))
	if err != nil {
		return err
	}
	ra, err := a.opts.Roles.AssignRole(r.Context(), principal(r), r.PathValue("workspace"), r.PathValue("user"), role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ra)
	return nil
}

func (a *API) revokeRole(w http.ResponseWriter, r *http.Request) error {
	if err := a.opts.Roles.RevokeRole(r.Context(), principal(r), r.PathValue("workspace"), r.PathValue("user")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	list, err := a.opts.Accounts.ListUsers(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[*lathe.User]{Items: nonNil(list)})
	return nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var req CreateUserRequest
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &req); err != nil {
		return err
	}
	u, err := a.opts.Accounts.CreateUser(r.Context(), principal(r), req.Name, req.Email)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var req UpdateUserRequest
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &req); err != nil {
		return err
	}
	if req.Disabled == nil {
		return lathe.Errorf(lathe.EINVALID, "nothing to change; send {\"disabled\": true} or {\"disabled\": false}")
	}
	name := r.PathValue("user")
	if err := a.opts.Accounts.SetUserDisabled(r.Context(), principal(r), name, *req.Disabled); err != nil {
		return err
	}
	users, err := a.opts.Accounts.ListUsers(r.Context(), principal(r))
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Name == name {
			writeJSON(w, http.StatusOK, u)
			return nil
		}
	}
	return lathe.Errorf(lathe.ENOTFOUND, "user %q not found", name)
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	list, err := a.opts.Accounts.ListTokens(r.Context(), principal(r), r.PathValue("user"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[*lathe.Token]{Items: nonNil(list)})
	return nil
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var req CreateTokenRequest
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &req); err != nil {
		return err
	}
	secret, t, err := a.opts.Accounts.CreateToken(r.Context(), principal(r), r.PathValue("user"), req.Name, req.ExpiresAt)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, CreatedToken{Token: secret, Record: *t})
	return nil
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := a.opts.Accounts.RevokeToken(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) createSignInLink(w http.ResponseWriter, r *http.Request) error {
	code, exp, err := a.opts.Accounts.CreateSignInLink(r.Context(), principal(r), r.PathValue("user"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, SignInLink{Path: "/ui/signin?code=" + code, ExpiresAt: exp})
	return nil
}

// listAudit serves both the whole log and one workspace's part of it.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := lathe.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Outcome: q.Get("outcome")}
	if ws, ok := WorkspaceFrom(r.Context()); ok {
		f.WorkspaceID = ws.ID
	}
	switch f.Outcome {
	case "", lathe.OutcomeSuccess, lathe.OutcomeFailure, lathe.OutcomeDenied:
	default:
		return lathe.Errorf(lathe.EINVALID, "outcome %q: use success, failure or denied", f.Outcome)
	}
	var err error
	if f.Since, err = timeParam(q.Get("since"), "since"); err != nil {
		return err
	}
	if f.Until, err = timeParam(q.Get("until"), "until"); err != nil {
		return err
	}
	if f.Limit, _, err = pageArgs(r); err != nil {
		return err
	}
	if c := q.Get("cursor"); c != "" {
		seq, err := strconv.ParseInt(c, 10, 64)
		if err != nil || seq <= 0 {
			return lathe.Errorf(lathe.EINVALID, "cursor %q is not one this server issued; start again without a cursor", c)
		}
		f.BeforeSeq = seq
	}
	list, err := a.opts.Audit.ListAudit(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	page := Page[*lathe.AuditEvent]{Items: nonNil(list)}
	if len(list) == f.Limit && list[len(list)-1].Seq > 1 {
		page.NextCursor = strconv.FormatInt(list[len(list)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	v, err := a.opts.Audit.VerifyAudit(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// timeParam parses an RFC 3339 time or a duration back from now.
func timeParam(s, name string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, lathe.Errorf(lathe.EINVALID, "%s %q: use an RFC 3339 time (2026-11-26T10:00:00Z) or a duration such as 24h", name, s)
}

func boolParam(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		return false, lathe.Errorf(lathe.EINVALID, "%s=%q: use true or false", name, s)
	}
	return b, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
