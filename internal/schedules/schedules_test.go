package schedules_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/schedules"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/sqlite"
)

// clock is a time the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(s string)   { c.mu.Lock(); defer c.mu.Unlock(); c.t = at(s) }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fakeJobs records submissions; fail makes the next ones fail.
type fakeJobs struct {
	mu   sync.Mutex
	reqs []jobs.SubmitRequest
	as   []lathe.Principal
	fail error
	sent chan struct{}
}

func (f *fakeJobs) Submit(_ context.Context, ws *lathe.Workspace, p lathe.Principal, req jobs.SubmitRequest) (*lathe.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.reqs = append(f.reqs, req)
	f.as = append(f.as, p)
	if f.sent != nil {
		f.sent <- struct{}{}
	}
	return &lathe.Job{Name: "job-" + string(rune('a'+len(f.reqs)-1)), Workspace: ws.Name}, nil
}

func (f *fakeJobs) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.reqs) }

// authz lets everyone but the users in deny submit.
type authz struct {
	ws   *lathe.Workspace
	deny map[string]bool
}

func (a authz) Authorize(_ context.Context, p lathe.Principal, workspace, action string) (*lathe.Workspace, lathe.Role, error) {
	if a.deny[p.UserName] || workspace != a.ws.Name || action != lathe.ActJobWrite {
		return nil, "", lathe.Errorf(lathe.EFORBIDDEN, "%s holds no role in %s", p.UserName, workspace)
	}
	return a.ws, lathe.RoleDataScientist, nil
}

type env struct {
	db    *store.DB
	ws    *lathe.Workspace
	clock *clock
	jobs  *fakeJobs
	authz authz
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lathe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ws := &lathe.Workspace{ID: lathe.NewID(), Name: "ws", CreatedAt: at("2026-01-01T00:00:00Z")}
	if err := db.CreateWorkspace(t.Context(), ws); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, ws: ws, clock: &clock{}, jobs: &fakeJobs{}, authz: authz{ws: ws, deny: map[string]bool{}}}
	e.clock.Set("2026-01-05T10:01:00Z")
	return e
}

// service is one server's schedules service over the env's store; a new
// one stands for a restarted server.
func (e *env) service(after func(time.Duration) <-chan time.Time) *schedules.Service {
	return schedules.New(schedules.Options{Store: e.db, Authorizer: e.authz, Now: e.clock.Now, After: after,
		Submitters: map[string]schedules.Submitter{lathe.ScheduleCommand: schedules.Commands{Jobs: e.jobs}}})
}

var ann = lathe.Principal{UserID: "u-ann", UserName: "ann"}

const spec = `{"command":"python train.py --data ${{inputs.train}}","inputs":{"train":{"type":"uri_folder","path":"azureml:bank:1"}},"resources":{}}`

func (e *env) create(t *testing.T, s *schedules.Service, name string, tr lathe.ScheduleTrigger, disabled bool) *lathe.Schedule {
	t.Helper()
	sc, err := s.Create(t.Context(), e.ws, ann, schedules.ScheduleRequest{Name: name, Spec: json.RawMessage(spec), Trigger: tr, Disabled: disabled})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return sc
}

func (e *env) get(t *testing.T, name string) *lathe.Schedule {
	t.Helper()
	sc, err := e.db.Schedule(t.Context(), e.ws.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func (e *env) addData(t *testing.T, name, version, created string) {
	t.Helper()
	v := &lathe.DataVersion{WorkspaceID: e.ws.ID, Name: name, Version: version, Type: lathe.DataURIFolder,
		Path: "azureml://datastores/workspaceblobstore/paths/x/", Datastore: "workspaceblobstore", DatastorePath: "x/",
		Digest: lathe.Digest("sha256:" + strings.Repeat("0", 64)), CreatedAt: at(created), CreatedBy: "ann"}
	if err := e.db.CreateDataVersion(t.Context(), v, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func wantTime(t *testing.T, what string, got *time.Time, want string) {
	t.Helper()
	if want == "" {
		if got != nil {
			t.Fatalf("%s = %s, want none", what, got)
		}
		return
	}
	if got == nil || !got.Equal(at(want)) {
		t.Fatalf("%s = %v, want %s", what, got, want)
	}
}

func TestCronFiresOnTheTestClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.service(nil)
	sc := e.create(t, s, "every-5", lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "*/5 * * * *"}, false)
	wantTime(t, "next after create", sc.NextFireAt, "2026-01-05T10:05:00Z")
	if len(sc.Upcoming) != schedules.Upcoming || !sc.Upcoming[4].Equal(at("2026-01-05T10:25:00Z")) {
		t.Fatalf("upcoming = %v", sc.Upcoming)
	}

	e.clock.Set("2026-01-05T10:04:59Z")
	if wait := s.Tick(t.Context()); wait != time.Second {
		t.Fatalf("Tick before the time: wait %s, want 1s", wait)
	}
	if n := e.jobs.count(); n != 0 {
		t.Fatalf("fired %d jobs before the time", n)
	}
	e.clock.Set("2026-01-05T10:05:00Z")
	s.Tick(t.Context())
	s.Tick(t.Context())
	if n := e.jobs.count(); n != 1 {
		t.Fatalf("fired %d jobs at the time, want 1", n)
	}
	got := e.get(t, "every-5")
	wantTime(t, "next", got.NextFireAt, "2026-01-05T10:10:00Z")
	wantTime(t, "last fired", got.LastFiredAt, "2026-01-05T10:05:00Z")
	if got.LastJob != "job-a" || got.LastError != "" {
		t.Fatalf("last job %q error %q", got.LastJob, got.LastError)
	}
	req, as := e.jobs.reqs[0], e.jobs.as[0]
	if as != ann || req.Spec.Tags[schedules.TagSchedule] != "every-5" || req.Spec.Inputs["train"].Path != "azureml:bank:1" {
		t.Fatalf("submitted %+v as %+v", req.Spec, as)
	}
}

func TestRunLoopWakesOnItsTimer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.jobs.sent = make(chan struct{}, 4)
	timer := make(chan time.Time)
	waits := make(chan time.Duration, 16)
	s := e.service(func(d time.Duration) <-chan time.Time { waits <- d; return timer })
	e.create(t, s, "hourly", lathe.ScheduleTrigger{Type: lathe.TriggerRecurrence, Frequency: "hour", Interval: 1}, false)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-waits // the first look fired nothing and went to sleep
	if n := e.jobs.count(); n != 0 {
		t.Fatalf("fired %d jobs early", n)
	}
	e.clock.Set("2026-01-05T11:01:00Z")
	timer <- time.Time{}
	select {
	case <-e.jobs.sent:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not fire when its timer went off")
	}
	<-waits
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantTime(t, "next", e.get(t, "hourly").NextFireAt, "2026-01-05T12:01:00Z")
}

func TestDisabledDoesNotFire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.service(nil)
	sc := e.create(t, s, "off", lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "* * * * *"}, true)
	if sc.Enabled || sc.NextFireAt != nil || len(sc.Upcoming) != 0 {
		t.Fatalf("created disabled: %+v", sc)
	}
	e.clock.Set("2026-01-05T12:00:00Z")
	s.Tick(t.Context())
	if n := e.jobs.count(); n != 0 {
		t.Fatalf("a disabled schedule fired %d jobs", n)
	}
	// Enabling starts from now: the hours it was off do not fire.
	on, err := s.SetEnabled(t.Context(), e.ws.ID, "off", true)
	if err != nil {
		t.Fatal(err)
	}
	wantTime(t, "next after enable", on.NextFireAt, "2026-01-05T12:01:00Z")
	s.Tick(t.Context())
	if n := e.jobs.count(); n != 0 {
		t.Fatalf("enabling fired %d jobs at once", n)
	}
	e.clock.Set("2026-01-05T12:01:00Z")
	if _, err := s.SetEnabled(t.Context(), e.ws.ID, "off", false); err != nil {
		t.Fatal(err)
	}
	s.Tick(t.Context())
	if n := e.jobs.count(); n != 0 {
		t.Fatalf("a schedule disabled at its time fired %d jobs", n)
	}
	wantTime(t, "next when disabled", e.get(t, "off").NextFireAt, "")
}

func TestMissedRunsFireOnceAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.service(nil)
	e.create(t, first, "nightly", lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "0 2 * * *"}, false)
	e.create(t, first, "future", lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "0 2 * * *", StartTime: "2026-02-01T00:00:00"}, false)
	// The server is down from 10:01 on the 5th to 15:30 on the 8th: three
	// nightly runs (6th, 7th, 8th) are missed.
	e.clock.Set("2026-01-08T15:30:00Z")
	restarted := e.service(nil)
	restarted.Tick(t.Context())
	restarted.Tick(t.Context())
	if n := e.jobs.count(); n != 1 {
		t.Fatalf("after the restart %d jobs fired, want 1 (no back-fill)", n)
	}
	got := e.get(t, "nightly")
	wantTime(t, "next", got.NextFireAt, "2026-01-09T02:00:00Z")
	wantTime(t, "last fired", got.LastFiredAt, "2026-01-08T15:30:00Z")
	wantTime(t, "not started yet", e.get(t, "future").NextFireAt, "2026-02-01T02:00:00Z")
	e.clock.Set("2026-01-09T02:00:00Z")
	restarted.Tick(t.Context())
	if n := e.jobs.count(); n != 2 {
		t.Fatalf("the next night fired %d jobs in all, want 2", n)
	}
}

func TestDataTriggerPassesTheNewVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.service(nil)
	e.addData(t, "bank", "1", "2026-01-01T00:00:00Z")
	sc := e.create(t, s, "on-bank", lathe.ScheduleTrigger{Type: lathe.TriggerData, Data: "bank", Input: "train"}, false)
	if sc.LastDataVersion != "1" || sc.NextFireAt != nil {
		t.Fatalf("created: baseline %q next %v", sc.LastDataVersion, sc.NextFireAt)
	}
	s.Tick(t.Context())
	if n := e.jobs.count(); n != 0 {
		t.Fatalf("the existing version fired %d jobs", n)
	}
	e.addData(t, "bank", "2", "2026-01-05T10:02:00Z")
	s.Tick(t.Context())
	s.Tick(t.Context())
	if n := e.jobs.count(); n != 1 {
		t.Fatalf("a new version fired %d jobs, want 1", n)
	}
	if in := e.jobs.reqs[0].Spec.Inputs["train"]; in.Path != "azureml:bank:2" || in.Type != lathe.DataURIFolder {
		t.Fatalf("input train = %+v, want azureml:bank:2", in)
	}
	got := e.get(t, "on-bank")
	if got.LastDataVersion != "2" || got.LastJob != "job-a" {
		t.Fatalf("after firing: version %q job %q", got.LastDataVersion, got.LastJob)
	}

	// Versions made while it is disabled do not fire, on enable either.
	if _, err := s.SetEnabled(t.Context(), e.ws.ID, "on-bank", false); err != nil {
		t.Fatal(err)
	}
	e.addData(t, "bank", "3", "2026-01-05T10:03:00Z")
	s.Tick(t.Context())
	if _, err := s.SetEnabled(t.Context(), e.ws.ID, "on-bank", true); err != nil {
		t.Fatal(err)
	}
	s.Tick(t.Context())
	if n := e.jobs.count(); n != 1 {
		t.Fatalf("versions made while disabled fired: %d jobs", n)
	}
	// An asset with no version yet fires on its first.
	e.create(t, s, "on-new", lathe.ScheduleTrigger{Type: lathe.TriggerData, Data: "fresh", Input: "train"}, false)
	e.addData(t, "fresh", "1", "2026-01-05T10:04:00Z")
	s.Tick(t.Context())
	if n := e.jobs.count(); n != 2 || e.jobs.reqs[1].Spec.Inputs["train"].Path != "azureml:fresh:1" {
		t.Fatalf("first version of a new asset: %d jobs", n)
	}
}

func TestFailedFiringsSayWhy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.service(nil)
	e.create(t, s, "denied", lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "* * * * *"}, false)
	e.authz.deny["ann"] = true
	s = e.service(nil)
	e.clock.Set("2026-01-05T10:02:00Z")
	s.Tick(t.Context())
	got := e.get(t, "denied")
	if e.jobs.count() != 0 || !strings.Contains(got.LastError, "ann, who created the schedule, may no longer submit jobs") {
		t.Fatalf("last error %q", got.LastError)
	}
	wantTime(t, "next after a failure", got.NextFireAt, "2026-01-05T10:03:00Z")

	delete(e.authz.deny, "ann")
	e.jobs.fail = lathe.Errorf(lathe.ENOTFOUND, "compute gpu not found")
	e.clock.Set("2026-01-05T10:03:00Z")
	s.Tick(t.Context())
	if got := e.get(t, "denied"); !strings.Contains(got.LastError, "compute gpu not found") || got.LastJob != "" {
		t.Fatalf("last error %q job %q", got.LastError, got.LastJob)
	}
}

func TestCreateRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.service(nil)
	cron := lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "0 * * * *"}
	tests := []struct {
		name    string
		req     schedules.ScheduleRequest
		code    string
		mention string
	}{
		{"bad name", schedules.ScheduleRequest{Name: "a b", Spec: json.RawMessage(spec), Trigger: cron}, lathe.EINVALID, "schedule"},
		{"bad cron", schedules.ScheduleRequest{Name: "x", Spec: json.RawMessage(spec), Trigger: lathe.ScheduleTrigger{Type: "cron", Expression: "61 * * * *"}}, lathe.EINVALID, "minute"},
		{"unknown zone", schedules.ScheduleRequest{Name: "x", Spec: json.RawMessage(spec), Trigger: lathe.ScheduleTrigger{Type: "cron", Expression: "0 * * * *", TimeZone: "Moon Time"}}, lathe.EINVALID, "Moon Time"},
		{"no job", schedules.ScheduleRequest{Name: "x", Trigger: cron}, lathe.EINVALID, "create_job"},
		{"bad job", schedules.ScheduleRequest{Name: "x", Spec: json.RawMessage(`{"command":""}`), Trigger: cron}, lathe.EINVALID, "command is empty"},
		{"unknown kind", schedules.ScheduleRequest{Name: "x", Kind: "sweep", Spec: json.RawMessage(spec), Trigger: cron}, lathe.EUNSUPPORTED, "sweep"},
		{"data trigger without input", schedules.ScheduleRequest{Name: "x", Spec: json.RawMessage(spec), Trigger: lathe.ScheduleTrigger{Type: "data", Data: "bank"}}, lathe.EINVALID, "names no input"},
		{"data trigger on an undeclared input", schedules.ScheduleRequest{Name: "x", Spec: json.RawMessage(spec), Trigger: lathe.ScheduleTrigger{Type: "data", Data: "bank", Input: "eval"}}, lathe.EINVALID, `"eval" is not an input`},
		{"data trigger with a cron", schedules.ScheduleRequest{Name: "x", Spec: json.RawMessage(spec), Trigger: lathe.ScheduleTrigger{Type: "data", Data: "bank", Input: "train", Expression: "* * * * *"}}, lathe.EINVALID, "remove the cron"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := s.Create(t.Context(), e.ws, ann, tc.req)
			if lathe.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Create = %v; want %s mentioning %q", err, tc.code, tc.mention)
			}
		})
	}
	e.create(t, s, "taken", cron, false)
	if _, err := s.Create(t.Context(), e.ws, ann, schedules.ScheduleRequest{Name: "taken", Spec: json.RawMessage(spec), Trigger: cron}); lathe.ErrorCode(err) != lathe.ECONFLICT {
		t.Fatalf("duplicate name: %v", err)
	}
	if err := s.Delete(t.Context(), e.ws.ID, "taken"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(t.Context(), e.ws.ID, "taken"); lathe.ErrorCode(err) != lathe.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
}
