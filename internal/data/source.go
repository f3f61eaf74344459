package data

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

// source reads the files of a local or S3 datastore. Keys are paths inside
// the datastore ("" is its top).
type source interface {
	// list returns the file at key (file) or every file under it (folder),
	// with paths relative to key (a file's is its base name).
	list(ctx context.Context, key string, file bool) ([]lathe.ManifestEntry, error)
	open(ctx context.Context, key string) (io.ReadCloser, error)
	readerAt(ctx context.Context, key string, size int64) (io.ReaderAt, io.Closer, error)
	close()
}

// sourceOf opens the datastore named ds for reading.
func (s *Service) sourceOf(ctx context.Context, ws, ds string) (source, *lathe.Datastore, error) {
	d, err := s.o.Store.Datastore(ctx, ws, ds)
	if err != nil {
		return nil, nil, err
	}
	switch d.Type {
	case lathe.DatastoreLocal:
		root, err := os.OpenRoot(d.Path)
		if err != nil {
			return nil, nil, lathe.Errorf(lathe.EUNAVAILABLE, "local datastore %q: cannot open %s on the server: %v", d.Name, d.Path, errors.Unwrap(err))
		}
		return &localSource{d: d, root: root}, d, nil
	case lathe.DatastoreS3:
		c, err := s.credentials(d)
		if err != nil {
			return nil, nil, err
		}
		cl, err := s3Client(d, c)
		if err != nil {
			return nil, nil, err
		}
		return &s3Source{d: d, cl: cl}, d, nil
	}
	return nil, nil, lathe.Errorf(lathe.EINTERNAL, "datastore %q has unknown type %q", d.Name, d.Type)
}

// localSource is a directory on the server, read through an os.Root so no
// path or symbolic link can lead out of it.
type localSource struct {
	d    *lathe.Datastore
	root *os.Root
}

func rootName(key string) string {
	if key == "" {
		return "."
	}
	return key
}

func (l *localSource) list(ctx context.Context, key string, file bool) ([]lathe.ManifestEntry, error) {
	where := lathe.DatastoreURI(l.d.Name, key)
	fi, err := l.root.Stat(rootName(key))
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "%s: %v", where, errors.Unwrap(err))
	}
	if file {
		if !fi.Mode().IsRegular() {
			return nil, lathe.Errorf(lathe.EINVALID, "%s is not a file; a uri_file names one file (use uri_folder for a folder)", where)
		}
		return []lathe.ManifestEntry{{Path: path.Base(key), Size: fi.Size(), Mode: lathe.ModeBits(fi.Mode())}}, nil
	}
	if !fi.IsDir() {
		return nil, lathe.Errorf(lathe.EINVALID, "%s is a file, but a uri_folder or mltable names a folder", where)
	}
	var out []lathe.ManifestEntry
	fsys := l.root.FS()
	err = fs.WalkDir(fsys, rootName(key), func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return lathe.Errorf(lathe.EINVALID, "%s: reading %s: %v", where, p, errors.Unwrap(err))
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if de.IsDir() {
			return nil
		}
		fi, err := fs.Stat(fsys, p) // follows links, within the root only
		if err != nil || !fi.Mode().IsRegular() {
			return lathe.Errorf(lathe.EINVALID, "%s: %s is not a regular file inside the datastore (a link out of it, or a special file); remove it", where, p)
		}
		rel := strings.TrimPrefix(p, key+"/")
		if key == "" {
			rel = p
		}
		if err := lathe.ValidateDataPath(rel); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if len(out) == lathe.MaxManifestEntries {
			return lathe.Errorf(lathe.ETOOLARGE, "%s holds more than %d files, the limit for one version; point at a smaller folder", where, lathe.MaxManifestEntries)
		}
		out = append(out, lathe.ManifestEntry{Path: rel, Size: fi.Size(), Mode: lathe.ModeBits(fi.Mode())})
		return nil
	})
	return out, err
}

func (l *localSource) open(_ context.Context, key string) (io.ReadCloser, error) {
	f, err := l.root.Open(key)
	if err != nil {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "%s: %v; the file is gone from the datastore", lathe.DatastoreURI(l.d.Name, key), errors.Unwrap(err))
	}
	return f, nil
}

func (l *localSource) readerAt(ctx context.Context, key string, _ int64) (io.ReaderAt, io.Closer, error) {
	rc, err := l.open(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	return rc.(*os.File), rc, nil
}

func (l *localSource) close() { _ = l.root.Close() }

// s3Source is a bucket and prefix.
type s3Source struct {
	d  *lathe.Datastore
	cl *minio.Client
}

func (s *s3Source) objectKey(key string) string { return path.Join(s.d.Prefix, key) }

func (s *s3Source) list(ctx context.Context, key string, file bool) ([]lathe.ManifestEntry, error) {
	where := lathe.DatastoreURI(s.d.Name, key)
	if file {
		if key == "" {
			return nil, lathe.Errorf(lathe.EINVALID, "%s names the whole datastore, not a file", where)
		}
		st, err := s.cl.StatObject(ctx, s.d.Bucket, s.objectKey(key), minio.StatObjectOptions{})
		if err != nil {
			if minio.ToErrorResponse(err).StatusCode == 404 {
				return nil, lathe.Errorf(lathe.EINVALID, "%s: no such object in bucket %q", where, s.d.Bucket)
			}
			return nil, s3Error(ctx, s.d, "read object", err)
		}
		return []lathe.ManifestEntry{{Path: path.Base(key), Size: st.Size, Mode: 0o644}}, nil
	}
	prefix := s.objectKey(key)
	if prefix != "" {
		prefix += "/"
	}
	var out []lathe.ManifestEntry
	for obj := range s.cl.ListObjects(ctx, s.d.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, s3Error(ctx, s.d, "list bucket", obj.Err)
		}
		rel := strings.TrimPrefix(obj.Key, prefix)
		if strings.HasSuffix(rel, "/") && obj.Size == 0 {
			continue // a folder marker
		}
		if err := lathe.ValidateDataPath(rel); err != nil {
			return nil, fmt.Errorf("%s: object %q: %w", where, obj.Key, err)
		}
		if len(out) == lathe.MaxManifestEntries {
			return nil, lathe.Errorf(lathe.ETOOLARGE, "%s holds more than %d objects, the limit for one version; point at a smaller prefix", where, lathe.MaxManifestEntries)
		}
		out = append(out, lathe.ManifestEntry{Path: rel, Size: obj.Size, Mode: 0o644})
	}
	if len(out) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "%s: no objects under prefix %q in bucket %q", where, prefix, s.d.Bucket)
	}
	return out, nil
}

func (s *s3Source) open(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := s.cl.GetObject(ctx, s.d.Bucket, s.objectKey(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Error(ctx, s.d, "read object", err)
	}
	return obj, nil
}

func (s *s3Source) readerAt(ctx context.Context, key string, _ int64) (io.ReaderAt, io.Closer, error) {
	obj, err := s.cl.GetObject(ctx, s.d.Bucket, s.objectKey(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, nil, s3Error(ctx, s.d, "read object", err)
	}
	return obj, obj, nil
}

func (s *s3Source) close() {}

// hashAll reads and hashes the files at base (in parallel), filling in
// their digests, and checks each still has the size it was listed with.
func (s *Service) hashAll(ctx context.Context, src source, base string, file bool, entries []lathe.ManifestEntry) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idx := make(chan int)
	var wg sync.WaitGroup
	for range min(s.o.Hashers, len(entries)) {
		wg.Go(func() {
			buf := make([]byte, 1<<20)
			for i := range idx {
				e := &entries[i]
				key := keyOf(base, file, e.Path)
				rc, err := src.open(ctx, key)
				if err != nil {
					cancel(err)
					continue
				}
				h := sha256.New()
				n, err := io.CopyBuffer(h, rc, buf)
				rc.Close()
				if err != nil {
					cancel(fmt.Errorf("read %s: %w", key, err))
					continue
				}
				if n != e.Size {
					cancel(lathe.Errorf(lathe.ECONFLICT, "%s changed while it was being read (%d bytes, listed with %d); try again when nothing writes to it", key, n, e.Size))
					continue
				}
				e.Digest = lathe.NewDigest(h.Sum(nil))
			}
		})
	}
feed:
	for i := range entries {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
	return context.Cause(ctx)
}

// keyOf is where a version's file is inside its datastore: a uri_file's
// base path is the file itself, a folder's files are under it.
func keyOf(base string, file bool, p string) string {
	if file {
		return base
	}
	return path.Join(base, p)
}

// reader reads a version's files, wherever they are, verified against
// their digests.
type reader struct {
	s    *Service
	v    *lathe.DataVersion
	src  source // nil for the blob store
	file bool
}

func (s *Service) readerOf(ctx context.Context, v *lathe.DataVersion) (*reader, error) {
	r := &reader{s: s, v: v, file: v.Type == lathe.DataURIFile}
	if v.Datastore != lathe.WorkspaceBlobStore {
		src, _, err := s.sourceOf(ctx, v.WorkspaceID, v.Datastore)
		if err != nil {
			return nil, err
		}
		r.src = src
	}
	return r, nil
}

func (r *reader) close() {
	if r.src != nil {
		r.src.close()
	}
}

// open reads a whole file; the final Read fails with lathe.ECORRUPT if the
// bytes do not match the recorded digest (a datastore file changed since
// the version was created).
func (r *reader) open(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error) {
	if r.src == nil {
		return r.s.o.Content.Open(ctx, r.v.WorkspaceID, e.Digest, 0, -1)
	}
	rc, err := r.src.open(ctx, keyOf(r.v.DatastorePath, r.file, e.Path))
	if err != nil {
		return nil, err
	}
	return &changedReader{VerifyingReader: blob.NewVerifyingReader(rc, e.Digest), where: lathe.DatastoreURI(r.v.Datastore, keyOf(r.v.DatastorePath, r.file, e.Path))}, nil
}

// readerAt gives random access to a file (for Parquet); reads are not
// verified.
func (r *reader) readerAt(ctx context.Context, e lathe.ManifestEntry) (io.ReaderAt, io.Closer, error) {
	if r.src == nil {
		return &blobReaderAt{ctx: ctx, c: r.s.o.Content, ws: r.v.WorkspaceID, d: e.Digest, size: e.Size}, io.NopCloser(nil), nil
	}
	return r.src.readerAt(ctx, keyOf(r.v.DatastorePath, r.file, e.Path), e.Size)
}

// changedReader words a digest mismatch of a datastore file as a change at
// the source.
type changedReader struct {
	*blob.VerifyingReader
	where string
}

func (c *changedReader) Read(p []byte) (int, error) {
	n, err := c.VerifyingReader.Read(p)
	if lathe.IsCode(err, lathe.ECORRUPT) {
		err = lathe.Errorf(lathe.ECORRUPT, "%s changed since the data version was created (its digest no longer matches); versions are immutable: create a new version from it", c.where)
	}
	return n, err
}

// blobReaderAt reads ranges of a blob.
type blobReaderAt struct {
	ctx  context.Context
	c    Content
	ws   string
	d    lathe.Digest
	size int64
}

func (b *blobReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= b.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.size-off)
	rc, err := b.c.Open(b.ctx, b.ws, b.d, off, n)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	got, err := io.ReadFull(rc, p[:n])
	if err == nil && got < len(p) {
		err = io.EOF
	}
	return got, err
}
