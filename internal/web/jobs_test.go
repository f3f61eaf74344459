package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/web"
)

// jobsSetup serves the studio over a fresh world and jobs fake; authz,
// when set, replaces the world's Authorizer.
func jobsSetup(t *testing.T, authz web.Authorizer) (*world, *fakeJobs, *httptest.Server) {
	t.Helper()
	w := newWorld(0)
	j := newFakeJobs(w.now)
	opts := web.Options{Sessions: w, Authorizer: w, Workspaces: w, Accounts: w, Roles: w, Audit: w, Data: w,
		Tracking: w.trk, DataAssets: w.data, Jobs: j, Now: w.clock}
	if authz != nil {
		opts.Authorizer = authz
	}
	s, err := web.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return w, j, srv
}

// jobsGet signs in with token and gets path from a studio with jobs.
func jobsGet(t *testing.T, token, path string, status int) string {
	t.Helper()
	_, _, srv := jobsSetup(t, nil)
	c := newClient(t, srv)
	c.signIn(token)
	res, body := c.get(path)
	if res.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, res.StatusCode, status, body)
	}
	return body
}

var jobRowRE = regexp.MustCompile(`<tr>\s*<td><a class="mono" href="/ui/w/default/jobs/([^"]+)"`)

func TestJobsPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, query string
		status             int
		rows               []string // the jobs listed, in order; nil: not checked
		want, avoid        []string
	}{
		{name: "first page", token: tokReader, status: 200,
			rows: []string{jobQueued, jobRunning, jobCanceled, jobTimeout, jobUserFail, jobDone, jobLongLog,
				"batch-00", "batch-01", "batch-02", "batch-03", "batch-04", "batch-05", "batch-06", "batch-07", "batch-08", "batch-09",
				"batch-10", "batch-11", "batch-12", "batch-13", "batch-14", "batch-15", "batch-16", "batch-17"},
			want: []string{`<table class="table" id="jobs">`, `badge-bad" data-job-status title="the command exited with code 2; the last lines of its log say why">failed<`,
				`badge-info" data-job-status>running<`, `badge-ok" data-job-status>completed<`, `badge-warn" data-job-status`, `badge-neutral" data-job-status>queued<`,
				">train cnn<", `<a href="/ui/w/default/experiments/1">mnist-cnn</a>`, ">1h20m<", // a finished job's duration
				`data-since="2026-03-14T11:57:00Z" data-now="2026-03-14T12:00:00Z">3m so far<`, // a running one's, live
				`<span class="failure-kind">timeout</span>`, `href="/ui/w/default/jobs?cursor=batch-17" rel="next"`,
				`aria-current="page"`, `/ui/static/job.js?v=`},
			avoid: []string{"First page", "checked"}},
		{name: "next page", token: tokReader, query: "cursor=batch-17", status: 200,
			rows: []string{"batch-18", "batch-19", "batch-20", "batch-21", "batch-22", "batch-23", "batch-24", "batch-25", "batch-26", "batch-27", "batch-28", "batch-29"},
			want: []string{"First page"}, avoid: []string{`rel="next"`}},
		{name: "failed only", token: tokReader, query: "status=failed", status: 200, rows: []string{jobTimeout, jobUserFail},
			want: []string{`name="status" value="failed" checked`, `>Clear</a>`}},
		{name: "running or queued", token: tokReader, query: "status=running&status=queued", status: 200, rows: []string{jobQueued, jobRunning}},
		{name: "nothing matches", token: tokReader, query: "status=preparing", status: 200, rows: []string{}, want: []string{"No jobs match"}},
		{name: "not a status", token: tokReader, query: "status=done", status: 400, want: []string{"is not a job status"}},
		{name: "bad cursor", token: tokReader, query: "cursor=nope", status: 400, want: []string{"page link is not valid"}},
		{name: "cursor too long", token: tokReader, query: "cursor=" + strings.Repeat("x", 600), status: 400, want: []string{"page link is not valid"}},
		{name: "not a member", token: tokOther, status: 404, want: []string{"Page not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := jobsGet(t, tt.token, "/ui/w/default/jobs?"+tt.query, tt.status)
			check(t, body, tt.want, tt.avoid)
			if tt.rows != nil {
				var got []string
				for _, m := range jobRowRE.FindAllStringSubmatch(body, -1) {
					got = append(got, m[1])
				}
				if strings.Join(got, " ") != strings.Join(tt.rows, " ") {
					t.Errorf("rows %v\nwant %v", got, tt.rows)
				}
			}
		})
	}
}

func TestJobsPageWithoutJobs(t *testing.T) {
	t.Parallel()
	_, body := getAs(t, tokReader, "/ui/w/default/jobs", 200)
	check(t, body, []string{"No jobs in this workspace yet", "lathe job create -f job.yml --stream -w default"}, []string{`id="jobs"`})
	getAs(t, tokReader, "/ui/w/default/jobs/"+jobDone, 404)
	getAs(t, tokReader, "/ui/w/default/jobs/"+jobDone+"/logs/stream", 404)
}

func TestJobPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path  string
		status      int
		want, avoid []string
	}{
		{name: "completed", path: "/ui/w/default/jobs/" + jobDone, status: 200,
			want: []string{
				// header and timings
				`<h1>train cnn <span class="badge badge-ok" id="job-status" data-job-status>completed</span>`, `<p class="lead mono">jolly-river-1</p>`,
				">Submitted by<", ">Queued for<", ">1m<", ">Exit code<", `<span id="job-duration">1h20m</span>`,
				// overview
				`id="overview"`, "Trains the CNN on the March customers.", ">sklearn:3<", ">4.0 GiB<", ">2h<", ">CPUs<", ">2<",
				`title="4f2a9c1e0b7d6a5c4b3a29180716253443526170">4f2a9c1e0b7d… on main<`, "uncommitted changes", "12 files, 48.0 KiB",
				"python train.py --data ${{inputs.training_data}}",                                              // as written
				`python train.py --data $AZURE_ML_INPUT_training_data --lr 0.01 --model $AZURE_ML_OUTPUT_model`, // as bound
				`title="stage=dev">stage=dev<`, ">OMP_NUM_THREADS<",
				// inputs and outputs
				`<a class="mono" href="/ui/w/default/data/customers/versions/2">customers:2</a>`, `<code class="literal">0.01</code>`, ">ro_mount<",
				`href="/ui/w/default/data/azureml_jolly-river-1_output_model/versions/1"`, "not registered: the job completed before writing to it", ">outputs/scratch<",
				// the run, its params and charts
				`href="/ui/w/default/runs/` + runOwl + `"`, ">brave-owl-1<", `<svg class="chart"`, `id="job-metric-0-box"`, ">learning_rate<",
				// events and log
				`<ol class="timeline" id="timeline">`, ">submitted by olivia<", ">command started<", ">the command exited with code 0<",
				`data-stream="/ui/w/default/jobs/jolly-river-1/logs/stream" data-after="42" data-ended>`,
				`<span class="log-line log-system" data-n="1">staging input training_data: customers:2 (1 file)</span>`,
				`<span class="log-line log-stderr" data-n="12">epoch 10/40 loss=0.100</span>`, `<span class="log-line log-stdout" data-n="41">epoch 39/40`, `<span class="log-line log-stderr" data-n="42">epoch 40/40`,
				"its log is complete"},
			avoid: []string{`id="failure"`, "so far", "lines are not shown"}},
		{name: "failed by the user", path: "/ui/w/default/jobs/" + jobUserFail, status: 200,
			want: []string{`<div class="alert alert-bad job-end" id="failure" role="alert">`, "The job failed: its command, inputs or spec", ">user failure<",
				"the command exited with code 2; the last lines of its log say why", "The command exited with code <code>2</code>",
				"correct the command, its code or its inputs", "No such file or directory", "This job has no inputs.", "This job has no MLflow run", `<a href="#logs">Go to the log</a>`}},
		{name: "timed out", path: "/ui/w/default/jobs/" + jobTimeout, status: 200,
			want: []string{"The job ran out of time", ">timeout failure<", "longer than its limits.timeout of 30m", "Raise limits.timeout"}},
		{name: "canceled", path: "/ui/w/default/jobs/" + jobCanceled, status: 200,
			want: []string{`alert-warn job-end`, "The job was canceled", "canceled by olivia", "<code>143</code>"}, avoid: []string{"failure<"}},
		{name: "running", path: "/ui/w/default/jobs/" + jobRunning, status: 200,
			want: []string{`badge-info" id="job-status" data-job-status>running<`, `data-since="2026-03-14T11:57:00Z" data-now="2026-03-14T12:00:00Z">3m so far<`,
				`data-after="5">`, "Following the log live", `--epochs 5`},
			avoid: []string{"data-ended", `id="failure"`}},
		{name: "queued", path: "/ui/w/default/jobs/" + jobQueued, status: 200,
			want: []string{`badge-neutral" id="job-status" data-job-status>queued<`, `data-after="0">`, "This job has no outputs.", "created when it starts"}, avoid: []string{">Started<"}},
		{name: "a long log shows its end", path: "/ui/w/default/jobs/" + jobLongLog, status: 200,
			want: []string{"The first 5,200 lines are not shown", `data-n="5201">row 5201<`, `data-n="6200">row 6200<`, `data-after="6200"`}, avoid: []string{`data-n="5200"`}},
		{name: "unknown job", path: "/ui/w/default/jobs/nope", status: 404, want: []string{"job &#34;nope&#34; not found"}},
		{name: "malformed name", path: "/ui/w/default/jobs/-x", status: 404, want: []string{"there is no job"}},
		{name: "another workspace's job", path: "/ui/w/default/jobs/" + jobSecret, status: 404},
		{name: "a workspace of others", path: "/ui/w/secret/jobs/" + jobSecret, status: 404, want: []string{"Page not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := jobsGet(t, tokReader, tt.path, tt.status)
			check(t, body, tt.want, tt.avoid)
		})
	}
}

// denyJobs refuses job.read and passes everything else to the world.
type denyJobs struct{ *world }

func (d denyJobs) Authorize(ctx context.Context, p lathe.Principal, ws, action string) (*lathe.Workspace, lathe.Role, error) {
	if action == web.ActionJobRead {
		return nil, "", lathe.Errorf(lathe.EFORBIDDEN, "%s may not read jobs in %s", p.UserName, ws)
	}
	return d.world.Authorize(ctx, p, ws, action)
}

func TestJobRoutesNeedJobRead(t *testing.T) {
	t.Parallel()
	w := newWorld(0)
	j := newFakeJobs(w.now)
	s, err := web.New(web.Options{Sessions: w, Authorizer: denyJobs{w}, Workspaces: w, Accounts: w, Roles: w, Audit: w, Data: w, Jobs: j, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	c.signIn(tokReader)
	for _, p := range []string{"/ui/w/default/jobs", "/ui/w/default/jobs/" + jobDone, "/ui/w/default/jobs/" + jobDone + "/logs/stream"} {
		res, body := c.get(p)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "may not read jobs") {
			t.Errorf("GET %s: %d, want 403\n%s", p, res.StatusCode, body)
		}
	}
	// Signed out: the stream sends the browser to sign in, like every page.
	res, _ := newClient(t, srv).get("/ui/w/default/jobs/" + jobDone + "/logs/stream")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/ui/signin") {
		t.Errorf("signed out: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.calls["Jobs"]+j.calls["Logs"] != 0 {
		t.Errorf("a refused request reached the jobs service: %v", j.calls)
	}
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	ID, Event string
	Data      json.RawMessage
}

// openStream starts reading a job's log stream; events arrive on the
// channel, which is closed when the stream ends.
func openStream(t *testing.T, c *client, path string, header ...string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan sseEvent, 100)
	go func() {
		defer close(ch)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = json.RawMessage(line[6:])
			}
		}
	}()
	return res, ch
}

// collect reads events until the stream ends.
func collect(ch <-chan sseEvent) (lines []lathe.LogLine, kinds []string, last sseEvent) {
	for ev := range ch {
		kinds = append(kinds, ev.Event)
		if ev.Event == "line" {
			var l lathe.LogLine
			_ = json.Unmarshal(ev.Data, &l)
			lines = append(lines, l)
		}
		last = ev
	}
	return lines, kinds, last
}

func TestJobLogStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, job, query string
		header           []string
		status           int
		first, n         int64 // the first line sent and how many
		kinds            []string
		end              string // the status of the end event
	}{
		{name: "whole log", job: jobUserFail, status: 200, first: 1, n: 2, kinds: []string{"line", "line", "status", "end"}, end: lathe.JobFailed},
		{name: "after a line", job: jobDone, query: "after=40", status: 200, first: 41, n: 2, kinds: []string{"line", "line", "status", "end"}, end: lathe.JobCompleted},
		{name: "nothing left", job: jobDone, query: "after=42", status: 200, kinds: []string{"status", "end"}, end: lathe.JobCompleted},
		{name: "resumed by the browser", job: jobDone, query: "after=3", header: []string{"Last-Event-ID", "41"}, status: 200, first: 42, n: 1,
			kinds: []string{"line", "status", "end"}, end: lathe.JobCompleted},
		{name: "a long backlog is skipped", job: jobLongLog, status: 200, first: longLogSize - 5000 + 1, n: 5000, end: lathe.JobCompleted},
		{name: "bad after", job: jobDone, query: "after=-1", status: 400},
		{name: "after not a number", job: jobDone, query: "after=x", status: 400},
		{name: "unknown job", job: "nope", status: 404},
		{name: "malformed job", job: "-x", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, srv := jobsSetup(t, nil)
			c := newClient(t, srv)
			c.signIn(tokReader)
			res, ch := openStream(t, c, "/ui/w/default/jobs/"+tt.job+"/logs/stream?"+tt.query, tt.header...)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("Content-Type %q", ct)
			}
			lines, kinds, last := collect(ch)
			if int64(len(lines)) != tt.n {
				t.Fatalf("%d lines, want %d (events %v)", len(lines), tt.n, kinds[:min(len(kinds), 10)])
			}
			for i, l := range lines {
				if l.N != tt.first+int64(i) {
					t.Fatalf("line %d is number %d, want %d", i, l.N, tt.first+int64(i))
				}
			}
			if tt.kinds != nil && strings.Join(kinds, ",") != strings.Join(tt.kinds, ",") {
				t.Errorf("events %v, want %v", kinds, tt.kinds)
			}
			if tt.first > 1 && tt.query == "" && tt.header == nil && kinds[0] != "skipped" {
				t.Errorf("the first event is %q, want skipped", kinds[0])
			}
			var st struct{ Status, Tone string }
			if err := json.Unmarshal(last.Data, &st); last.Event != "end" || err != nil || st.Status != tt.end || st.Tone == "" {
				t.Errorf("the last event is %s %s, want end with status %s", last.Event, last.Data, tt.end)
			}
		})
	}
}

func TestJobLogStreamFollows(t *testing.T) {
	t.Parallel()
	_, j, srv := jobsSetup(t, nil)
	c := newClient(t, srv)
	c.signIn(tokReader)
	res, ch := openStream(t, c, "/ui/w/default/jobs/"+jobRunning+"/logs/stream?after=4")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	next := func(want string) sseEvent {
		t.Helper()
		select {
		case ev, ok := <-ch:
			if !ok || ev.Event != want {
				t.Fatalf("got %q (open %v), want a %s event", ev.Event, ok, want)
			}
			return ev
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event within 5s", want)
		}
		return sseEvent{}
	}
	if ev := next("line"); ev.ID != "5" {
		t.Errorf("first line has id %s, want 5", ev.ID)
	}
	next("status")
	// New lines arrive as the job writes them, without waiting for a poll.
	for i := 2; i <= 4; i++ {
		start := time.Now()
		j.appendLog("ws-default", jobRunning, lathe.StreamStdout, fmt.Sprintf("epoch %d/5", i))
		ev := next("line")
		var l lathe.LogLine
		if err := json.Unmarshal(ev.Data, &l); err != nil || l.Text != fmt.Sprintf("epoch %d/5", i) || l.N != int64(4+i) {
			t.Errorf("line %s, want epoch %d/5 as line %d", ev.Data, i, 4+i)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("a new line took %v to arrive", d)
		}
	}
	j.appendLog("ws-default", jobRunning, lathe.StreamSystem, "the command exited with code 0")
	j.finish("ws-default", jobRunning, lathe.JobCompleted, 0)
	_, kinds, last := collect(ch)
	if strings.Join(kinds, ",") != "line,status,end" {
		t.Errorf("after the job ended: events %v, want line, status, end", kinds)
	}
	if !strings.Contains(string(last.Data), `"status":"completed"`) {
		t.Errorf("end event %s", last.Data)
	}
}
