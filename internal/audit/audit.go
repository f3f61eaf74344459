// Package audit is the append-only, hash-chained record of every mutating
// call and every denied one. The API middleware and the studio record
// events; owners and administrators list them; anyone signed in can check
// the chain.
package audit

import (
	"context"
	"time"

	"github.com/latheml/lathe"
)

// Store is what the log needs from the metadata store.
type Store interface {
	AppendAudit(ctx context.Context, e *lathe.AuditEvent) error
	ListAudit(ctx context.Context, f lathe.AuditFilter) ([]*lathe.AuditEvent, error)
	VerifyAudit(ctx context.Context) (*lathe.AuditVerdict, error)
}

// Authorizer applies the access policy.
type Authorizer interface {
	Authorize(ctx context.Context, p lathe.Principal, workspace, action string) (*lathe.Workspace, lathe.Role, error)
}

// Log is the audit log.
type Log struct {
	store Store
	authz Authorizer
	now   func() time.Time
}

// New returns a Log.
func New(store Store, authz Authorizer, now func() time.Time) *Log {
	return &Log{store: store, authz: authz, now: now}
}

// Limits on what an event may hold, so a client cannot bloat the log.
const (
	maxField   = 512
	MaxPage    = 1000
	defaultTop = 100
)

// Record appends one event, stamping the time if it is zero.
func (l *Log) Record(ctx context.Context, e *lathe.AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	if e.Actor == "" {
		e.Actor = "anonymous"
	}
	e.Actor, e.Target, e.Action, e.RequestID = clip(e.Actor), clip(e.Target), clip(e.Action), clip(e.RequestID)
	return l.store.AppendAudit(ctx, e)
}

func clip(s string) string {
	if len(s) > maxField {
		return s[:maxField] + "…"
	}
	return s
}

// ListAudit returns events matching f, newest first. Without a workspace in
// f the caller must be a server administrator; callers that filter by a
// workspace authorize it first (lathe.ActAuditRead).
func (l *Log) ListAudit(ctx context.Context, p lathe.Principal, f lathe.AuditFilter) ([]*lathe.AuditEvent, error) {
	if f.WorkspaceID == "" {
		if _, _, err := l.authz.Authorize(ctx, p, "", lathe.ActAuditReadAll); err != nil {
			return nil, err
		}
	}
	if f.Limit <= 0 {
		f.Limit = defaultTop
	}
	if f.Limit > MaxPage {
		return nil, lathe.Errorf(lathe.EINVALID, "limit %d is over the maximum of %d", f.Limit, MaxPage)
	}
	return l.store.ListAudit(ctx, f)
}

// VerifyAudit checks the whole chain and reports the first broken link.
func (l *Log) VerifyAudit(ctx context.Context, p lathe.Principal) (*lathe.AuditVerdict, error) {
	if _, _, err := l.authz.Authorize(ctx, p, "", lathe.ActAuditVerify); err != nil {
		return nil, err
	}
	return l.store.VerifyAudit(ctx)
}
