package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/latheml/lathe"
)

// CreateExperiment inserts an experiment, taking the next free ID in its
// workspace (IDs are small integers, as MLflow clients show them) unless
// e.ID is set, and stores its tags, in one transaction. A taken name is
// lathe.ECONFLICT. e.ID is filled in.
func (db *DB) CreateExperiment(ctx context.Context, e *lathe.Experiment) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if e.ID == "" {
			var max int64
			if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(id), 0) FROM experiments WHERE workspace_id = ?`), e.WorkspaceID).Scan(&max); err != nil {
				return fmt.Errorf("next experiment id: %w", err)
			}
			e.ID = strconv.FormatInt(max+1, 10)
		}
		id, err := strconv.ParseInt(e.ID, 10, 64)
		if err != nil {
			return lathe.Errorf(lathe.EINVALID, "experiment id %q is not a number", e.ID)
		}
		if e.ArtifactLocation == "" {
			e.ArtifactLocation = "mlflow-artifacts:/" + e.ID
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO experiments (workspace_id, id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), e.WorkspaceID, id, e.Name, e.ArtifactLocation, e.LifecycleStage, e.CreationTime, e.LastUpdateTime)
		if err = db.conflict(err, "Experiment(name=%s) already exists.", e.Name); err != nil {
			return fmt.Errorf("create experiment: %w", err)
		}
		for _, t := range e.Tags {
			if err := db.setExperimentTag(ctx, tx, e.WorkspaceID, id, t); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) setExperimentTag(ctx context.Context, tx *sql.Tx, ws string, id int64, t lathe.Tag) error {
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO experiment_tags (workspace_id, experiment_id, key, value) VALUES (?, ?, ?, ?)
		ON CONFLICT (workspace_id, experiment_id, key) DO UPDATE SET value = excluded.value`), ws, id, t.Key, t.Value)
	if err != nil {
		return fmt.Errorf("set experiment tag: %w", err)
	}
	return nil
}

const experimentCols = `workspace_id, id, name, artifact_location, lifecycle_stage, creation_time, last_update_time`

func scanExperiment(row interface{ Scan(...any) error }) (*lathe.Experiment, error) {
	var e lathe.Experiment
	var id int64
	if err := row.Scan(&e.WorkspaceID, &id, &e.Name, &e.ArtifactLocation, &e.LifecycleStage, &e.CreationTime, &e.LastUpdateTime); err != nil {
		return nil, err
	}
	e.ID = strconv.FormatInt(id, 10)
	return &e, nil
}

// Experiment returns an experiment with its tags by ID, or lathe.ENOTFOUND.
func (db *DB) Experiment(ctx context.Context, ws, id string) (*lathe.Experiment, error) {
	n, err := expID(id)
	if err != nil {
		return nil, err
	}
	e, err := scanExperiment(db.r.QueryRowContext(ctx, db.q(`SELECT `+experimentCols+` FROM experiments WHERE workspace_id = ? AND id = ?`), ws, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "No Experiment with id=%s exists", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get experiment: %w", err)
	}
	return e, db.experimentTags(ctx, e)
}

// ExperimentByName returns an experiment with its tags by name, or
// lathe.ENOTFOUND.
func (db *DB) ExperimentByName(ctx context.Context, ws, name string) (*lathe.Experiment, error) {
	e, err := scanExperiment(db.r.QueryRowContext(ctx, db.q(`SELECT `+experimentCols+` FROM experiments WHERE workspace_id = ? AND name = ?`), ws, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "Could not find experiment with name '%s'", name)
	}
	if err != nil {
		return nil, fmt.Errorf("get experiment: %w", err)
	}
	return e, db.experimentTags(ctx, e)
}

func (db *DB) experimentTags(ctx context.Context, e *lathe.Experiment) error {
	n, err := expID(e.ID)
	if err != nil {
		return err
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT key, value FROM experiment_tags WHERE workspace_id = ? AND experiment_id = ? ORDER BY key`), e.WorkspaceID, n)
	if err != nil {
		return fmt.Errorf("experiment tags: %w", err)
	}
	defer rows.Close()
	e.Tags = nil
	for rows.Next() {
		var t lathe.Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return fmt.Errorf("experiment tags: %w", err)
		}
		e.Tags = append(e.Tags, t)
	}
	return rows.Err()
}

// expID parses an experiment ID; a malformed one names no experiment.
func expID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, lathe.Errorf(lathe.ENOTFOUND, "No Experiment with id=%s exists", id)
	}
	return n, nil
}

// UpdateExperiment renames an experiment (and bumps its update time).
func (db *DB) UpdateExperiment(ctx context.Context, ws, id, name string, at int64) error {
	n, err := expID(id)
	if err != nil {
		return err
	}
	res, err := db.exec(ctx, `UPDATE experiments SET name = ?, last_update_time = ? WHERE workspace_id = ? AND id = ?`, name, at, ws, n)
	if err = db.conflict(err, "Experiment(name=%s) already exists.", name); err != nil {
		return fmt.Errorf("rename experiment: %w", err)
	}
	return oneRow(res, "No Experiment with id=%s exists", id)
}

// SetExperimentStage marks an experiment active or deleted. Deleting an
// experiment also marks its runs deleted, and restoring it restores the runs
// deleted with it, as MLflow does.
func (db *DB) SetExperimentStage(ctx context.Context, ws, id, stage string, at int64) error {
	n, err := expID(id)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE workspace_id = ? AND id = ?`), stage, at, ws, n)
		if err != nil {
			return fmt.Errorf("set experiment stage: %w", err)
		}
		if err := oneRow(res, "No Experiment with id=%s exists", id); err != nil {
			return err
		}
		var deleted sql.NullInt64
		from := lathe.StageActive
		if stage == lathe.StageDeleted {
			deleted = sql.NullInt64{Int64: at, Valid: true}
		} else {
			from = lathe.StageDeleted
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE workspace_id = ? AND experiment_id = ? AND lifecycle_stage = ?`),
			stage, deleted, ws, n, from)
		if err != nil {
			return fmt.Errorf("set runs' stage: %w", err)
		}
		return nil
	})
}

// SetExperimentTag sets (or replaces) an experiment tag.
func (db *DB) SetExperimentTag(ctx context.Context, ws, id string, t lathe.Tag) error {
	n, err := expID(id)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error { return db.setExperimentTag(ctx, tx, ws, n, t) })
}

// DeleteExperimentTag removes an experiment tag; lathe.ENOTFOUND if missing.
func (db *DB) DeleteExperimentTag(ctx context.Context, ws, id, key string) error {
	n, err := expID(id)
	if err != nil {
		return err
	}
	res, err := db.exec(ctx, `DELETE FROM experiment_tags WHERE workspace_id = ? AND experiment_id = ? AND key = ?`, ws, n, key)
	if err != nil {
		return fmt.Errorf("delete experiment tag: %w", err)
	}
	return oneRow(res, "No tag with name: %s in experiment with id %s", key, id)
}

// oneRow turns "no row affected" into lathe.ENOTFOUND.
func oneRow(res sql.Result, format string, args ...any) error {
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return lathe.Errorf(lathe.ENOTFOUND, format, args...)
	}
	return nil
}

// WorkspaceCreated returns when a workspace was created (Unix
// milliseconds), the creation time tracking gives its Default experiment.
func (db *DB) WorkspaceCreated(ctx context.Context, ws string) (int64, error) {
	var at int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT created_at FROM workspaces WHERE id = ?`), ws).Scan(&at)
	if err != nil {
		return 0, fmt.Errorf("workspace created: %w", notFound(err, "workspace %s not found", ws))
	}
	return at, nil
}
