package upload

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latheml/lathe"
)

// Remote is the server side of an upload: which digests the workspace holds
// (at most MaxBatch per call), and storing one blob whose digest and size
// are declared up front (the server refuses bytes that do not match).
type Remote interface {
	Exists(ctx context.Context, ds []lathe.Digest) ([]bool, error)
	Put(ctx context.Context, d lathe.Digest, size int64, r io.Reader) error
}

// smoothProgress is the size above which an upload's bytes are counted as
// they are sent rather than when the file is done.
const smoothProgress = 16 << 20

// MaxBatch is the most digests asked about in one Exists call (the server's
// limit).
const MaxBatch = 1000

// Options tune Run. Zero values pick the defaults.
type Options struct {
	Hashers   int           // files hashed at once; default GOMAXPROCS
	Uploaders int           // uploads in flight; default 4
	Batch     int           // digests per Exists call; default and limit MaxBatch
	Linger    time.Duration // how long a partial batch waits for more digests; default 5ms
	Cache     *Cache        // nil: hash every file
	// Counters, if set, is updated as the upload goes (for progress bars).
	Counters *Counters
}

// Counters report an upload's progress; read them with Load while Run runs.
type Counters struct {
	TotalBytes  atomic.Int64 // bytes of all files
	HashedBytes atomic.Int64 // bytes hashed or found in the hash cache
	SentBytes   atomic.Int64 // bytes sent to the server
	DoneFiles   atomic.Int64 // files hashed and found on the server or uploaded
}

// Stats say what Run did.
type Stats struct {
	Files        int           `json:"files"`
	Bytes        int64         `json:"bytes"`
	CachedFiles  int           `json:"cached_files" doc:"digests taken from the hash cache"`
	HashedFiles  int           `json:"hashed_files"`
	HashedBytes  int64         `json:"hashed_bytes"`
	PresentFiles int           `json:"present_files" doc:"files whose content the server had"`
	SentFiles    int           `json:"sent_files"`
	SentBytes    int64         `json:"sent_bytes"`
	Duration     time.Duration `json:"duration_ns"`
}

// Run hashes, checks and uploads files, and returns their manifest (sorted
// by path). Hashing, existence checks and uploads overlap: a batch of
// digests is checked as soon as it is complete, and missing contents are
// uploaded while other files are still being hashed. Each distinct content
// is uploaded at most once. A file that changes while it is hashed or
// before it is sent makes Run fail with lathe.EINVALID naming it.
func Run(ctx context.Context, files []File, remote Remote, o Options) ([]lathe.ManifestEntry, Stats, error) {
	start := time.Now()
	if o.Hashers <= 0 {
		o.Hashers = runtime.GOMAXPROCS(0)
	}
	if o.Uploaders <= 0 {
		o.Uploaders = 4
	}
	if o.Batch <= 0 || o.Batch > MaxBatch {
		o.Batch = MaxBatch
	}
	if o.Linger <= 0 {
		o.Linger = 5 * time.Millisecond
	}
	if o.Counters == nil {
		o.Counters = &Counters{}
	}
	r := &run{files: files, remote: remote, o: o, digests: make([]lathe.Digest, len(files)), c: o.Counters}
	for _, f := range files {
		r.c.TotalBytes.Add(f.Size)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	fail := func(err error) { cancel(err) }

	idx := make(chan int)
	hashed := make(chan int, 64)
	missing := make(chan int, len(files))
	var hw, uw sync.WaitGroup
	for range o.Hashers {
		hw.Go(func() {
			for i := range idx {
				if err := r.hash(ctx, i); err != nil {
					fail(err)
					return
				}
				select {
				case hashed <- i:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	for range o.Uploaders {
		uw.Go(func() {
			for i := range missing {
				if ctx.Err() != nil {
					continue
				}
				if err := r.send(ctx, i); err != nil {
					fail(err)
				}
			}
		})
	}
	batcherDone := make(chan struct{})
	go func() {
		defer close(batcherDone)
		defer close(missing)
		if err := r.batch(ctx, hashed, missing); err != nil {
			fail(err)
		}
	}()
feed:
	for i := range files {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	hw.Wait()
	close(hashed)
	<-batcherDone
	uw.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, Stats{}, err
	}
	if err := o.Cache.Save(); err != nil {
		return nil, Stats{}, err
	}
	m := make([]lathe.ManifestEntry, len(files))
	for i, f := range files {
		m[i] = lathe.ManifestEntry{Path: f.Path, Digest: r.digests[i], Size: f.Size, Mode: f.Mode}
	}
	lathe.SortManifest(m)
	st := r.stats
	st.Files, st.Bytes, st.SentBytes, st.Duration = len(files), r.c.TotalBytes.Load(), r.c.SentBytes.Load(), time.Since(start)
	return m, st, nil
}

type run struct {
	files   []File
	remote  Remote
	o       Options
	digests []lathe.Digest
	c       *Counters

	mu    sync.Mutex
	stats Stats
}

func (r *run) count(fn func(*Stats)) {
	r.mu.Lock()
	fn(&r.stats)
	r.mu.Unlock()
}

// hash fills in file i's digest, from the cache or by reading it.
func (r *run) hash(ctx context.Context, i int) error {
	f := &r.files[i]
	if d, ok := r.o.Cache.Lookup(*f); ok {
		if fi, err := os.Stat(f.Abs); err == nil && fi.Size() == f.Size && fi.ModTime().UnixNano() == f.ModTime {
			r.digests[i] = d
			r.c.HashedBytes.Add(f.Size)
			r.count(func(s *Stats) { s.CachedFiles++ })
			return nil
		}
	}
	at := time.Now()
	fh, err := os.Open(f.Abs)
	if err != nil {
		return lathe.Errorf(lathe.EINVALID, "open %s: %v", f.Abs, err)
	}
	defer fh.Close()
	before, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", f.Abs, err)
	}
	// The file as opened is what gets hashed and recorded.
	f.Size, f.ModTime, f.Inode, f.Mode = before.Size(), before.ModTime().UnixNano(), inode(before), lathe.ModeBits(before.Mode())
	h := sha256.New()
	n, err := io.CopyBuffer(h, &counting{ctx: ctx, r: fh, n: &r.c.HashedBytes}, make([]byte, 1<<20))
	if err != nil {
		return fmt.Errorf("hash %s: %w", f.Abs, err)
	}
	after, err := os.Stat(f.Abs)
	if err != nil || n != f.Size || after.Size() != f.Size || after.ModTime().UnixNano() != f.ModTime {
		return changed(f.Abs, "while it was being hashed")
	}
	r.digests[i] = lathe.NewDigest(h.Sum(nil))
	r.o.Cache.Store(*f, r.digests[i], at)
	r.count(func(s *Stats) { s.HashedFiles++; s.HashedBytes += n })
	return nil
}

func changed(path, when string) error {
	return lathe.Errorf(lathe.EINVALID, "%s changed %s (its size or modification time moved); wait until nothing writes to it and run the command again", path, when)
}

// batch asks the server about hashed files' digests in batches and queues
// the files whose content it lacks, each distinct digest once.
func (r *run) batch(ctx context.Context, hashed <-chan int, missing chan<- int) error {
	type state int
	const (
		asked state = iota + 1
		present
		queued
	)
	seen := map[lathe.Digest]state{}
	waiting := map[lathe.Digest][]int{} // files waiting on an answer
	var pending []lathe.Digest
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		ex, err := r.remote.Exists(ctx, pending)
		if err != nil {
			return fmt.Errorf("ask the server which files it has: %w", err)
		}
		for j, d := range pending {
			files := waiting[d]
			delete(waiting, d)
			if ex[j] {
				seen[d] = present
				r.done(files)
				continue
			}
			seen[d] = queued
			missing <- files[0]
			r.done(files[1:])
		}
		pending = pending[:0]
		return nil
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case i, ok := <-hashed:
			if !ok {
				return flush()
			}
			d := r.digests[i]
			switch seen[d] {
			case present, queued:
				r.done([]int{i})
				continue
			case asked:
				waiting[d] = append(waiting[d], i)
				continue
			}
			seen[d] = asked
			waiting[d] = []int{i}
			pending = append(pending, d)
			if len(pending) >= r.o.Batch {
				if err := flush(); err != nil {
					return err
				}
			} else if len(pending) == 1 {
				timer.Reset(r.o.Linger)
			}
		case <-timer.C:
			if err := flush(); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// done counts files needing no upload of their own.
func (r *run) done(files []int) {
	r.c.DoneFiles.Add(int64(len(files)))
	r.count(func(s *Stats) { s.PresentFiles += len(files) })
}

// send uploads file i's content, declaring its digest and size.
func (r *run) send(ctx context.Context, i int) error {
	f := r.files[i]
	fh, err := os.Open(f.Abs)
	if err != nil {
		return lathe.Errorf(lathe.EINVALID, "open %s: %v", f.Abs, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", f.Abs, err)
	}
	if fi.Size() != f.Size || fi.ModTime().UnixNano() != f.ModTime {
		return changed(f.Abs, "after it was hashed")
	}
	// Small files go to the transport as they are, so it can send them with
	// sendfile(2) (one copy less) and they count as sent when done; large
	// ones count as they go, for progress bars.
	var body io.Reader = fh
	if f.Size > smoothProgress {
		body = &counting{ctx: ctx, r: fh, n: &r.c.SentBytes}
	}
	err = r.remote.Put(ctx, r.digests[i], f.Size, body)
	if lathe.IsCode(err, lathe.EINVALID) {
		if fi2, serr := os.Stat(f.Abs); serr != nil || fi2.Size() != f.Size || fi2.ModTime().UnixNano() != f.ModTime {
			return changed(f.Abs, "while it was being uploaded")
		}
	}
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.Abs, err)
	}
	if f.Size <= smoothProgress {
		r.c.SentBytes.Add(f.Size)
	}
	r.c.DoneFiles.Add(1)
	r.count(func(s *Stats) { s.SentFiles++ })
	return nil
}

// counting counts bytes read and stops between reads once ctx is done.
type counting struct {
	ctx context.Context
	r   io.Reader
	n   *atomic.Int64
}

func (c *counting) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
