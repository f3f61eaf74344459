package tracking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
	"github.com/latheml/lathe/internal/store"
)

// Content is the workspace view of the blob store.
type Content interface {
	Put(ctx context.Context, workspaceID, actor string, r io.Reader, opts blob.PutOptions) (*lathe.Blob, error)
	Open(ctx context.Context, workspaceID string, d lathe.Digest, offset, length int64) (io.ReadCloser, error)
}

// ArtifactStore keeps the artifact index and multipart uploads.
type ArtifactStore interface {
	PutArtifact(ctx context.Context, ws string, a store.Artifact) error
	Artifact(ctx context.Context, ws, path string) (*store.Artifact, error)
	ListArtifacts(ctx context.Context, ws, dir string) ([]store.ArtifactEntry, error)
	DeleteArtifacts(ctx context.Context, ws, path string) (int64, error)
	CreateUpload(ctx context.Context, ws, uploadID, path string, parts int, at int64) error
	Upload(ctx context.Context, ws, uploadID string) (string, int, error)
	PutUploadPart(ctx context.Context, uploadID string, part int, d lathe.Digest, size int64) error
	UploadParts(ctx context.Context, uploadID string) ([]store.Artifact, error)
	FinishUpload(ctx context.Context, ws, uploadID string, final *store.Artifact) error
}

// MaxArtifactPath bounds an artifact path.
const MaxArtifactPath = 1024

// CleanArtifactPath checks an artifact path from a client: relative, no
// "..", no empty or "." segments, at most 1024 bytes. dir allows "" (the
// root) for listings.
func CleanArtifactPath(p string, dir bool) (string, error) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		if dir {
			return "", nil
		}
		return "", invalid("artifact path is empty")
	}
	if len(p) > MaxArtifactPath {
		return "", invalid("artifact path is %d bytes long; the limit is %d", len(p), MaxArtifactPath)
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		return "", invalid("Invalid path: '%s'. Use a relative path with '/' separators.", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", invalid("Invalid path: '%s'. Paths must not contain empty, '.' or '..' segments.", p)
		}
	}
	return p, nil
}

// PutArtifact stores a file in the workspace's artifact tree, replacing the
// file at that path if there was one.
func (s *Service) PutArtifact(ctx context.Context, ws, actor, path string, r io.Reader, size int64, maxSize int64) error {
	p, err := CleanArtifactPath(path, false)
	if err != nil {
		return err
	}
	opts := blob.PutOptions{MaxSize: maxSize}
	if size >= 0 {
		opts.Size, opts.HasSize = size, true
	}
	b, err := s.content.Put(ctx, ws, actor, r, opts)
	if err != nil {
		return err
	}
	return s.store.PutArtifact(ctx, ws, store.Artifact{Path: p, Digest: b.Digest, Size: b.Size, CreatedAt: s.ms()})
}

// OpenArtifact returns a reader of a stored file and its record.
func (s *Service) OpenArtifact(ctx context.Context, ws, path string) (io.ReadCloser, *store.Artifact, error) {
	p, err := CleanArtifactPath(path, false)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.store.Artifact(ctx, ws, p)
	if err != nil {
		return nil, nil, err
	}
	rc, err := s.content.Open(ctx, ws, a.Digest, 0, -1)
	if err != nil {
		return nil, nil, err
	}
	return rc, a, nil
}

// ListArtifacts returns the direct children of a directory ("" for the root).
func (s *Service) ListArtifacts(ctx context.Context, ws, dir string) ([]store.ArtifactEntry, error) {
	p, err := CleanArtifactPath(dir, true)
	if err != nil {
		return nil, err
	}
	return s.store.ListArtifacts(ctx, ws, p)
}

// DeleteArtifacts removes a file or a directory's files; a path with nothing
// under it is lathe.ENOTFOUND. The bytes stay in the blob store (they may be
// shared by digest).
func (s *Service) DeleteArtifacts(ctx context.Context, ws, path string) error {
	p, err := CleanArtifactPath(path, false)
	if err != nil {
		return err
	}
	n, err := s.store.DeleteArtifacts(ctx, ws, p)
	if err != nil {
		return err
	}
	if n == 0 {
		return lathe.Errorf(lathe.ENOTFOUND, "No such file or directory: '%s'", p)
	}
	return nil
}

// MaxUploadParts bounds a multipart upload, as S3 does.
const MaxUploadParts = 10000

// CreateUpload starts a multipart upload of a file and returns its ID.
func (s *Service) CreateUpload(ctx context.Context, ws, path string, parts int) (string, error) {
	p, err := CleanArtifactPath(path, false)
	if err != nil {
		return "", err
	}
	if parts < 1 || parts > MaxUploadParts {
		return "", invalid("num_parts must be from 1 to %d, got %d", MaxUploadParts, parts)
	}
	id := lathe.NewID()
	if err := s.store.CreateUpload(ctx, ws, id, p, parts, s.ms()); err != nil {
		return "", err
	}
	return id, nil
}

// PutUploadPart stores one part of a multipart upload and returns its ETag
// (the part's digest).
func (s *Service) PutUploadPart(ctx context.Context, ws, actor, uploadID string, part int, r io.Reader, size, maxSize int64) (string, error) {
	_, parts, err := s.store.Upload(ctx, ws, uploadID)
	if err != nil {
		return "", err
	}
	if part < 1 || part > parts {
		return "", invalid("part_number must be from 1 to %d, got %d", parts, part)
	}
	opts := blob.PutOptions{MaxSize: maxSize}
	if size >= 0 {
		opts.Size, opts.HasSize = size, true
	}
	b, err := s.content.Put(ctx, ws, actor, r, opts)
	if err != nil {
		return "", err
	}
	if err := s.store.PutUploadPart(ctx, uploadID, part, b.Digest, b.Size); err != nil {
		return "", err
	}
	return b.Digest.Hex(), nil
}

// CompleteUpload joins the parts, in order, into the file at the upload's
// path. etags, if given, must match the parts' ETags.
func (s *Service) CompleteUpload(ctx context.Context, ws, actor, uploadID string, etags map[int]string) error {
	path, n, err := s.store.Upload(ctx, ws, uploadID)
	if err != nil {
		return err
	}
	parts, err := s.store.UploadParts(ctx, uploadID)
	if err != nil {
		return err
	}
	if len(parts) != n {
		return invalid("upload %s has %d of its %d parts; upload the missing ones before completing", uploadID, len(parts), n)
	}
	for i, p := range parts {
		if want, ok := etags[i+1]; ok && strings.Trim(want, `"`) != p.Digest.Hex() {
			return invalid("part %d: ETag %s does not match the uploaded part (%s)", i+1, want, p.Digest.Hex())
		}
	}
	pr, pw := io.Pipe()
	go func() {
		var err error
		for _, p := range parts {
			var rc io.ReadCloser
			if rc, err = s.content.Open(ctx, ws, p.Digest, 0, -1); err != nil {
				break
			}
			_, err = io.Copy(pw, rc)
			rc.Close()
			if err != nil {
				break
			}
		}
		pw.CloseWithError(err)
	}()
	b, err := s.content.Put(ctx, ws, actor, pr, blob.PutOptions{})
	pr.CloseWithError(errors.New("join stopped"))
	if err != nil {
		return fmt.Errorf("join parts of %s: %w", uploadID, err)
	}
	return s.store.FinishUpload(ctx, ws, uploadID, &store.Artifact{Path: path, Digest: b.Digest, Size: b.Size, CreatedAt: s.ms()})
}

// AbortUpload drops a multipart upload and its parts.
func (s *Service) AbortUpload(ctx context.Context, ws, uploadID string) error {
	return s.store.FinishUpload(ctx, ws, uploadID, nil)
}
