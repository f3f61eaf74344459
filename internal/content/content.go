// Package content gives workspaces access to the shared, content-addressed
// blob store. Bytes are stored once by digest; each workspace keeps its own
// record of the digests it stored, and only those are visible to it, so
// knowing a digest never grants access to another workspace's bytes.
package content

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

// Store is what the service needs from the metadata store.
type Store interface {
	PutBlob(ctx context.Context, b *lathe.Blob) error
	Blob(ctx context.Context, workspaceID string, d lathe.Digest) (*lathe.Blob, error)
	BlobsExist(ctx context.Context, workspaceID string, ds []lathe.Digest) ([]bool, error)
	ListBlobs(ctx context.Context, workspaceID string, after *lathe.Blob, limit int) ([]*lathe.Blob, error)
}

// Service stores and serves workspace content.
type Service struct {
	blobs blob.Store
	store Store
	now   func() time.Time
}

// New returns a Service.
func New(blobs blob.Store, store Store, now func() time.Time) *Service {
	return &Service{blobs: blobs, store: store, now: now}
}

// Put streams r into the blob store and records it for the workspace. The
// record is written only after the bytes are durable, so a crash between the
// two leaves an unreferenced blob, never a record without bytes.
func (s *Service) Put(ctx context.Context, workspaceID, actor string, r io.Reader, opts blob.PutOptions) (*lathe.Blob, error) {
	info, err := s.blobs.Put(ctx, r, opts)
	if err != nil {
		return nil, fmt.Errorf("store content: %w", err)
	}
	b := &lathe.Blob{WorkspaceID: workspaceID, Digest: info.Digest, Size: info.Size, CreatedAt: s.now(), CreatedBy: actor}
	if err := s.store.PutBlob(ctx, b); err != nil {
		return nil, err
	}
	return s.store.Blob(ctx, workspaceID, info.Digest)
}

// Stat returns the workspace's record of a digest.
func (s *Service) Stat(ctx context.Context, workspaceID string, d lathe.Digest) (*lathe.Blob, error) {
	return s.store.Blob(ctx, workspaceID, d)
}

// Open returns a reader of length bytes from offset (length < 0: to the end)
// of a blob the workspace holds. Whole reads are verified against the digest.
func (s *Service) Open(ctx context.Context, workspaceID string, d lathe.Digest, offset, length int64) (io.ReadCloser, error) {
	if _, err := s.store.Blob(ctx, workspaceID, d); err != nil {
		return nil, err
	}
	rc, err := s.blobs.Get(ctx, d, offset, length)
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		return nil, lathe.Errorf(lathe.ECORRUPT, "blob %s is recorded but its bytes are missing from the blob store", d)
	}
	return rc, err
}

// Exist reports which digests the workspace holds.
func (s *Service) Exist(ctx context.Context, workspaceID string, ds []lathe.Digest) ([]bool, error) {
	for i, d := range ds {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("digests[%d]: %w", i, err)
		}
	}
	return s.store.BlobsExist(ctx, workspaceID, ds)
}

// List returns one page of the workspace's blobs, newest first. cursor is ""
// for the first page or the next cursor of the page before; next is "" on
// the last page.
func (s *Service) List(ctx context.Context, workspaceID, cursor string, limit int) (page []*lathe.Blob, next string, err error) {
	var after *lathe.Blob
	if cursor != "" {
		if after, err = decodeCursor(cursor); err != nil {
			return nil, "", err
		}
	}
	page, err = s.store.ListBlobs(ctx, workspaceID, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	if len(page) > limit {
		page = page[:limit]
		last := page[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last.CreatedAt.UnixMilli(), 10) + "," + string(last.Digest)))
	}
	return page, next, nil
}

func decodeCursor(c string) (*lathe.Blob, error) {
	bad := lathe.Errorf(lathe.EINVALID, "cursor %q is not one this server issued; start again without a cursor", c)
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, bad
	}
	t, d, ok := strings.Cut(string(raw), ",")
	ms, err := strconv.ParseInt(t, 10, 64)
	if !ok || err != nil || lathe.Digest(d).Validate() != nil {
		return nil, bad
	}
	return &lathe.Blob{CreatedAt: time.UnixMilli(ms), Digest: lathe.Digest(d)}, nil
}
