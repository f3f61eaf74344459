package schedules

import (
	"context"
	"fmt"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

// batch bounds the due schedules read at once.
const batch = 100

// fireDue fires every cron and recurrence schedule whose time has come.
func (s *Service) fireDue(ctx context.Context) {
	now := s.now()
	due, err := s.o.Store.DueSchedules(ctx, now, batch)
	if err != nil {
		s.o.Logger.Warn("schedules: list due", "error", err)
		return
	}
	for _, sc := range due {
		if ctx.Err() != nil {
			return
		}
		s.fireTimed(ctx, sc, now)
	}
}

// fireTimed fires a due schedule once, whatever number of fire times it
// missed, and moves it to its first fire time after now.
func (s *Service) fireTimed(ctx context.Context, sc *lathe.Schedule, now time.Time) {
	var next *time.Time
	if p, err := s.plan(sc); err != nil {
		// Only a time zone the server lost can fail here: stop the
		// schedule and say why.
		s.o.Logger.Warn("schedules: trigger no longer compiles", "workspace", sc.Workspace, "schedule", sc.Name, "error", err)
	} else if t, ok := p.Next(now); ok {
		next = &t
	}
	won, err := s.o.Store.ClaimScheduleFire(ctx, sc.ID, store.ScheduleClaim{FromNext: sc.NextFireAt, FromVersion: sc.LastDataVersion,
		Next: next, Version: sc.LastDataVersion, FiredAt: now})
	if err != nil {
		s.o.Logger.Warn("schedules: claim", "workspace", sc.Workspace, "schedule", sc.Name, "error", err)
		return
	}
	if !won {
		return
	}
	s.submit(ctx, sc, Firing{Schedule: sc, At: *sc.NextFireAt}, now)
}

// pollData fires data triggers whose asset has a new latest version.
func (s *Service) pollData(ctx context.Context) {
	list, err := s.o.Store.DataSchedules(ctx)
	if err != nil {
		s.o.Logger.Warn("schedules: list data triggers", "error", err)
		return
	}
	for _, sc := range list {
		if ctx.Err() != nil {
			return
		}
		v, err := s.o.Store.LatestDataVersion(ctx, sc.WorkspaceID, sc.Trigger.Data)
		if lathe.IsCode(err, lathe.ENOTFOUND) {
			continue
		}
		if err != nil {
			s.o.Logger.Warn("schedules: latest data version", "workspace", sc.Workspace, "schedule", sc.Name, "error", err)
			continue
		}
		if v.Version == sc.LastDataVersion {
			continue
		}
		now := s.now()
		won, err := s.o.Store.ClaimScheduleFire(ctx, sc.ID, store.ScheduleClaim{FromVersion: sc.LastDataVersion, Version: v.Version, FiredAt: now})
		if err != nil {
			s.o.Logger.Warn("schedules: claim", "workspace", sc.Workspace, "schedule", sc.Name, "error", err)
			continue
		}
		if won {
			s.submit(ctx, sc, Firing{Schedule: sc, At: now, DataVersion: v.Version}, now)
		}
	}
}

// submit submits a claimed firing's job as the schedule's creator and
// records the job, or why there is none.
func (s *Service) submit(ctx context.Context, sc *lathe.Schedule, f Firing, now time.Time) {
	job, err := s.submitAs(ctx, sc, f)
	msg := ""
	if err != nil {
		msg = lathe.ErrorMessage(err)
		s.o.Logger.Warn("schedules: submit", "workspace", sc.Workspace, "schedule", sc.Name, "error", err)
	} else {
		s.o.Logger.Info("schedule fired", "workspace", sc.Workspace, "schedule", sc.Name, "job", job, "data_version", f.DataVersion)
	}
	if err := s.o.Store.RecordScheduleJob(ctx, sc.ID, job, msg, now); err != nil {
		s.o.Logger.Warn("schedules: record job", "workspace", sc.Workspace, "schedule", sc.Name, "error", err)
	}
}

func (s *Service) submitAs(ctx context.Context, sc *lathe.Schedule, f Firing) (string, error) {
	sub, ok := s.o.Submitters[sc.Kind]
	if !ok {
		return "", lathe.Errorf(lathe.EUNSUPPORTED, "schedule %s submits %s jobs, which this server cannot run", sc.Name, sc.Kind)
	}
	p := lathe.Principal{UserID: sc.CreatedByID, UserName: sc.CreatedBy}
	ws, _, err := s.o.Authorizer.Authorize(ctx, p, sc.Workspace, lathe.ActJobWrite)
	if err != nil {
		return "", fmt.Errorf("%s, who created the schedule, may no longer submit jobs in workspace %s: %w", sc.CreatedBy, sc.Workspace, err)
	}
	return sub.Submit(ctx, ws, p, f)
}
