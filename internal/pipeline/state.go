package pipeline

import (
	"strings"

	"github.com/latheml/lathe"
)

// State is where a step is in its pipeline's run.
type State uint8

// Step states, in lifecycle order. Completed and reused steps have
// succeeded; every state from StateCompleted on is terminal.
const (
	StatePending   State = iota // waiting for dependencies
	StateReady                  // every dependency succeeded; not yet taken
	StateQueued                 // taken: its job is submitted and waits for compute
	StateRunning                // its job runs
	StateCompleted              // its job completed
	StateFailed                 // its job failed
	StateCanceled               // its job was canceled, or it will not run because the pipeline stopped or was canceled
	StateSkipped                // it cannot run because a dependency failed
	StateReused                 // an earlier run's outputs were taken instead of running it
	numStates
)

var stateNames = [numStates]string{"pending", "ready", "queued", "running", "completed", "failed", "canceled", "skipped", "reused"}

// String returns the state's name as shown to users and stored.
func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return "invalid"
}

// ParseState reads a state's name.
func ParseState(s string) (State, error) {
	for i, n := range stateNames {
		if n == s {
			return State(i), nil
		}
	}
	return 0, lathe.Errorf(lathe.EINVALID, "step state %q is unknown; use one of %s", s, strings.Join(stateNames[:], ", "))
}

// Terminal reports whether a step in state s has ended.
func (s State) Terminal() bool { return s >= StateCompleted && s < numStates }

// Succeeded reports whether a step in state s has outputs its dependants
// can read: it completed or was reused.
func (s State) Succeeded() bool { return s == StateCompleted || s == StateReused }

// Waiting reports whether a step in state s has not been taken yet.
func (s State) Waiting() bool { return s == StatePending || s == StateReady }

// Active reports whether a step in state s has a job that has not ended.
func (s State) Active() bool { return s == StateQueued || s == StateRunning }

// Ready returns, ascending, the steps that can start now: pending (or
// ready) steps whose every dependency succeeded. It reads every step and
// edge once; states has one entry per step of g.
func Ready(g *Graph, states []State) []int {
	var out []int
	for i, s := range states[:g.Len()] {
		if !s.Waiting() {
			continue
		}
		ok := true
		for _, d := range g.deps[i] {
			if !states[d].Succeeded() {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// Status returns a pipeline's job status (lathe.JobQueued ...
// lathe.JobCanceled) from its steps' states: queued until a step has been
// started or has ended; running while any step has not ended; then failed
// if a step failed, canceled if a step was canceled or skipped, else
// completed. A pipeline without steps is completed.
func Status(states []State) string {
	var c [numStates]int
	for _, s := range states {
		if s < numStates {
			c[s]++
		}
	}
	return statusOf(&c, len(states))
}

func statusOf(c *[numStates]int, n int) string {
	waiting := c[StatePending] + c[StateReady] + c[StateQueued]
	switch {
	case waiting == n && n > 0:
		return lathe.JobQueued
	case waiting+c[StateRunning] > 0:
		return lathe.JobRunning
	case c[StateFailed] > 0:
		return lathe.JobFailed
	case c[StateCanceled]+c[StateSkipped] > 0:
		return lathe.JobCanceled
	}
	return lathe.JobCompleted
}
