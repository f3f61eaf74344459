package schedules

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

// ScheduleRequest creates a schedule: Azure's schedule YAML with its
// create_job already resolved by the client (code uploaded, local inputs
// registered), as the job request Kind says.
type ScheduleRequest struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name,omitempty"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Kind says what Spec holds (default command: a JobSpec).
	Kind    string                `json:"kind,omitempty" doc:"command (default)"`
	Spec    any                   `json:"spec" doc:"the job each firing submits (a JobSpec for kind command)"`
	Trigger lathe.ScheduleTrigger `json:"trigger"`
	// Disabled creates the schedule disabled.
	Disabled bool `json:"disabled,omitempty"`
}

// Create validates and stores a schedule owned by p: its jobs are
// submitted as p.
func (s *Service) Create(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req ScheduleRequest) (*lathe.Schedule, error) {
	if err := lathe.ValidateName("schedule", req.Name); err != nil {
		return nil, err
	}
	if len(req.DisplayName) > lathe.MaxNameLen {
		return nil, lathe.Errorf(lathe.EINVALID, "display_name is %d characters; the limit is %d", len(req.DisplayName), lathe.MaxNameLen)
	}
	if len(req.Description) > lathe.MaxDescriptionLen || len(req.Tags) > lathe.MaxTags {
		return nil, lathe.Errorf(lathe.EINVALID, "schedule %s: description over %d characters or more than %d tags", req.Name, lathe.MaxDescriptionLen, lathe.MaxTags)
	}
	if req.Kind == "" {
		req.Kind = lathe.ScheduleCommand
	}
	sub, ok := s.o.Submitters[req.Kind]
	if !ok {
		return nil, lathe.Errorf(lathe.EUNSUPPORTED, "schedule kind %q cannot be run by this server; use command", req.Kind)
	}
	raw, err := json.Marshal(req.Spec)
	if err != nil || req.Spec == nil {
		return nil, lathe.Errorf(lathe.EINVALID, "schedule %s has no job; give create_job", req.Name)
	}
	now := s.now()
	sc := &lathe.Schedule{WorkspaceID: ws.ID, Workspace: ws.Name, ID: lathe.NewID(), Name: req.Name, DisplayName: req.DisplayName,
		Description: req.Description, Tags: req.Tags, Kind: req.Kind, Spec: json.RawMessage(raw), Trigger: req.Trigger, Enabled: !req.Disabled,
		CreatedAt: now, CreatedBy: p.UserName, CreatedByID: p.UserID, UpdatedAt: now}
	if err := s.checkTrigger(sc); err != nil {
		return nil, err
	}
	if err := sub.Check(raw, req.Trigger); err != nil {
		return nil, fmt.Errorf("schedule %s: %w", req.Name, err)
	}
	st, err := s.state(ctx, sc, sc.Enabled)
	if err != nil {
		return nil, err
	}
	sc.NextFireAt, sc.LastDataVersion = st.NextFireAt, st.LastDataVersion
	if err := s.o.Store.CreateSchedule(ctx, sc); err != nil {
		return nil, err
	}
	s.wake()
	return s.withUpcoming(sc), nil
}

// checkTrigger validates a trigger: it compiles (cron, recurrence) or
// names a data asset and input (data).
func (s *Service) checkTrigger(sc *lathe.Schedule) error {
	t := sc.Trigger
	if t.Type != lathe.TriggerData {
		if t.Data != "" || t.Input != "" {
			return lathe.Errorf(lathe.EINVALID, "trigger data and input are for data triggers, not %s", t.Type)
		}
		_, err := s.plan(sc)
		return err
	}
	if err := lathe.ValidateName("data asset", t.Data); err != nil {
		return fmt.Errorf("data trigger: %w", err)
	}
	if t.Input == "" {
		return lathe.Errorf(lathe.EINVALID, "data trigger on %s names no input; say which job input receives the new version", t.Data)
	}
	if t.Expression != "" || t.Frequency != "" || t.StartTime != "" || t.EndTime != "" || t.TimeZone != "" {
		return lathe.Errorf(lathe.EINVALID, "a data trigger fires on new versions of %s; remove the cron and recurrence fields", t.Data)
	}
	return nil
}

// state is where an (enabled) schedule's trigger starts from now: its
// next fire time, or the data version it takes as seen.
func (s *Service) state(ctx context.Context, sc *lathe.Schedule, enabled bool) (store.ScheduleState, error) {
	now := s.now()
	st := store.ScheduleState{Enabled: enabled, At: now, LastDataVersion: sc.LastDataVersion}
	if !enabled {
		return st, nil
	}
	if sc.Trigger.Type == lathe.TriggerData {
		v, err := s.o.Store.LatestDataVersion(ctx, sc.WorkspaceID, sc.Trigger.Data)
		switch {
		case err == nil:
			st.LastDataVersion = v.Version
		case lathe.IsCode(err, lathe.ENOTFOUND):
			st.LastDataVersion = ""
		default:
			return st, err
		}
		return st, nil
	}
	p, err := s.plan(sc)
	if err != nil {
		return st, err
	}
	if t, ok := p.Next(now); ok {
		st.NextFireAt = &t
	}
	return st, nil
}

// List returns the workspace's schedules by name, each with its next fire
// times.
func (s *Service) List(ctx context.Context, ws string) ([]*lathe.Schedule, error) {
	list, err := s.o.Store.ListSchedules(ctx, ws)
	if err != nil {
		return nil, err
	}
	for _, sc := range list {
		s.withUpcoming(sc)
	}
	return list, nil
}

// Get returns one schedule with its next fire times.
func (s *Service) Get(ctx context.Context, ws, name string) (*lathe.Schedule, error) {
	sc, err := s.o.Store.Schedule(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	return s.withUpcoming(sc), nil
}

// SetEnabled enables or disables a schedule. Enabling starts it from now:
// its next fire time is the first after now, and a data trigger takes the
// asset's current latest version as seen. Times and versions that passed
// while it was disabled do not fire.
func (s *Service) SetEnabled(ctx context.Context, ws, name string, enabled bool) (*lathe.Schedule, error) {
	sc, err := s.o.Store.Schedule(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	if sc.Enabled == enabled {
		return s.withUpcoming(sc), nil
	}
	st, err := s.state(ctx, sc, enabled)
	if err != nil {
		return nil, err
	}
	sc, err = s.o.Store.SetScheduleState(ctx, ws, name, st)
	if err != nil {
		return nil, err
	}
	s.wake()
	return s.withUpcoming(sc), nil
}

// Delete deletes a schedule; the jobs it submitted stay.
func (s *Service) Delete(ctx context.Context, ws, name string) error {
	return s.o.Store.DeleteSchedule(ctx, ws, name)
}
