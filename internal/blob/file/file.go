// Package file is the blob store backend that keeps blobs as files under a
// local directory, the default for a single-machine Lathe.
//
// The layout under the root directory is
//
//	sha256/<first 2 hex digits>/<64 hex digits>   one read-only file per blob
//	tmp/put-*                                     Puts in progress
//
// A Put streams into a temp file in tmp/ (on the same file system as the
// blobs), hashing as it goes, fsyncs it, renames it into place and fsyncs the
// directory, so a blob path only ever names complete, durable bytes. New
// removes temp files older than blob.StaleTempAge, left behind by a crash; it
// leaves younger ones alone because another process sharing the directory may
// still be writing them.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

const (
	blobDir    = "sha256"
	tempDir    = "tmp"
	tempPrefix = "put-"
	blobPerm   = 0o400
	dirPerm    = 0o750
)

var _ blob.Store = (*Store)(nil)

// Store is a blob.Store on a local directory. It is safe for concurrent use,
// also by several processes sharing the directory.
type Store struct {
	root string
}

// New opens (creating if needed) the blob store rooted at root and removes
// temp files that crashed Puts left behind more than blob.StaleTempAge ago.
func New(ctx context.Context, root string) (*Store, error) {
	if root == "" {
		return nil, lathe.Errorf(lathe.EINVALID, "blob store directory is empty; set it to a local directory such as ~/.lathe/blobs")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve blob store directory %s: %w", root, err)
	}
	s := &Store{root: abs}
	for _, dir := range []string{s.root, filepath.Join(s.root, blobDir), s.tempDir()} {
		if err := os.MkdirAll(dir, dirPerm); err != nil {
			return nil, fmt.Errorf("create blob store directory: %w", err)
		}
	}
	if _, err := blob.RemoveStaleTemp(ctx, s.tempDir(), tempPrefix, time.Now().Add(-blob.StaleTempAge)); err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", s.root, err)
	}
	return s, nil
}

// Root returns the absolute directory the store lives in.
func (s *Store) Root() string { return s.root }

// Path returns the file that holds the bytes of d, whether or not it exists,
// for callers that hand blobs to other programs (hard links into a job's
// working directory, sendfile). The file must never be written to.
func (s *Store) Path(d lathe.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	h := d.Hex()
	return filepath.Join(s.root, blobDir, h[:2], h), nil
}

func (s *Store) tempDir() string { return filepath.Join(s.root, tempDir) }

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, r io.Reader, opts blob.PutOptions) (info blob.Info, err error) {
	if err := opts.Validate(); err != nil {
		return blob.Info{}, err
	}
	f, err := os.CreateTemp(s.tempDir(), tempPrefix+"*")
	if err != nil {
		return blob.Info{}, fmt.Errorf("put blob: create temp file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		if tmp != "" {
			os.Remove(tmp)
		}
	}()

	info, err = blob.Copy(ctx, newWriteback(f), r, opts)
	if err != nil {
		return blob.Info{}, fmt.Errorf("put blob: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("put blob: %w", err)
	}
	final, _ := s.Path(info.Digest)
	if fi, err := os.Stat(final); err == nil && fi.Size() == info.Size {
		info.ModTime = fi.ModTime()
		return info, nil // stored already; the deferred cleanup drops the temp file
	}

	if err := f.Chmod(blobPerm); err != nil {
		return blob.Info{}, fmt.Errorf("put blob %s: %w", info.Digest, err)
	}
	if err := f.Sync(); err != nil {
		return blob.Info{}, fmt.Errorf("put blob %s: sync: %w", info.Digest, err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return blob.Info{}, fmt.Errorf("put blob %s: close: %w", info.Digest, err)
	}
	dir := filepath.Dir(final)
	if err := s.mkdirDurable(dir); err != nil {
		return blob.Info{}, fmt.Errorf("put blob %s: %w", info.Digest, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return blob.Info{}, fmt.Errorf("put blob %s: %w", info.Digest, err)
	}
	tmp = ""
	if err := syncDir(dir); err != nil {
		return blob.Info{}, fmt.Errorf("put blob %s: %w", info.Digest, err)
	}
	if fi, err := os.Stat(final); err == nil {
		info.ModTime = fi.ModTime()
	}
	return info, nil
}

// mkdirDurable creates a fan-out directory if it is missing and fsyncs its
// parent, so the directory entry survives a crash along with the blob.
func (s *Store) mkdirDurable(dir string) error {
	err := os.Mkdir(dir, dirPerm)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create blob directory: %w", err)
	}
	return syncDir(filepath.Dir(dir))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// Get implements blob.Store. A length that runs past the end of the blob is
// cut at the end. The returned reader also stops with ctx's error once ctx
// is done.
func (s *Store) Get(ctx context.Context, d lathe.Digest, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get blob %s: %w", d, err)
	}
	if offset < 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "offset %d into blob %s is negative; ask for an offset of 0 or more", offset, d)
	}
	path, err := s.Path(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(d)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", d, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("get blob %s: %w", d, err)
	}
	size := fi.Size()
	if offset > size {
		f.Close()
		return nil, lathe.Errorf(lathe.ERANGE, "offset %d is past the end of blob %s, which has %d bytes; ask for an offset of at most %d", offset, d, size, size)
	}
	if offset == 0 && length < 0 {
		return blob.NewVerifyingReader(&ctxReader{ctx: ctx, r: f, c: f}, d), nil
	}
	n := size - offset
	if length >= 0 && length < n {
		n = length
	}
	return &ctxReader{ctx: ctx, r: io.NewSectionReader(f, offset, n), c: f}, nil
}

// ctxReader is a ReadCloser that fails once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	c   io.Closer
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, fmt.Errorf("read blob: %w", err)
	}
	return r.r.Read(p)
}

func (r *ctxReader) Close() error { return r.c.Close() }

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, d lathe.Digest) (blob.Info, error) {
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("stat blob %s: %w", d, err)
	}
	path, err := s.Path(d)
	if err != nil {
		return blob.Info{}, err
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return blob.Info{}, notFound(d)
	}
	if err != nil {
		return blob.Info{}, fmt.Errorf("stat blob %s: %w", d, err)
	}
	return blob.Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Exists implements blob.Store.
func (s *Store) Exists(ctx context.Context, ds []lathe.Digest) ([]bool, error) {
	out := make([]bool, len(ds))
	for i, d := range ds {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("check blobs: %w", err)
		}
		path, err := s.Path(d)
		if err != nil {
			return nil, fmt.Errorf("check blob %d of %d: %w", i+1, len(ds), err)
		}
		_, err = os.Stat(path)
		switch {
		case err == nil:
			out[i] = true
		case errors.Is(err, fs.ErrNotExist):
		default:
			return nil, fmt.Errorf("check blob %s: %w", d, err)
		}
	}
	return out, nil
}

// Delete implements blob.Store. The removal is not fsynced: after a crash a
// deleted blob may reappear, which is harmless for content-addressed bytes.
func (s *Store) Delete(ctx context.Context, d lathe.Digest) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete blob %s: %w", d, err)
	}
	path, err := s.Path(d)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", d, err)
	}
	return nil
}

func notFound(d lathe.Digest) error {
	return lathe.Errorf(lathe.ENOTFOUND, "blob %s not found; upload it first, or check the digest", d)
}
