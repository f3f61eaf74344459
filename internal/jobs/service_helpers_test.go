package jobs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/compute"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/sqlite"
)

// fakeTask is one start recorded by fakeBackend.
type fakeTask struct {
	task    compute.Task
	handle  compute.Handle
	done    chan struct{}
	exit    compute.Exit
	stopped atomic.Int32
}

// fakeBackend records starts; the test ends tasks with chosen exits.
type fakeBackend struct {
	capa compute.Resources
	// stopEnds makes Stop end the task (as a killed process would).
	stopEnds bool
	// alive, when set, answers Alive for handles this backend did not start.
	alive func(h compute.Handle) bool

	mu     sync.Mutex
	tasks  map[compute.Handle]*fakeTask
	starts []*fakeTask
	stops  []compute.Handle
	notify chan *fakeTask
}

func newFakeBackend(cpus int64) *fakeBackend {
	return &fakeBackend{capa: compute.Resources{CPUMilli: cpus * 1000}, stopEnds: true,
		tasks: map[compute.Handle]*fakeTask{}, notify: make(chan *fakeTask, 1000)}
}

func (b *fakeBackend) Type() string                { return lathe.ComputeLocal }
func (b *fakeBackend) Capacity() compute.Resources { return b.capa }

func (b *fakeBackend) Start(_ context.Context, t compute.Task) (compute.Handle, error) {
	ft := &fakeTask{task: t, handle: compute.Handle(fmt.Sprintf("fake:%s:%d", t.JobID, t.Attempt)), done: make(chan struct{})}
	b.mu.Lock()
	b.tasks[ft.handle] = ft
	b.starts = append(b.starts, ft)
	b.mu.Unlock()
	b.notify <- ft
	return ft.handle, nil
}

// task returns (and creates, for a handle another backend started) a task.
func (b *fakeBackend) task(h compute.Handle) *fakeTask {
	b.mu.Lock()
	defer b.mu.Unlock()
	ft := b.tasks[h]
	if ft == nil {
		ft = &fakeTask{handle: h, done: make(chan struct{})}
		b.tasks[h] = ft
	}
	return ft
}

// end ends a task with an exit (once).
func (b *fakeBackend) end(h compute.Handle, e compute.Exit) {
	ft := b.task(h)
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-ft.done:
	default:
		ft.exit = e
		close(ft.done)
	}
}

func (b *fakeBackend) Wait(ctx context.Context, h compute.Handle) (compute.Exit, error) {
	ft := b.task(h)
	select {
	case <-ft.done:
		return ft.exit, nil
	case <-ctx.Done():
		return compute.Exit{}, ctx.Err()
	}
}

func (b *fakeBackend) Stop(_ context.Context, h compute.Handle, _ time.Duration) error {
	b.mu.Lock()
	b.stops = append(b.stops, h)
	b.mu.Unlock()
	b.task(h).stopped.Add(1)
	if b.stopEnds {
		b.end(h, compute.Exit{Code: -1, Detail: "killed by signal terminated"})
	}
	return nil
}

func (b *fakeBackend) Alive(_ context.Context, h compute.Handle) (bool, error) {
	b.mu.Lock()
	ft, own := b.tasks[h]
	alive := b.alive
	b.mu.Unlock()
	if !own && alive != nil {
		return alive(h), nil
	}
	if ft == nil {
		return false, nil
	}
	select {
	case <-ft.done:
		return false, nil
	default:
		return true, nil
	}
}

// nextStart waits for the next Start.
func (b *fakeBackend) nextStart(t *testing.T) *fakeTask {
	t.Helper()
	select {
	case ft := <-b.notify:
		return ft
	case <-time.After(10 * time.Second):
		t.Fatal("no task was started")
		return nil
	}
}

// noStart checks that nothing starts for a while.
func (b *fakeBackend) noStart(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ft := <-b.notify:
		t.Fatalf("job %s was started (attempt %d), want no start", ft.task.JobName, ft.task.Attempt)
	case <-time.After(d):
	}
}

func (b *fakeBackend) stopCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.stops)
}

// fakeData holds data versions by workspace ID.
type fakeData struct {
	mu       sync.Mutex
	versions map[string]*lathe.DataVersion // ws/name:version
}

func (d *fakeData) Version(_ context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v := d.versions[ws+"/"+ref.Name+":"+ref.Version]; v != nil {
		return v, nil
	}
	return nil, lathe.Errorf(lathe.ENOTFOUND, "data %s:%s not found", ref.Name, ref.Version)
}

func (d *fakeData) CreateVersion(_ context.Context, ws, _, name string, spec data.VersionSpec) (*lathe.DataVersion, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ver := spec.Version
	if ver == "" {
		ver = "1"
	}
	v := &lathe.DataVersion{WorkspaceID: ws, Name: name, Version: ver, Type: spec.Type, Tags: spec.Tags}
	d.versions[ws+"/"+name+":"+ver] = v
	return v, nil
}

// fakeTracker records run status changes.
type fakeTracker struct {
	mu       sync.Mutex
	n        int
	statuses map[string][]string // by run ID
}

func (f *fakeTracker) StartRun(_ context.Context, _ string, _ RunStart) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return "0", fmt.Sprintf("run%d", f.n), nil
}

func (f *fakeTracker) SetRunStatus(_ context.Context, _, runID, status string, _ *time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses[runID] = append(f.statuses[runID], status)
	return nil
}

// waitLast waits (up to 5 s) for a run's latest status to be want and
// returns the latest status seen: the run is ended just after the job's
// terminal status is stored, so a reader can see the job end first.
func (f *fakeTracker) waitLast(runID, want string) string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := f.last(runID)
		if s == want || time.Now().After(deadline) {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fakeTracker) last(runID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.statuses[runID]
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

type fakeTokens struct{}

func (fakeTokens) Hash(secret string) string { return "hash:" + secret }

// env is a service over a temporary SQLite store with two workspaces.
type env struct {
	t       *testing.T
	db      *store.DB
	path    string
	svc     *Service
	b       *fakeBackend
	data    *fakeData
	tracker *fakeTracker
	ws      *lathe.Workspace
	other   *lathe.Workspace
	user    lathe.Principal
	cancel  context.CancelFunc
	stopped chan struct{}
}

type envOpt func(*Options)

func newEnv(t *testing.T, cpus int64, opts ...envOpt) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lathe.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	e := &env{t: t, db: db, path: path, b: newFakeBackend(cpus), data: &fakeData{versions: map[string]*lathe.DataVersion{}},
		tracker: &fakeTracker{statuses: map[string][]string{}}}
	u := &lathe.User{ID: lathe.NewID(), Name: "ada", CreatedAt: now}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	e.user = lathe.Principal{UserID: u.ID, UserName: u.Name}
	for _, w := range []**lathe.Workspace{&e.ws, &e.other} {
		ws := &lathe.Workspace{ID: lathe.NewID(), Name: "ws" + fmt.Sprint(len(e.data.versions)) + strings.ToLower(lathe.NewID()[:6]), CreatedAt: now}
		if err := db.CreateWorkspace(ctx, ws); err != nil {
			t.Fatal(err)
		}
		*w = ws
	}
	e.svc = e.service(e.b, opts...)
	return e
}

// service builds a Service on e's store (as a restarted server would).
func (e *env) service(b compute.Backend, opts ...envOpt) *Service {
	o := Options{Store: e.db, Data: e.data, Tracker: e.tracker, Tokens: fakeTokens{},
		Backends: map[string]compute.Backend{lathe.ComputeLocal: b}, ServerURL: "http://lathe.test", Holder: "test-holder",
		KillGrace: 50 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	return New(o)
}

// run starts svc's controller until the test ends (or stop is called).
func (e *env) run(svc *Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.Run(ctx); err != nil {
			e.t.Errorf("Run: %v", err)
		}
	}()
	e.cancel, e.stopped = cancel, done
	e.t.Cleanup(func() { cancel(); <-done })
}

// stop ends the running controller (a server stopping).
func (e *env) stop() {
	e.cancel()
	<-e.stopped
}

func (e *env) submit(ws *lathe.Workspace, sp lathe.JobSpec) *lathe.Job {
	e.t.Helper()
	j, err := e.svc.Submit(context.Background(), ws, e.user, SubmitRequest{Spec: sp})
	if err != nil {
		e.t.Fatalf("Submit: %v", err)
	}
	return j
}

// job reads a job from the store.
func (e *env) job(id string) *lathe.Job {
	e.t.Helper()
	j, err := e.db.JobByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// waitStatus waits until the job has the status (and returns it).
func (e *env) waitStatus(id string, status string) *lathe.Job {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j := e.job(id)
		if j.Status == status {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s is %s (%s), want %s", j.Name, j.Status, j.Reason, status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wrapper is the principal of a job's current wrapper.
func (e *env) wrapper(id string) lathe.Principal {
	j := e.job(id)
	return lathe.Principal{UserID: j.CreatedByID, UserName: j.CreatedBy, TokenID: j.TokenID}
}

func intp(i int) *int { return &i }

func hostSpec(cmd string) lathe.JobSpec { return lathe.JobSpec{Command: cmd} }
