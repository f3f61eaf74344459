package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/latheml/lathe"
)

// This file holds components: immutable, versioned command components
// (anonymous ones keyed by the digest of their content).

const componentCols = `workspace_id, name, version, anonymous, display_name, description, tags, is_deterministic, digest, archived, spec, created_at, created_by`

func scanComponent(row interface{ Scan(...any) error }) (*lathe.Component, error) {
	var c lathe.Component
	var tags, spec, digest string
	var anon, det, archived int
	var created int64
	if err := row.Scan(&c.WorkspaceID, &c.Name, &c.Version, &anon, &c.DisplayName, &c.Description, &tags, &det, &digest, &archived,
		&spec, &created, &c.CreatedBy); err != nil {
		return nil, err
	}
	var err error
	if c.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(spec), &c.Spec); err != nil {
		return nil, fmt.Errorf("decode component spec: %w", err)
	}
	c.Anonymous, c.IsDeterministic, c.Archived = anon != 0, det != 0, archived != 0
	c.Digest, c.CreatedAt = lathe.Digest(digest), fromMS(created)
	return &c, nil
}

// CreateComponent stores a component version; one that exists is
// lathe.ECONFLICT (versions are immutable).
func (db *DB) CreateComponent(ctx context.Context, c *lathe.Component) error {
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return fmt.Errorf("encode component spec: %w", err)
	}
	_, err = db.exec(ctx, `INSERT INTO components (`+componentCols+`, version_num) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.WorkspaceID, c.Name, c.Version, boolInt(c.Anonymous), c.DisplayName, c.Description, encodeTags(c.Tags), boolInt(c.IsDeterministic),
		string(c.Digest), boolInt(c.Archived), string(spec), ms(c.CreatedAt), c.CreatedBy, versionNum(c.Version))
	if err = db.conflict(err, "component %s has a version %s already; versions are immutable: choose another version, or leave it out to get the next number", c.Name, c.Version); err != nil {
		return fmt.Errorf("create component %s:%s: %w", c.Name, c.Version, err)
	}
	return nil
}

// NextComponentVersion returns one more than the largest numeric version
// of the component, or 1 for a new one.
func (db *DB) NextComponentVersion(ctx context.Context, ws, name string) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(version_num), 0) FROM components WHERE workspace_id = ? AND name = ?`), ws, name).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next version of component %s: %w", name, err)
	}
	return n + 1, nil
}

// Component returns one version or lathe.ENOTFOUND.
func (db *DB) Component(ctx context.Context, ws, name, version string) (*lathe.Component, error) {
	c, err := scanComponent(db.r.QueryRowContext(ctx, db.q(`SELECT `+componentCols+` FROM components WHERE workspace_id = ? AND name = ? AND version = ?`), ws, name, version))
	if err != nil {
		return nil, fmt.Errorf("get component %s:%s: %w", name, version, notFound(err, "component %s has no version %s; `lathe component show -n %s` lists its versions", name, version, name))
	}
	return c, nil
}

// LatestComponent returns the newest version that is not archived, or
// lathe.ENOTFOUND.
func (db *DB) LatestComponent(ctx context.Context, ws, name string) (*lathe.Component, error) {
	c, err := scanComponent(db.r.QueryRowContext(ctx, db.q(`SELECT `+componentCols+` FROM components WHERE workspace_id = ? AND name = ? AND archived = 0
		ORDER BY `+latestOrder+` LIMIT 1`), ws, name))
	if err != nil {
		return nil, fmt.Errorf("get component %s@latest: %w", name, notFound(err, "component %q has no version that is not archived; `lathe component list` shows the workspace's components", name))
	}
	return c, nil
}

// ListComponents returns the newest version of each named (not anonymous)
// component by name, after the given name, at most limit. Archived
// versions count only when archived is set.
func (db *DB) ListComponents(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.Component, error) {
	arch := " AND l.archived = 0"
	if archived {
		arch = ""
	}
	var out []*lathe.Component
	err := db.eachRow(ctx, `SELECT `+componentCols+` FROM components c WHERE workspace_id = ? AND anonymous = 0 AND name > ? AND version = (
		SELECT l.version FROM components l WHERE l.workspace_id = c.workspace_id AND l.name = c.name`+arch+`
		ORDER BY l.created_at DESC, COALESCE(l.version_num, -1) DESC, l.version DESC LIMIT 1)
		ORDER BY name LIMIT ?`, []any{ws, after, limit}, func(rows *sql.Rows) error {
		c, err := scanComponent(rows)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list components: %w", err)
	}
	return out, nil
}

// ListComponentVersions returns a component's versions, newest first.
func (db *DB) ListComponentVersions(ctx context.Context, ws, name string, offset, limit int) ([]*lathe.Component, error) {
	var out []*lathe.Component
	err := db.eachRow(ctx, `SELECT `+componentCols+` FROM components WHERE workspace_id = ? AND name = ? ORDER BY `+latestOrder+` LIMIT ? OFFSET ?`,
		[]any{ws, name, limit, offset}, func(rows *sql.Rows) error {
			c, err := scanComponent(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list versions of component %s: %w", name, err)
	}
	return out, nil
}

// ArchiveComponent sets or clears a version's archived flag. An archived
// version is no longer @latest but can still be named by its version.
func (db *DB) ArchiveComponent(ctx context.Context, ws, name, version string, archived bool) (*lathe.Component, error) {
	res, err := db.exec(ctx, `UPDATE components SET archived = ? WHERE workspace_id = ? AND name = ? AND version = ?`, boolInt(archived), ws, name, version)
	if err != nil {
		return nil, fmt.Errorf("archive component %s:%s: %w", name, version, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "component %s has no version %s; `lathe component show -n %s` lists its versions", name, version, name)
	}
	return db.Component(ctx, ws, name, version)
}
