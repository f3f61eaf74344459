package pipeline

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

// statesString writes "a:completed b:pending ..." in step order.
func statesString(g *Graph, states []State) string {
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = g.Name(i) + ":" + s.String()
	}
	return strings.Join(parts, " ")
}

// checkConsistent checks the incremental ready set against the full
// recompute, and that resuming from the states changes nothing.
func checkConsistent(t *testing.T, g *Graph, r *Run, opt Options) {
	t.Helper()
	inc := r.Ready()
	slices.Sort(inc)
	if full := Ready(g, r.States()); !slices.Equal(inc, full) {
		t.Fatalf("incremental ready %v != full ready %v at %s", inc, full, statesString(g, r.States()))
	}
	if Status(r.States()) != r.Status() {
		t.Fatalf("Status %s != Run.Status %s", Status(r.States()), r.Status())
	}
	again, err := NewRun(g, opt, r.States())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := statesString(g, again.States()), statesString(g, r.States()); a != b && !r.Stopped() {
		t.Fatalf("resuming changed the states:\n got %s\nwant %s", a, b)
	}
}

func TestRunScenarios(t *testing.T) {
	t.Parallel()
	const names, deps = "a b c d e f", "a>b a>c b>d c>d e>f"
	for _, tc := range []struct {
		name   string
		opt    Options
		events string // "take", "start:x", "x=completed", "cancel"
		want   string
		status string
	}{
		{"all complete", Options{},
			"take start:a start:e a=completed e=completed take b=completed c=completed f=completed take d=completed",
			"a:completed b:completed c:completed d:completed e:completed f:completed", lathe.JobCompleted},
		{"nothing started is queued", Options{}, "take",
			"a:queued b:pending c:pending d:pending e:queued f:pending", lathe.JobQueued},
		{"failure stops the pipeline", Options{},
			"take a=completed take b=failed",
			"a:completed b:failed c:queued d:skipped e:queued f:canceled", lathe.JobRunning},
		{"failure stops the pipeline; running steps finish", Options{},
			"take a=completed take b=failed c=completed e=completed take",
			"a:completed b:failed c:completed d:skipped e:completed f:canceled", lathe.JobFailed},
		{"continue on failure runs independent branches", Options{ContinueOnStepFailure: true},
			"take a=completed take b=failed c=completed e=completed take f=completed",
			"a:completed b:failed c:completed d:skipped e:completed f:completed", lathe.JobFailed},
		{"failure skips transitive dependants", Options{ContinueOnStepFailure: true},
			"take a=failed e=completed take f=completed",
			"a:failed b:skipped c:skipped d:skipped e:completed f:completed", lathe.JobFailed},
		{"reused steps count as succeeded", Options{},
			"take a=reused e=reused take b=reused c=completed f=reused take d=reused",
			"a:reused b:reused c:completed d:reused e:reused f:reused", lathe.JobCompleted},
		{"reused straight from ready", Options{}, "a=reused",
			"a:reused b:ready c:ready d:pending e:ready f:pending", lathe.JobRunning},
		{"cancel cascades", Options{},
			"take start:a cancel a=canceled e=completed",
			"a:canceled b:canceled c:canceled d:canceled e:completed f:canceled", lathe.JobCanceled},
		{"a canceled step cancels its dependants only, with continue", Options{ContinueOnStepFailure: true},
			"take a=completed take c=canceled b=completed e=completed take f=completed",
			"a:completed b:completed c:canceled d:canceled e:completed f:completed", lathe.JobCanceled},
		{"a canceled step stops the pipeline without continue", Options{},
			"take a=completed take c=canceled",
			"a:completed b:queued c:canceled d:canceled e:queued f:canceled", lathe.JobRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := mustGraph(t, names, deps)
			r, err := NewRun(g, tc.opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			idx := func(n string) int {
				i, ok := g.Index(n)
				if !ok {
					t.Fatalf("no step %q", n)
				}
				return i
			}
			for _, ev := range strings.Fields(tc.events) {
				switch name, end, isEnd := strings.Cut(ev, "="); {
				case ev == "take":
					r.Take(0)
				case ev == "cancel":
					r.Cancel()
				case strings.HasPrefix(ev, "start:"):
					if err := r.Start(idx(ev[6:])); err != nil {
						t.Fatal(err)
					}
				case isEnd:
					s, err := ParseState(end)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := r.Finish(idx(name), s); err != nil {
						t.Fatalf("%s: %v", ev, err)
					}
				}
				checkConsistent(t, g, r, tc.opt)
			}
			if got := statesString(g, r.States()); got != tc.want {
				t.Errorf("states\n got %s\nwant %s", got, tc.want)
			}
			if r.Status() != tc.status {
				t.Errorf("status = %s, want %s", r.Status(), tc.status)
			}
		})
	}
}

func TestFinishReportsChanges(t *testing.T) {
	t.Parallel()
	g := mustGraph(t, "a b c d", "a>b a>c c>d")
	r, _ := NewRun(g, Options{ContinueOnStepFailure: true}, nil)
	r.Take(0)
	changed, err := r.Finish(0, StateCompleted)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(changed)
	if !slices.Equal(changed, []int{1, 2}) {
		t.Errorf("completing a changed %v, want [1 2] (b, c ready)", changed)
	}
	if got := r.Take(1); !slices.Equal(got, []int{1}) {
		t.Errorf("Take(1) = %v, want [1]", got)
	}
	if got := r.Take(0); !slices.Equal(got, []int{2}) {
		t.Errorf("Take(0) = %v, want [2]", got)
	}
	changed, _ = r.Finish(2, StateFailed)
	if !slices.Equal(changed, []int{3}) {
		t.Errorf("failing c changed %v, want [3] (d skipped)", changed)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	g := mustGraph(t, "a b", "a>b")
	for _, tc := range []struct {
		name string
		do   func(r *Run) error
		code string
	}{
		{"finish a pending step", func(r *Run) error { _, err := r.Finish(1, StateCompleted); return err }, lathe.ECONFLICT},
		{"finish as skipped", func(r *Run) error { _, err := r.Finish(0, StateSkipped); return err }, lathe.EINVALID},
		{"finish as running", func(r *Run) error { _, err := r.Finish(0, StateRunning); return err }, lathe.EINVALID},
		{"finish twice", func(r *Run) error {
			r.Finish(0, StateCompleted)
			_, err := r.Finish(0, StateCompleted)
			return err
		}, lathe.ECONFLICT},
		{"start a pending step", func(r *Run) error { return r.Start(1) }, lathe.ECONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _ := NewRun(g, Options{}, nil)
			if err := tc.do(r); lathe.ErrorCode(err) != tc.code {
				t.Errorf("err = %v, want %s", err, tc.code)
			}
		})
	}
	if _, err := NewRun(g, Options{}, []State{StatePending}); lathe.ErrorCode(err) != lathe.EINVALID {
		t.Errorf("NewRun with too few states: err = %v", err)
	}
	if _, err := NewRun(g, Options{}, []State{StatePending, 77}); lathe.ErrorCode(err) != lathe.EINVALID {
		t.Errorf("NewRun with an invalid state: err = %v", err)
	}
}

func TestNewRunResumes(t *testing.T) {
	t.Parallel()
	g := mustGraph(t, "a b c d e", "a>b b>c a>d")
	for _, tc := range []struct {
		name   string
		opt    Options
		states []State
		want   string
	}{
		{"ready steps recomputed", Options{}, []State{StateCompleted, StatePending, StatePending, StatePending, StateRunning},
			"a:completed b:ready c:pending d:ready e:running"},
		{"ready without its dependencies is pending", Options{}, []State{StateRunning, StateReady, StatePending, StateReady, StatePending},
			"a:running b:pending c:pending d:pending e:ready"},
		{"unapplied failure cascades and stops", Options{}, []State{StateCompleted, StateFailed, StatePending, StatePending, StateRunning},
			"a:completed b:failed c:skipped d:canceled e:running"},
		{"unapplied failure with continue", Options{ContinueOnStepFailure: true}, []State{StateCompleted, StateFailed, StatePending, StatePending, StateRunning},
			"a:completed b:failed c:skipped d:ready e:running"},
		{"canceled dependency", Options{ContinueOnStepFailure: true}, []State{StateCanceled, StatePending, StatePending, StatePending, StateCompleted},
			"a:canceled b:canceled c:canceled d:canceled e:completed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tc.states)
			r, err := NewRun(g, tc.opt, tc.states)
			if err != nil {
				t.Fatal(err)
			}
			if got := statesString(g, r.States()); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
			if !reflect.DeepEqual(in, tc.states) {
				t.Error("NewRun modified its argument")
			}
		})
	}
}

func TestAdvance(t *testing.T) {
	t.Parallel()
	g := mustGraph(t, "a b c", "a>b")
	states := []State{StateRunning, StatePending, StateQueued}
	got, err := Advance(g, states, 0, StateFailed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := statesString(g, got); s != "a:failed b:skipped c:queued" {
		t.Errorf("after a failed: %s", s)
	}
	if states[0] != StateRunning {
		t.Error("Advance modified its argument")
	}
	if _, err := Advance(g, states, 9, StateFailed, Options{}); lathe.ErrorCode(err) != lathe.EINVALID {
		t.Errorf("unknown step: err = %v", err)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		states []State
		want   string
	}{
		{nil, lathe.JobCompleted},
		{[]State{StatePending, StateReady, StateQueued}, lathe.JobQueued},
		{[]State{StateRunning, StatePending}, lathe.JobRunning},
		{[]State{StateCompleted, StatePending}, lathe.JobRunning},
		{[]State{StateFailed, StateRunning}, lathe.JobRunning},
		{[]State{StateCompleted, StateReused}, lathe.JobCompleted},
		{[]State{StateCompleted, StateFailed, StateSkipped}, lathe.JobFailed},
		{[]State{StateCompleted, StateCanceled}, lathe.JobCanceled},
		{[]State{StateFailed, StateCanceled}, lathe.JobFailed},
	} {
		if got := Status(tc.states); got != tc.want {
			t.Errorf("Status(%v) = %s, want %s", tc.states, got, tc.want)
		}
	}
}

func TestParseState(t *testing.T) {
	t.Parallel()
	for s := range numStates {
		got, err := ParseState(s.String())
		if err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseState("done"); lathe.ErrorCode(err) != lathe.EINVALID {
		t.Errorf("ParseState(done): err = %v", err)
	}
}
