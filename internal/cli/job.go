package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/data/stage"
)

func (a *app) jobCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Submit, follow, inspect, cancel and download command jobs",
		Long: `A command job runs one command on a compute, in an environment, with inputs
staged as files and outputs registered as data versions when it ends. It is
written in Azure ML's commandJob YAML (command, code, environment, inputs,
outputs, environment_variables, limits, resources, compute, experiment_name).

The command's MLflow calls log to the job's own run: the job gets
MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN, MLFLOW_RUN_ID and
MLFLOW_EXPERIMENT_ID. See docs/jobs.md.`,
	}
	cmd.AddCommand(a.jobCreateCmd(), a.jobListCmd(), a.jobShowCmd(), a.jobStreamCmd(), a.jobCancelCmd(), a.jobDownloadCmd(), a.jobCacheCmd())
	return cmd
}

func (a *app) jobCreateCmd() *cobra.Command {
	var file, name string
	var sets []string
	var stream, forceRerun bool
	var parallel int
	cmd := &cobra.Command{
		Use:   "create -f job.yml",
		Short: "Submit a command job from its YAML (code and local inputs are uploaded)",
		Long: `Submit a command job. The code folder (relative to the YAML file) is
snapshotted, leaving out .git/ and what .gitignore and .amlignore exclude, and
uploaded (only contents the server lacks are sent); the git commit, branch,
remote and whether the tree is dirty are recorded. Local input paths are
uploaded as anonymous data versions (azureml_anon_<digest>), named after their
contents so the same files are stored once. Other inputs (azureml:name:version,
azureml:name@latest, azureml://datastores/..., azureml://jobs/<job>/outputs/<o>,
http(s) URLs) are passed to the server, which resolves them.

--set changes a field before submitting, with the same checks as the file:
--set inputs.lr=0.1, --set compute=azureml:gpu, --set limits.timeout=600.
A string input set to "" and used only inside $[[ ... ]] is left unset, so
its fragment is dropped from the command.

A pipelineJob YAML (type: pipeline, jobs:) is submitted as a pipeline: its
component files (component: ./train.yml) are registered anonymously by content
digest, code folders and local inputs uploaded; --stream then shows a table of
its steps (state, duration, job, reused from) until it ends. See
docs/pipelines.md.

With --stream the job's log is printed as it runs and the command exits with
the job: 0 when it completed, 1 when it failed or was canceled. With -o json
the log goes to stderr and the ended job, as JSON, to stdout.`,
		Example: `  lathe job create -f job.yml
  lathe job create -f job.yml --stream
  lathe job create -f job.yml --stream -o json > job.json   # log on stderr
  lathe job create -f job.yml --set inputs.learning_rate=0.01 --set inputs.epochs=20
  lathe job create -f job.yml --name train-2024-06-01 -o json
  lathe job create -f pipeline.yml --stream               # a pipeline: live table of steps
  lathe job create -f pipeline.yml --force-rerun          # run every step again`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give the job's YAML with -f job.yml (see lathe job create --help)")}
			}
			if isPipelineFile(file) {
				return a.createPipeline(cmd.Context(), file, name, sets, forceRerun, stream, parallel)
			}
			j, err := readJobFile(file, sets)
			if err != nil {
				return err
			}
			plan, err := jobSpecOf(j, filepath.Dir(file), readSpecFile)
			if err != nil {
				return err
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			res, err := a.submit(ctx, c, ws, plan, name, parallel)
			if err != nil {
				return err
			}
			if !stream {
				return a.print(res, func() table {
					t := kv("name", res.Name, "status", res.Status, "compute", res.Compute, "environment", res.Environment, "url", res.URL)
					if cr := res.Code; cr != nil {
						t.rows = append(t.rows, []string{"code", codeSummary(cr)})
					}
					for _, k := range sortedNames(res.Inputs) {
						t.rows = append(t.rows, []string{"inputs." + k, "uploaded as " + res.Inputs[k]})
					}
					return t
				})
			}
			fmt.Fprintf(a.io.Err, "job %s submitted: %s\n", res.Name, res.URL)
			return a.follow(ctx, c, ws, res.Name)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "Azure ML command job YAML (commandJob.schema.json)")
	f.StringVarP(&name, "name", "n", "", "the job's name (default: the YAML's name, or a generated one)")
	f.StringArrayVar(&sets, "set", nil, "set a field before submitting: key=value, e.g. inputs.lr=0.1 (repeatable)")
	f.BoolVarP(&stream, "stream", "s", false, "print the job's log until it ends; exit 1 if it failed or was canceled")
	f.BoolVar(&forceRerun, "force-rerun", false, "pipelines: run every step even when an earlier run could be reused")
	f.IntVar(&parallel, "parallel", 4, "uploads in flight")
	return cmd
}

func codeSummary(cr *CodeResult) string {
	s := cr.Snapshot
	out := fmt.Sprintf("%d files (%s), %d sent", s.Files, lathe.FormatBytes(s.Size), cr.Upload.SentFiles)
	if s.GitCommit != "" {
		c := s.GitCommit
		if len(c) > 12 {
			c = c[:12]
		}
		out += ", git " + c
		if s.GitDirty {
			out += " (dirty)"
		}
	}
	return out
}

// follow prints a job's log as it runs and then its end; a job that did
// not complete is an error. With -o json or yaml the log goes to stderr and
// the ended job to stdout.
func (a *app) follow(ctx context.Context, c *client.Client, ws, name string) error {
	last := ""
	logw := a.io.Out
	if a.output != "table" {
		logw = a.io.Err
	}
	j, err := c.FollowJobLogs(ctx, ws, name, 0, func(l lathe.LogLine) {
		fmt.Fprintln(logw, l.Text)
	}, func(j *lathe.Job) {
		if j.Status != last && !lathe.JobTerminal(j.Status) {
			last = j.Status
			fmt.Fprintf(a.io.Err, "job %s: %s\n", j.Name, j.Status)
		}
	})
	if err != nil {
		return err
	}
	if a.output != "table" {
		if err := a.print(j, nil); err != nil {
			return err
		}
	}
	return a.ended(j)
}

// ended prints how a job ended and turns a failure into an error.
func (a *app) ended(j *lathe.Job) error {
	took := ""
	if j.StartedAt != nil && j.EndedAt != nil {
		took = " in " + j.EndedAt.Sub(*j.StartedAt).Round(time.Millisecond).String()
	}
	switch j.Status {
	case lathe.JobCompleted:
		fmt.Fprintf(a.io.Err, "job %s completed%s\n", j.Name, took)
		return nil
	case lathe.JobFailed:
		msg := fmt.Sprintf("job %s failed%s", j.Name, took)
		if j.ExitCode != nil {
			msg += fmt.Sprintf(" (exit code %d)", *j.ExitCode)
		}
		if j.Failure != "" {
			msg += ", a " + j.Failure + " failure"
		}
		if j.Reason != "" {
			msg += ": " + j.Reason
		}
		return lathe.Errorf(lathe.EINVALID, "%s", msg)
	case lathe.JobCanceled:
		msg := "job " + j.Name + " was canceled"
		if j.Reason != "" {
			msg += ": " + j.Reason
		}
		return lathe.Errorf(lathe.EINVALID, "%s", msg)
	}
	return lathe.Errorf(lathe.EUNAVAILABLE, "job %s is still %s", j.Name, j.Status)
}

func (a *app) jobListCmd() *cobra.Command {
	var statuses []string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Example: `  lathe job list
  lathe job list --status running,queued
  lathe job list --status failed --limit 5 -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var st []string
			for _, s := range statuses {
				for _, x := range strings.Split(s, ",") {
					if x = strings.TrimSpace(x); x == "" {
						continue
					}
					if !lathe.ValidJobStatus(x) {
						return &usageError{lathe.Errorf(lathe.EINVALID, "--status %q: use %s", x, strings.Join(lathe.JobStatuses, ", "))}
					}
					st = append(st, x)
				}
			}
			if limit < 0 {
				return &usageError{lathe.Errorf(lathe.EINVALID, "--limit %d must not be negative", limit)}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			all := []lathe.Job{}
			cursor := ""
			for {
				page := 500
				if limit > 0 {
					page = min(page, limit-len(all))
				}
				items, next, err := c.Jobs(cmd.Context(), ws, st, cursor, page)
				if err != nil {
					return err
				}
				all = append(all, items...)
				if cursor = next; cursor == "" || limit > 0 && len(all) >= limit {
					break
				}
			}
			if limit > 0 && len(all) > limit {
				all = all[:limit]
			}
			return a.print(all, func() table {
				t := table{header: []string{"NAME", "STATUS", "COMPUTE", "ENVIRONMENT", "CREATED", "DURATION", "BY", "DISPLAY NAME"}}
				for _, j := range all {
					t.rows = append(t.rows, []string{j.Name, j.Status, j.Compute, j.Environment, when(j.CreatedAt), duration(&j), j.CreatedBy, j.Spec.DisplayName})
				}
				return t
			})
		},
	}
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only jobs in these statuses (queued, preparing, running, completed, failed, canceled)")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many jobs (0: all)")
	return cmd
}

// duration is how long a job ran, or has been running.
func duration(j *lathe.Job) string {
	if j.StartedAt == nil {
		return "-"
	}
	end := time.Now()
	if j.EndedAt != nil {
		end = *j.EndedAt
	}
	return end.Sub(*j.StartedAt).Round(time.Millisecond).String()
}

// JobDetail is a job with its events and lineage.
type JobDetail struct {
	lathe.Job
	URL     string             `json:"url"`
	Events  []lathe.JobEvent   `json:"events"`
	Lineage []lathe.JobLineage `json:"lineage"`
	// Steps are a pipeline job's steps in run order.
	Steps []lathe.PipelineStep `json:"steps,omitempty"`
}

func (a *app) jobShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a job: status, timings, inputs and outputs with their data versions, and its events",
		Example: `  lathe job show brave_lamp_x1
  lathe job show brave_lamp_x1 -o json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			j, err := c.Job(ctx, ws, argv[0])
			if err != nil {
				return err
			}
			d := JobDetail{Job: *j, URL: jobURL(c, ws, j.Name)}
			if d.Events, err = c.JobEvents(ctx, ws, j.Name); err != nil {
				return err
			}
			if d.Lineage, err = c.JobLineage(ctx, ws, j.Name); err != nil {
				return err
			}
			if d.Events == nil {
				d.Events = []lathe.JobEvent{}
			}
			if d.Lineage == nil {
				d.Lineage = []lathe.JobLineage{}
			}
			if j.Type == lathe.JobTypePipeline {
				ps, err := c.PipelineSteps(ctx, ws, j.Name)
				if err != nil {
					return err
				}
				d.Steps = ps.Items
			}
			return a.print(d, func() table { return jobTable(&d) })
		},
	}
}

func jobTable(d *JobDetail) table {
	j := &d.Job
	t := kv("name", j.Name, "status", j.Status, "compute", j.Compute, "environment", j.Environment,
		"created", when(j.CreatedAt)+" by "+j.CreatedBy)
	add := func(k, v string) { t.rows = append(t.rows, []string{k, v}) }
	if j.StartedAt != nil {
		add("started", when(*j.StartedAt))
	}
	if j.EndedAt != nil {
		add("ended", when(*j.EndedAt))
	}
	add("duration", duration(j))
	if j.Attempt > 1 {
		add("attempt", strconv.Itoa(j.Attempt))
	}
	if j.RunID != "" {
		add("mlflow run", j.RunID+" (experiment "+j.ExperimentID+")")
	}
	if j.ExitCode != nil {
		add("exit code", strconv.Itoa(*j.ExitCode))
	}
	if j.Failure != "" {
		add("failure", j.Failure)
	}
	if j.Reason != "" {
		add("reason", j.Reason)
	}
	if j.Spec.DisplayName != "" {
		add("display name", j.Spec.DisplayName)
	}
	if j.Spec.ExperimentName != "" {
		add("experiment", j.Spec.ExperimentName)
	}
	add("command", j.Spec.Command)
	if c := j.Spec.Code; c != nil {
		s := fmt.Sprintf("%d files (%s)", c.Files, lathe.FormatBytes(c.Size))
		if c.GitCommit != "" {
			s += ", git " + c.GitCommit
			if c.GitBranch != "" {
				s += " on " + c.GitBranch
			}
			if c.GitDirty {
				s += " (dirty)"
			}
		}
		add("code", s)
	}
	for _, k := range sortedNames(j.Spec.Inputs) {
		in := j.Spec.Inputs[k]
		var v string
		switch {
		case in.IsLiteral() && in.Value != nil:
			v = *in.Value + " (" + in.Type + ")"
		case in.IsLiteral():
			v = "(unset)"
		default:
			v = in.Type + " " + in.Path
			if in.Data != "" && !strings.HasSuffix(in.Path, in.Data) {
				v += " → " + in.Data
			}
			if in.Mode != "" {
				v += " (" + in.Mode + ")"
			}
		}
		add("inputs."+k, v)
	}
	for _, k := range sortedNames(j.Spec.Outputs) {
		o := j.Spec.Outputs[k]
		v := o.Type
		if o.Data != "" {
			v += " → " + o.Data
		} else {
			v += " (not registered yet)"
		}
		add("outputs."+k, v)
	}
	add("log", fmt.Sprintf("%d lines (%s)", j.LogLines, lathe.FormatBytes(j.LogBytes)))
	add("url", d.URL)
	stepRows(&t, d.Steps)
	for _, e := range d.Events {
		line := e.Status
		if e.Message != "" {
			line += ": " + e.Message
		}
		add("  "+when(e.At), line)
	}
	return t
}

func (a *app) jobStreamCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "stream NAME",
		Short: "Print a job's log from the start and follow it until the job ends",
		Long: `Print a job's log from its first line and keep following it until the job
ends. Lines Lathe itself writes (staging, environment builds) start with
[lathe]; status changes go to stderr. The exit code is 0 when the job completed and 1 when it failed or was
canceled.`,
		Example: `  lathe job stream brave_lamp_x1
  lathe job stream brave_lamp_x1 > train.log`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			return a.follow(cmd.Context(), c, ws, argv[0])
		},
	}
}

func (a *app) jobCancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel NAME",
		Short: "Cancel a queued or running job",
		Long: `Cancel a job. A queued job ends at once; a running one is stopped (SIGTERM,
then SIGKILL after the grace period) and its outputs are not registered.
Canceling a job that has ended is refused.`,
		Example: `  lathe job cancel brave_lamp_x1`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			j, err := c.CancelJob(cmd.Context(), ws, argv[0])
			if err != nil {
				return err
			}
			return a.print(j, func() table {
				return kv("name", j.Name, "status", j.Status, "cancel requested", strconv.FormatBool(j.CancelRequested || j.Status == lathe.JobCanceled))
			})
		},
	}
}

// JobDownload says what a job download wrote.
type JobDownload struct {
	Job     string           `json:"job"`
	Path    string           `json:"path"`
	Outputs []DownloadResult `json:"outputs"`
	Log     string           `json:"log,omitempty"`
}

func (a *app) jobDownloadCmd() *cobra.Command {
	var output, to string
	var parallel int
	cmd := &cobra.Command{
		Use:   "download NAME",
		Short: "Download a job's outputs (and its log) into a folder",
		Long: `Download the data versions a job's outputs were registered as into
<to>/named-outputs/<output>/, and, when no --output-name is given, the job's
log into <to>/logs/std_log.txt. Files are verified against their digests.`,
		Example: `  lathe job download brave_lamp_x1
  lathe job download brave_lamp_x1 --output-name model --to ./out
  lathe job download brave_lamp_x1 --to ./out -o json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			j, err := c.Job(ctx, ws, argv[0])
			if err != nil {
				return err
			}
			if to == "" {
				to = j.Name
			}
			names := sortedNames(j.Spec.Outputs)
			if output != "" {
				if _, ok := j.Spec.Outputs[output]; !ok {
					return lathe.Errorf(lathe.ENOTFOUND, "job %s has no output %q; its outputs: %s", j.Name, output, strings.Join(names, ", "))
				}
				names = []string{output}
			}
			res := JobDownload{Job: j.Name, Path: to, Outputs: []DownloadResult{}}
			for _, o := range names {
				v, err := c.JobOutput(ctx, ws, j.Name, o)
				if err != nil {
					if output == "" && lathe.IsCode(err, lathe.ENOTFOUND) {
						fmt.Fprintf(a.io.Err, "output %s: not registered (the job is %s)\n", o, j.Status)
						continue
					}
					return fmt.Errorf("output %s: %w", o, err)
				}
				dir := filepath.Join(to, "named-outputs", o)
				r, err := a.downloadVersion(ctx, c, ws, v, dir, parallel)
				if err != nil {
					return fmt.Errorf("output %s: %w", o, err)
				}
				res.Outputs = append(res.Outputs, *r)
			}
			if output == "" {
				p := filepath.Join(to, "logs", "std_log.txt")
				if err := writeJobLog(ctx, c, ws, j.Name, p); err != nil {
					return err
				}
				res.Log = p
			}
			return a.print(res, func() table {
				t := table{header: []string{"WHAT", "DATA", "PATH", "FILES", "SIZE"}}
				for _, r := range res.Outputs {
					t.rows = append(t.rows, []string{"output", r.Name + ":" + r.Version, r.Path, strconv.Itoa(r.Files), lathe.FormatBytes(r.Bytes)})
				}
				if res.Log != "" {
					t.rows = append(t.rows, []string{"log", "", res.Log, "1", ""})
				}
				return t
			})
		},
	}
	cmd.Flags().StringVar(&output, "output-name", "", "download only this output (and not the log)")
	cmd.Flags().StringVar(&to, "to", "", "folder to write into (default: the job's name)")
	cmd.Flags().StringVar(&to, "download-path", "", "same as --to (Azure's name)")
	cmd.Flags().IntVar(&parallel, "parallel", 4, "downloads in flight")
	return cmd
}

// downloadVersion writes a data version's files into dir.
func (a *app) downloadVersion(ctx context.Context, c *client.Client, ws string, dv *lathe.DataVersion, dir string, parallel int) (*DownloadResult, error) {
	v, m, err := c.DataManifest(ctx, ws, dv.Name, dv.Version)
	if err != nil {
		return nil, err
	}
	p := newProgress(a.io.Err, "download", v.Size)
	src := stage.SourceFunc(func(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error) {
		return c.OpenDataFile(ctx, ws, v.Name, v.Version, e)
	})
	res, err := stage.Materialize(ctx, m, src, dir, stage.Options{Parallel: parallel, Progress: func(n int64) { p.done.Add(n) }})
	p.Finish()
	if err != nil {
		return nil, err
	}
	return &DownloadResult{Name: v.Name, Version: v.Version, Path: dir, Result: res}, nil
}

// writeJobLog writes a job's whole log as text to p.
func writeJobLog(ctx context.Context, c *client.Client, ws, name, p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return lathe.Errorf(lathe.EINVALID, "create %s: %v", filepath.Dir(p), err)
	}
	tmp := p + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return lathe.Errorf(lathe.EINVALID, "create %s: %v", tmp, err)
	}
	defer os.Remove(tmp)
	after := int64(0)
	for {
		page, err := c.JobLogs(ctx, ws, name, after, 1000)
		if err != nil {
			f.Close()
			return err
		}
		for _, l := range page.Items {
			if _, err := fmt.Fprintln(f, l.Text); err != nil {
				f.Close()
				return fmt.Errorf("write %s: %w", tmp, err)
			}
		}
		if len(page.Items) == 0 || page.Next <= after {
			break
		}
		after = page.Next
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	return os.Rename(tmp, p)
}
