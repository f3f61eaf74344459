// Package pipeline is the pure engine of pipeline jobs: the step graph, the
// ready set and how failures and cancels spread through it, the cache key
// that decides whether a step's earlier run can be reused, the propagation
// of ${{parent...}} bindings into a step's concrete inputs, and a layered
// layout of the graph drawn as SVG. It does no I/O and reads no clock; the
// caller (the pipeline controller in the server) submits the command jobs,
// persists step states and reports their ends.
//
// # Steps and states
//
// A Graph holds steps numbered 0..Len()-1 and their dependencies: a step
// depends on every step one of its inputs reads. A step is pending until
// its dependencies have succeeded, then ready; the caller takes ready steps
// (queued), starts them (running) and reports how they ended: completed,
// failed, canceled, or reused (an earlier run's outputs were taken instead
// of running it). Completed and reused steps have succeeded. A step that
// cannot run because a dependency failed is skipped; one that will not run
// because the pipeline stopped or was canceled is canceled.
//
// # Failures and cancels
//
// When a step fails (or its job is canceled) its transitive dependants
// cannot get their inputs: they become skipped (canceled, for a canceled
// step). What happens to the rest depends on continue_on_step_failure:
//
//   - false (Azure's default): the pipeline stops. No step starts any more;
//     every pending or ready step that is not a dependant of the failed one
//     becomes canceled. Steps already queued or running are left to finish,
//     so that their outputs are recorded and a resubmission can reuse them;
//     the pipeline ends failed once they have.
//   - true: only the failed step's dependants are skipped; independent
//     branches go on, and the pipeline ends failed when every step has ended.
//
// Canceling the pipeline cancels every pending and ready step at once and
// returns the queued and running ones, whose jobs the caller cancels; their
// ends are then reported as usual.
//
// Run tracks a pipeline incrementally: each step keeps a count of its
// dependencies that have not succeeded, so reporting an end costs time in
// proportion to the step's dependants (and to the steps it cascades to),
// not to the pipeline. Ready and Status recompute the same answers from a
// slice of states in one pass over the graph; NewRun does the same to
// resume a pipeline from persisted states.
//
// # Reuse
//
// CacheKey digests what a step's outputs depend on (see KeyParts for the
// encoding); Reusable says whether a step may take an earlier run's outputs.
//
// # Layout
//
// NewLayout assigns steps to layers by longest path from the sources,
// routes edges that span several layers through virtual points, orders each
// layer with barycenter sweeps (keeping the order with the fewest edge
// crossings) and places steps left to right near their neighbours. SVG
// draws the result with boxes coloured by state.
package pipeline
