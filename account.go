package lathe

import (
	"time"
)

// DefaultWorkspace is the workspace every new server starts with.
const DefaultWorkspace = "default"

// AdminUser is the name of the built-in administrator that owns the admin
// token written at first start.
const AdminUser = "admin"

// Workspace is the tenant: every asset, job, endpoint and permission lives in
// exactly one.
type Workspace struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by,omitempty"`
}

// User is a person or a service account that holds API tokens.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	Admin     bool      `json:"admin"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// Token is an API token's record. The secret itself is shown once at creation
// and only its keyed hash is stored.
type Token struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // the first characters of the secret, to recognise it
	Hash       string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the token can authenticate at time now.
func (t *Token) Active(now time.Time) bool {
	if t.RevokedAt != nil {
		return false
	}
	return t.ExpiresAt == nil || now.Before(*t.ExpiresAt)
}

// Principal is who a request acts as: the user behind the presented token.
// Every request context carries one once authentication has passed.
type Principal struct {
	UserID   string `json:"user_id"`
	UserName string `json:"user"`
	TokenID  string `json:"token_id"`
	Admin    bool   `json:"admin"`
}

// Blob is a workspace's record of content it stored in the blob store. The
// bytes are shared across workspaces by digest; the record is what lets a
// workspace see them, so knowing a digest never grants access on its own.
type Blob struct {
	WorkspaceID string    `json:"-"`
	Digest      Digest    `json:"digest"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}
