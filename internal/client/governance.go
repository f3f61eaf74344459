package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/latheml/lathe"
)

// page is the list shape of the API.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// WorkspaceDetail is a workspace with the caller's role and its usage.
type WorkspaceDetail struct {
	lathe.WorkspaceRole
	Usage map[string]int64 `json:"usage"`
}

// CreateWorkspace creates a workspace; the caller becomes its owner.
func (c *Client) CreateWorkspace(ctx context.Context, name, description string) (*lathe.WorkspaceRole, error) {
	var out lathe.WorkspaceRole
	in := map[string]string{"name": name, "description": description}
	if err := c.doJSON(ctx, "POST", "/api/v1/workspaces", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListWorkspaces returns the workspaces the caller holds a role in.
func (c *Client) ListWorkspaces(ctx context.Context) ([]lathe.WorkspaceRole, error) {
	var out page[lathe.WorkspaceRole]
	err := c.doJSON(ctx, "GET", "/api/v1/workspaces", nil, &out)
	return out.Items, err
}

// Workspace returns one workspace.
func (c *Client) Workspace(ctx context.Context, name string) (*WorkspaceDetail, error) {
	var out WorkspaceDetail
	if err := c.doJSON(ctx, "GET", wsPath(name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteWorkspace deletes a workspace; force deletes its contents too.
func (c *Client) DeleteWorkspace(ctx context.Context, name string, force bool) error {
	return c.doJSON(ctx, "DELETE", wsPath(name)+"?force="+strconv.FormatBool(force), nil, nil)
}

// ListRoles returns the workspace's role assignments.
func (c *Client) ListRoles(ctx context.Context, workspace string) ([]lathe.RoleAssignment, error) {
	var out page[lathe.RoleAssignment]
	err := c.doJSON(ctx, "GET", wsPath(workspace)+"/roles", nil, &out)
	return out.Items, err
}

// AssignRole gives a user a role in the workspace.
func (c *Client) AssignRole(ctx context.Context, workspace, user string, role lathe.Role) (*lathe.RoleAssignment, error) {
	var out lathe.RoleAssignment
	if err := c.doJSON(ctx, "PUT", wsPath(workspace)+"/roles/"+url.PathEscape(user), map[string]lathe.Role{"role": role}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeRole removes a user's role in the workspace.
func (c *Client) RevokeRole(ctx context.Context, workspace, user string) error {
	return c.doJSON(ctx, "DELETE", wsPath(workspace)+"/roles/"+url.PathEscape(user), nil, nil)
}

// ListUsers returns every user.
func (c *Client) ListUsers(ctx context.Context) ([]lathe.User, error) {
	var out page[lathe.User]
	err := c.doJSON(ctx, "GET", "/api/v1/users", nil, &out)
	return out.Items, err
}

// CreateUser creates a user.
func (c *Client) CreateUser(ctx context.Context, name, email string) (*lathe.User, error) {
	var out lathe.User
	if err := c.doJSON(ctx, "POST", "/api/v1/users", map[string]string{"name": name, "email": email}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetUserDisabled disables or re-enables a user.
func (c *Client) SetUserDisabled(ctx context.Context, name string, disabled bool) (*lathe.User, error) {
	var out lathe.User
	if err := c.doJSON(ctx, "PATCH", "/api/v1/users/"+url.PathEscape(name), map[string]bool{"disabled": disabled}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreatedToken is a new token with its secret.
type CreatedToken struct {
	Token  string      `json:"token"`
	Record lathe.Token `json:"record"`
}

// CreateToken creates a token for a user ("me" for the caller).
func (c *Client) CreateToken(ctx context.Context, user, name string, expires *time.Time) (*CreatedToken, error) {
	var out CreatedToken
	in := struct {
		Name      string     `json:"name,omitempty"`
		ExpiresAt *time.Time `json:"expires_at,omitempty"`
	}{name, expires}
	if err := c.doJSON(ctx, "POST", "/api/v1/users/"+url.PathEscape(user)+"/tokens", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTokens returns a user's tokens ("me" for the caller).
func (c *Client) ListTokens(ctx context.Context, user string) ([]lathe.Token, error) {
	var out page[lathe.Token]
	err := c.doJSON(ctx, "GET", "/api/v1/users/"+url.PathEscape(user)+"/tokens", nil, &out)
	return out.Items, err
}

// RevokeToken revokes a token by ID.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.doJSON(ctx, "DELETE", "/api/v1/tokens/"+url.PathEscape(id), nil, nil)
}

// SignInLink is a one-time studio sign-in link.
type SignInLink struct {
	Path      string    `json:"path"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateSignInLink makes a one-time studio sign-in link for a user.
func (c *Client) CreateSignInLink(ctx context.Context, user string) (*SignInLink, error) {
	var out SignInLink
	if err := c.doJSON(ctx, "POST", "/api/v1/users/"+url.PathEscape(user)+"/signin-links", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuditQuery filters the audit log.
type AuditQuery struct {
	Workspace string // "" for the whole log (administrators)
	Actor     string
	Action    string
	Outcome   string
	Since     string // RFC 3339 or a duration such as 24h
	Limit     int
	Cursor    string
}

// AuditPage is one page of audit events.
type AuditPage struct {
	Items      []lathe.AuditEvent `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// ListAudit returns one page of audit events, newest first.
func (c *Client) ListAudit(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	v := url.Values{}
	for k, s := range map[string]string{"actor": q.Actor, "action": q.Action, "outcome": q.Outcome, "since": q.Since, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/api/v1/audit"
	if q.Workspace != "" {
		path = wsPath(q.Workspace) + "/audit"
	}
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out AuditPage
	if err := c.doJSON(ctx, "GET", path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyAudit checks the audit chain.
func (c *Client) VerifyAudit(ctx context.Context) (*lathe.AuditVerdict, error) {
	var out lathe.AuditVerdict
	if err := c.doJSON(ctx, "GET", "/api/v1/audit/verify", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
