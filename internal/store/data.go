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

// This file holds data assets: versions, their manifests and profiles.
// Datastores are in data_store.go.

func encodeTags(tags map[string]string) string {
	if len(tags) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(tags) // a map of strings always encodes
	return string(b)
}

func decodeTags(s string) (map[string]string, error) {
	if s == "" || s == "{}" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	return m, nil
}

func nullMS(t *time.Time) sql.NullInt64 { return msPtr(t) }

func versionNum(v string) sql.NullInt64 {
	n, ok := lathe.VersionNumber(v)
	return sql.NullInt64{Int64: n, Valid: ok}
}

// CreateDataVersion stores a new version with its manifest and (if not nil)
// its profile, creating the asset on its first version, in one
// transaction. A version that exists already is lathe.ECONFLICT: versions
// are immutable.
func (db *DB) CreateDataVersion(ctx context.Context, v *lathe.DataVersion, files []lathe.ManifestEntry, profile []byte) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO data_assets (workspace_id, name, archived_at, created_at) VALUES (?, ?, NULL, ?)
			ON CONFLICT (workspace_id, name) DO NOTHING`), v.WorkspaceID, v.Name, ms(v.CreatedAt)); err != nil {
			return fmt.Errorf("record data asset: %w", err)
		}
		var archived sql.NullInt64
		if v.Archived {
			archived = sql.NullInt64{Int64: ms(v.CreatedAt), Valid: true}
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO data_versions (workspace_id, name, version, version_num, type, description, tags,
			path, datastore, datastore_path, digest, files, size, archived_at, created_at, created_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`),
			v.WorkspaceID, v.Name, v.Version, versionNum(v.Version), v.Type, v.Description, encodeTags(v.Tags),
			v.Path, v.Datastore, v.DatastorePath, string(v.Digest), v.Files, v.Size, archived, ms(v.CreatedAt), v.CreatedBy)
		if err = db.conflict(err, "data asset %s has a version %s already; versions are immutable: choose another version, or leave it out to get the next number", v.Name, v.Version); err != nil {
			return err
		}
		const chunk = 500
		for start := 0; start < len(files); start += chunk {
			part := files[start:min(start+chunk, len(files))]
			args := make([]any, 0, len(part)*7)
			for _, f := range part {
				args = append(args, v.WorkspaceID, v.Name, v.Version, f.Path, string(f.Digest), f.Size, int64(f.Mode))
			}
			q := `INSERT INTO data_files (workspace_id, name, version, path, digest, size, mode) VALUES (?, ?, ?, ?, ?, ?, ?)` +
				strings.Repeat(`, (?, ?, ?, ?, ?, ?, ?)`, len(part)-1)
			if _, err := tx.ExecContext(ctx, db.q(q), args...); err != nil {
				return db.conflict(fmt.Errorf("record data files: %w", err), "the manifest of %s:%s lists a path twice", v.Name, v.Version)
			}
		}
		if profile != nil {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO data_profiles (workspace_id, name, version, profile) VALUES (?, ?, ?, ?)`),
				v.WorkspaceID, v.Name, v.Version, string(profile)); err != nil {
				return fmt.Errorf("record data profile: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create data version %s:%s: %w", v.Name, v.Version, err)
	}
	return nil
}

// NextDataVersion returns one more than the largest numeric version of the
// asset (archived ones included), or 1 for a new asset.
func (db *DB) NextDataVersion(ctx context.Context, ws, name string) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(version_num), 0) FROM data_versions WHERE workspace_id = ? AND name = ?`), ws, name).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next version of %s: %w", name, err)
	}
	return n + 1, nil
}

const dataVersionCols = `workspace_id, name, version, type, description, tags, path, datastore, datastore_path, digest, files, size,
	archived_at, created_at, created_by, updated_at`

func scanDataVersion(row interface{ Scan(...any) error }) (*lathe.DataVersion, error) {
	var v lathe.DataVersion
	var tags, digest string
	var archived, updated sql.NullInt64
	var created int64
	if err := row.Scan(&v.WorkspaceID, &v.Name, &v.Version, &v.Type, &v.Description, &tags, &v.Path, &v.Datastore, &v.DatastorePath,
		&digest, &v.Files, &v.Size, &archived, &created, &v.CreatedBy, &updated); err != nil {
		return nil, err
	}
	var err error
	if v.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	v.Digest, v.Archived, v.CreatedAt, v.UpdatedAt = lathe.Digest(digest), archived.Valid, fromMS(created), timePtr(updated)
	return &v, nil
}

// latestOrder orders versions newest first: by creation time, then by
// number (NULLs, the non-numeric labels, last on both backends).
const latestOrder = `created_at DESC, COALESCE(version_num, -1) DESC, version DESC`

// DataVersion returns one version or lathe.ENOTFOUND.
func (db *DB) DataVersion(ctx context.Context, ws, name, version string) (*lathe.DataVersion, error) {
	v, err := scanDataVersion(db.r.QueryRowContext(ctx, db.q(`SELECT `+dataVersionCols+` FROM data_versions WHERE workspace_id = ? AND name = ? AND version = ?`),
		ws, name, version))
	if err != nil {
		return nil, fmt.Errorf("get data version %s:%s: %w", name, version, notFound(err, "data asset %s has no version %s; `lathe data list -n %s` shows its versions", name, version, name))
	}
	return v, nil
}

// LatestDataVersion returns the newest version that is not archived, or
// lathe.ENOTFOUND.
func (db *DB) LatestDataVersion(ctx context.Context, ws, name string) (*lathe.DataVersion, error) {
	v, err := scanDataVersion(db.r.QueryRowContext(ctx, db.q(`SELECT `+dataVersionCols+` FROM data_versions
		WHERE workspace_id = ? AND name = ? AND archived_at IS NULL ORDER BY `+latestOrder+` LIMIT 1`), ws, name))
	if err != nil {
		return nil, fmt.Errorf("get data asset %s@latest: %w", name, notFound(err, "data asset %s has no versions that are not archived; create one, or restore one with `lathe data restore`", name))
	}
	return v, nil
}

// DataVersionByDigest returns the oldest version of the workspace whose
// tree has the digest and lives in the datastore, or lathe.ENOTFOUND.
func (db *DB) DataVersionByDigest(ctx context.Context, ws, datastore string, d lathe.Digest) (*lathe.DataVersion, error) {
	v, err := scanDataVersion(db.r.QueryRowContext(ctx, db.q(`SELECT `+dataVersionCols+` FROM data_versions
		WHERE workspace_id = ? AND datastore = ? AND digest = ? ORDER BY created_at LIMIT 1`), ws, datastore, string(d)))
	if err != nil {
		return nil, fmt.Errorf("find data version by digest: %w", notFound(err, "no data version of this workspace has the content %s", d))
	}
	return v, nil
}

// ListDataVersions returns an asset's versions, newest first, skipping
// offset of them and returning at most limit; archived ones only if asked.
func (db *DB) ListDataVersions(ctx context.Context, ws, name string, archived bool, offset, limit int) ([]*lathe.DataVersion, error) {
	q := `SELECT ` + dataVersionCols + ` FROM data_versions WHERE workspace_id = ? AND name = ?`
	if !archived {
		q += ` AND archived_at IS NULL`
	}
	q += ` ORDER BY ` + latestOrder + ` LIMIT ? OFFSET ?`
	var out []*lathe.DataVersion
	err := db.eachRow(ctx, q, []any{ws, name, limit, offset}, func(rows *sql.Rows) error {
		v, err := scanDataVersion(rows)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", name, err)
	}
	return out, nil
}

const dataAssetQuery = `SELECT a.workspace_id, a.name, a.archived_at, a.created_at,
	(SELECT COUNT(*) FROM data_versions v WHERE v.workspace_id = a.workspace_id AND v.name = a.name),
	(SELECT COALESCE(MAX(v.created_at), a.created_at) FROM data_versions v WHERE v.workspace_id = a.workspace_id AND v.name = a.name),
	COALESCE((SELECT l.version FROM data_versions l WHERE l.workspace_id = a.workspace_id AND l.name = a.name AND l.archived_at IS NULL
		ORDER BY l.created_at DESC, COALESCE(l.version_num, -1) DESC, l.version DESC LIMIT 1), '')
	FROM data_assets a`

func scanDataAsset(row interface{ Scan(...any) error }) (*lathe.DataAsset, error) {
	var a lathe.DataAsset
	var archived sql.NullInt64
	var created, updated int64
	if err := row.Scan(&a.WorkspaceID, &a.Name, &archived, &created, &a.Versions, &updated, &a.LatestVersion); err != nil {
		return nil, err
	}
	a.Archived, a.CreatedAt, a.UpdatedAt = archived.Valid, fromMS(created), fromMS(updated)
	return &a, nil
}

// DataAsset returns an asset with its version count and latest version, or
// lathe.ENOTFOUND.
func (db *DB) DataAsset(ctx context.Context, ws, name string) (*lathe.DataAsset, error) {
	a, err := scanDataAsset(db.r.QueryRowContext(ctx, db.q(dataAssetQuery+` WHERE a.workspace_id = ? AND a.name = ?`), ws, name))
	if err != nil {
		return nil, fmt.Errorf("get data asset %s: %w", name, notFound(err, "data asset %q not found; `lathe data list` shows the workspace's assets", name))
	}
	return a, nil
}

// ListDataAssets returns the workspace's assets by name, after the name
// `after` ("" for the first page), at most limit; archived ones only if
// asked.
func (db *DB) ListDataAssets(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.DataAsset, error) {
	q := dataAssetQuery + ` WHERE a.workspace_id = ? AND a.name > ?`
	if !archived {
		q += ` AND a.archived_at IS NULL`
	}
	q += ` ORDER BY a.name LIMIT ?`
	var out []*lathe.DataAsset
	err := db.eachRow(ctx, q, []any{ws, after, limit}, func(rows *sql.Rows) error {
		a, err := scanDataAsset(rows)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list data assets: %w", err)
	}
	return out, nil
}

// DataVersionUpdate is what may change on a version: nil fields stay.
type DataVersionUpdate struct {
	Description *string
	Tags        map[string]string // replaces all tags when not nil
	// Archived archives (true) or restores (false) the version.
	Archived *bool
	At       time.Time
}

// UpdateDataVersion changes a version's description, tags or archived flag
// and returns it, or lathe.ENOTFOUND.
func (db *DB) UpdateDataVersion(ctx context.Context, ws, name, version string, u DataVersionUpdate) (*lathe.DataVersion, error) {
	sets := []string{`updated_at = ?`}
	args := []any{ms(u.At)}
	if u.Description != nil {
		sets, args = append(sets, `description = ?`), append(args, *u.Description)
	}
	if u.Tags != nil {
		sets, args = append(sets, `tags = ?`), append(args, encodeTags(u.Tags))
	}
	if u.Archived != nil {
		var at sql.NullInt64
		if *u.Archived {
			at = sql.NullInt64{Int64: ms(u.At), Valid: true}
		}
		sets, args = append(sets, `archived_at = ?`), append(args, at)
	}
	args = append(args, ws, name, version)
	res, err := db.exec(ctx, `UPDATE data_versions SET `+strings.Join(sets, ", ")+` WHERE workspace_id = ? AND name = ? AND version = ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("update data version %s:%s: %w", name, version, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "data asset %s has no version %s; `lathe data list -n %s` shows its versions", name, version, name)
	}
	return db.DataVersion(ctx, ws, name, version)
}

// SetDataAssetArchived archives (at != nil) or restores a whole asset.
func (db *DB) SetDataAssetArchived(ctx context.Context, ws, name string, at *time.Time) error {
	res, err := db.exec(ctx, `UPDATE data_assets SET archived_at = ? WHERE workspace_id = ? AND name = ?`, nullMS(at), ws, name)
	if err != nil {
		return fmt.Errorf("archive data asset %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lathe.Errorf(lathe.ENOTFOUND, "data asset %q not found; `lathe data list --archived` shows every asset", name)
	}
	return nil
}

// DataFiles returns a version's manifest entries in path order, those after
// the path `after` ("" for the first), at most limit of them.
func (db *DB) DataFiles(ctx context.Context, ws, name, version, after string, limit int) ([]lathe.ManifestEntry, error) {
	var out []lathe.ManifestEntry
	err := db.eachRow(ctx, `SELECT path, digest, size, mode FROM data_files WHERE workspace_id = ? AND name = ? AND version = ? AND path > ?
		ORDER BY path LIMIT ?`, []any{ws, name, version, after, limit}, func(rows *sql.Rows) error {
		var e lathe.ManifestEntry
		var d string
		var mode int64
		if err := rows.Scan(&e.Path, &d, &e.Size, &mode); err != nil {
			return err
		}
		e.Digest, e.Mode = lathe.Digest(d), uint32(mode)
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list files of %s:%s: %w", name, version, err)
	}
	return out, nil
}

// DataFile returns one manifest entry or lathe.ENOTFOUND.
func (db *DB) DataFile(ctx context.Context, ws, name, version, path string) (*lathe.ManifestEntry, error) {
	var e lathe.ManifestEntry
	var d string
	var mode int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT path, digest, size, mode FROM data_files WHERE workspace_id = ? AND name = ? AND version = ? AND path = ?`),
		ws, name, version, path).Scan(&e.Path, &d, &e.Size, &mode)
	if err != nil {
		return nil, fmt.Errorf("get file %q of %s:%s: %w", path, name, version, notFound(err, "%s:%s has no file %q", name, version, path))
	}
	e.Digest, e.Mode = lathe.Digest(d), uint32(mode)
	return &e, nil
}

// DataProfile returns a version's stored profile (JSON), or
// lathe.ENOTFOUND when it has none.
func (db *DB) DataProfile(ctx context.Context, ws, name, version string) ([]byte, error) {
	var p string
	err := db.r.QueryRowContext(ctx, db.q(`SELECT profile FROM data_profiles WHERE workspace_id = ? AND name = ? AND version = ?`), ws, name, version).Scan(&p)
	if err != nil {
		return nil, fmt.Errorf("get profile of %s:%s: %w", name, version, notFound(err, "%s:%s has no profile: only tabular data (CSV or Parquet) is profiled", name, version))
	}
	return []byte(p), nil
}

// BlobSizes returns the size of each digest the workspace holds, for at most
// MaxBatch digests; digests it does not hold are absent from the map.
func (db *DB) BlobSizes(ctx context.Context, ws string, ds []lathe.Digest) (map[lathe.Digest]int64, error) {
	if len(ds) > MaxBatch {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%d digests in one call; the limit is %d, split the batch", len(ds), MaxBatch)
	}
	out := make(map[lathe.Digest]int64, len(ds))
	if len(ds) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ds)+1)
	args = append(args, ws)
	for _, d := range ds {
		args = append(args, string(d))
	}
	err := db.eachRow(ctx, `SELECT digest, size FROM blobs WHERE workspace_id = ? AND digest IN (?`+strings.Repeat(`, ?`, len(ds)-1)+`)`, args,
		func(rows *sql.Rows) error {
			var d string
			var n int64
			if err := rows.Scan(&d, &n); err != nil {
				return err
			}
			out[lathe.Digest(d)] = n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("blob sizes: %w", err)
	}
	return out, nil
}
