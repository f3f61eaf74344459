package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

// jobService returns the jobs service, or "not found" when the server
// runs without one.
func (s *Studio) jobService() (Jobs, error) {
	if s.opts.Jobs == nil {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "jobs are not enabled on this server")
	}
	return s.opts.Jobs, nil
}

// jobName reads and checks the {name} of a job path; a malformed name
// names no job.
func jobName(r *http.Request) (string, error) {
	name := r.PathValue("name")
	if lathe.ValidateName("job", name) != nil {
		return "", lathe.Errorf(lathe.ENOTFOUND, "there is no job %q", clip(name, 60))
	}
	return name, nil
}

// failureBox explains why a job failed or was canceled and what to do.
type failureBox struct {
	Tone, Kind, Title, Hint, Reason string
	Exit                            *int
}

// explainEnd is the failure box of a job that failed or was canceled; nil
// for any other.
func explainEnd(j *lathe.Job) *failureBox {
	switch j.Status {
	case lathe.JobFailed:
		b := &failureBox{Tone: "bad", Kind: j.Failure, Reason: j.Reason, Exit: j.ExitCode}
		switch j.Failure {
		case lathe.FailureUser:
			b.Title = "The job failed: its command, inputs or spec"
			b.Hint = "Read the reason and the end of the log below, correct the command, its code or its inputs, and submit the job again."
		case lathe.FailureInfrastructure:
			b.Title = "The job failed: the machine or Lathe, not your code"
			b.Hint = fmt.Sprintf("This was attempt %d. Submit the job again; if it keeps failing this way, send the job's name to whoever runs this server.", max(j.Attempt, 1))
		case lathe.FailureTimeout:
			b.Title = "The job ran out of time"
			b.Hint = "It ran longer than its limits.timeout" + timeoutText(j.Spec.Timeout) + ". Raise limits.timeout in the job's YAML, or make the command faster, and submit it again."
		default:
			b.Title = "The job failed"
			b.Hint = "Read the reason and the log below, then submit the job again."
		}
		if b.Reason == "" {
			b.Reason = "No reason was recorded; the log below may say more."
		}
		return b
	case lathe.JobCanceled:
		b := &failureBox{Tone: "warn", Kind: "canceled", Title: "The job was canceled", Reason: j.Reason, Exit: j.ExitCode,
			Hint: "Nothing more will run. Submit the job again to run it."}
		return b
	}
	return nil
}

// timeoutText is " of 1h30m", or "" for no timeout.
func timeoutText(secs int64) string {
	if secs <= 0 {
		return ""
	}
	return " of " + fmtDuration(time.Duration(secs)*time.Second)
}

// portRow is one input or output of a job.
type portRow struct {
	Name, Type, Mode string
	Value            string // a literal's value, or a path as written
	Literal          bool
	Data, Href       string // the data version (name:version) and its page
	Note             string
}

// eventRow is one entry of a job's timeline.
type eventRow struct {
	At      time.Time
	Status  string
	Tone    string
	Message string
}

// jobBody is a job page's content.
type jobBody struct {
	Job      *lathe.Job
	Title    string
	Tone     string
	End      *failureBox
	Timing   []fact
	Duration string
	Since    string // RFC 3339 start of a running job, for the live duration
	Now      string
	Overview []fact
	Command  string
	Bound    string // the command with literal inputs bound, when it differs
	Env      *Table
	Tags     []string
	Inputs   []portRow
	Outputs  []portRow
	// The job's MLflow run.
	RunID, RunHref, RunName, RunStatus, RunTone, RunNote string
	Params                                               *Table
	Charts                                               []metricChart
	Events                                               []eventRow
	EventsMore                                           bool
	// The log: its last lines, and where the stream picks up.
	Log      []lathe.LogLine
	Skipped  int64
	LogAfter int64
	Stream   string
	Ended    bool
	Script   string
	// Pipeline is a pipeline job's steps; Parent the pipeline a step's
	// job belongs to.
	Pipeline *pipelineView
	Parent   *stepParent
}

// job shows one job: header, failure reason, overview, inputs and
// outputs, its run's params and metrics, events and log.
func (s *Studio) job(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	js, err := s.jobService()
	if err != nil {
		return err
	}
	name, err := jobName(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	j, err := js.Job(ctx, rc.ws.ID, name)
	if err != nil {
		return err
	}
	now := s.now()
	b := jobBody{Job: j, Title: j.Name, Tone: jobTone(j.Status), End: explainEnd(j), Now: now.UTC().Format(time.RFC3339Nano),
		Stream: jobStreamURL(rc.ws.Name, j.Name), Ended: lathe.JobTerminal(j.Status), Script: s.assetURL("job.js"), Command: j.Spec.Command}
	if j.Spec.DisplayName != "" {
		b.Title = j.Spec.DisplayName
	}
	var since time.Time
	b.Duration, since = jobDuration(j, now)
	if !since.IsZero() {
		b.Since = since.UTC().Format(time.RFC3339Nano)
	}
	b.Timing = jobTiming(j)
	b.Overview = s.jobOverview(rc.ws.Name, j)
	if bound := boundCommand(&j.Spec); bound != j.Spec.Command {
		b.Bound = bound
	}
	env := make([]lathe.Tag, 0, len(j.Spec.EnvironmentVariables))
	for _, k := range slices.Sorted(maps.Keys(j.Spec.EnvironmentVariables)) {
		env = append(env, lathe.Tag{Key: k, Value: j.Spec.EnvironmentVariables[k]})
	}
	b.Env = kvTable(r.URL, "env", "Variable", env, 500)
	b.Env.Caption = "Environment variables"
	b.Tags = tagChips(j.Spec.Tags, 0)
	b.Inputs, b.Outputs = s.jobPorts(rc.ws.Name, j)
	b.Parent = parentOf(rc.ws.Name, j)
	if j.Type == lathe.JobTypePipeline && s.opts.Pipelines != nil {
		b.Pipeline = s.pipelineSection(ctx, rc, j)
	}

	if err := s.jobRun(ctx, r, rc, j, &b); err != nil {
		return err
	}

	_, evs, err := js.Events(ctx, rc.ws.ID, j.Name, 0, maxJobEvents+1)
	if err != nil {
		return err
	}
	if len(evs) > maxJobEvents {
		evs, b.EventsMore = evs[:maxJobEvents], true
	}
	for _, e := range evs {
		b.Events = append(b.Events, eventRow{At: e.At, Status: e.Status, Tone: jobTone(e.Status), Message: e.Message})
	}

	b.Skipped = max(0, j.LogLines-logTail)
	_, lines, err := js.Logs(ctx, rc.ws.ID, j.Name, b.Skipped, logTail)
	if err != nil {
		return err
	}
	b.Log, b.LogAfter = lines, b.Skipped
	if len(lines) > 0 {
		b.LogAfter = lines[len(lines)-1].N
	}
	return s.render(w, r, rc, http.StatusOK, "job", &page{Title: b.Title, Section: "jobs", Body: b})
}

// jobTiming is the job's header facts: who submitted it, when it started
// and ended, and how it ended.
func jobTiming(j *lathe.Job) []fact {
	out := []fact{{Label: "Created", Value: fmtTime(j.CreatedAt), Title: j.CreatedAt.UTC().Format("2006-01-02 15:04:05.000 UTC")}}
	if j.CreatedBy != "" {
		out = append(out, fact{Label: "Submitted by", Value: j.CreatedBy})
	}
	if j.StartedAt != nil {
		out = append(out, fact{Label: "Started", Value: fmtTime(*j.StartedAt), Title: j.StartedAt.UTC().Format("2006-01-02 15:04:05.000 UTC")},
			fact{Label: "Queued for", Value: fmtDuration(j.StartedAt.Sub(j.CreatedAt).Truncate(time.Second))})
	}
	if j.EndedAt != nil {
		out = append(out, fact{Label: "Ended", Value: fmtTime(*j.EndedAt), Title: j.EndedAt.UTC().Format("2006-01-02 15:04:05.000 UTC")})
	}
	if j.ExitCode != nil {
		out = append(out, fact{Label: "Exit code", Value: strconv.Itoa(*j.ExitCode), Mono: true})
	}
	if j.Attempt > 1 {
		out = append(out, fact{Label: "Attempt", Value: strconv.Itoa(j.Attempt)})
	}
	if j.CancelRequested && !lathe.JobTerminal(j.Status) {
		out = append(out, fact{Label: "Cancel", Value: "requested", Badge: "warn"})
	}
	return out
}

// jobOverview is what the job runs on and with.
func (s *Studio) jobOverview(ws string, j *lathe.Job) []fact {
	sp := &j.Spec
	out := []fact{{Label: "Name", Value: j.Name, Mono: true}, {Label: "Type", Value: j.Type}}
	if sp.Description != "" {
		out = append(out, fact{Label: "Description", Value: sp.Description, Wide: true})
	}
	out = append(out, fact{Label: "Compute", Value: j.Compute, Mono: true})
	envLabel := j.Environment
	if envLabel == "" {
		envLabel = sp.Environment
	}
	if envLabel == "" {
		envLabel = "host"
	}
	out = append(out, fact{Label: "Environment", Value: envLabel, Mono: true})
	cpu := sp.Resources.CPU
	if cpu == 0 {
		cpu = 1
	}
	out = append(out, fact{Label: "CPUs", Value: strconv.FormatFloat(cpu, 'g', 4, 64)})
	mem := "none reserved"
	if sp.Resources.Memory > 0 {
		mem = lathe.FormatBytes(sp.Resources.Memory)
	}
	out = append(out, fact{Label: "Memory", Value: mem})
	timeout := "none"
	if sp.Timeout > 0 {
		timeout = fmtDuration(time.Duration(sp.Timeout) * time.Second)
	}
	out = append(out, fact{Label: "Timeout", Value: timeout})
	if name, href := s.jobExperiment(ws, j); name != "" {
		out = append(out, fact{Label: "Experiment", Value: name, Href: href})
	}
	if c := sp.Code; c != nil {
		out = append(out, fact{Label: "Code", Value: fmt.Sprintf("%s files, %s", fmtCount(c.Files), lathe.FormatBytes(c.Size)), Title: string(c.Digest)})
		if c.GitCommit != "" {
			g := fact{Label: "Git commit", Value: shorten(c.GitCommit, 12), Title: c.GitCommit, Mono: true}
			if c.GitBranch != "" {
				g.Value += " on " + c.GitBranch
			}
			out = append(out, g)
			state := fact{Label: "Working tree", Value: "clean", Badge: "ok"}
			if c.GitDirty {
				state = fact{Label: "Working tree", Value: "uncommitted changes", Badge: "warn", Title: "The code had changes not in the commit when it was submitted"}
			}
			out = append(out, state)
		}
		if c.GitRemote != "" {
			out = append(out, fact{Label: "Git remote", Value: clip(c.GitRemote, 200), Mono: true, Wide: true})
		}
	}
	return out
}

// boundCommand is the command with literal inputs bound, as the wrapper
// binds them; data inputs and outputs show as the variables that hold
// their paths. The command as written is returned when it cannot be bound.
func boundCommand(sp *lathe.JobSpec) string {
	values, optional := map[string]string{}, map[string]bool{}
	for k, in := range sp.Inputs {
		key := "inputs." + k
		switch {
		case in.IsLiteral() && in.Value != nil:
			values[key] = *in.Value
		case in.IsLiteral():
			optional[key] = in.Optional
		default:
			values[key] = "$AZURE_ML_INPUT_" + k
		}
	}
	for k := range sp.Outputs {
		values["outputs."+k] = "$AZURE_ML_OUTPUT_" + k
	}
	bound, err := spec.Bind(sp.Command, values, optional)
	if err != nil {
		return sp.Command
	}
	return bound
}

// jobPorts lists the job's inputs and outputs, data linked to its version
// page.
func (s *Studio) jobPorts(ws string, j *lathe.Job) (ins, outs []portRow) {
	link := func(data string) string {
		ref, err := lathe.ParseAssetRef(data, false)
		if err != nil || s.opts.DataAssets == nil || ref.Latest {
			return ""
		}
		return versionURL(ws, ref.Name, ref.Version)
	}
	for _, k := range slices.Sorted(maps.Keys(j.Spec.Inputs)) {
		in := j.Spec.Inputs[k]
		row := portRow{Name: k, Type: in.Type, Mode: in.Mode, Literal: in.IsLiteral()}
		switch {
		case row.Literal && in.Value != nil:
			row.Value = clip(*in.Value, 2000)
		case row.Literal:
			row.Note = "optional, not given"
		default:
			row.Value, row.Data, row.Href = clip(in.Path, 500), in.Data, link(in.Data)
			if row.Mode == "" {
				row.Mode = lathe.ModeROMount
			}
			if in.Data == "" && in.Path == "" {
				row.Note = "optional, not given"
			}
		}
		if row.Type == "" {
			row.Type = lathe.InputString
			if !row.Literal {
				row.Type = lathe.DataURIFolder
			}
		}
		ins = append(ins, row)
	}
	for _, k := range slices.Sorted(maps.Keys(j.Spec.Outputs)) {
		o := j.Spec.Outputs[k]
		row := portRow{Name: k, Type: o.Type, Mode: o.Mode, Value: o.OutputDir(k), Data: o.Data, Href: link(o.Data)}
		if row.Type == "" {
			row.Type = lathe.DataURIFolder
		}
		if row.Mode == "" {
			row.Mode = lathe.ModeRWMount
		}
		if o.Data == "" {
			target := o.Name
			if target == "" {
				target = lathe.DefaultOutputName(j.Name, k)
			}
			if lathe.JobTerminal(j.Status) {
				row.Note = "not registered: the job " + j.Status + " before writing to it"
			} else {
				row.Note = "registered as " + target + " when the job completes"
			}
		}
		outs = append(outs, row)
	}
	return ins, outs
}

// jobRun fills in the job's MLflow run: a link, its params and charts of
// its metrics.
func (s *Studio) jobRun(ctx context.Context, r *http.Request, rc *reqCtx, j *lathe.Job, b *jobBody) error {
	b.RunID = j.RunID
	switch {
	case j.RunID == "" && j.StartedAt == nil && !lathe.JobTerminal(j.Status):
		b.RunNote = "The job's MLflow run is created when it starts; its params and metrics will show here."
		return nil
	case j.RunID == "":
		b.RunNote = "This job has no MLflow run, so there are no params or metrics to show."
		return nil
	case s.opts.Tracking == nil || !runIDRE().MatchString(j.RunID):
		b.RunNote = "Experiment tracking is not enabled on this server, so the run's params and metrics cannot be shown."
		return nil
	}
	tr := s.opts.Tracking
	run, err := tr.Run(ctx, rc.ws.ID, j.RunID)
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		b.RunNote = "The job's run " + j.RunID + " is not in this workspace's tracking store; it may have been deleted."
		return nil
	}
	if err != nil {
		return err
	}
	b.RunHref, b.RunName = runURL(rc.ws.Name, run.Info.RunID), runName(run)
	b.RunStatus, b.RunTone = strings.ToLower(run.Info.Status), runTone(run.Info.Status)
	b.Params = kvTable(r.URL, "params", "Parameter", run.Params, 2000)
	b.Params.Empty = Empty{Title: "No parameters logged", Text: "Values the job logs with mlflow.log_param() appear here."}
	latest := slices.Clone(run.Metrics)
	slices.SortFunc(latest, func(a, b lathe.Metric) int { return strings.Compare(a.Key, b.Key) })
	controls := chartControls{X: axisStep}
	for i, m := range latest {
		if i == maxJobCharts {
			b.RunNote = fmt.Sprintf("The first %d of %d metrics are charted; the run page charts any of them.", maxJobCharts, len(latest))
			break
		}
		sr, note, err := metricSeries(ctx, tr, rc.ws.ID, run, m.Key, controls, chartPoints/2, true)
		if err != nil {
			return err
		}
		c := metricChart{Key: m.Key, ID: fmt.Sprintf("job-metric-%d", i), Note: note, Latest: fmtValue(m.Value)}
		if c.SVG, err = chartFor(c.ID, m.Key, []Series{sr}, controls, jobChartWidth, jobChartH, false); err != nil {
			return err
		}
		b.Charts = append(b.Charts, c)
	}
	return nil
}

// Limits of a followed log.
const (
	streamBatch      = 500              // lines one read of a followed log takes
	maxStreamBacklog = 5000             // lines a stream sends before following; older ones are skipped
	maxStreamTime    = 30 * time.Minute // then the stream ends and the browser reconnects where it was
	streamPoll       = 2 * time.Second  // how often a follower looks without being woken
	streamBeat       = 15 * time.Second // keep-alive comments on a quiet stream
)

// jobState is the data of a stream's status and end events: what the page
// updates when the job moves on.
type jobState struct {
	Status   string `json:"status"`
	Tone     string `json:"tone"`
	Duration string `json:"duration"`
	Since    string `json:"since,omitempty"` // set while the job runs
	Now      string `json:"now"`
	Failure  string `json:"failure,omitempty"`
	Reason   string `json:"reason,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Lines    int64  `json:"lines"`
}

func (s *Studio) stateOf(j *lathe.Job) jobState {
	now := s.now()
	st := jobState{Status: j.Status, Tone: jobTone(j.Status), Now: now.UTC().Format(time.RFC3339Nano), Failure: j.Failure,
		Reason: clip(j.Reason, 2000), ExitCode: j.ExitCode, Lines: j.LogLines}
	var since time.Time
	st.Duration, since = jobDuration(j, now)
	if !since.IsZero() {
		st.Since = since.UTC().Format(time.RFC3339Nano)
	}
	return st
}

// parseAfter reads the line number a stream resumes after: ?after= or,
// when the browser reconnects, a larger Last-Event-ID.
func parseAfter(r *http.Request) (int64, error) {
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || len(v) > 19 {
			return 0, lathe.Errorf(lathe.EINVALID, "after=%q must be a line number, 0 or more", clip(v, 40))
		}
		after = n
	}
	if v := r.Header.Get("Last-Event-ID"); v != "" && len(v) <= 19 {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > after {
			after = n
		}
	}
	return after, nil
}

// jobLogStream sends a job's log as Server-Sent Events: the lines after
// ?after= (at most maxStreamBacklog of them; a skipped event says how many
// were left out), then each new line as it is written. A status event
// carries the job's state whenever it changes, and an end event closes
// the stream once the job has ended and every line was sent.
func (s *Studio) jobLogStream(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	js, err := s.jobService()
	if err != nil {
		return err
	}
	name, err := jobName(r)
	if err != nil {
		return err
	}
	after, err := parseAfter(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), maxStreamTime)
	defer cancel()
	j, err := js.Job(ctx, rc.ws.ID, name)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ev := newEventWriter(w)
	if backlog := j.LogLines - after; backlog > maxStreamBacklog {
		skip := j.LogLines - maxStreamBacklog
		if ev.send("skipped", "", map[string]int64{"from": after + 1, "to": skip}) != nil {
			return nil
		}
		after = skip
	}
	status := ""
	beat := time.Now()
	for {
		changed := js.Changed(j.ID) // before reading, so no change is missed
		cur, lines, err := js.Logs(ctx, rc.ws.ID, name, after, streamBatch)
		if err != nil {
			// The headers are out: say why, then end the stream.
			_ = ev.send("failure", "", map[string]string{"message": lathe.ErrorMessage(err), "request_id": rc.rid})
			return nil
		}
		for _, l := range lines {
			if ev.send("line", strconv.FormatInt(l.N, 10), l) != nil {
				return nil
			}
			after = l.N
		}
		if cur.Status != status {
			status = cur.Status
			if ev.send("status", "", s.stateOf(cur)) != nil {
				return nil
			}
		}
		if len(lines) == streamBatch {
			if ev.flush() != nil {
				return nil
			}
			continue
		}
		if lathe.JobTerminal(cur.Status) && after >= cur.LogLines {
			_ = ev.send("end", "", s.stateOf(cur))
			_ = ev.flush()
			return nil
		}
		if time.Since(beat) > streamBeat {
			if ev.comment("keep-alive") != nil {
				return nil
			}
			beat = time.Now()
		}
		if ev.flush() != nil || !js.Wait(ctx, j.ID, changed, streamPoll) {
			return nil
		}
	}
}

// eventWriter writes Server-Sent Events.
type eventWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newEventWriter(w http.ResponseWriter) *eventWriter {
	return &eventWriter{w: w, rc: http.NewResponseController(w)}
}

// send writes one event whose data is v as JSON, with an id when id is
// set (the browser sends the last one back as Last-Event-ID).
func (e *eventWriter) send(event, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var sb strings.Builder
	if id != "" {
		sb.WriteString("id: " + id + "\n")
	}
	sb.WriteString("event: " + event + "\ndata: ")
	sb.Write(b)
	sb.WriteString("\n\n")
	_, err = io.WriteString(e.w, sb.String())
	return err
}

// comment writes a comment line, which keeps a quiet connection open.
func (e *eventWriter) comment(text string) error {
	_, err := io.WriteString(e.w, ": "+text+"\n\n")
	return err
}

func (e *eventWriter) flush() error { return e.rc.Flush() }
