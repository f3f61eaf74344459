// Package compute is where jobs run. A Backend starts a job's wrapper
// (`lathe exec`, which talks to the server over the API for everything
// else), tells when it ends, and stops it; the jobs controller owns the
// queue, the slots and the lifecycle and never needs to know which backend
// it drives. The first backend is local/ (processes on the server's
// machine); a Kubernetes backend (a Job per task) or a Slurm one (sbatch)
// implements the same interface.
package compute

import (
	"context"
	"time"
)

// Resources are amounts of CPU (in millicores) and memory (bytes).
type Resources struct {
	CPUMilli int64 `json:"cpu_milli"`
	Memory   int64 `json:"memory"`
}

// Task is one start of a job's wrapper.
type Task struct {
	JobID     string
	Workspace string
	JobName   string
	Attempt   int
	// Env is what the wrapper needs to find its job: LATHE_URL,
	// LATHE_TOKEN (the job's own token), LATHE_WORKSPACE, LATHE_JOB.
	Env       map[string]string
	Resources Resources
}

// Handle identifies a started task to its backend: a process id, a
// Kubernetes Job name, a Slurm job id. It is stored in the job's lease so a
// restarted controller can find the task again; only the backend reads it.
type Handle string

// Exit is how a task ended.
type Exit struct {
	// Code is the wrapper's exit status; -1 when it is not known (a task
	// this backend did not start and cannot reap, or one killed by a
	// signal).
	Code int
	// Detail describes the end for people ("exit status 2", "killed by
	// signal 9", "process 123 is gone").
	Detail string
}

// Backend runs tasks on one kind of compute.
type Backend interface {
	// Type is the compute type this backend serves (local).
	Type() string
	// Capacity is what all tasks together may reserve.
	Capacity() Resources
	// Start launches the task and returns its handle once it is running
	// (or accepted by the cluster).
	Start(ctx context.Context, t Task) (Handle, error)
	// Wait blocks until the task ends (or ctx ends), for tasks started by
	// this process and for tasks found again after a restart.
	Wait(ctx context.Context, h Handle) (Exit, error)
	// Stop asks the task to stop and forces it after grace: the whole
	// process tree (or pod) ends. It returns once the first request is
	// sent.
	Stop(ctx context.Context, h Handle, grace time.Duration) error
	// Alive reports whether the task still runs.
	Alive(ctx context.Context, h Handle) (bool, error)
}
