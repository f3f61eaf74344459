package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/store"
)

// Jobs is the jobs service: command jobs, their logs and outputs, the
// wrapper's side (plan, status, logs, outputs, exit), environments and
// compute targets.
type Jobs interface {
	Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req jobs.SubmitRequest) (*lathe.Job, error)
	Job(ctx context.Context, ws, name string) (*lathe.Job, error)
	JobByID(ctx context.Context, id string) (*lathe.Job, error)
	Jobs(ctx context.Context, ws string, statuses []string, cursor string, limit int) (*jobs.JobPage, error)
	Events(ctx context.Context, ws, name string, after int64, limit int) (*lathe.Job, []lathe.JobEvent, error)
	Logs(ctx context.Context, ws, name string, after int64, limit int) (*lathe.Job, []lathe.LogLine, error)
	LogsByID(ctx context.Context, id string, after int64, limit int) ([]lathe.LogLine, error)
	Changed(jobID string) <-chan struct{}
	Wait(ctx context.Context, jobID string, ch <-chan struct{}, poll time.Duration) bool
	Lineage(ctx context.Context, ws, name string) ([]lathe.JobLineage, error)
	Output(ctx context.Context, ws, name, port string) (*lathe.DataVersion, error)
	Cancel(ctx context.Context, ws, name, actor string) (*lathe.Job, error)

	Plan(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string) (*lathe.JobPlan, error)
	Started(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string) (*lathe.Job, error)
	AppendLogs(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string, lines []lathe.LogLine) (store.LogAppend, error)
	RegisterOutput(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name, port string, req jobs.OutputRequest) (*lathe.DataVersion, error)
	Complete(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string, c jobs.Completion) (*lathe.Job, error)

	CreateEnvironment(ctx context.Context, ws, actor, name string, req jobs.EnvironmentRequest) (*lathe.Environment, error)
	Environment(ctx context.Context, ws, name, version string) (*lathe.Environment, error)
	Environments(ctx context.Context, ws, after string, limit int) ([]*lathe.Environment, error)
	EnvironmentVersions(ctx context.Context, ws, name string, offset, limit int) ([]*lathe.Environment, error)

	CreateCompute(ctx context.Context, ws, actor string, c lathe.Compute) (*lathe.Compute, error)
	Compute(ctx context.Context, ws, name string) (*jobs.ComputeInfo, error)
	Computes(ctx context.Context, ws string) ([]*jobs.ComputeInfo, error)
}

// MaxLogAppendBody bounds one log append from a job's wrapper.
const MaxLogAppendBody = 8 << 20

// LogPage is a page of a job's log.
type LogPage struct {
	Items []lathe.LogLine `json:"items"`
	// Next is the number of the last line returned: pass it as ?after= to
	// read on.
	Next   int64  `json:"next" doc:"pass as ?after= for the lines that follow"`
	Status string `json:"status" doc:"the job's status when the page was read"`
	// Done says the job has ended and every line has been read.
	Done bool `json:"done"`
}

// LogAppendRequest is a batch of a job's output lines.
type LogAppendRequest struct {
	Lines []lathe.LogLine `json:"lines" doc:"at most 10000 lines; n is ignored (the server numbers lines)"`
}

// LogAppendResponse says what the server stored.
type LogAppendResponse struct {
	First     int64 `json:"first" doc:"number of the first stored line"`
	Stored    int   `json:"stored"`
	Truncated bool  `json:"truncated" doc:"the job's log reached its size limit; later lines are dropped"`
}

// ComputeRequest creates a compute target (Azure's compute YAML where it
// fits).
type ComputeRequest struct {
	Name        string            `json:"name"`
	Type        string            `json:"type" doc:"local"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	CPU         float64           `json:"cpu,omitempty" doc:"CPUs its jobs may reserve at once (default: the machine's)"`
	Memory      int64             `json:"memory,omitempty" doc:"bytes of memory its jobs may reserve at once (default: the machine's)"`
}

func (a *API) jobRoutes() []Route {
	ws := "/api/v1/workspaces/{workspace}"
	job := ws + "/jobs/{job}"
	read, write, wrapper := lathe.ActJobRead, lathe.ActJobWrite, lathe.ActJobExec
	return []Route{
		{Method: "POST", Path: ws + "/jobs", ID: "createJob", Tag: "jobs", Action: write, Status: http.StatusCreated,
			Summary: "Submit a command job (Azure's commandJob, with local paths already uploaded: code as a snapshot, local inputs as data versions). It is queued on its compute and runs as one MLflow run.",
			Body:    jobs.SubmitRequest{}, Response: lathe.Job{}, Handler: a.createJob},
		{Method: "GET", Path: ws + "/jobs", ID: "listJobs", Tag: "jobs", Action: read,
			Summary:  "The workspace's jobs, newest first.",
			Query:    append([]Param{{"status", "string", "only jobs in these statuses, comma-separated"}}, pageParams...),
			Response: Page[lathe.Job]{}, Handler: a.listJobs},
		{Method: "GET", Path: job, ID: "getJob", Tag: "jobs", Action: read,
			Summary: "One job: its spec, status, failure reason, exit code, MLflow run and outputs.", Response: lathe.Job{}, Handler: a.getJob},
		{Method: "POST", Path: job + "/cancel", ID: "cancelJob", Tag: "jobs", Action: write,
			Summary:  "Cancel a job: a queued one at once; a started one's whole process tree gets SIGTERM, then SIGKILL after the grace period, and the job ends canceled.",
			Response: lathe.Job{}, Handler: a.cancelJob},
		{Method: "GET", Path: job + "/events", ID: "listJobEvents", Tag: "jobs", Action: read,
			Summary:  "A job's lifecycle events in order: each status change with its time and reason.",
			Query:    []Param{{"after", "integer", "only events after this sequence number"}, {"limit", "integer", "events per page, 1-1000 (default 100)"}},
			Response: Page[lathe.JobEvent]{}, Handler: a.listJobEvents},
		{Method: "GET", Path: job + "/logs", ID: "getJobLogs", Tag: "jobs", Action: read,
			Summary: "A job's output, line by line (stdout, stderr and Lathe's own system lines). With follow=1 (or Accept: text/event-stream) it is a Server-Sent Events stream: `line` events (id = line number; Last-Event-ID resumes), `status` events when the job's status changes, and an `end` event when it has ended and every line was sent.",
			Query: []Param{{"after", "integer", "only lines after this line number"}, {"limit", "integer", "lines per page, 1-10000 (default 1000)"},
				{"follow", "boolean", "stream as Server-Sent Events until the job ends"}},
			Response: LogPage{}, Handler: a.getJobLogs},
		{Method: "GET", Path: job + "/lineage", ID: "getJobLineage", Tag: "jobs", Action: read,
			Summary: "The data versions a job read (inputs) and wrote (outputs).", Response: Page[lathe.JobLineage]{}, Handler: a.getJobLineage},
		{Method: "GET", Path: job + "/outputs/{output}", ID: "getJobOutput", Tag: "jobs", Action: read,
			Summary: "The data version an output was registered as (azureml://jobs/<job>/outputs/<output>).", Response: lathe.DataVersion{}, Handler: a.getJobOutput},

		// The job's wrapper, with the job's own token.
		{Method: "GET", Path: job + "/plan", ID: "getJobPlan", Tag: "jobs", Action: wrapper,
			Summary: "What the job's wrapper needs to run it (the job's own token only).", Response: lathe.JobPlan{}, Handler: a.getJobPlan},
		{Method: "POST", Path: job + "/started", ID: "reportJobStarted", Tag: "jobs", Action: wrapper,
			Summary: "The wrapper reports that the command is running (the job's own token only).", Response: lathe.Job{}, Handler: a.reportJobStarted},
		{Method: "POST", Path: job + "/logs", ID: "appendJobLogs", Tag: "jobs", Action: wrapper, ReadOnly: true,
			Summary: "The wrapper appends lines of output (the job's own token only; not audited line by line). The server keeps a bounded log per job.",
			Body:    LogAppendRequest{}, Response: LogAppendResponse{}, Handler: a.appendJobLogs},
		{Method: "POST", Path: job + "/outputs/{output}", ID: "registerJobOutput", Tag: "jobs", Action: wrapper,
			Summary: "The wrapper registers an output's uploaded files as a data version, with lineage to the job (the job's own token only).",
			Body:    jobs.OutputRequest{}, Response: lathe.DataVersion{}, Handler: a.registerJobOutput},
		{Method: "POST", Path: job + "/complete", ID: "completeJob", Tag: "jobs", Action: wrapper,
			Summary: "The wrapper reports how the attempt ended (the job's own token only).", Body: jobs.Completion{}, Response: lathe.Job{}, Handler: a.completeJob},
	}
}

func (a *API) createJob(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req jobs.SubmitRequest
	if err := decodeJSON(w, r, lathe.MaxJobSpecSize, &req); err != nil {
		if lathe.IsCode(err, lathe.ETOOLARGE) {
			return lathe.Errorf(lathe.ETOOLARGE, "the job spec is over the limit of %d KiB; put long scripts and data in the code folder or a data asset", lathe.MaxJobSpecSize>>10)
		}
		return err
	}
	j, err := a.opts.Jobs.Submit(r.Context(), ws, principal(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, j)
	return nil
}

func (a *API) listJobs(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	limit, cursor, err := pageArgs(r)
	if err != nil {
		return err
	}
	var statuses []string
	if s := r.URL.Query().Get("status"); s != "" {
		for _, x := range strings.Split(s, ",") {
			statuses = append(statuses, strings.TrimSpace(x))
		}
	}
	page, err := a.opts.Jobs.Jobs(r.Context(), ws.ID, statuses, cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[*lathe.Job]{Items: nonNil(page.Items), NextCursor: page.NextCursor})
	return nil
}

func (a *API) getJob(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	j, err := a.opts.Jobs.Job(r.Context(), ws.ID, r.PathValue("job"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (a *API) cancelJob(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	j, err := a.opts.Jobs.Cancel(r.Context(), ws.ID, r.PathValue("job"), principal(r).UserName)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// intArg reads an optional non-negative integer query parameter.
func intArg(r *http.Request, name string, def, max int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || (max > 0 && v > max) {
		if max > 0 {
			return 0, lathe.Errorf(lathe.EINVALID, "%s=%q must be a whole number from 0 to %d", name, s, max)
		}
		return 0, lathe.Errorf(lathe.EINVALID, "%s=%q must be a whole number, 0 or more", name, s)
	}
	return v, nil
}

func (a *API) listJobEvents(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	after, err := intArg(r, "after", 0, 0)
	if err != nil {
		return err
	}
	limit, err := intArg(r, "limit", DefaultPageSize, MaxPageSize)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	_, evs, err := a.opts.Jobs.Events(r.Context(), ws.ID, r.PathValue("job"), after, int(limit)+1)
	if err != nil {
		return err
	}
	page := Page[lathe.JobEvent]{Items: nonNil(evs)}
	if len(evs) > int(limit) {
		page.Items = evs[:limit]
		page.NextCursor = strconv.FormatInt(evs[limit-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (a *API) getJobLineage(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	l, err := a.opts.Jobs.Lineage(r.Context(), ws.ID, r.PathValue("job"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[lathe.JobLineage]{Items: nonNil(l)})
	return nil
}

func (a *API) getJobOutput(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	v, err := a.opts.Jobs.Output(r.Context(), ws.ID, r.PathValue("job"), r.PathValue("output"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
