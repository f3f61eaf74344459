// Package audit is the append-only, hash-chained record of every mutating
// call and every denied one. The API middleware and the studio record
// events; owners and administrators list them; anyone signed in can check
// the chain.
package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/latheml/lathe"
)

// Store is what the log needs from the metadata store.
type Store interface {
	AppendAudits(ctx context.Context, events []*lathe.AuditEvent) error
	ListAudit(ctx context.Context, f lathe.AuditFilter) ([]*lathe.AuditEvent, error)
	VerifyAudit(ctx context.Context) (*lathe.AuditVerdict, error)
}

// Authorizer applies the access policy.
type Authorizer interface {
	Authorize(ctx context.Context, p lathe.Principal, workspace, action string) (*lathe.Workspace, lathe.Role, error)
}

// Log is the audit log. While Run is running, Record hands events to a
// writer that appends them in batches (one transaction, one commit for many
// calls), so recording does not add a second commit to every API call;
// listing and verifying first wait for the events recorded before them.
// Without Run, Record appends at once.
type Log struct {
	store Store
	authz Authorizer
	now   func() time.Time
	log   *slog.Logger

	mu      sync.RWMutex
	queue   chan item // nil unless Run is running
	stopped chan struct{}
}

// item is an event to append, or a barrier (done set, event nil) that is
// signalled once everything queued before it is stored.
type item struct {
	e    *lathe.AuditEvent
	done chan struct{}
}

// New returns a Log.
func New(store Store, authz Authorizer, now func() time.Time, log *slog.Logger) *Log {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Log{store: store, authz: authz, now: now, log: log}
}

// maxBatch is the most events one append transaction takes.
const maxBatch = 512

// Run writes queued events until ctx ends, then writes what is left and
// returns; events recorded after that are appended directly.
func (l *Log) Run(ctx context.Context) error {
	q := make(chan item, 4096)
	l.mu.Lock()
	l.queue, l.stopped = q, make(chan struct{})
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.queue = nil
		close(l.stopped)
		l.mu.Unlock()
		// Whatever got in before the switch.
		for {
			select {
			case it := <-q:
				l.flush([]item{it})
			default:
				return
			}
		}
	}()
	for {
		var first item
		select {
		case first = <-q:
		case <-ctx.Done():
			return nil
		}
		batch := []item{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case it := <-q:
				batch = append(batch, it)
			default:
				break drain
			}
		}
		l.flush(batch)
	}
}

// flush appends a batch's events and releases its barriers.
func (l *Log) flush(batch []item) {
	var events []*lathe.AuditEvent
	for _, it := range batch {
		if it.e != nil {
			events = append(events, it.e)
		}
	}
	if err := l.store.AppendAudits(context.Background(), events); err != nil {
		// The writer is where an append failure ends: log it with what
		// was lost, so an operator can see the gap verify will report.
		for _, e := range events {
			l.log.Error("audit append failed", "action", e.Action, "actor", e.Actor, "request_id", e.RequestID, "error", err.Error())
		}
	}
	for _, it := range batch {
		if it.done != nil {
			close(it.done)
		}
	}
}

// barrier waits until every event recorded before it is stored.
func (l *Log) barrier(ctx context.Context) error {
	l.mu.RLock()
	q := l.queue
	l.mu.RUnlock()
	if q == nil {
		return nil
	}
	done := make(chan struct{})
	select {
	case q <- item{done: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
	l.mu.RLock()
	q := l.queue
	l.mu.RUnlock()
	if q == nil {
		return l.store.AppendAudits(ctx, []*lathe.AuditEvent{e})
	}
	select {
	case q <- item{e: e}:
		return nil
	case <-ctx.Done():
		return l.store.AppendAudits(context.WithoutCancel(ctx), []*lathe.AuditEvent{e})
	}
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
	if err := l.barrier(ctx); err != nil {
		return nil, err
	}
	return l.store.ListAudit(ctx, f)
}

// VerifyAudit checks the whole chain and reports the first broken link.
func (l *Log) VerifyAudit(ctx context.Context, p lathe.Principal) (*lathe.AuditVerdict, error) {
	if _, _, err := l.authz.Authorize(ctx, p, "", lathe.ActAuditVerify); err != nil {
		return nil, err
	}
	if err := l.barrier(ctx); err != nil {
		return nil, err
	}
	return l.store.VerifyAudit(ctx)
}
