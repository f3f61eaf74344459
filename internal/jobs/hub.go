package jobs

import (
	"context"
	"sync"
	"time"
)

// hub tells followers of a job (log streams, `lathe job stream`) that
// something changed: new log lines or a new status. It is in-process; a
// follower also polls the store now and then, so changes written by
// another replica are seen too.
type hub struct {
	mu    sync.Mutex
	waits map[string]chan struct{} // by job ID; closed on change
}

func newHub() *hub { return &hub{waits: map[string]chan struct{}{}} }

// notify wakes every follower of the job.
func (h *hub) notify(jobID string) {
	h.mu.Lock()
	ch := h.waits[jobID]
	delete(h.waits, jobID)
	h.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// changed returns a channel closed at the job's next change.
func (h *hub) changed(jobID string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.waits[jobID]
	if ch == nil {
		ch = make(chan struct{})
		h.waits[jobID] = ch
	}
	return ch
}

// Wait blocks until the job changes, poll passes, or ctx ends; it reports
// false when ctx ended.
func (s *Service) Wait(ctx context.Context, jobID string, ch <-chan struct{}, poll time.Duration) bool {
	t := time.NewTimer(poll)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	return true
}

// Changed returns a channel closed when the job next changes (for Wait).
func (s *Service) Changed(jobID string) <-chan struct{} { return s.hub.changed(jobID) }
