package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/latheml/lathe"
)

// This file holds schedules: their trigger, the job request they submit,
// and the state of their firings.

const scheduleCols = `id, workspace_id, workspace, name, display_name, description, tags, kind, spec, trigger_spec, enabled,
	next_fire_at, last_fired_at, last_job, last_error, last_data_version, created_at, created_by, created_by_id, updated_at`

func scanSchedule(row interface{ Scan(...any) error }) (*lathe.Schedule, error) {
	var s lathe.Schedule
	var tags, spec, trig string
	var enabled int
	var next, last sql.NullInt64
	var created, updated int64
	if err := row.Scan(&s.ID, &s.WorkspaceID, &s.Workspace, &s.Name, &s.DisplayName, &s.Description, &tags, &s.Kind, &spec, &trig, &enabled,
		&next, &last, &s.LastJob, &s.LastError, &s.LastDataVersion, &created, &s.CreatedBy, &s.CreatedByID, &updated); err != nil {
		return nil, err
	}
	var err error
	if s.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(trig), &s.Trigger); err != nil {
		return nil, fmt.Errorf("decode trigger of schedule %s: %w", s.Name, err)
	}
	if err := json.Unmarshal([]byte(spec), &s.Spec); err != nil {
		return nil, fmt.Errorf("decode job of schedule %s: %w", s.Name, err)
	}
	s.Enabled = enabled != 0
	s.NextFireAt, s.LastFiredAt = timePtr(next), timePtr(last)
	s.CreatedAt, s.UpdatedAt = fromMS(created), fromMS(updated)
	return &s, nil
}

// CreateSchedule stores a schedule; a name the workspace has is
// lathe.ECONFLICT.
func (db *DB) CreateSchedule(ctx context.Context, s *lathe.Schedule) error {
	trig, err := json.Marshal(s.Trigger)
	if err != nil {
		return fmt.Errorf("encode trigger: %w", err)
	}
	spec, err := json.Marshal(s.Spec)
	if err != nil {
		return fmt.Errorf("encode the job of schedule %s: %w", s.Name, err)
	}
	_, err = db.exec(ctx, `INSERT INTO schedules (`+scheduleCols+`, trigger_type, data_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.WorkspaceID, s.Workspace, s.Name, s.DisplayName, s.Description, encodeTags(s.Tags), s.Kind, string(spec), string(trig), boolInt(s.Enabled),
		msPtr(s.NextFireAt), msPtr(s.LastFiredAt), s.LastJob, s.LastError, s.LastDataVersion, ms(s.CreatedAt), s.CreatedBy, s.CreatedByID, ms(s.UpdatedAt),
		s.Trigger.Type, s.Trigger.Data)
	if err = db.conflict(err, "schedule %q exists already in this workspace; choose another name, or delete it first with `lathe schedule delete %s`", s.Name, s.Name); err != nil {
		return fmt.Errorf("create schedule %s: %w", s.Name, err)
	}
	return nil
}

// Schedule returns a schedule by name or lathe.ENOTFOUND.
func (db *DB) Schedule(ctx context.Context, ws, name string) (*lathe.Schedule, error) {
	s, err := scanSchedule(db.r.QueryRowContext(ctx, db.q(`SELECT `+scheduleCols+` FROM schedules WHERE workspace_id = ? AND name = ?`), ws, name))
	if err != nil {
		return nil, fmt.Errorf("get schedule %s: %w", name, notFound(err, "schedule %q not found; `lathe schedule list` shows the workspace's schedules", name))
	}
	return s, nil
}

func (db *DB) schedules(ctx context.Context, where string, args ...any) ([]*lathe.Schedule, error) {
	var out []*lathe.Schedule
	err := db.eachRow(ctx, `SELECT `+scheduleCols+` FROM schedules WHERE `+where, args, func(rows *sql.Rows) error {
		s, err := scanSchedule(rows)
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// ListSchedules returns the workspace's schedules by name.
func (db *DB) ListSchedules(ctx context.Context, ws string) ([]*lathe.Schedule, error) {
	out, err := db.schedules(ctx, `workspace_id = ? ORDER BY name`, ws)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	return out, nil
}

// DueSchedules returns enabled schedules of every workspace whose next fire
// time is at or before now, earliest first, at most limit.
func (db *DB) DueSchedules(ctx context.Context, now time.Time, limit int) ([]*lathe.Schedule, error) {
	out, err := db.schedules(ctx, `enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= ? ORDER BY next_fire_at, id LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list due schedules: %w", err)
	}
	return out, nil
}

// NextFireTime returns the earliest next fire time of the enabled
// schedules, or nil when none has one.
func (db *DB) NextFireTime(ctx context.Context) (*time.Time, error) {
	var v sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT MIN(next_fire_at) FROM schedules WHERE enabled = 1`).Scan(&v); err != nil {
		return nil, fmt.Errorf("next schedule fire time: %w", err)
	}
	return timePtr(v), nil
}

// DataSchedules returns the enabled data-triggered schedules of every
// workspace.
func (db *DB) DataSchedules(ctx context.Context) ([]*lathe.Schedule, error) {
	out, err := db.schedules(ctx, `enabled = 1 AND trigger_type = ? ORDER BY workspace_id, name`, lathe.TriggerData)
	if err != nil {
		return nil, fmt.Errorf("list data schedules: %w", err)
	}
	return out, nil
}

// ScheduleState is a schedule's enabled flag and where its trigger stands.
type ScheduleState struct {
	Enabled    bool
	NextFireAt *time.Time
	// LastDataVersion is the data trigger's baseline: only a version
	// other than it fires the schedule.
	LastDataVersion string
	At              time.Time
}

// SetScheduleState enables or disables a schedule and sets its next fire
// time and data baseline, returning it; a missing one is lathe.ENOTFOUND.
func (db *DB) SetScheduleState(ctx context.Context, ws, name string, st ScheduleState) (*lathe.Schedule, error) {
	res, err := db.exec(ctx, `UPDATE schedules SET enabled = ?, next_fire_at = ?, last_data_version = ?, updated_at = ? WHERE workspace_id = ? AND name = ?`,
		boolInt(st.Enabled), msPtr(st.NextFireAt), st.LastDataVersion, ms(st.At), ws, name)
	if err != nil {
		return nil, fmt.Errorf("update schedule %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "schedule %q not found; `lathe schedule list` shows the workspace's schedules", name)
	}
	return db.Schedule(ctx, ws, name)
}

// ScheduleClaim moves a schedule past one firing, before its job is
// submitted, if its trigger still stands where the caller saw it.
type ScheduleClaim struct {
	// From is the state the caller read: the next fire time (cron and
	// recurrence) or the data version last seen (data triggers).
	FromNext    *time.Time
	FromVersion string
	// Next and Version are the new state; FiredAt is this firing's time.
	Next    *time.Time
	Version string
	FiredAt time.Time
}

// ClaimScheduleFire advances an enabled schedule's trigger from the state
// the caller saw to the next one. It returns false when another firing (or
// an edit, or a disable) got there first: then the caller must not submit.
func (db *DB) ClaimScheduleFire(ctx context.Context, id string, c ScheduleClaim) (bool, error) {
	q := `UPDATE schedules SET next_fire_at = ?, last_data_version = ?, last_fired_at = ?, updated_at = ?
		WHERE id = ? AND enabled = 1 AND last_data_version = ? AND `
	args := []any{msPtr(c.Next), c.Version, ms(c.FiredAt), ms(c.FiredAt), id, c.FromVersion}
	if c.FromNext == nil {
		q += `next_fire_at IS NULL`
	} else {
		q += `next_fire_at = ?`
		args = append(args, ms(*c.FromNext))
	}
	res, err := db.exec(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("claim schedule firing: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecordScheduleJob records what a claimed firing submitted: the job's
// name, or why it could not be submitted.
func (db *DB) RecordScheduleJob(ctx context.Context, id, job, failure string, at time.Time) error {
	if _, err := db.exec(ctx, `UPDATE schedules SET last_job = ?, last_error = ?, updated_at = ? WHERE id = ?`, job, failure, ms(at), id); err != nil {
		return fmt.Errorf("record schedule job: %w", err)
	}
	return nil
}

// DeleteSchedule deletes a schedule; a missing one is lathe.ENOTFOUND. The
// jobs it submitted stay.
func (db *DB) DeleteSchedule(ctx context.Context, ws, name string) error {
	res, err := db.exec(ctx, `DELETE FROM schedules WHERE workspace_id = ? AND name = ?`, ws, name)
	if err != nil {
		return fmt.Errorf("delete schedule %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lathe.Errorf(lathe.ENOTFOUND, "schedule %q not found; `lathe schedule list` shows the workspace's schedules", name)
	}
	return nil
}
