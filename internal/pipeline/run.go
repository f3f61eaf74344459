package pipeline

import (
	"github.com/latheml/lathe"
)

// Options are the pipeline settings that change how a run proceeds.
type Options struct {
	// ContinueOnStepFailure lets steps that do not depend on a failed step
	// go on (settings.continue_on_step_failure).
	ContinueOnStepFailure bool
}

// Run tracks one run of a pipeline incrementally: reporting a step's end
// updates only the steps it affects. It is not safe for concurrent use.
type Run struct {
	g       *Graph
	opt     Options
	states  []State
	missing []int32 // dependencies not yet succeeded, per step
	queue   []int   // steps made ready, in order; entries no longer ready are dropped when met
	head    int
	counts  [numStates]int
	stopped bool // no step starts any more
	stack   []int
}

// NewRun starts tracking a run of g. states, when not nil, holds one
// persisted state per step (to resume a run); it is copied, and any
// consequence not yet applied to it is: pending steps whose dependencies
// all succeeded become ready, dependants of failed or canceled steps are
// skipped or canceled, and a failure without ContinueOnStepFailure stops
// the run.
func NewRun(g *Graph, opt Options, states []State) (*Run, error) {
	n := g.Len()
	if states != nil && len(states) != n {
		return nil, lathe.Errorf(lathe.EINVALID, "the pipeline has %d steps but %d step states were given", n, len(states))
	}
	r := &Run{g: g, opt: opt, states: make([]State, n), missing: make([]int32, n)}
	copy(r.states, states)
	for i, s := range r.states {
		if s >= numStates {
			return nil, lathe.Errorf(lathe.EINVALID, "step %q has an invalid state %d", g.names[i], s)
		}
		r.counts[s]++
	}
	stop := false
	for _, i := range g.order {
		orig := r.states[i]
		s := orig
		for _, d := range g.deps[i] {
			if !r.states[d].Succeeded() {
				r.missing[i]++
			}
			if !s.Waiting() {
				continue
			}
			switch r.states[d] {
			case StateFailed, StateSkipped:
				s = StateSkipped
			case StateCanceled:
				if s != StateSkipped {
					s = StateCanceled
				}
			}
		}
		if s != orig {
			r.set(i, s)
		}
		switch {
		case orig == StateFailed || orig == StateCanceled:
			stop = stop || !opt.ContinueOnStepFailure
		case s.Waiting() && r.missing[i] == 0:
			r.set(i, StateReady)
			r.queue = append(r.queue, i)
		case s == StateReady:
			r.set(i, StatePending) // recorded ready, but a dependency has not succeeded
		}
	}
	if stop {
		r.stop()
	}
	return r, nil
}

func (r *Run) set(i int, s State) {
	r.counts[r.states[i]]--
	r.states[i] = s
	r.counts[s]++
}

// State returns step i's state.
func (r *Run) State(i int) State { return r.states[i] }

// States returns a copy of every step's state.
func (r *Run) States() []State { return append([]State(nil), r.states...) }

// Count returns how many steps are in state s.
func (r *Run) Count(s State) int { return r.counts[s] }

// Status returns the pipeline's job status, as Status does.
func (r *Run) Status() string { return statusOf(&r.counts, len(r.states)) }

// Done reports whether every step has ended.
func (r *Run) Done() bool {
	return r.counts[StatePending]+r.counts[StateReady]+r.counts[StateQueued]+r.counts[StateRunning] == 0
}

// Stopped reports whether no step will start any more: a step failed
// without ContinueOnStepFailure, or the run was canceled.
func (r *Run) Stopped() bool { return r.stopped }

// Ready returns the ready steps in the order they became ready.
func (r *Run) Ready() []int {
	var out []int
	for _, i := range r.queue[r.head:] {
		if r.states[i] == StateReady {
			out = append(out, i)
		}
	}
	return out
}

// Take marks up to max ready steps queued (every ready step if max <= 0)
// and returns them in the order they became ready. The caller submits
// their jobs (or, for a cache hit, reports them reused).
func (r *Run) Take(max int) []int {
	var out []int
	for r.head < len(r.queue) && (max <= 0 || len(out) < max) {
		i := r.queue[r.head]
		r.head++
		if r.states[i] == StateReady {
			r.set(i, StateQueued)
			out = append(out, i)
		}
	}
	if r.head == len(r.queue) {
		r.queue, r.head = r.queue[:0], 0
	}
	return out
}

// Start marks a queued (or ready) step running.
func (r *Run) Start(i int) error {
	if s := r.states[i]; s != StateQueued && s != StateReady {
		return lathe.Errorf(lathe.ECONFLICT, "step %q is %s; only a queued step can start", r.g.names[i], s)
	}
	r.set(i, StateRunning)
	return nil
}

// Finish records how step i ended: completed, failed, canceled or reused.
// The step must be ready, queued or running. It returns the other steps
// whose state changed as a result, in no particular order: dependants made
// ready, skipped or canceled, and, when a failure stops the run, the
// waiting steps canceled.
func (r *Run) Finish(i int, end State) ([]int, error) {
	s := r.states[i]
	if !end.Terminal() || end == StateSkipped {
		return nil, lathe.Errorf(lathe.EINVALID, "step %q cannot end %s; a step ends completed, failed, canceled or reused", r.g.names[i], end)
	}
	if s != StateReady && !s.Active() {
		return nil, lathe.Errorf(lathe.ECONFLICT, "step %q is %s; only a ready, queued or running step can end", r.g.names[i], s)
	}
	r.set(i, end)
	var changed []int
	switch end {
	case StateCompleted, StateReused:
		for _, u := range r.g.users[i] {
			if r.missing[u]--; r.missing[u] == 0 && r.states[u] == StatePending && !r.stopped {
				r.set(u, StateReady)
				r.queue = append(r.queue, u)
				changed = append(changed, u)
			}
		}
	case StateFailed:
		changed = r.cascade(i, StateSkipped, changed)
	case StateCanceled:
		changed = r.cascade(i, StateCanceled, changed)
	}
	if (end == StateFailed || end == StateCanceled) && !r.opt.ContinueOnStepFailure {
		changed = append(changed, r.stop()...)
	}
	return changed, nil
}

// cascade marks every waiting transitive dependant of step i with s.
func (r *Run) cascade(i int, s State, changed []int) []int {
	r.stack = append(r.stack[:0], i)
	for len(r.stack) > 0 {
		top := r.stack[len(r.stack)-1]
		r.stack = r.stack[:len(r.stack)-1]
		for _, u := range r.g.users[top] {
			if r.states[u].Waiting() {
				r.set(u, s)
				changed = append(changed, u)
				r.stack = append(r.stack, u)
			}
		}
	}
	return changed
}

// stop cancels every waiting step and starts no more.
func (r *Run) stop() []int {
	r.stopped = true
	if r.counts[StatePending]+r.counts[StateReady] == 0 {
		return nil
	}
	var changed []int
	for i, s := range r.states {
		if s.Waiting() {
			r.set(i, StateCanceled)
			changed = append(changed, i)
		}
	}
	r.queue, r.head = r.queue[:0], 0
	return changed
}

// Cancel cancels the run: every waiting step becomes canceled and no step
// starts any more. It returns, ascending, the queued and running steps,
// whose jobs the caller cancels and then reports through Finish.
func (r *Run) Cancel() []int {
	r.stop()
	var active []int
	for i, s := range r.states {
		if s.Active() {
			active = append(active, i)
		}
	}
	return active
}

// Advance is Run.Finish on persisted states: it returns the states after
// step i ended in state end, with the cascade described in the package
// documentation applied. states is not modified.
func Advance(g *Graph, states []State, i int, end State, opt Options) ([]State, error) {
	if i < 0 || i >= g.Len() {
		return nil, lathe.Errorf(lathe.EINVALID, "step %d is not a step of the pipeline (0..%d)", i, g.Len()-1)
	}
	r, err := NewRun(g, opt, states)
	if err != nil {
		return nil, err
	}
	if _, err := r.Finish(i, end); err != nil {
		return nil, err
	}
	return r.states, nil
}
