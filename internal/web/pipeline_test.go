package web_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/web"
)

var stepBoxRE = regexp.MustCompile(`<g class="step state-([a-z]+)" data-step="([^"]+)">`)

// stepStates reads the step boxes of a drawn DAG: step → state class.
func stepStates(body string) map[string]string {
	out := map[string]string{}
	for _, m := range stepBoxRE.FindAllStringSubmatch(body, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestPipelinePages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, path string
		status            int
		steps             map[string]string // the DAG's boxes and their states; nil: not checked
		want, avoid       []string
	}{
		{name: "running pipeline", token: tokReader, path: "/ui/w/default/jobs/" + pipeRunning, status: 200,
			steps: map[string]string{"prep": "completed", "features": "reused", "train": "running", "evaluate": "pending", "report": "pending"},
			want: []string{`<section class="panel" id="pipeline"`, `<svg xmlns="http://www.w3.org/2000/svg" class="lathe-dag"`,
				`<a href="/ui/w/default/jobs/sturdy-pipe-8-prep"><g class="step state-completed" data-step="prep">`,
				`<a href="/ui/w/default/jobs/` + jobDone + `"><g class="step state-reused" data-step="features">`,
				`data-step="features">from ` + jobDone + `</text>`, // reused steps say whose outputs they took
				`data-dag="/ui/w/default/jobs/sturdy-pipe-8/dag"`, `<strong>2/5</strong> steps succeeded`,
				`<td><a class="mono" href="/ui/w/default/jobs/` + jobDone + `">` + jobDone + `</a></td>`, // reused from, in the table
				`data-since="2026-03-14T11:59:48Z" data-now="2026-03-14T12:00:00Z">12s so far<`,          // the running step's duration
				`>12s<`, `prep_data:3`, `<span class="mono">train, prep</span>`, `<a href="#pipeline">Pipeline</a>`},
			avoid: []string{`id="pipeline-live" data-status="running" data-ended`, `<h3 class="sub-h">Command</h3>`}},
		{name: "wide pipeline", token: tokReader, path: "/ui/w/default/jobs/" + pipeWide, status: 200,
			want: []string{`id="pipeline-live" data-status="completed" data-ended`, `<strong>16/16</strong> steps succeeded`, `<div class="dag-wrap"`}},
		{name: "step job links to its pipeline", token: tokReader, path: "/ui/w/default/jobs/" + pipeRunning + "-train", status: 200,
			want:  []string{`Step <span class="mono">train</span> of pipeline <a class="mono" href="/ui/w/default/jobs/sturdy-pipe-8">sturdy-pipe-8</a>`, `id="parent-pipeline"`},
			avoid: []string{`id="pipeline"`}},
		{name: "command job has no pipeline", token: tokReader, path: "/ui/w/default/jobs/" + jobDone, status: 200,
			avoid: []string{`id="pipeline"`, `lathe-dag`, `parent-pipeline`}},
		{name: "fragment", token: tokReader, path: "/ui/w/default/jobs/" + pipeRunning + "/dag", status: 200,
			steps: map[string]string{"prep": "completed", "features": "reused", "train": "running", "evaluate": "pending", "report": "pending"},
			want:  []string{`<div class="pipeline-live" id="pipeline-live" data-status="running">`, `<table class="table" id="steps">`},
			avoid: []string{`<html`, `<nav`, `<script`}},
		{name: "fragment of a command job", token: tokReader, path: "/ui/w/default/jobs/" + jobDone + "/dag", status: 400, want: []string{"not a pipeline"}},
		{name: "fragment of no job", token: tokReader, path: "/ui/w/default/jobs/nope-1/dag", status: 404},
		{name: "fragment elsewhere", token: tokReader, path: "/ui/w/secret/jobs/" + jobSecret + "/dag", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(0)
			srv, _, _ := pipelineServer(t, w, nil)
			c := newClient(t, srv)
			c.signIn(tt.token)
			res, body := c.get(tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("GET %s: status %d, want %d\n%s", tt.path, res.StatusCode, tt.status, body)
			}
			if tt.steps != nil {
				got := stepStates(body)
				if len(got) != len(tt.steps) {
					t.Errorf("%d step boxes %v, want %d", len(got), got, len(tt.steps))
				}
				for step, state := range tt.steps {
					if got[step] != state {
						t.Errorf("step %s drawn %q, want %q", step, got[step], state)
					}
				}
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("no %q in the page", s)
				}
			}
			for _, s := range tt.avoid {
				if strings.Contains(body, s) {
					t.Errorf("%q in the page", s)
				}
			}
		})
	}
}

func TestPipelineInJobsList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, query string
		rows        []string // the first rows, in order
		total       int
		want, avoid []string
	}{
		{name: "steps hidden", rows: []string{pipeRunning, pipeWide, jobQueued}, total: 25,
			want: []string{`sturdy-pipe-8</a> <span class="badge badge-type">pipeline</span>`, `>2/5 steps<`, `>16/16 steps<`,
				`18 jobs that ran pipeline steps are not listed`, `id="f-steps" name="steps" value="1">`},
			avoid: []string{"step-of", `href="/ui/w/default/jobs?cursor=batch-17"`}},
		{name: "steps shown", query: "steps=1", rows: []string{pipeRunning + "-train", pipeRunning + "-prep", pipeRunning, pipeWide + "-merge"}, total: 25,
			want:  []string{`↳ step <span class="mono">train</span> of <a class="mono" href="/ui/w/default/jobs/sturdy-pipe-8">sturdy-pipe-8</a>`, `value="1" checked`, `>Clear</a>`},
			avoid: []string{"not listed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(0)
			srv, _, _ := pipelineServer(t, w, nil)
			c := newClient(t, srv)
			c.signIn(tokReader)
			res, body := c.get("/ui/w/default/jobs?" + tt.query)
			if res.StatusCode != 200 {
				t.Fatalf("status %d\n%s", res.StatusCode, body)
			}
			var rows []string
			for _, m := range jobRowRE.FindAllStringSubmatch(body, -1) {
				rows = append(rows, m[1])
			}
			if len(rows) != tt.total {
				t.Errorf("%d rows, want %d: %v", len(rows), tt.total, rows)
			}
			for i, want := range tt.rows {
				if i >= len(rows) || rows[i] != want {
					t.Errorf("row %d is %v, want %s", i, rows, want)
					break
				}
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("no %q in the page", s)
				}
			}
			for _, s := range tt.avoid {
				if strings.Contains(body, s) {
					t.Errorf("%q in the page", s)
				}
			}
		})
	}
}

func TestSchedulesPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		schedules   bool
		token       string
		status      int
		want, avoid []string
	}{
		{name: "listed", schedules: true, token: tokReader, status: 200,
			want: []string{`<tr data-schedule="nightly-train">`, `<span class="badge badge-neutral">cron</span> <span class="mono trigger">0 3 * * *</span>`,
				`<time datetime="2026-03-15T03:00:00Z">2026-03-15 03:00 UTC</time>`, `<time datetime="2026-03-17T03:00:00Z">`,
				`<a class="mono" href="/ui/w/default/jobs/` + jobDone + `">` + jobDone + `</a>`,
				`every 2 weeks on monday at 09:30`, `time zone Europe/Paris`, `>disabled<`,
				`each new version of customers, as input training_data`, `>on new data<`, "compute gpu does not exist", "none yet"},
			avoid: []string{`2026-03-18T03:00:00Z`}}, // only the next three
		{name: "no schedules service", token: tokReader, status: 200, want: []string{"No schedules in this workspace yet", "lathe schedule create -f schedule.yml -w default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(0)
			var sch web.Schedules
			if tt.schedules {
				sch = newFakeSchedules(w.now)
			}
			srv, _, _ := pipelineServer(t, w, sch)
			c := newClient(t, srv)
			c.signIn(tt.token)
			res, body := c.get("/ui/w/default/schedules")
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tt.status, body)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("no %q in the page", s)
				}
			}
			for _, s := range tt.avoid {
				if strings.Contains(body, s) {
					t.Errorf("%q in the page", s)
				}
			}
		})
	}
}
