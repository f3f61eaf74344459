package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/latheml/lathe"
)

// Limits of the jobs pages.
const (
	jobPageSize   = 25
	maxCursorLen  = 512  // a ?cursor= of the jobs list
	maxJobEvents  = 500  // events a job page shows
	logTail       = 1000 // log lines a job page renders before following
	maxJobCharts  = 6    // metric charts on a job page
	jobChartWidth = 520
	jobChartH     = 220
)

// jobURL is the address of a job's page; jobStreamURL of its log stream.
func jobURL(ws, name string) string { return wsURL(ws, "jobs/"+url.PathEscape(name)) }

func jobStreamURL(ws, name string) string { return jobURL(ws, name) + "/logs/stream" }

// jobTone is the badge tone of a job status: queued and preparing are
// waiting (neutral, info), running is info, then ok, bad or warn.
func jobTone(status string) string {
	switch status {
	case lathe.JobPreparing, lathe.JobRunning:
		return "info"
	case lathe.JobCompleted:
		return "ok"
	case lathe.JobFailed:
		return "bad"
	case lathe.JobCanceled:
		return "warn"
	}
	return "neutral"
}

// jobDuration is how long a job's command ran (or has been running), and
// the start to count from when it is still running (zero otherwise).
func jobDuration(j *lathe.Job, now time.Time) (string, time.Time) {
	switch {
	case j.StartedAt == nil:
		return "—", time.Time{}
	case j.EndedAt != nil:
		return fmtDuration(j.EndedAt.Sub(*j.StartedAt).Truncate(time.Second)), time.Time{}
	case lathe.JobTerminal(j.Status):
		return "—", time.Time{}
	}
	return fmtDuration(now.Sub(*j.StartedAt).Truncate(time.Second)) + " so far", *j.StartedAt
}

// jobRow is one row of the jobs table.
type jobRow struct {
	Name, Href, Display string
	Status, Tone        string
	Created             time.Time
	CreatedBy, Ago      string
	Duration            string
	Since               string // RFC 3339 start of a running job, for the live duration
	Compute             string
	Experiment, ExpHref string
	Failure, Reason     string
	// A pipeline job and its steps progress (succeeded/all), or the
	// pipeline and step a step's job ran.
	Pipeline               bool
	Progress               string
	StepOf, StepHref, Step string
}

// statusChoice is one checkbox of the status filter.
type statusChoice struct {
	Value   string
	Tone    string
	Checked bool
}

// jobsBody is the jobs list's content.
type jobsBody struct {
	Self     string
	Statuses []statusChoice
	Filtered bool
	// ShowSteps lists the jobs of pipeline steps too; Hidden counts those
	// left out of this page.
	ShowSteps bool
	Hidden    int
	Schedules string // the schedules page, when the server has them
	Rows      []jobRow
	Pager     Pager
	Empty     Empty
	Now       string // the server's clock, so the live durations do not depend on the browser's
	Script    string
}

// jobList lists a workspace's jobs, newest first, a page at a time.
func (s *Studio) jobList(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	js := s.opts.Jobs
	if js == nil {
		return s.section("jobs")(w, r, rc)
	}
	q := r.URL.Query()
	var statuses []string
	for _, st := range q["status"] {
		if !lathe.ValidJobStatus(st) {
			return lathe.Errorf(lathe.EINVALID, "status %q is not a job status; choose from queued, preparing, running, completed, failed and canceled", clip(st, 40))
		}
		if !slices.Contains(statuses, st) {
			statuses = append(statuses, st)
		}
	}
	cursor := q.Get("cursor")
	if len(cursor) > maxCursorLen {
		return lathe.Errorf(lathe.EINVALID, "the page link is not valid; start again from the first page")
	}
	showSteps := q.Get("steps") == "1"
	list, hidden, err := listJobs(r.Context(), js, rc.ws.ID, statuses, cursor, showSteps)
	if err != nil {
		if lathe.IsCode(err, lathe.EINVALID) {
			return lathe.Errorf(lathe.EINVALID, "the page link is not valid (%s); start again from the first page", lathe.ErrorMessage(err))
		}
		return err
	}
	now := s.now()
	b := jobsBody{Self: wsURL(rc.ws.Name, "jobs"), Filtered: len(statuses) > 0, Now: now.UTC().Format(time.RFC3339Nano), Script: s.assetURL("job.js"),
		ShowSteps: showSteps, Hidden: hidden}
	if s.opts.Schedules != nil {
		b.Schedules = wsURL(rc.ws.Name, "schedules")
	}
	for _, st := range lathe.JobStatuses {
		b.Statuses = append(b.Statuses, statusChoice{Value: st, Tone: jobTone(st), Checked: slices.Contains(statuses, st)})
	}
	for _, j := range list.Items {
		row := jobRow{Name: j.Name, Href: jobURL(rc.ws.Name, j.Name), Display: j.Spec.DisplayName, Status: j.Status, Tone: jobTone(j.Status),
			Created: j.CreatedAt, CreatedBy: j.CreatedBy, Ago: ago(now, j.CreatedAt), Compute: j.Compute, Failure: j.Failure, Reason: clip(j.Reason, 300)}
		var since time.Time
		row.Duration, since = jobDuration(j, now)
		if !since.IsZero() {
			row.Since = since.UTC().Format(time.RFC3339Nano)
		}
		row.Experiment, row.ExpHref = s.jobExperiment(rc.ws.Name, j)
		s.pipelineCells(r.Context(), rc, j, &row)
		b.Rows = append(b.Rows, row)
	}
	t := &Table{base: *r.URL}
	t.CursorPager(cursor, list.NextCursor)
	b.Pager = t.Pager
	if b.Filtered {
		b.Empty = Empty{Title: "No jobs match", Text: "No job of this workspace is in the statuses chosen. Clear the filter to see every job."}
	} else {
		b.Empty = Empty{Title: "No jobs in this workspace yet",
			Text: "A command job runs a command on a compute with its code, environment and inputs, and logs to an MLflow run. " +
				"Write one in Azure ML's command job YAML and submit it; it will be listed here with its status, and opens to its log, followed live.",
			Commands: jobCommands(rc.ws.Name)}
	}
	return s.render(w, r, rc, http.StatusOK, "jobs", &page{Title: "Jobs", Section: "jobs", Body: b})
}

// jobCommands are the lines that submit a job to a workspace and follow it.
func jobCommands(ws string) []string {
	return []string{
		"lathe job create -f job.yml --stream -w " + ws,
		"lathe job list -w " + ws,
	}
}

// jobExperiment names the experiment a job logs to and links it when the
// tracking pages exist.
func (s *Studio) jobExperiment(ws string, j *lathe.Job) (name, href string) {
	name = j.Spec.ExperimentName
	if name == "" && j.ExperimentID != "" {
		name = "experiment " + j.ExperimentID
	}
	if j.ExperimentID != "" && s.opts.Tracking != nil && experimentIDRE().MatchString(j.ExperimentID) {
		href = expURL(ws, j.ExperimentID)
	}
	return name, href
}

// parseJobTemplates adds the jobs pages to s.pages. Each is parsed on a
// clone of the section page, whose layout, components and helpers every
// page shares; its own "content" replaces the section's.
func (s *Studio) parseJobTemplates() error {
	base, ok := s.pages["section"]
	if !ok {
		return fmt.Errorf("web: no section page to build the jobs pages on")
	}
	for _, name := range []string{"jobs", "job"} {
		t, err := base.Clone()
		if err != nil {
			return fmt.Errorf("web: clone layout: %w", err)
		}
		if _, err := t.ParseFS(files, "templates/"+name+".html"); err != nil {
			return fmt.Errorf("web: parse %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}
