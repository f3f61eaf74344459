package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latheml/lathe"
)

// AssignRole gives the user a role in the workspace, replacing any role they
// had. Demoting the last owner is lathe.ECONFLICT: a workspace always keeps
// an owner.
func (db *DB) AssignRole(ctx context.Context, a *lathe.RoleAssignment) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if a.Role != lathe.RoleOwner {
			if err := db.keepAnOwner(ctx, tx, a.WorkspaceID, a.UserID, a.Workspace); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO role_assignments (workspace_id, user_id, role, created_at, created_by)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role, created_at = excluded.created_at, created_by = excluded.created_by`),
			a.WorkspaceID, a.UserID, string(a.Role), ms(a.CreatedAt), a.CreatedBy)
		if err != nil {
			return fmt.Errorf("assign role: %w", err)
		}
		return nil
	})
}

// RevokeRole removes the user's role in the workspace; removing the last
// owner is lathe.ECONFLICT, and a user without a role is lathe.ENOTFOUND.
func (db *DB) RevokeRole(ctx context.Context, workspaceID, workspace, userID string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.keepAnOwner(ctx, tx, workspaceID, userID, workspace); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM role_assignments WHERE workspace_id = ? AND user_id = ?`), workspaceID, userID)
		if err != nil {
			return fmt.Errorf("revoke role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lathe.Errorf(lathe.ENOTFOUND, "the user has no role in workspace %q", workspace)
		}
		return nil
	})
}

// keepAnOwner fails if userID is the only owner of the workspace.
func (db *DB) keepAnOwner(ctx context.Context, tx *sql.Tx, workspaceID, userID, workspace string) error {
	var isOwner, owners int
	err := tx.QueryRowContext(ctx, db.q(`SELECT
		COALESCE(SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0), COUNT(*)
		FROM role_assignments WHERE workspace_id = ? AND role = 'owner'`), userID, workspaceID).Scan(&isOwner, &owners)
	if err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if isOwner > 0 && owners == 1 {
		return lathe.Errorf(lathe.ECONFLICT, "that would leave workspace %q without an owner; make someone else owner first", workspace)
	}
	return nil
}

const roleCols = `r.workspace_id, w.name, r.user_id, u.name, r.role, r.created_at, r.created_by`

func scanRole(row interface{ Scan(...any) error }) (*lathe.RoleAssignment, error) {
	var a lathe.RoleAssignment
	var role string
	var created int64
	if err := row.Scan(&a.WorkspaceID, &a.Workspace, &a.UserID, &a.User, &role, &created, &a.CreatedBy); err != nil {
		return nil, err
	}
	a.Role, a.CreatedAt = lathe.Role(role), fromMS(created)
	return &a, nil
}

// Role returns the user's role assignment in the workspace, or lathe.ENOTFOUND.
func (db *DB) Role(ctx context.Context, workspaceID, userID string) (*lathe.RoleAssignment, error) {
	a, err := scanRole(db.r.QueryRowContext(ctx, db.q(`SELECT `+roleCols+` FROM role_assignments r
		JOIN workspaces w ON w.id = r.workspace_id JOIN users u ON u.id = r.user_id
		WHERE r.workspace_id = ? AND r.user_id = ?`), workspaceID, userID))
	if err != nil {
		return nil, fmt.Errorf("get role: %w", notFound(err, "no role in this workspace"))
	}
	return a, nil
}

// ListRoles returns the workspace's role assignments ordered by user name.
func (db *DB) ListRoles(ctx context.Context, workspaceID string) ([]*lathe.RoleAssignment, error) {
	return db.roles(ctx, `WHERE r.workspace_id = ? ORDER BY u.name`, workspaceID)
}

// ListUserRoles returns the user's role assignments ordered by workspace name.
func (db *DB) ListUserRoles(ctx context.Context, userID string) ([]*lathe.RoleAssignment, error) {
	return db.roles(ctx, `WHERE r.user_id = ? ORDER BY w.name`, userID)
}

func (db *DB) roles(ctx context.Context, where string, arg string) ([]*lathe.RoleAssignment, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+roleCols+` FROM role_assignments r
		JOIN workspaces w ON w.id = r.workspace_id JOIN users u ON u.id = r.user_id `+where), arg)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	var out []*lathe.RoleAssignment
	for rows.Next() {
		a, err := scanRole(rows)
		if err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
