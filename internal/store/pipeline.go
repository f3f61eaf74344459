package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/latheml/lathe"
)

// This file holds pipeline runs: the pipeline job's spec as submitted,
// its steps' states, and the step reuse cache.

// CreatePipelineJob stores a pipeline job (a row of jobs with type
// pipeline), its first event, its spec and one row per step, in one
// transaction. A name the workspace has used is lathe.ECONFLICT.
func (db *DB) CreatePipelineJob(ctx context.Context, j *lathe.Job, ev lathe.JobEvent, ps *lathe.PipelineSpec, steps []lathe.PipelineStep) error {
	spec, err := encodeSpec(&j.Spec)
	if err != nil {
		return err
	}
	pspec, err := json.Marshal(ps)
	if err != nil {
		return fmt.Errorf("encode pipeline spec: %w", err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.insertJob(ctx, tx, j, spec, ev); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO pipeline_runs (job_id, workspace_id, spec) VALUES (?, ?, ?)`), j.ID, j.WorkspaceID, string(pspec)); err != nil {
			return fmt.Errorf("record pipeline spec: %w", err)
		}
		for _, s := range steps {
			if err := db.putStep(ctx, tx, j.ID, j.WorkspaceID, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create pipeline job %s: %w", j.Name, err)
	}
	return nil
}

func (db *DB) putStep(ctx context.Context, tx *sql.Tx, pipelineID, ws string, s lathe.PipelineStep) error {
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO pipeline_steps (pipeline_id, workspace_id, step, idx, state, job_id, job_name, reused, component, cache_key, reason, deps, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (pipeline_id, step) DO UPDATE SET state = excluded.state, job_id = excluded.job_id, job_name = excluded.job_name,
			reused = excluded.reused, component = excluded.component, cache_key = excluded.cache_key, reason = excluded.reason, updated_at = excluded.updated_at`),
		pipelineID, ws, s.Step, s.Index, s.State, s.JobID, s.Job, boolInt(s.Reused), s.Component, string(s.CacheKey), s.Reason,
		strings.Join(s.Deps, ","), ms(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("record step %s: %w", s.Step, err)
	}
	return nil
}

// PutPipelineSteps writes the given steps of a pipeline run (their state,
// job, cache key and reason) in one transaction.
func (db *DB) PutPipelineSteps(ctx context.Context, pipelineID, ws string, steps []lathe.PipelineStep) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, s := range steps {
			if err := db.putStep(ctx, tx, pipelineID, ws, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update steps of pipeline %s: %w", pipelineID, err)
	}
	return nil
}

// PipelineSpec returns the spec a pipeline job was submitted with, or
// lathe.ENOTFOUND.
func (db *DB) PipelineSpec(ctx context.Context, pipelineID string) (*lathe.PipelineSpec, error) {
	var s string
	if err := db.r.QueryRowContext(ctx, db.q(`SELECT spec FROM pipeline_runs WHERE job_id = ?`), pipelineID).Scan(&s); err != nil {
		return nil, fmt.Errorf("get pipeline spec: %w", notFound(err, "job %s is not a pipeline job", pipelineID))
	}
	var ps lathe.PipelineSpec
	if err := json.Unmarshal([]byte(s), &ps); err != nil {
		return nil, fmt.Errorf("decode pipeline spec: %w", err)
	}
	return &ps, nil
}

// PipelineSteps returns a pipeline run's steps in run order.
func (db *DB) PipelineSteps(ctx context.Context, pipelineID string) ([]lathe.PipelineStep, error) {
	var out []lathe.PipelineStep
	// The step jobs' times come in the same query (a reused step's job
	// ran for another pipeline; its times are not this step's).
	err := db.eachRow(ctx, `SELECT s.step, s.idx, s.state, s.job_id, s.job_name, s.reused, s.component, s.cache_key, s.reason, s.deps, s.updated_at,
		j.started_at, j.ended_at
		FROM pipeline_steps s LEFT JOIN jobs j ON j.id = s.job_id AND s.reused = 0
		WHERE s.pipeline_id = ? ORDER BY s.idx, s.step`, []any{pipelineID}, func(rows *sql.Rows) error {
		var s lathe.PipelineStep
		var reused int
		var key, deps string
		var updated int64
		var started, ended sql.NullInt64
		if err := rows.Scan(&s.Step, &s.Index, &s.State, &s.JobID, &s.Job, &reused, &s.Component, &key, &s.Reason, &deps, &updated, &started, &ended); err != nil {
			return err
		}
		s.Reused, s.CacheKey, s.UpdatedAt = reused != 0, lathe.Digest(key), fromMS(updated)
		s.StartedAt, s.EndedAt = timePtr(started), timePtr(ended)
		if deps != "" {
			s.Deps = strings.Split(deps, ",")
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("steps of pipeline %s: %w", pipelineID, err)
	}
	return out, nil
}

// PipelineOf returns the pipeline job a step job ran for and the step's
// name, or lathe.ENOTFOUND when the job is not a step of a pipeline (a
// reused step's row names the earlier job too; the first row is taken).
func (db *DB) PipelineOf(ctx context.Context, jobID string) (pipelineID, step string, err error) {
	err = db.r.QueryRowContext(ctx, db.q(`SELECT pipeline_id, step FROM pipeline_steps WHERE job_id = ? AND reused = 0 LIMIT 1`), jobID).Scan(&pipelineID, &step)
	if err != nil {
		return "", "", fmt.Errorf("pipeline of job %s: %w", jobID, notFound(err, "job %s is not a step of a pipeline", jobID))
	}
	return pipelineID, step, nil
}

// PutStepCache records (or replaces) the job whose outputs steps with the
// entry's key may reuse.
func (db *DB) PutStepCache(ctx context.Context, e *lathe.StepCacheEntry) error {
	_, err := db.exec(ctx, `INSERT INTO step_cache (workspace_id, cache_key, job_id, job_name, step, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, cache_key) DO UPDATE SET job_id = excluded.job_id, job_name = excluded.job_name, step = excluded.step, created_at = excluded.created_at`,
		e.WorkspaceID, string(e.Key), e.JobID, e.Job, e.Step, ms(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("record step cache entry: %w", err)
	}
	return nil
}

func scanCacheEntry(row interface{ Scan(...any) error }) (*lathe.StepCacheEntry, error) {
	var e lathe.StepCacheEntry
	var key string
	var created int64
	if err := row.Scan(&e.WorkspaceID, &key, &e.JobID, &e.Job, &e.Step, &created); err != nil {
		return nil, err
	}
	e.Key, e.CreatedAt = lathe.Digest(key), fromMS(created)
	return &e, nil
}

const cacheCols = `workspace_id, cache_key, job_id, job_name, step, created_at`

// StepCache returns the cache entry of a key, or lathe.ENOTFOUND.
func (db *DB) StepCache(ctx context.Context, ws string, key lathe.Digest) (*lathe.StepCacheEntry, error) {
	e, err := scanCacheEntry(db.r.QueryRowContext(ctx, db.q(`SELECT `+cacheCols+` FROM step_cache WHERE workspace_id = ? AND cache_key = ?`), ws, string(key)))
	if err != nil {
		return nil, fmt.Errorf("step cache %s: %w", key, notFound(err, "no step cache entry has the key %s", key))
	}
	return e, nil
}

// StepCacheByJob returns the cache entries that point at a job.
func (db *DB) StepCacheByJob(ctx context.Context, ws, jobID string) ([]*lathe.StepCacheEntry, error) {
	var out []*lathe.StepCacheEntry
	err := db.eachRow(ctx, `SELECT `+cacheCols+` FROM step_cache WHERE workspace_id = ? AND job_id = ? ORDER BY cache_key`, []any{ws, jobID}, func(rows *sql.Rows) error {
		e, err := scanCacheEntry(rows)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("step cache of job %s: %w", jobID, err)
	}
	return out, nil
}

// DeleteStepCache deletes the entry of a key, or every entry pointing at
// jobID when key is empty, and returns how many went.
func (db *DB) DeleteStepCache(ctx context.Context, ws string, key lathe.Digest, jobID string) (int64, error) {
	q, arg := `DELETE FROM step_cache WHERE workspace_id = ? AND cache_key = ?`, string(key)
	if key == "" {
		q, arg = `DELETE FROM step_cache WHERE workspace_id = ? AND job_id = ?`, jobID
	}
	res, err := db.exec(ctx, q, ws, arg)
	if err != nil {
		return 0, fmt.Errorf("invalidate step cache: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
