package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latheml/lathe"
)

// CreateDatastore stores a datastore (its credentials already sealed); a
// taken name is lathe.ECONFLICT.
func (db *DB) CreateDatastore(ctx context.Context, d *lathe.Datastore) error {
	secure := int64(0)
	if d.Secure {
		secure = 1
	}
	var creds any
	if d.Credentials != nil {
		creds = d.Credentials
	}
	_, err := db.exec(ctx, `INSERT INTO datastores (workspace_id, name, type, description, tags, path, bucket, prefix, endpoint, region, secure,
		credentials, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.WorkspaceID, d.Name, d.Type, d.Description, encodeTags(d.Tags), d.Path, d.Bucket, d.Prefix, d.Endpoint, d.Region, secure,
		creds, ms(d.CreatedAt), d.CreatedBy)
	if err = db.conflict(err, "datastore %q exists already; choose another name, or delete it first", d.Name); err != nil {
		return fmt.Errorf("create datastore %s: %w", d.Name, err)
	}
	return nil
}

const datastoreCols = `workspace_id, name, type, description, tags, path, bucket, prefix, endpoint, region, secure, credentials, created_at, created_by`

func scanDatastore(row interface{ Scan(...any) error }) (*lathe.Datastore, error) {
	var d lathe.Datastore
	var tags string
	var secure, created int64
	var creds []byte
	if err := row.Scan(&d.WorkspaceID, &d.Name, &d.Type, &d.Description, &tags, &d.Path, &d.Bucket, &d.Prefix, &d.Endpoint, &d.Region,
		&secure, &creds, &created, &d.CreatedBy); err != nil {
		return nil, err
	}
	var err error
	if d.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	d.Secure, d.CreatedAt = secure != 0, fromMS(created)
	if len(creds) > 0 {
		d.Credentials, d.HasCredentials = creds, true
	}
	return &d, nil
}

// Datastore returns a datastore with its sealed credentials, or
// lathe.ENOTFOUND.
func (db *DB) Datastore(ctx context.Context, ws, name string) (*lathe.Datastore, error) {
	d, err := scanDatastore(db.r.QueryRowContext(ctx, db.q(`SELECT `+datastoreCols+` FROM datastores WHERE workspace_id = ? AND name = ?`), ws, name))
	if err != nil {
		return nil, fmt.Errorf("get datastore %s: %w", name, notFound(err, "datastore %q not found; `lathe datastore list` shows the workspace's datastores", name))
	}
	return d, nil
}

// ListDatastores returns the workspace's datastores by name.
func (db *DB) ListDatastores(ctx context.Context, ws string) ([]*lathe.Datastore, error) {
	var out []*lathe.Datastore
	err := db.eachRow(ctx, `SELECT `+datastoreCols+` FROM datastores WHERE workspace_id = ? ORDER BY name`, []any{ws}, func(rows *sql.Rows) error {
		d, err := scanDatastore(rows)
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list datastores: %w", err)
	}
	return out, nil
}

// DeleteDatastore deletes a datastore that no data version refers to; one
// still referred to is lathe.ECONFLICT, a missing one lathe.ENOTFOUND.
func (db *DB) DeleteDatastore(ctx context.Context, ws, name string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM data_versions WHERE workspace_id = ? AND datastore = ?`), ws, name).Scan(&n); err != nil {
			return fmt.Errorf("count data versions on %s: %w", name, err)
		}
		if n > 0 {
			return lathe.Errorf(lathe.ECONFLICT, "datastore %q holds %d data versions; they refer to it for ever (versions are immutable), so it cannot be deleted", name, n)
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM datastores WHERE workspace_id = ? AND name = ?`), ws, name)
		if err != nil {
			return fmt.Errorf("delete datastore %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lathe.Errorf(lathe.ENOTFOUND, "datastore %q not found; `lathe datastore list` shows the workspace's datastores", name)
		}
		return nil
	})
}
