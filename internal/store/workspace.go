package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latheml/lathe"
)

// CreateWorkspace inserts a workspace; a taken name is lathe.ECONFLICT.
func (db *DB) CreateWorkspace(ctx context.Context, w *lathe.Workspace) error {
	_, err := db.exec(ctx, `INSERT INTO workspaces (id, name, description, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
		w.ID, w.Name, w.Description, ms(w.CreatedAt), w.CreatedBy)
	if err = db.conflict(err, "workspace %q exists already; choose another name", w.Name); err != nil {
		return fmt.Errorf("create workspace %s: %w", w.Name, err)
	}
	return nil
}

const workspaceCols = `id, name, description, created_at, created_by`

func scanWorkspace(row interface{ Scan(...any) error }) (*lathe.Workspace, error) {
	var w lathe.Workspace
	var created int64
	if err := row.Scan(&w.ID, &w.Name, &w.Description, &created, &w.CreatedBy); err != nil {
		return nil, err
	}
	w.CreatedAt = fromMS(created)
	return &w, nil
}

// WorkspaceByName returns the named workspace or lathe.ENOTFOUND.
func (db *DB) WorkspaceByName(ctx context.Context, name string) (*lathe.Workspace, error) {
	w, err := scanWorkspace(db.r.QueryRowContext(ctx, db.q(`SELECT `+workspaceCols+` FROM workspaces WHERE name = ?`), name))
	if err != nil {
		return nil, fmt.Errorf("get workspace %s: %w", name, notFound(err, "workspace %q not found; `lathe workspace list` shows the ones you can use", name))
	}
	return w, nil
}

// ListWorkspaces returns workspaces ordered by name, after the given name,
// at most limit of them.
func (db *DB) ListWorkspaces(ctx context.Context, after string, limit int) ([]*lathe.Workspace, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+workspaceCols+` FROM workspaces WHERE name > ? ORDER BY name LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	defer rows.Close()
	var out []*lathe.Workspace
	for rows.Next() {
		w, err := scanWorkspace(rows)
		if err != nil {
			return nil, fmt.Errorf("list workspaces: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// EnsureWorkspace creates the workspace unless one with its name exists, and
// returns the stored one either way. Safe to race from several servers.
func (db *DB) EnsureWorkspace(ctx context.Context, w *lathe.Workspace) (*lathe.Workspace, error) {
	existing, err := db.WorkspaceByName(ctx, w.Name)
	if err == nil {
		return existing, nil
	}
	if !lathe.IsCode(err, lathe.ENOTFOUND) {
		return nil, err
	}
	if err := db.CreateWorkspace(ctx, w); err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
		return nil, err
	}
	return db.WorkspaceByName(ctx, w.Name)
}

// workspaceData lists what belongs to a workspace, in the order it must be
// deleted (dependents first). Rows counts toward "not empty"; the others go
// with their parents. Each later feature adds its tables here.
var workspaceData = []struct {
	table string
	where string // rows of the workspace; one ? for its ID
	rows  bool   // counts as content the user must --force away
}{
	{"schedules", "workspace_id = ?", true},
	{"pipeline_steps", "workspace_id = ?", false},
	{"pipeline_runs", "workspace_id = ?", false},
	{"step_cache", "workspace_id = ?", false},
	{"components", "workspace_id = ?", true},
	{"job_logs", "job_id IN (SELECT id FROM jobs WHERE workspace_id = ?)", false},
	{"job_events", "job_id IN (SELECT id FROM jobs WHERE workspace_id = ?)", false},
	{"job_leases", "job_id IN (SELECT id FROM jobs WHERE workspace_id = ?)", false},
	{"job_lineage", "workspace_id = ?", false},
	{"jobs", "workspace_id = ?", true},
	{"environments", "workspace_id = ?", true},
	{"computes", "workspace_id = ?", true},
	{"params", "run_id IN (SELECT run_id FROM runs WHERE workspace_id = ?)", false},
	{"run_tags", "run_id IN (SELECT run_id FROM runs WHERE workspace_id = ?)", false},
	{"metrics", "run_id IN (SELECT run_id FROM runs WHERE workspace_id = ?)", false},
	{"latest_metrics", "run_id IN (SELECT run_id FROM runs WHERE workspace_id = ?)", false},
	{"metric_rollups", "run_id IN (SELECT run_id FROM runs WHERE workspace_id = ?)", false},
	{"run_inputs", "run_id IN (SELECT run_id FROM runs WHERE workspace_id = ?)", false},
	{"runs", "workspace_id = ?", true},
	{"experiment_tags", "workspace_id = ?", false},
	{"experiments", "workspace_id = ? AND id <> 0", true},
	{"experiments", "workspace_id = ?", false},
	{"artifact_upload_parts", "upload_id IN (SELECT upload_id FROM artifact_uploads WHERE workspace_id = ?)", false},
	{"artifact_uploads", "workspace_id = ?", false},
	{"artifacts", "workspace_id = ?", true},
	{"data_profiles", "workspace_id = ?", false},
	{"data_files", "workspace_id = ?", false},
	{"data_versions", "workspace_id = ?", true},
	{"data_assets", "workspace_id = ?", false},
	{"datastores", "workspace_id = ?", true},
	{"blobs", "workspace_id = ?", true},
}

// WorkspaceUsage counts the rows a workspace owns, by table.
func (db *DB) WorkspaceUsage(ctx context.Context, workspaceID string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, d := range workspaceData {
		if !d.rows {
			continue
		}
		var n int64
		if err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM `+d.table+` WHERE `+d.where), workspaceID).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", d.table, err)
		}
		out[d.table] = n
	}
	return out, nil
}

// DeleteWorkspace deletes a workspace with its role assignments. Unless
// force is set, a workspace that still owns rows is lathe.ECONFLICT; with
// force those rows go too, in the same transaction. Bytes in the blob store
// are shared by digest and are not touched.
func (db *DB) DeleteWorkspace(ctx context.Context, workspaceID, name string, force bool) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if !force {
			for _, d := range workspaceData {
				if !d.rows {
					continue
				}
				var n int64
				if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM `+d.table+` WHERE `+d.where), workspaceID).Scan(&n); err != nil {
					return fmt.Errorf("count %s: %w", d.table, err)
				}
				if n > 0 {
					return lathe.Errorf(lathe.ECONFLICT, "workspace %q is not empty (%d rows in %s); delete its contents first or pass --force", name, n, d.table)
				}
			}
		}
		for _, d := range workspaceData {
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM `+d.table+` WHERE `+d.where), workspaceID); err != nil {
				return fmt.Errorf("delete %s: %w", d.table, err)
			}
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM role_assignments WHERE workspace_id = ?`), workspaceID); err != nil {
			return fmt.Errorf("delete role assignments: %w", err)
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM workspaces WHERE id = ?`), workspaceID)
		if err != nil {
			return fmt.Errorf("delete workspace: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lathe.Errorf(lathe.ENOTFOUND, "workspace %q not found", name)
		}
		return nil
	})
}

// CountBlobs returns the number and total size of the workspace's blobs.
func (db *DB) CountBlobs(ctx context.Context, workspaceID string) (n, bytes int64, err error) {
	err = db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blobs WHERE workspace_id = ?`), workspaceID).Scan(&n, &bytes)
	if err != nil {
		return 0, 0, fmt.Errorf("count blobs: %w", err)
	}
	return n, bytes, nil
}

// CountMembers returns how many users hold a role in the workspace.
func (db *DB) CountMembers(ctx context.Context, workspaceID string) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM role_assignments WHERE workspace_id = ?`), workspaceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count members: %w", err)
	}
	return n, nil
}
