package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// This file holds jobs and their lifecycle events. Logs are in job_log.go,
// leases and lineage in job_lease.go.

const jobCols = `id, workspace_id, workspace, name, type, status, reason, failure, exit_code, compute, environment, spec, experiment_id, run_id,
	attempt, cancel_requested, created_at, created_by, created_by_id, started_at, ended_at, updated_at, token_id, log_lines, log_bytes`

func scanJob(row interface{ Scan(...any) error }) (*lathe.Job, error) {
	var j lathe.Job
	var spec string
	var exit, started, ended sql.NullInt64
	var cancel int
	var created, updated int64
	if err := row.Scan(&j.ID, &j.WorkspaceID, &j.Workspace, &j.Name, &j.Type, &j.Status, &j.Reason, &j.Failure, &exit, &j.Compute, &j.Environment,
		&spec, &j.ExperimentID, &j.RunID, &j.Attempt, &cancel, &created, &j.CreatedBy, &j.CreatedByID, &started, &ended, &updated,
		&j.TokenID, &j.LogLines, &j.LogBytes); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(spec), &j.Spec); err != nil {
		return nil, fmt.Errorf("decode spec of job %s: %w", j.Name, err)
	}
	if exit.Valid {
		c := int(exit.Int64)
		j.ExitCode = &c
	}
	j.CancelRequested = cancel != 0
	j.CreatedAt, j.UpdatedAt = fromMS(created), fromMS(updated)
	j.StartedAt, j.EndedAt = timePtr(started), timePtr(ended)
	return &j, nil
}

func encodeSpec(s *lathe.JobSpec) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode job spec: %w", err)
	}
	return string(b), nil
}

func nullExit(p *int) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*p), Valid: true}
}

// CreateJob stores a new job with its first event and the lineage rows of
// the data versions it reads, in one transaction. A name the workspace
// has used is lathe.ECONFLICT.
// insertJob writes a new job's row and its first event (command and
// pipeline jobs alike).
func (db *DB) insertJob(ctx context.Context, tx *sql.Tx, j *lathe.Job, spec string, ev lathe.JobEvent) error {
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO jobs (`+jobCols+`, log_chunks)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`),
		j.ID, j.WorkspaceID, j.Workspace, j.Name, j.Type, j.Status, j.Reason, j.Failure, nullExit(j.ExitCode), j.Compute, j.Environment, spec,
		j.ExperimentID, j.RunID, j.Attempt, boolInt(j.CancelRequested), ms(j.CreatedAt), j.CreatedBy, j.CreatedByID,
		msPtr(j.StartedAt), msPtr(j.EndedAt), ms(j.UpdatedAt), j.TokenID, j.LogLines, j.LogBytes)
	if err = db.conflict(err, "job %q exists already in this workspace; job names are unique: choose another --name or leave it out", j.Name); err != nil {
		return err
	}
	return db.insertEvent(ctx, tx, j.ID, 1, ev)
}

func (db *DB) CreateJob(ctx context.Context, j *lathe.Job, ev lathe.JobEvent, inputs []lathe.JobLineage) error {
	spec, err := encodeSpec(&j.Spec)
	if err != nil {
		return err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.insertJob(ctx, tx, j, spec, ev); err != nil {
			return err
		}
		for _, l := range inputs {
			if err := db.insertLineage(ctx, tx, j.ID, j.WorkspaceID, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.Name, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (db *DB) insertEvent(ctx context.Context, tx *sql.Tx, jobID string, seq int64, ev lathe.JobEvent) error {
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO job_events (job_id, seq, at, status, message) VALUES (?, ?, ?, ?, ?)`),
		jobID, seq, ms(ev.At), ev.Status, ev.Message)
	if err != nil {
		return fmt.Errorf("record job event: %w", err)
	}
	return nil
}

// nextEvent records ev as the job's next event. The caller has updated the
// job's row in the same transaction, which serialises its events.
func (db *DB) nextEvent(ctx context.Context, tx *sql.Tx, jobID string, ev lathe.JobEvent) error {
	var seq int64
	if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(seq), 0) + 1 FROM job_events WHERE job_id = ?`), jobID).Scan(&seq); err != nil {
		return fmt.Errorf("next job event: %w", err)
	}
	return db.insertEvent(ctx, tx, jobID, seq, ev)
}

// Job returns a job by name or lathe.ENOTFOUND.
func (db *DB) Job(ctx context.Context, ws, name string) (*lathe.Job, error) {
	j, err := scanJob(db.r.QueryRowContext(ctx, db.q(`SELECT `+jobCols+` FROM jobs WHERE workspace_id = ? AND name = ?`), ws, name))
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", name, notFound(err, "job %q not found; `lathe job list` shows the workspace's jobs", name))
	}
	return j, nil
}

// JobByID returns a job by ID or lathe.ENOTFOUND.
func (db *DB) JobByID(ctx context.Context, id string) (*lathe.Job, error) {
	j, err := scanJob(db.r.QueryRowContext(ctx, db.q(`SELECT `+jobCols+` FROM jobs WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, notFound(err, "job %s not found (deleted with its workspace?)", id))
	}
	return j, nil
}

// JobQuery selects a page of a workspace's jobs, newest first.
type JobQuery struct {
	Statuses []string // any of these (nil: all)
	// After is the last job of the previous page (nil: first page).
	AfterTime *time.Time
	AfterName string
	Limit     int
}

// ListJobs returns a page of the workspace's jobs, newest first (name
// descending on equal times).
func (db *DB) ListJobs(ctx context.Context, ws string, q JobQuery) ([]*lathe.Job, error) {
	query := `SELECT ` + jobCols + ` FROM jobs WHERE workspace_id = ?`
	args := []any{ws}
	if len(q.Statuses) > 0 {
		query += ` AND status IN (?` + strings.Repeat(`, ?`, len(q.Statuses)-1) + `)`
		for _, s := range q.Statuses {
			args = append(args, s)
		}
	}
	if q.AfterTime != nil {
		query += ` AND (created_at < ? OR (created_at = ? AND name < ?))`
		args = append(args, ms(*q.AfterTime), ms(*q.AfterTime), q.AfterName)
	}
	query += ` ORDER BY created_at DESC, name DESC LIMIT ?`
	args = append(args, q.Limit)
	return db.jobRows(ctx, "list jobs", query, args)
}

// JobsByStatus returns every job in one of the statuses, in all
// workspaces, oldest first: what a controller reconciles at start.
func (db *DB) JobsByStatus(ctx context.Context, statuses ...string) ([]*lathe.Job, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	query := `SELECT ` + jobCols + ` FROM jobs WHERE status IN (?` + strings.Repeat(`, ?`, len(statuses)-1) + `) ORDER BY created_at, id`
	args := make([]any, len(statuses))
	for i, s := range statuses {
		args[i] = s
	}
	return db.jobRows(ctx, "jobs by status", query, args)
}

func (db *DB) jobRows(ctx context.Context, what, query string, args []any) ([]*lathe.Job, error) {
	var out []*lathe.Job
	err := db.eachRow(ctx, query, args, func(rows *sql.Rows) error {
		j, err := scanJob(rows)
		if err != nil {
			return err
		}
		out = append(out, j)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// CountJobs counts a workspace's jobs by status.
func (db *DB) CountJobs(ctx context.Context, ws string) (map[string]int64, error) {
	out := map[string]int64{}
	err := db.eachRow(ctx, `SELECT status, COUNT(*) FROM jobs WHERE workspace_id = ? GROUP BY status`, []any{ws}, func(rows *sql.Rows) error {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return err
		}
		out[s] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return out, nil
}

// JobUpdate is one step of a job's lifecycle, written in one transaction:
// the job's fields that change, the event that says so, and the token and
// lease rows that go with it. Nil fields are left alone.
type JobUpdate struct {
	// From lists the statuses the job must be in (nil: any); a job in
	// another status is lathe.ECONFLICT and nothing changes.
	From    []string
	Status  string // "" keeps the status
	At      time.Time
	Message string // the event's message; an event is written when Status or Message is set

	Reason          *string
	Failure         *string
	ExitCode        *int
	ClearExitCode   bool
	Attempt         *int
	CancelRequested *bool
	StartedAt       *time.Time
	ClearStarted    bool
	EndedAt         *time.Time
	RunID           *string
	ExperimentID    *string
	Spec            *lathe.JobSpec

	// Token, if set, is inserted and becomes the job's token.
	Token *lathe.Token
	// RevokeToken revokes the job's current token at At.
	RevokeToken bool
	// Lease, if set, is written (replacing any); DropLease deletes it.
	Lease     *JobLease
	DropLease bool
}

// UpdateJob applies u to the job with the given ID and returns it as it is
// afterwards.
func (db *DB) UpdateJob(ctx context.Context, id string, u JobUpdate) (*lathe.Job, error) {
	var out *lathe.Job
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanJob(tx.QueryRowContext(ctx, db.q(`SELECT `+jobCols+` FROM jobs WHERE id = ?`), id))
		if err != nil {
			return notFound(err, "job %s not found (deleted with its workspace?)", id)
		}
		if len(u.From) > 0 && !contains(u.From, cur.Status) {
			return lathe.Errorf(lathe.ECONFLICT, "job %s is %s, not %s", cur.Name, cur.Status, strings.Join(u.From, " or "))
		}
		sets := []string{"updated_at = ?"}
		args := []any{ms(u.At)}
		set := func(col string, v any) {
			sets = append(sets, col+" = ?")
			args = append(args, v)
		}
		if u.Status != "" {
			set("status", u.Status)
		}
		if u.Reason != nil {
			set("reason", *u.Reason)
		}
		if u.Failure != nil {
			set("failure", *u.Failure)
		}
		if u.ExitCode != nil || u.ClearExitCode {
			set("exit_code", nullExit(u.ExitCode))
		}
		if u.Attempt != nil {
			set("attempt", *u.Attempt)
		}
		if u.CancelRequested != nil {
			set("cancel_requested", boolInt(*u.CancelRequested))
		}
		if u.StartedAt != nil || u.ClearStarted {
			set("started_at", msPtr(u.StartedAt))
		}
		if u.EndedAt != nil {
			set("ended_at", ms(*u.EndedAt))
		}
		if u.RunID != nil {
			set("run_id", *u.RunID)
		}
		if u.ExperimentID != nil {
			set("experiment_id", *u.ExperimentID)
		}
		if u.Spec != nil {
			spec, err := encodeSpec(u.Spec)
			if err != nil {
				return err
			}
			set("spec", spec)
		}
		if u.RevokeToken && cur.TokenID != "" {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), ms(u.At), cur.TokenID); err != nil {
				return fmt.Errorf("revoke job token: %w", err)
			}
		}
		if t := u.Token; t != nil {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO tokens (id, user_id, name, prefix, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				t.ID, t.UserID, t.Name, t.Prefix, t.Hash, ms(t.CreatedAt), msPtr(t.ExpiresAt)); err != nil {
				return fmt.Errorf("issue job token: %w", err)
			}
			set("token_id", t.ID)
		}
		args = append(args, id)
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE jobs SET `+strings.Join(sets, ", ")+` WHERE id = ?`), args...); err != nil {
			return fmt.Errorf("update job: %w", err)
		}
		if u.DropLease {
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM job_leases WHERE job_id = ?`), id); err != nil {
				return fmt.Errorf("drop lease: %w", err)
			}
		}
		if l := u.Lease; l != nil {
			if err := db.putLease(ctx, tx, id, l); err != nil {
				return err
			}
		}
		if u.Status != "" || u.Message != "" {
			status := u.Status
			if status == "" {
				status = cur.Status
			}
			if err := db.nextEvent(ctx, tx, id, lathe.JobEvent{At: u.At, Status: status, Message: u.Message}); err != nil {
				return err
			}
		}
		out, err = scanJob(tx.QueryRowContext(ctx, db.q(`SELECT `+jobCols+` FROM jobs WHERE id = ?`), id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update job %s: %w", id, err)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// JobEvents returns a job's events in order, after seq, at most limit.
func (db *DB) JobEvents(ctx context.Context, id string, after int64, limit int) ([]lathe.JobEvent, error) {
	var out []lathe.JobEvent
	err := db.eachRow(ctx, `SELECT seq, at, status, message FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		[]any{id, after, limit}, func(rows *sql.Rows) error {
			var e lathe.JobEvent
			var at int64
			if err := rows.Scan(&e.Seq, &at, &e.Status, &e.Message); err != nil {
				return err
			}
			e.At = fromMS(at)
			out = append(out, e)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("job events: %w", err)
	}
	return out, nil
}
