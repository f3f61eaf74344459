package lathe

import "time"

// Session is a signed-in studio browser. The cookie holds a random secret;
// only its keyed hash is stored. CSRF is the per-session token every form
// post must echo.
type Session struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	CSRF      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// WorkspaceRole is a workspace together with the caller's role in it.
type WorkspaceRole struct {
	Workspace
	Role Role `json:"role"`
}

// Overview is what a workspace's home page shows.
type Overview struct {
	Workspace   Workspace     `json:"workspace"`
	Role        Role          `json:"role"`
	Blobs       int64         `json:"blobs"`
	BlobBytes   int64         `json:"blob_bytes"`
	Members     int64         `json:"members"`
	AuditEvents int64         `json:"audit_events_24h"`
	Recent      []*AuditEvent `json:"recent"`
}
