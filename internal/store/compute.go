package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	"github.com/latheml/lathe"
)

// This file holds compute targets. The built-in local compute is not
// stored: the jobs service adds it.

const computeCols = `workspace_id, name, type, description, tags, cpu_milli, memory, created_at, created_by`

func scanCompute(row interface{ Scan(...any) error }) (*lathe.Compute, error) {
	var c lathe.Compute
	var tags string
	var milli, created int64
	if err := row.Scan(&c.WorkspaceID, &c.Name, &c.Type, &c.Description, &tags, &milli, &c.Memory, &created, &c.CreatedBy); err != nil {
		return nil, err
	}
	var err error
	if c.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	c.CPU, c.CreatedAt = float64(milli)/1000, fromMS(created)
	return &c, nil
}

// CreateCompute stores a compute target; a taken name is lathe.ECONFLICT.
func (db *DB) CreateCompute(ctx context.Context, c *lathe.Compute) error {
	_, err := db.exec(ctx, `INSERT INTO computes (`+computeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.WorkspaceID, c.Name, c.Type, c.Description, encodeTags(c.Tags), int64(math.Round(c.CPU*1000)), c.Memory, ms(c.CreatedAt), c.CreatedBy)
	if err = db.conflict(err, "compute %q exists already in this workspace; choose another name", c.Name); err != nil {
		return fmt.Errorf("create compute %s: %w", c.Name, err)
	}
	return nil
}

// Compute returns a compute target or lathe.ENOTFOUND.
func (db *DB) Compute(ctx context.Context, ws, name string) (*lathe.Compute, error) {
	c, err := scanCompute(db.r.QueryRowContext(ctx, db.q(`SELECT `+computeCols+` FROM computes WHERE workspace_id = ? AND name = ?`), ws, name))
	if err != nil {
		return nil, fmt.Errorf("get compute %s: %w", name, notFound(err, "compute %q not found; `lathe compute list` shows the workspace's computes (local is built in)", name))
	}
	return c, nil
}

// ListComputes returns the workspace's compute targets by name.
func (db *DB) ListComputes(ctx context.Context, ws string) ([]*lathe.Compute, error) {
	var out []*lathe.Compute
	err := db.eachRow(ctx, `SELECT `+computeCols+` FROM computes WHERE workspace_id = ? ORDER BY name`, []any{ws}, func(rows *sql.Rows) error {
		c, err := scanCompute(rows)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list computes: %w", err)
	}
	return out, nil
}

// DeleteCompute deletes a compute target that no job is queued on or
// running on; one that is busy is lathe.ECONFLICT.
func (db *DB) DeleteCompute(ctx context.Context, ws, name string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM jobs WHERE workspace_id = ? AND compute = ? AND status IN (?, ?, ?)`),
			ws, name, lathe.JobQueued, lathe.JobPreparing, lathe.JobRunning).Scan(&n); err != nil {
			return fmt.Errorf("count jobs on compute %s: %w", name, err)
		}
		if n > 0 {
			return lathe.Errorf(lathe.ECONFLICT, "compute %q has %d jobs queued or running; cancel them or wait for them to end", name, n)
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM computes WHERE workspace_id = ? AND name = ?`), ws, name)
		if err != nil {
			return fmt.Errorf("delete compute %s: %w", name, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return lathe.Errorf(lathe.ENOTFOUND, "compute %q not found", name)
		}
		return nil
	})
}
