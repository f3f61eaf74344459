// Package exec is what runs inside every job, wherever it runs (`lathe
// exec`): it fetches the job's plan from the server with the job's own
// token, stages the code and inputs (through the shared content cache),
// creates the output folders, builds or finds the environment, runs the
// command with MLFLOW_TRACKING_URI, MLFLOW_RUN_ID and the rest set so an
// unchanged script's MLflow calls land on the job's run, ships its output
// to the server line by line, enforces the job's timeout, uploads the
// outputs and reports the exit. It talks to the server only over the API
// and never reads the store.
//
// The job's directory holds wd/ (the code, the command's working
// directory), inputs/<name>, the output folders (outputs/<name> unless the
// job says otherwise) and logs/std_log.txt, the whole output as the
// command wrote it; staged inputs, code and outputs are removed when the
// job ends, the logs stay.
package exec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// Options configure one run of the wrapper.
type Options struct {
	Client    *client.Client
	Workspace string
	Job       string
	// ServerURL and Token are what the command's MLflow client uses
	// (MLFLOW_TRACKING_URI is ServerURL/w/<workspace>).
	ServerURL string
	Token     string
	// BinDir, when set, is put first on the command's PATH so `lathe` in a
	// command (lathe exec builtin ...) is the binary running the wrapper.
	BinDir string
	// Dir is the job's directory on this machine.
	Dir string
	// Cache is the machine's cache: staged contents, downloaded URLs and
	// Python environments, shared by every job.
	Cache string
	// Environ is the environment the command starts from (default: this
	// process's, less the wrapper's own LATHE_JOB_DIR).
	Environ []string
	Logger  *slog.Logger
	// Retry bounds how long a call to the server is retried while the
	// server cannot be reached (default 5 minutes).
	Retry time.Duration
}

// failure is an error with the failure kind the job should end with.
type failure struct {
	kind string
	err  error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// userFail marks err as the job's own fault (a bad input, a failing
// command); infraFail as the machine's or the server's.
func userFail(format string, args ...any) error {
	return &failure{kind: lathe.FailureUser, err: fmt.Errorf(format, args...)}
}

func infraFail(format string, args ...any) error {
	return &failure{kind: lathe.FailureInfrastructure, err: fmt.Errorf(format, args...)}
}

// kindOf classifies an error: user for the ones the job's spec or data
// caused, infrastructure otherwise.
func kindOf(err error) string {
	var f *failure
	if errors.As(err, &f) {
		return f.kind
	}
	switch lathe.ErrorCode(err) {
	case lathe.EINVALID, lathe.ENOTFOUND, lathe.EFORBIDDEN, lathe.ETOOLARGE, lathe.EUNSUPPORTED, lathe.ECORRUPT:
		return lathe.FailureUser
	}
	return lathe.FailureInfrastructure
}

// wrapper is one run.
type wrapper struct {
	o      Options
	plan   *lathe.JobPlan
	logs   *shipper
	stdlog *os.File
}

// Run runs the job's current attempt to its end and reports it. It
// returns an error only when the outcome could not be reported (the
// server then settles the job when this process ends).
func Run(ctx context.Context, o Options) error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Retry <= 0 {
		o.Retry = 5 * time.Minute
	}
	if o.Environ == nil {
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "LATHE_JOB_DIR=") {
				o.Environ = append(o.Environ, kv)
			}
		}
	}
	if o.Dir == "" {
		return fmt.Errorf("lathe exec: no job directory (LATHE_JOB_DIR)")
	}
	leadGroup()
	w := &wrapper{o: o}
	var plan *lathe.JobPlan
	err := w.retry(ctx, "fetch the job's plan", func() error {
		var err error
		plan, err = o.Client.JobPlan(ctx, o.Workspace, o.Job)
		return err
	})
	if lathe.IsCode(err, lathe.ECONFLICT) || lathe.IsCode(err, lathe.EUNAUTHORIZED) || lathe.IsCode(err, lathe.EFORBIDDEN) {
		o.Logger.Info("nothing to run", "job", o.Job, "reason", err)
		return nil // the job ended (canceled) before its wrapper started
	}
	if err != nil {
		return err
	}
	w.plan = plan
	if err := os.MkdirAll(filepath.Join(o.Dir, "logs"), 0o755); err != nil {
		return fmt.Errorf("create the job's log folder: %w", err)
	}
	if f, err := os.OpenFile(filepath.Join(o.Dir, "logs", "std_log.txt"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err == nil {
		w.stdlog = f
		defer f.Close()
	}
	w.logs = newShipper(o.Client, o.Workspace, o.Job, w.stdlog, o.Logger, o.Retry)
	comp := w.run(ctx)
	w.logs.close(30 * time.Second)
	w.cleanup()
	err = w.retry(context.WithoutCancel(ctx), "report the job's end", func() error {
		_, err := o.Client.CompleteJob(context.WithoutCancel(ctx), o.Workspace, o.Job, comp)
		return err
	})
	if lathe.IsCode(err, lathe.ECONFLICT) || lathe.IsCode(err, lathe.EUNAUTHORIZED) || lathe.IsCode(err, lathe.EFORBIDDEN) {
		return nil // the server settled the job already (canceled)
	}
	return err
}

// system writes a line of Lathe's own to the job's log.
func (w *wrapper) system(format string, args ...any) {
	w.logs.add(lathe.StreamSystem, "[lathe] "+fmt.Sprintf(format, args...))
}

// run stages, runs and uploads, and returns the completion to report.
func (w *wrapper) run(ctx context.Context) client.Completion {
	j := &w.plan.Job
	host, _ := os.Hostname()
	w.system("job %s, attempt %d, on %s in %s", j.Name, j.Attempt, host, w.o.Dir)
	fail := func(err error) client.Completion {
		// Every error here is for the job's owner (lathe.ErrorMessage would
		// hide the ones that are not *lathe.Error, as the server does).
		kind, msg := kindOf(err), err.Error()
		w.system("the job failed before its command ran: %s", msg)
		return client.Completion{Failure: kind, Reason: msg}
	}
	start := time.Now()
	values, optional, err := w.stage(ctx)
	if err != nil {
		return fail(err)
	}
	env, err := w.environment(ctx)
	if err != nil {
		return fail(err)
	}
	w.system("staged in %s", time.Since(start).Round(time.Millisecond))
	res := w.command(ctx, env, values, optional)
	if res.comp.Failure != "" || res.comp.ExitCode == nil || *res.comp.ExitCode != 0 {
		return res.comp
	}
	if err := w.uploadOutputs(ctx); err != nil {
		c := fail(err)
		c.ExitCode = res.comp.ExitCode
		return c
	}
	return res.comp
}

// retry calls fn until it succeeds, fails for a reason other than the
// server being unreachable, or o.Retry passes.
func (w *wrapper) retry(ctx context.Context, what string, fn func() error) error {
	return retry(ctx, w.o.Retry, w.o.Logger, what, fn)
}

func retry(ctx context.Context, limit time.Duration, log *slog.Logger, what string, fn func() error) error {
	deadline := time.Now().Add(limit)
	wait := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil || !lathe.IsCode(err, lathe.EUNAVAILABLE) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: the server could not be reached for %s: %w", what, limit, err)
		}
		log.Warn("server unreachable; retrying", "what", what, "error", err, "in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// cleanup removes what the job staged and wrote (its outputs were
// uploaded); the logs stay.
func (w *wrapper) cleanup() {
	for _, d := range []string{"wd", "inputs", "tmp"} {
		_ = removeAll(filepath.Join(w.o.Dir, d))
	}
	for name, o := range w.plan.Job.Spec.Outputs {
		_ = removeAll(filepath.Join(w.o.Dir, filepath.FromSlash(o.OutputDir(name))))
	}
	_ = os.Remove(filepath.Join(w.o.Dir, "outputs"))
}

// removeAll removes a tree, making read-only folders writable first.
func removeAll(dir string) error {
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
