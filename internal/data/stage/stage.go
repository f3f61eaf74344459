// Package stage materialises a data version's files into a directory, in
// parallel and verified against their digests. With a content cache
// directory (shared by every job on a machine) each distinct digest is
// fetched once; files are then hard-linked from the cache where the
// filesystem allows and copied otherwise. Without a cache, files are
// written straight into place. Either way a file appears under its final
// name only after its bytes have checked out.
package stage

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/latheml/lathe"
)

// Source opens a file of the version for reading. The reader may or may not
// verify the digest itself; Materialize always does.
type Source interface {
	Open(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error)

// Open implements Source.
func (f SourceFunc) Open(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error) {
	return f(ctx, e)
}

// DefaultParallel is how many files are fetched at once when
// Options.Parallel is zero.
const DefaultParallel = 4

// Options configure Materialize.
type Options struct {
	// Cache is the content cache directory ("" for none). Cached files are
	// read-only and named by digest; staged files without execute bits are
	// hard links to them, so they are read-only too.
	Cache string
	// Parallel bounds the fetches in flight (0: DefaultParallel).
	Parallel int
	// Progress, if set, is called with the number of bytes each fetch
	// brought in, as they arrive. It must be safe for concurrent use.
	Progress func(n int64)
}

// Result counts what Materialize did.
type Result struct {
	Files        int   `json:"files"`
	Bytes        int64 `json:"bytes"`
	Fetched      int   `json:"fetched" doc:"distinct contents fetched from the source"`
	FetchedBytes int64 `json:"fetched_bytes"`
	Linked       int   `json:"linked" doc:"files hard-linked from the cache"`
	Copied       int   `json:"copied"`
}

// Materialize writes every entry under dir (created if missing). Entries
// must have valid paths (lathe.ValidateManifest). An existing file at an
// entry's path is replaced; other files in dir are left alone.
func Materialize(ctx context.Context, entries []lathe.ManifestEntry, src Source, dir string, o Options) (Result, error) {
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return Result{}, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("create %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Result{}, fmt.Errorf("open %s: %w", dir, err)
	}
	defer root.Close()
	if o.Cache != "" {
		if err := os.MkdirAll(filepath.Join(o.Cache, "tmp"), 0o755); err != nil {
			return Result{}, fmt.Errorf("create content cache %s: %w", o.Cache, err)
		}
	}
	// One job per distinct digest, so a content is fetched once per run.
	groups := map[lathe.Digest][]lathe.ManifestEntry{}
	var order []lathe.Digest
	for _, e := range entries {
		if _, ok := groups[e.Digest]; !ok {
			order = append(order, e.Digest)
		}
		groups[e.Digest] = append(groups[e.Digest], e)
	}
	m := &materializer{src: src, root: root, dir: dir, o: o}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan lathe.Digest)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range min(o.Parallel, len(order)) {
		wg.Go(func() {
			for d := range jobs {
				if err := m.place(ctx, groups[d]); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
	for _, d := range order {
		select {
		case jobs <- d:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	r := Result{Files: len(entries), Fetched: int(m.fetched.Load()), FetchedBytes: m.fetchedBytes.Load(),
		Linked: int(m.linked.Load()), Copied: int(m.copied.Load())}
	for _, e := range entries {
		r.Bytes += e.Size
	}
	return r, firstErr
}

type materializer struct {
	src  Source
	root *os.Root
	dir  string
	o    Options

	fetched, linked, copied atomic.Int64
	fetchedBytes            atomic.Int64
}

// place puts every entry of one digest into the directory.
func (m *materializer) place(ctx context.Context, group []lathe.ManifestEntry) error {
	if m.o.Cache == "" {
		first := group[0]
		if err := m.fetchInto(ctx, first, m.root, first.Path, fileMode(first.Mode)); err != nil {
			return err
		}
		m.copied.Add(1)
		for _, e := range group[1:] {
			if err := copyWithin(m.root, first.Path, e.Path, fileMode(e.Mode)); err != nil {
				return err
			}
			m.copied.Add(1)
		}
		return nil
	}
	cached, err := m.cached(ctx, group[0])
	if err != nil {
		return err
	}
	for _, e := range group {
		if err := m.root.MkdirAll(path.Dir(e.Path), 0o755); err != nil {
			return fmt.Errorf("stage %s: %w", e.Path, err)
		}
		_ = m.root.Remove(e.Path)
		if e.Mode&0o111 == 0 {
			if err := os.Link(cached, filepath.Join(m.dir, filepath.FromSlash(e.Path))); err == nil {
				m.linked.Add(1)
				continue
			}
		}
		if err := copyFile(cached, m.root, e.Path, fileMode(e.Mode)); err != nil {
			return err
		}
		m.copied.Add(1)
	}
	return nil
}

func fileMode(mode uint32) os.FileMode {
	if mode == 0 {
		return 0o644
	}
	return os.FileMode(mode) & 0o777
}

// cached returns the cache path of e's content, fetching it first if the
// cache lacks it.
func (m *materializer) cached(ctx context.Context, e lathe.ManifestEntry) (string, error) {
	h := e.Digest.Hex()
	p := filepath.Join(m.o.Cache, "sha256", h[:2], h)
	if fi, err := os.Stat(p); err == nil && fi.Size() == e.Size {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("content cache: %w", err)
	}
	croot, err := os.OpenRoot(m.o.Cache)
	if err != nil {
		return "", fmt.Errorf("content cache: %w", err)
	}
	defer croot.Close()
	rel := path.Join("sha256", h[:2], h)
	if err := m.fetchInto(ctx, e, croot, rel, 0o444); err != nil {
		return "", err
	}
	return p, nil
}

// fetchInto fetches e's content into name under root through a temp file in
// the same directory, verifies it and renames it into place.
func (m *materializer) fetchInto(ctx context.Context, e lathe.ManifestEntry, root *os.Root, name string, mode os.FileMode) error {
	if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return fmt.Errorf("stage %s: %w", e.Path, err)
	}
	tmp := path.Join(path.Dir(name), ".lathe-part-"+lathe.NewID()[:12])
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("stage %s: %w", e.Path, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			_ = root.Remove(tmp)
		}
	}()
	rc, err := m.src.Open(ctx, e)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", e.Path, err)
	}
	defer rc.Close()
	h := sha256.New()
	var w io.Writer = io.MultiWriter(f, h)
	if m.o.Progress != nil {
		w = progressWriter{w, m.o.Progress}
	}
	n, err := io.CopyBuffer(w, &ctxReader{ctx, rc}, make([]byte, 1<<20))
	if err != nil {
		return fmt.Errorf("fetch %s: %w", e.Path, err)
	}
	if got := lathe.NewDigest(h.Sum(nil)); got != e.Digest || n != e.Size {
		return lathe.Errorf(lathe.ECORRUPT, "%s: fetched %d bytes with digest %s, but the version records %d bytes with %s; the source changed since the version was created (or the bytes were damaged)",
			e.Path, n, got, e.Size, e.Digest)
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("stage %s: %w", e.Path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("stage %s: %w", e.Path, err)
	}
	if err := root.Rename(tmp, name); err != nil {
		return fmt.Errorf("stage %s: %w", e.Path, err)
	}
	ok = true
	m.fetched.Add(1)
	m.fetchedBytes.Add(n)
	return nil
}

// copyFile copies the file at abs path from to name under root.
func copyFile(from string, root *os.Root, name string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	defer in.Close()
	return writeCopy(in, root, name, mode)
}

// copyWithin copies one file under root to another name under root.
func copyWithin(root *os.Root, from, name string, mode os.FileMode) error {
	in, err := root.Open(from)
	if err != nil {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	defer in.Close()
	return writeCopy(in, root, name, mode)
}

func writeCopy(in io.Reader, root *os.Root, name string, mode os.FileMode) error {
	if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	tmp := path.Join(path.Dir(name), ".lathe-part-"+lathe.NewID()[:12])
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	_, err = io.CopyBuffer(out, in, make([]byte, 1<<20))
	if err == nil {
		err = out.Chmod(mode)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("stage %s: %w", name, err)
	}
	return nil
}

type progressWriter struct {
	w  io.Writer
	fn func(int64)
}

func (p progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.fn(int64(n))
	return n, err
}

// ctxReader stops a copy between reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
