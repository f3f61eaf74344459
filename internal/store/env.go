package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/latheml/lathe"
)

// This file holds environments: immutable, versioned specs of how a job's
// command runs.

const envCols = `workspace_id, name, version, kind, description, tags, spec, digest, created_at, created_by`

func scanEnvironment(row interface{ Scan(...any) error }) (*lathe.Environment, error) {
	var e lathe.Environment
	var tags, spec, digest string
	var created int64
	if err := row.Scan(&e.WorkspaceID, &e.Name, &e.Version, &e.Kind, &e.Description, &tags, &spec, &digest, &created, &e.CreatedBy); err != nil {
		return nil, err
	}
	var err error
	if e.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(spec), &e.Spec); err != nil {
		return nil, fmt.Errorf("decode environment spec: %w", err)
	}
	e.Digest, e.CreatedAt = lathe.Digest(digest), fromMS(created)
	return &e, nil
}

// CreateEnvironment stores an environment version; one that exists is
// lathe.ECONFLICT (versions are immutable).
func (db *DB) CreateEnvironment(ctx context.Context, e *lathe.Environment) error {
	spec, err := json.Marshal(e.Spec)
	if err != nil {
		return fmt.Errorf("encode environment spec: %w", err)
	}
	_, err = db.exec(ctx, `INSERT INTO environments (`+envCols+`, version_num) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.WorkspaceID, e.Name, e.Version, e.Kind, e.Description, encodeTags(e.Tags), string(spec), string(e.Digest), ms(e.CreatedAt), e.CreatedBy,
		versionNum(e.Version))
	if err = db.conflict(err, "environment %s has a version %s already; versions are immutable: choose another version, or leave it out to get the next number", e.Name, e.Version); err != nil {
		return fmt.Errorf("create environment %s:%s: %w", e.Name, e.Version, err)
	}
	return nil
}

// NextEnvironmentVersion returns one more than the largest numeric version
// of the environment, or 1 for a new one.
func (db *DB) NextEnvironmentVersion(ctx context.Context, ws, name string) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(version_num), 0) FROM environments WHERE workspace_id = ? AND name = ?`), ws, name).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next version of environment %s: %w", name, err)
	}
	return n + 1, nil
}

// Environment returns one version or lathe.ENOTFOUND.
func (db *DB) Environment(ctx context.Context, ws, name, version string) (*lathe.Environment, error) {
	e, err := scanEnvironment(db.r.QueryRowContext(ctx, db.q(`SELECT `+envCols+` FROM environments WHERE workspace_id = ? AND name = ? AND version = ?`), ws, name, version))
	if err != nil {
		return nil, fmt.Errorf("get environment %s:%s: %w", name, version, notFound(err, "environment %s has no version %s; `lathe environment show -n %s` shows its versions", name, version, name))
	}
	return e, nil
}

// LatestEnvironment returns the newest version or lathe.ENOTFOUND.
func (db *DB) LatestEnvironment(ctx context.Context, ws, name string) (*lathe.Environment, error) {
	e, err := scanEnvironment(db.r.QueryRowContext(ctx, db.q(`SELECT `+envCols+` FROM environments WHERE workspace_id = ? AND name = ? ORDER BY `+latestOrder+` LIMIT 1`), ws, name))
	if err != nil {
		return nil, fmt.Errorf("get environment %s@latest: %w", name, notFound(err, "environment %q not found; `lathe environment list` shows the workspace's environments", name))
	}
	return e, nil
}

// ListEnvironments returns the newest version of each environment, by
// name, after the given name, at most limit.
func (db *DB) ListEnvironments(ctx context.Context, ws, after string, limit int) ([]*lathe.Environment, error) {
	var out []*lathe.Environment
	err := db.eachRow(ctx, `SELECT `+envCols+` FROM environments e WHERE workspace_id = ? AND name > ? AND version = (
		SELECT l.version FROM environments l WHERE l.workspace_id = e.workspace_id AND l.name = e.name
		ORDER BY l.created_at DESC, COALESCE(l.version_num, -1) DESC, l.version DESC LIMIT 1)
		ORDER BY name LIMIT ?`, []any{ws, after, limit}, func(rows *sql.Rows) error {
		e, err := scanEnvironment(rows)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	return out, nil
}

// ListEnvironmentVersions returns an environment's versions, newest first.
func (db *DB) ListEnvironmentVersions(ctx context.Context, ws, name string, offset, limit int) ([]*lathe.Environment, error) {
	var out []*lathe.Environment
	err := db.eachRow(ctx, `SELECT `+envCols+` FROM environments WHERE workspace_id = ? AND name = ? ORDER BY `+latestOrder+` LIMIT ? OFFSET ?`,
		[]any{ws, name, limit, offset}, func(rows *sql.Rows) error {
			e, err := scanEnvironment(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list versions of environment %s: %w", name, err)
	}
	return out, nil
}
