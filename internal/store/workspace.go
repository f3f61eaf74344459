package store

import (
	"context"
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
