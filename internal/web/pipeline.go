package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/pipeline"
)

// Tags the pipelines service puts on a step's command job: the pipeline
// job's name and the step's.
const (
	tagPipeline = "lathe.pipeline"
	tagStep     = "lathe.step"
)

// Limits of the pipeline pages.
const (
	maxListFetches = 4  // pages of jobs one jobs list reads while it hides step jobs
	reusedLabel    = 20 // characters of a reused step's source job in its box
)

// stepRow is one row of a pipeline's steps table.
type stepRow struct {
	Step, State, Tone      string
	Duration, Since        string
	Job, JobHref           string // the step's own job
	ReusedFrom, ReusedHref string // the earlier job whose outputs it took
	Component, Reason      string
	Deps                   string
}

// stateCount is how many steps are in one state.
type stateCount struct {
	State, Tone string
	N           int
}

// pipelineView is a pipeline job's steps: the DAG drawn as SVG and the
// steps table, refreshed as a fragment while the pipeline runs.
type pipelineView struct {
	Status      string
	Ended       bool
	SVG         template.HTML
	Steps       []stepRow
	Counts      []stateCount
	Done, Total int
	DAGURL      string
	Now         string
	Note        string
}

// stepParent is the pipeline a step's job belongs to.
type stepParent struct {
	Pipeline, Href, Step string
}

// dagURL is the address of a pipeline job's live fragment.
func dagURL(ws, name string) string { return jobURL(ws, name) + "/dag" }

// stepTone is the badge tone of a step state.
func stepTone(st pipeline.State) string {
	switch st {
	case pipeline.StateRunning:
		return "info"
	case pipeline.StateCompleted, pipeline.StateReused:
		return "ok"
	case pipeline.StateFailed:
		return "bad"
	case pipeline.StateCanceled, pipeline.StateSkipped:
		return "warn"
	}
	return "neutral"
}

// parentOf names the pipeline whose step j ran; nil for any other job.
func parentOf(ws string, j *lathe.Job) *stepParent {
	p := j.Spec.Tags[tagPipeline]
	if j.Type == lathe.JobTypePipeline || p == "" || lathe.ValidateName("job", p) != nil {
		return nil
	}
	return &stepParent{Pipeline: p, Href: jobURL(ws, p), Step: j.Spec.Tags[tagStep]}
}

// stepProgress counts a pipeline's steps that succeeded (completed or
// reused).
func stepProgress(steps []lathe.PipelineStep) (done int) {
	for _, st := range steps {
		if s, err := pipeline.ParseState(st.State); err == nil && s.Succeeded() {
			done++
		}
	}
	return done
}

// pipelineViewOf draws a pipeline job's steps.
func pipelineViewOf(ws string, j *lathe.Job, steps []lathe.PipelineStep, now time.Time) *pipelineView {
	v := &pipelineView{Status: j.Status, Ended: lathe.JobTerminal(j.Status), DAGURL: dagURL(ws, j.Name),
		Now: now.UTC().Format(time.RFC3339Nano), Total: len(steps), Done: stepProgress(steps)}
	if len(steps) == 0 {
		v.Note = "This pipeline has no steps recorded yet."
		return v
	}
	states := make([]pipeline.State, len(steps))
	names := make([]string, len(steps))
	counts := map[pipeline.State]int{}
	var edges []pipeline.Edge
	link := func(job string) string {
		if job == "" || lathe.ValidateName("job", job) != nil {
			return ""
		}
		return jobURL(ws, job)
	}
	hrefs := make(map[string]string, len(steps))
	reused := false
	for i, st := range steps {
		s, err := pipeline.ParseState(st.State)
		if err != nil {
			s = pipeline.StatePending
		}
		states[i], names[i] = s, st.Step
		counts[s]++
		for _, d := range st.Deps {
			edges = append(edges, pipeline.Edge{From: d, To: st.Step})
		}
		hrefs[st.Step] = link(st.Job)
		row := stepRow{Step: st.Step, State: s.String(), Tone: stepTone(s), Component: st.Component, Reason: clip(st.Reason, 500),
			Deps: strings.Join(st.Deps, ", "), Duration: "—"}
		if st.Reused {
			reused = true
			row.ReusedFrom, row.ReusedHref = st.Job, hrefs[st.Step]
		} else {
			row.Job, row.JobHref = st.Job, hrefs[st.Step]
		}
		if st.StartedAt != nil && !st.Reused {
			switch {
			case st.EndedAt != nil:
				row.Duration = fmtDuration(st.EndedAt.Sub(*st.StartedAt).Truncate(time.Second))
			case !s.Terminal():
				row.Duration = fmtDuration(now.Sub(*st.StartedAt).Truncate(time.Second)) + " so far"
				row.Since = st.StartedAt.UTC().Format(time.RFC3339Nano)
			}
		}
		v.Steps = append(v.Steps, row)
	}
	for s := pipeline.StatePending; s <= pipeline.StateReused; s++ {
		if n := counts[s]; n > 0 {
			v.Counts = append(v.Counts, stateCount{State: s.String(), Tone: stepTone(s), N: n})
		}
	}
	g, err := pipeline.New(names, edges)
	if err != nil {
		v.Note = "The steps' graph cannot be drawn: " + lathe.ErrorMessage(err)
		return v
	}
	o := pipeline.LayoutOptions{}
	if reused {
		o.NodeHeight = 60 // room for "from <job>" under the state
	}
	l := pipeline.NewLayout(g, o)
	svg := pipeline.SVG(l, states, func(step string) string { return hrefs[step] })
	if reused {
		svg = markReused(svg, l, steps)
	}
	v.SVG = template.HTML(svg) // built from escaped names and links only
	return v
}

// markReused writes "from <job>" in the box of each reused step, under
// its state, so the graph says whose outputs it took.
func markReused(svg []byte, l *pipeline.Layout, steps []lathe.PipelineStep) []byte {
	end := bytes.LastIndex(svg, []byte("</svg>"))
	if end < 0 {
		return svg
	}
	var b bytes.Buffer
	b.Write(svg[:end])
	b.WriteString(`<g class="reused-from" font-size="10" fill="#14532d" text-anchor="middle" pointer-events="none">` + "\n")
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for i, st := range steps {
		if !st.Reused || st.Job == "" || i >= len(l.Nodes) {
			continue
		}
		box := l.Nodes[i]
		fmt.Fprintf(&b, `<text x="%s" y="%s" data-step="%s">from %s</text>`+"\n", num(box.X+box.W/2), num(box.Y+box.H-7),
			html.EscapeString(st.Step), html.EscapeString(clip(st.Job, reusedLabel)))
	}
	b.WriteString("</g>\n")
	b.Write(svg[end:])
	return b.Bytes()
}

// pipelineSection reads a pipeline job's steps for its page; a failure
// to read them becomes a note rather than failing the whole page.
func (s *Studio) pipelineSection(ctx context.Context, rc *reqCtx, j *lathe.Job) *pipelineView {
	_, steps, err := s.opts.Pipelines.Steps(ctx, rc.ws.ID, j.Name)
	if err != nil {
		s.log.Warn("studio: pipeline steps", "job", j.Name, "error", err, "request_id", rc.rid)
		return &pipelineView{Status: j.Status, Ended: true, Note: "The steps could not be read: " + lathe.ErrorMessage(err)}
	}
	return pipelineViewOf(rc.ws.Name, j, steps, s.now())
}

// pipelineDAG serves a pipeline job's steps as an HTML fragment: the
// DAG and the steps table, which job.js swaps in every few seconds while
// the pipeline runs.
func (s *Studio) pipelineDAG(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if s.opts.Pipelines == nil {
		return lathe.Errorf(lathe.ENOTFOUND, "pipelines are not enabled on this server")
	}
	name, err := jobName(r)
	if err != nil {
		return err
	}
	j, steps, err := s.opts.Pipelines.Steps(r.Context(), rc.ws.ID, name)
	if err != nil {
		return err
	}
	t, ok := s.pages["job"]
	if !ok {
		return fmt.Errorf("web: no job page template")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "pipeline-live", pipelineViewOf(rc.ws.Name, j, steps, s.now())); err != nil {
		return fmt.Errorf("render pipeline fragment: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
	return nil
}

// listJobs reads one page of the jobs list. Unless steps is set, the
// jobs that ran a pipeline's steps are left out (they are on their
// pipeline's page), and further pages are read, a few at most, to fill
// the page; the cursor returned continues after the last job read.
func listJobs(ctx context.Context, js Jobs, ws string, statuses []string, cursor string, steps bool) (*jobs.JobPage, int, error) {
	page, err := js.Jobs(ctx, ws, statuses, cursor, jobPageSize)
	if err != nil || steps {
		return page, 0, err
	}
	out := &jobs.JobPage{}
	hidden := 0
	for fetch := 1; ; fetch++ {
		for _, j := range page.Items {
			if j.Type != lathe.JobTypePipeline && j.Spec.Tags[tagPipeline] != "" {
				hidden++
				continue
			}
			out.Items = append(out.Items, j)
		}
		out.NextCursor = page.NextCursor
		if len(out.Items) >= jobPageSize || page.NextCursor == "" || fetch == maxListFetches {
			return out, hidden, nil
		}
		if page, err = js.Jobs(ctx, ws, statuses, page.NextCursor, jobPageSize-len(out.Items)); err != nil {
			return nil, 0, err
		}
	}
}

// pipelineCells fills in a jobs list row's pipeline columns: a pipeline
// job's steps progress, or the pipeline a step's job belongs to.
func (s *Studio) pipelineCells(ctx context.Context, rc *reqCtx, j *lathe.Job, row *jobRow) {
	if j.Type != lathe.JobTypePipeline {
		if p := parentOf(rc.ws.Name, j); p != nil {
			row.StepOf, row.StepHref, row.Step = p.Pipeline, p.Href, p.Step
		}
		return
	}
	row.Pipeline = true
	if s.opts.Pipelines == nil {
		return
	}
	_, steps, err := s.opts.Pipelines.Steps(ctx, rc.ws.ID, j.Name)
	if err != nil {
		s.log.Warn("studio: pipeline steps", "job", j.Name, "error", err, "request_id", rc.rid)
		return
	}
	row.Progress = fmt.Sprintf("%d/%d", stepProgress(steps), len(steps))
}

// parsePipelineTemplates adds the pipeline section and its live fragment
// to the job page, and builds the schedules page.
func (s *Studio) parsePipelineTemplates() error {
	t, ok := s.pages["job"]
	if !ok {
		return fmt.Errorf("web: no job page to add the pipeline section to")
	}
	if _, err := t.ParseFS(files, "templates/pipeline.html"); err != nil {
		return fmt.Errorf("web: parse pipeline: %w", err)
	}
	base, ok := s.pages["section"]
	if !ok {
		return fmt.Errorf("web: no section page to build the schedules page on")
	}
	sch, err := base.Clone()
	if err != nil {
		return fmt.Errorf("web: clone layout: %w", err)
	}
	if _, err := sch.ParseFS(files, "templates/schedules.html"); err != nil {
		return fmt.Errorf("web: parse schedules: %w", err)
	}
	s.pages["schedules"] = sch
	return nil
}
