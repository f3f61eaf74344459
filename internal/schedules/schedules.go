// Package schedules keeps schedules and fires them: cron and recurrence
// triggers at their times, data triggers when a new version of a data
// asset appears. A firing submits the schedule's job through the Submitter
// registered for its kind (command jobs today; pipeline jobs plug in the
// same way), acting as the user who created the schedule.
//
// # Firing
//
// Each firing is claimed in the store before its job is submitted: the
// schedule's next fire time (or data version) moves on only if it still
// stands where this server read it, so two servers on one database, or a
// firing racing an edit, submit at most once. A crash between the claim
// and the submission loses that one firing (at most once, never twice);
// the schedule's last_error says when a submission failed.
//
// # Runs missed while the server was down
//
// Lathe does not back-fill. When the server starts (or the loop wakes up
// late) a schedule whose next fire time has passed fires once, for the
// latest missed time, and its next fire time is then computed from now:
// a nightly schedule after a three-day outage runs once at start and then
// the next night, as Azure ML does.
//
// # Data triggers
//
// A data trigger names a data asset and a job input. The loop polls the
// asset's latest version every DataPoll (default 5 s); when it differs from
// the version the schedule last saw, the job is submitted with that input
// set to azureml:<asset>:<version>. Versions created while the schedule is
// disabled, or between two polls, do not fire one by one: only the latest
// fires. Creating or enabling a schedule takes the current latest version
// as seen, so only versions created afterwards fire.
package schedules

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/schedule"
	"github.com/latheml/lathe/internal/store"
)

// Store is what schedules need from the metadata store.
type Store interface {
	CreateSchedule(ctx context.Context, s *lathe.Schedule) error
	Schedule(ctx context.Context, ws, name string) (*lathe.Schedule, error)
	ListSchedules(ctx context.Context, ws string) ([]*lathe.Schedule, error)
	DueSchedules(ctx context.Context, now time.Time, limit int) ([]*lathe.Schedule, error)
	NextFireTime(ctx context.Context) (*time.Time, error)
	DataSchedules(ctx context.Context) ([]*lathe.Schedule, error)
	SetScheduleState(ctx context.Context, ws, name string, st store.ScheduleState) (*lathe.Schedule, error)
	ClaimScheduleFire(ctx context.Context, id string, c store.ScheduleClaim) (bool, error)
	RecordScheduleJob(ctx context.Context, id, job, failure string, at time.Time) error
	DeleteSchedule(ctx context.Context, ws, name string) error
	LatestDataVersion(ctx context.Context, ws, name string) (*lathe.DataVersion, error)
}

// Authorizer decides, at each firing, whether the schedule's creator may
// still submit jobs in its workspace, and returns the workspace.
type Authorizer interface {
	Authorize(ctx context.Context, p lathe.Principal, workspace, action string) (*lathe.Workspace, lathe.Role, error)
}

// Firing is one submission a schedule makes.
type Firing struct {
	Schedule *lathe.Schedule
	// At is the fire time this firing stands for (the data version's
	// discovery time for data triggers).
	At time.Time
	// DataVersion is the version a data trigger fired for ("" otherwise):
	// it is passed as the trigger's input, azureml:<data>:<version>.
	DataVersion string
}

// Submitter submits the job of one kind of schedule (lathe.ScheduleCommand
// and, later, pipelines).
type Submitter interface {
	// Check validates a schedule's spec and trigger at create, so a
	// schedule that could never submit is refused then.
	Check(spec json.RawMessage, t lathe.ScheduleTrigger) error
	// Submit submits the job of a firing as p and returns its name.
	Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, f Firing) (job string, err error)
}

// Options configure the service.
type Options struct {
	Store      Store
	Authorizer Authorizer
	// Submitters submit jobs, by schedule kind.
	Submitters map[string]Submitter
	// Zones loads IANA time zones (default time.LoadLocation).
	Zones schedule.Loader
	Now   func() time.Time
	// After is the loop's timer (default time.After); tests replace it.
	After func(d time.Duration) <-chan time.Time
	// DataPoll is how often data triggers look for new versions (default
	// 5s); it also bounds how long the loop sleeps.
	DataPoll time.Duration
	Logger   *slog.Logger
}

// Service keeps and fires schedules.
type Service struct {
	o    Options
	kick chan struct{}
}

// minWait is the shortest sleep of the loop.
const minWait = 50 * time.Millisecond

// Upcoming is how many next fire times List and Get fill in.
const Upcoming = 5

// New returns the service; Run fires schedules.
func New(o Options) *Service {
	if o.Zones == nil {
		o.Zones = time.LoadLocation
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.DataPoll <= 0 {
		o.DataPoll = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{o: o, kick: make(chan struct{}, 1)}
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

// wake makes the loop look again (a schedule was created or enabled).
func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// plan compiles a cron or recurrence schedule's trigger.
func (s *Service) plan(sc *lathe.Schedule) (*schedule.Plan, error) {
	return schedule.Compile(sc.Trigger, sc.CreatedAt, s.o.Zones)
}

// withUpcoming fills in a schedule's next fire times.
func (s *Service) withUpcoming(sc *lathe.Schedule) *lathe.Schedule {
	if !sc.Enabled || sc.Trigger.Type == lathe.TriggerData {
		return sc
	}
	p, err := s.plan(sc)
	if err != nil {
		return sc
	}
	if sc.NextFireAt != nil {
		sc.Upcoming = append([]time.Time{*sc.NextFireAt}, p.NextN(*sc.NextFireAt, Upcoming-1)...)
	}
	return sc
}

// Run fires schedules until ctx ends: due cron and recurrence schedules at
// their times, data triggers on new versions. It wakes at the earliest
// next fire time, after DataPoll at most, or when a schedule is created or
// enabled.
func (s *Service) Run(ctx context.Context) error {
	for {
		wait := s.Tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
		case <-s.o.After(wait):
		}
	}
}

// Tick fires what is due now once and returns how long the loop may sleep
// before the next look.
func (s *Service) Tick(ctx context.Context) time.Duration {
	s.fireDue(ctx)
	s.pollData(ctx)
	wait := s.o.DataPoll
	next, err := s.o.Store.NextFireTime(ctx)
	if err != nil {
		s.o.Logger.Warn("schedules: next fire time", "error", err)
		return wait
	}
	if next != nil {
		if d := next.Sub(s.o.Now()); d < wait {
			// Not below a floor: a firing that keeps failing must not spin.
			wait = max(d, minWait)
		}
	}
	return wait
}
