package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/latheml/lathe"
)

// Artifact is one file in the MLflow artifact tree of a workspace.
type Artifact struct {
	Path      string
	Digest    lathe.Digest
	Size      int64
	CreatedAt int64
}

// ArtifactEntry is a child of a listed directory: a file, or a directory
// that holds files further down.
type ArtifactEntry struct {
	Path  string
	IsDir bool
	Size  int64
}

// PutArtifact records (or replaces) the file at path.
func (db *DB) PutArtifact(ctx context.Context, ws string, a Artifact) error {
	_, err := db.exec(ctx, `INSERT INTO artifacts (workspace_id, path, digest, size, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, path) DO UPDATE SET digest = excluded.digest, size = excluded.size, created_at = excluded.created_at`,
		ws, a.Path, string(a.Digest), a.Size, a.CreatedAt)
	if err != nil {
		return fmt.Errorf("record artifact %s: %w", a.Path, err)
	}
	return nil
}

// Artifact returns the file at path, or lathe.ENOTFOUND.
func (db *DB) Artifact(ctx context.Context, ws, path string) (*Artifact, error) {
	var a Artifact
	var d string
	err := db.r.QueryRowContext(ctx, db.q(`SELECT path, digest, size, created_at FROM artifacts WHERE workspace_id = ? AND path = ?`), ws, path).
		Scan(&a.Path, &d, &a.Size, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "No such file or directory: '%s'", path)
	}
	if err != nil {
		return nil, fmt.Errorf("get artifact: %w", err)
	}
	a.Digest = lathe.Digest(d)
	return &a, nil
}

// ListArtifacts returns the direct children of dir ("" for the root), files
// and directories, sorted by path. Paths are relative to the root.
func (db *DB) ListArtifacts(ctx context.Context, ws, dir string) ([]ArtifactEntry, error) {
	prefix := ""
	if dir != "" {
		prefix = strings.TrimSuffix(dir, "/") + "/"
	}
	seen := map[string]*ArtifactEntry{}
	err := db.eachRow(ctx, `SELECT path, size FROM artifacts WHERE workspace_id = ? AND path LIKE ? ESCAPE '\' ORDER BY path`,
		[]any{ws, likePrefix(prefix)}, func(rows *sql.Rows) error {
			var p string
			var size int64
			if err := rows.Scan(&p, &size); err != nil {
				return err
			}
			rest := strings.TrimPrefix(p, prefix)
			if child, _, deeper := strings.Cut(rest, "/"); deeper {
				if _, ok := seen[child]; !ok {
					seen[child] = &ArtifactEntry{Path: prefix + child, IsDir: true}
				}
			} else {
				seen[rest] = &ArtifactEntry{Path: p, Size: size}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list artifacts: %w", err)
	}
	out := make([]ArtifactEntry, 0, len(seen))
	for _, e := range seen {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// DeleteArtifacts removes the file at path, or everything under it if it is
// a directory, and returns how many files went.
func (db *DB) DeleteArtifacts(ctx context.Context, ws, path string) (int64, error) {
	res, err := db.exec(ctx, `DELETE FROM artifacts WHERE workspace_id = ? AND (path = ? OR path LIKE ? ESCAPE '\')`,
		ws, path, likePrefix(strings.TrimSuffix(path, "/")+"/"))
	if err != nil {
		return 0, fmt.Errorf("delete artifacts: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// CreateUpload starts a multipart artifact upload.
func (db *DB) CreateUpload(ctx context.Context, ws, uploadID, path string, parts int, at int64) error {
	_, err := db.exec(ctx, `INSERT INTO artifact_uploads (upload_id, workspace_id, path, num_parts, created_at) VALUES (?, ?, ?, ?, ?)`,
		uploadID, ws, path, parts, at)
	if err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	return nil
}

// Upload returns a multipart upload's path and part count, or lathe.ENOTFOUND.
func (db *DB) Upload(ctx context.Context, ws, uploadID string) (path string, parts int, err error) {
	err = db.r.QueryRowContext(ctx, db.q(`SELECT path, num_parts FROM artifact_uploads WHERE upload_id = ? AND workspace_id = ?`), uploadID, ws).Scan(&path, &parts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, lathe.Errorf(lathe.ENOTFOUND, "upload %s not found (aborted, completed or never created)", uploadID)
	}
	if err != nil {
		return "", 0, fmt.Errorf("get upload: %w", err)
	}
	return path, parts, nil
}

// PutUploadPart records (or replaces) one part of a multipart upload.
func (db *DB) PutUploadPart(ctx context.Context, uploadID string, part int, d lathe.Digest, size int64) error {
	_, err := db.exec(ctx, `INSERT INTO artifact_upload_parts (upload_id, part_number, digest, size) VALUES (?, ?, ?, ?)
		ON CONFLICT (upload_id, part_number) DO UPDATE SET digest = excluded.digest, size = excluded.size`, uploadID, part, string(d), size)
	if err != nil {
		return fmt.Errorf("record upload part: %w", err)
	}
	return nil
}

// UploadParts returns the recorded parts of an upload in part order.
func (db *DB) UploadParts(ctx context.Context, uploadID string) ([]Artifact, error) {
	var out []Artifact
	err := db.eachRow(ctx, `SELECT part_number, digest, size FROM artifact_upload_parts WHERE upload_id = ? ORDER BY part_number`, []any{uploadID}, func(rows *sql.Rows) error {
		var a Artifact
		var n int
		var d string
		if err := rows.Scan(&n, &d, &a.Size); err != nil {
			return err
		}
		a.Path, a.Digest = fmt.Sprint(n), lathe.Digest(d)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list upload parts: %w", err)
	}
	return out, nil
}

// FinishUpload removes an upload and its parts; if final is set, the file is
// recorded at the upload's path in the same transaction.
func (db *DB) FinishUpload(ctx context.Context, ws, uploadID string, final *Artifact) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM artifact_uploads WHERE upload_id = ? AND workspace_id = ?`), uploadID, ws)
		if err != nil {
			return fmt.Errorf("finish upload: %w", err)
		}
		if err := oneRow(res, "upload %s not found (aborted, completed or never created)", uploadID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM artifact_upload_parts WHERE upload_id = ?`), uploadID); err != nil {
			return fmt.Errorf("finish upload: %w", err)
		}
		if final == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO artifacts (workspace_id, path, digest, size, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (workspace_id, path) DO UPDATE SET digest = excluded.digest, size = excluded.size, created_at = excluded.created_at`),
			ws, final.Path, string(final.Digest), final.Size, final.CreatedAt)
		if err != nil {
			return fmt.Errorf("record artifact %s: %w", final.Path, err)
		}
		return nil
	})
}
