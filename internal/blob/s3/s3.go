// Package s3 is the blob store backend on any S3-compatible object store
// (Amazon S3, versitygw, MinIO, SeaweedFS, Ceph RGW, ...), for Lathe
// installations that outgrow one machine's disk.
//
// Blob d is the object <prefix>/sha256/<first 2 hex digits>/<64 hex digits>.
// Put spools the stream to a temp file while hashing it, since the key is
// only known at the end, and then uploads the file with its known size; S3
// makes an object visible only once its upload is complete, so no partial
// blob is ever readable. Temp files are removed when Put returns, and New
// removes those older than blob.StaleTempAge that a crash left behind.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

// tempPrefix names the spool files in Options.TempDir.
const tempPrefix = "lathe-s3-put-"

var _ blob.Store = (*Store)(nil)

// Store is a blob.Store on an S3 bucket. It is safe for concurrent use.
type Store struct {
	opts   Options
	client *minio.Client
	core   minio.Core
}

// New connects to the bucket opts name and checks that it exists, creating
// it if opts.CreateBucket is set. It also removes stale spool files from
// opts.TempDir.
func New(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	client, err := minio.New(opts.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(opts.AccessKey, opts.SecretKey, ""),
		Secure: opts.Secure,
		Region: opts.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("open s3 blob store %s: %w", opts, err)
	}
	s := &Store{opts: opts, client: client, core: minio.Core{Client: client}}

	ok, err := client.BucketExists(ctx, opts.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open s3 blob store: check bucket %q at %s: %w", opts.Bucket, opts.endpointURL(), err)
	}
	if !ok && !opts.CreateBucket {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "s3 bucket %q does not exist at %s; create it, or check the bucket name and the endpoint", opts.Bucket, opts.endpointURL())
	}
	if !ok {
		err := client.MakeBucket(ctx, opts.Bucket, minio.MakeBucketOptions{Region: opts.Region})
		if code := errorCode(err); err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return nil, fmt.Errorf("open s3 blob store: create bucket %q at %s: %w", opts.Bucket, opts.endpointURL(), err)
		}
	}
	if _, err := blob.RemoveStaleTemp(ctx, opts.TempDir, tempPrefix, time.Now().Add(-blob.StaleTempAge)); err != nil {
		return nil, fmt.Errorf("open s3 blob store %s: %w", opts, err)
	}
	return s, nil
}

// Key returns the object key of blob d.
func (s *Store) Key(d lathe.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	h := d.Hex()
	return path.Join(s.opts.Prefix, "sha256", h[:2], h), nil
}

// Put implements blob.Store. The stream is spooled to Options.TempDir
// first; the upload is skipped if the object exists already with the same
// size.
func (s *Store) Put(ctx context.Context, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	if err := opts.Validate(); err != nil {
		return blob.Info{}, err
	}
	f, err := os.CreateTemp(s.opts.TempDir, tempPrefix+"*")
	if err != nil {
		return blob.Info{}, fmt.Errorf("put blob: create spool file: %w", err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()

	info, err := blob.Copy(ctx, f, r, opts)
	if err != nil {
		return blob.Info{}, fmt.Errorf("put blob: %w", err)
	}
	key, _ := s.Key(info.Digest)
	st, err := s.client.StatObject(ctx, s.opts.Bucket, key, minio.StatObjectOptions{})
	switch {
	case err == nil && st.Size == info.Size:
		info.ModTime = st.LastModified
		return info, nil // stored already
	case err != nil && !isNotFound(err):
		return blob.Info{}, fmt.Errorf("put blob %s: check for it: %w", info.Digest, err)
	}
	// Missing, or present with the wrong size (a damaged copy): upload.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return blob.Info{}, fmt.Errorf("put blob %s: rewind spool file: %w", info.Digest, err)
	}
	up, err := s.client.PutObject(ctx, s.opts.Bucket, key, f, info.Size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
	})
	if err != nil {
		return blob.Info{}, fmt.Errorf("put blob %s: upload: %w", info.Digest, err)
	}
	info.ModTime = up.LastModified
	return info, nil
}

// Get implements blob.Store. A length that runs past the end of the blob is
// cut at the end. The returned reader reads the response body and stops with
// ctx's error once ctx is done.
func (s *Store) Get(ctx context.Context, d lathe.Digest, offset, length int64) (io.ReadCloser, error) {
	key, err := s.Key(d)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "offset %d into blob %s is negative; ask for an offset of 0 or more", offset, d)
	}
	full := offset == 0 && length < 0
	if length == 0 {
		return s.emptyRange(ctx, d, offset)
	}
	var o minio.GetObjectOptions
	if !full {
		end := int64(0) // with offset > 0: to the end ("bytes=offset-")
		if length > 0 && length <= math.MaxInt64-offset {
			end = offset + length - 1
		}
		if err := o.SetRange(offset, end); err != nil {
			return nil, fmt.Errorf("get blob %s: %w", d, err)
		}
	}
	body, _, _, err := s.core.GetObject(ctx, s.opts.Bucket, key, o)
	switch {
	case err == nil && full:
		return blob.NewVerifyingReader(body, d), nil
	case err == nil:
		return body, nil
	case isNotFound(err):
		return nil, notFound(d)
	case isInvalidRange(err):
		// Either the offset is at the end (an empty read) or past it.
		return s.emptyRange(ctx, d, offset)
	}
	return nil, fmt.Errorf("get blob %s: %w", d, err)
}

// emptyRange answers a Get that returns no bytes: an empty reader if offset
// is within or at the end of the blob, an ERANGE error if it is past it.
func (s *Store) emptyRange(ctx context.Context, d lathe.Digest, offset int64) (io.ReadCloser, error) {
	info, err := s.Stat(ctx, d)
	if err != nil {
		return nil, err
	}
	if offset > info.Size {
		return nil, lathe.Errorf(lathe.ERANGE, "offset %d is past the end of blob %s, which has %d bytes; ask for an offset of at most %d", offset, d, info.Size, info.Size)
	}
	return io.NopCloser(strings.NewReader("")), nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, d lathe.Digest) (blob.Info, error) {
	key, err := s.Key(d)
	if err != nil {
		return blob.Info{}, err
	}
	st, err := s.client.StatObject(ctx, s.opts.Bucket, key, minio.StatObjectOptions{})
	if isNotFound(err) {
		return blob.Info{}, notFound(d)
	}
	if err != nil {
		return blob.Info{}, fmt.Errorf("stat blob %s: %w", d, err)
	}
	return blob.Info{Digest: d, Size: st.Size, ModTime: st.LastModified}, nil
}

// Exists implements blob.Store with up to Options.Concurrency requests in
// flight. The first failure cancels the requests still running.
func (s *Store) Exists(ctx context.Context, ds []lathe.Digest) ([]bool, error) {
	keys := make([]string, len(ds))
	for i, d := range ds {
		k, err := s.Key(d)
		if err != nil {
			return nil, fmt.Errorf("check blob %d of %d: %w", i+1, len(ds), err)
		}
		keys[i] = k
	}
	out := make([]bool, len(ds))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(s.opts.Concurrency, len(ds)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(keys) || ctx.Err() != nil {
					return
				}
				_, err := s.client.StatObject(ctx, s.opts.Bucket, keys[i], minio.StatObjectOptions{})
				switch {
				case err == nil:
					out[i] = true
				case !isNotFound(err):
					cancel(fmt.Errorf("check blob %s: %w", ds[i], err))
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("check blobs: %w", err)
	}
	return out, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, d lathe.Digest) error {
	key, err := s.Key(d)
	if err != nil {
		return err
	}
	err = s.client.RemoveObject(ctx, s.opts.Bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete blob %s: %w", d, err)
	}
	return nil
}

func notFound(d lathe.Digest) error {
	return lathe.Errorf(lathe.ENOTFOUND, "blob %s not found; upload it first, or check the digest", d)
}

// errorCode returns the S3 error code in err's chain, or "".
func errorCode(err error) string {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code
	}
	return ""
}

func isNotFound(err error) bool { return errorCode(err) == minio.NoSuchKey }

func isInvalidRange(err error) bool {
	var er minio.ErrorResponse
	return errors.As(err, &er) && (er.Code == minio.InvalidRange || er.StatusCode == http.StatusRequestedRangeNotSatisfiable)
}
