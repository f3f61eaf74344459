package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/latheml/lathe"
)

// MaxBatch bounds the digests one BlobsExist call takes.
const MaxBatch = 1000

// PutBlob records that workspace b.WorkspaceID holds the blob. Recording one
// that is there already keeps the first record and is not an error.
func (db *DB) PutBlob(ctx context.Context, b *lathe.Blob) error {
	_, err := db.exec(ctx, `INSERT INTO blobs (workspace_id, digest, size, created_at, created_by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, digest) DO NOTHING`,
		b.WorkspaceID, string(b.Digest), b.Size, ms(b.CreatedAt), b.CreatedBy)
	if err != nil {
		return fmt.Errorf("record blob %s: %w", b.Digest, err)
	}
	return nil
}

const blobCols = `workspace_id, digest, size, created_at, created_by`

func scanBlob(row interface{ Scan(...any) error }) (*lathe.Blob, error) {
	var b lathe.Blob
	var d string
	var created int64
	if err := row.Scan(&b.WorkspaceID, &d, &b.Size, &created, &b.CreatedBy); err != nil {
		return nil, err
	}
	b.Digest, b.CreatedAt = lathe.Digest(d), fromMS(created)
	return &b, nil
}

// Blob returns the workspace's record of a digest, or lathe.ENOTFOUND when the
// workspace never stored it (whether or not another workspace did).
func (db *DB) Blob(ctx context.Context, workspaceID string, d lathe.Digest) (*lathe.Blob, error) {
	b, err := scanBlob(db.r.QueryRowContext(ctx, db.q(`SELECT `+blobCols+` FROM blobs WHERE workspace_id = ? AND digest = ?`),
		workspaceID, string(d)))
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", d, notFound(err, "blob %s not found in this workspace", d))
	}
	return b, nil
}

// ListBlobs returns the workspace's blobs, newest first, strictly after the
// blob `after` (nil for the first page), at most limit of them.
func (db *DB) ListBlobs(ctx context.Context, workspaceID string, after *lathe.Blob, limit int) ([]*lathe.Blob, error) {
	query := `SELECT ` + blobCols + ` FROM blobs WHERE workspace_id = ?`
	args := []any{workspaceID}
	if after != nil {
		t := ms(after.CreatedAt)
		query += ` AND (created_at < ? OR (created_at = ? AND digest < ?))`
		args = append(args, t, t, string(after.Digest))
	}
	query += ` ORDER BY created_at DESC, digest DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	defer rows.Close()
	var out []*lathe.Blob
	for rows.Next() {
		b, err := scanBlob(rows)
		if err != nil {
			return nil, fmt.Errorf("list blobs: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BlobsExist reports, for each digest in order, whether the workspace holds it.
func (db *DB) BlobsExist(ctx context.Context, workspaceID string, ds []lathe.Digest) ([]bool, error) {
	if len(ds) > MaxBatch {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%d digests in one call; the limit is %d, split the batch", len(ds), MaxBatch)
	}
	out := make([]bool, len(ds))
	if len(ds) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ds)+1)
	args = append(args, workspaceID)
	for _, d := range ds {
		args = append(args, string(d))
	}
	query := `SELECT digest FROM blobs WHERE workspace_id = ? AND digest IN (?` + strings.Repeat(`, ?`, len(ds)-1) + `)`
	rows, err := db.r.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("check blobs: %w", err)
	}
	defer rows.Close()
	have := make(map[string]bool, len(ds))
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("check blobs: %w", err)
		}
		have[d] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check blobs: %w", err)
	}
	for i, d := range ds {
		out[i] = have[string(d)]
	}
	return out, nil
}
