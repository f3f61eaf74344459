package upload_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data/upload"
)

// fakeRemote is an in-memory server side.
type fakeRemote struct {
	mu      sync.Mutex
	blobs   map[lathe.Digest][]byte
	puts    int
	asked   int
	onAsk   func()
	batches []int
}

func newRemote() *fakeRemote { return &fakeRemote{blobs: map[lathe.Digest][]byte{}} }

func (f *fakeRemote) Exists(_ context.Context, ds []lathe.Digest) ([]bool, error) {
	if f.onAsk != nil {
		f.onAsk()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked += len(ds)
	f.batches = append(f.batches, len(ds))
	out := make([]bool, len(ds))
	for i, d := range ds {
		_, out[i] = f.blobs[d]
	}
	return out, nil
}

func (f *fakeRemote) Put(_ context.Context, d lathe.Digest, size int64, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	if lathe.NewDigest(sum[:]) != d || int64(len(b)) != size {
		return lathe.Errorf(lathe.EINVALID, "digest mismatch")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blobs[d] = b
	f.puts++
	return nil
}

func write(t *testing.T, dir string, files map[string]string, old bool) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if old { // older than the hash cache's racy window
			at := time.Now().Add(-time.Hour)
			if err := os.Chtimes(full, at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRunSendsEachContentOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{"a.csv": "1,2\n", "copy/a.csv": "1,2\n", "b/c.txt": "c", "big.bin": strings.Repeat("x", 3<<20)}
	write(t, dir, files, true)
	scan, err := upload.Scan(dir, lathe.DataURIFolder)
	if err != nil || len(scan) != 4 {
		t.Fatalf("Scan = %v, %v", scan, err)
	}
	rem := newRemote()
	cdir := t.TempDir()
	cache, err := upload.OpenCache(cdir)
	if err != nil {
		t.Fatal(err)
	}
	m, st, err := upload.Run(t.Context(), scan, rem, upload.Options{Cache: cache, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rem.puts != 3 || st.SentFiles != 3 || st.HashedFiles != 4 || st.PresentFiles != 1 || len(m) != 4 || m[0].Path != "a.csv" {
		t.Fatalf("first run: puts %d, stats %+v, manifest %v", rem.puts, st, m)
	}
	if err := lathe.ValidateManifest(m); err != nil {
		t.Fatal(err)
	}
	for _, n := range rem.batches {
		if n > 2 {
			t.Fatalf("an Exists batch of %d digests, over the limit of 2", n)
		}
	}

	// Again, through a fresh cache handle: nothing is read or sent.
	cache2, _ := upload.OpenCache(cdir)
	scan, _ = upload.Scan(dir, lathe.DataURIFolder)
	m2, st, err := upload.Run(t.Context(), scan, rem, upload.Options{Cache: cache2})
	if err != nil {
		t.Fatal(err)
	}
	if st.CachedFiles != 4 || st.HashedBytes != 0 || st.SentFiles != 0 || rem.puts != 3 || lathe.ManifestDigest(m2) != lathe.ManifestDigest(m) {
		t.Fatalf("second run: %+v", st)
	}

	// One file changes: only it is hashed and sent.
	write(t, dir, map[string]string{"b/c.txt": "changed"}, true)
	scan, _ = upload.Scan(dir, lathe.DataURIFolder)
	_, st, err = upload.Run(t.Context(), scan, rem, upload.Options{Cache: cache2})
	if err != nil {
		t.Fatal(err)
	}
	if st.HashedFiles != 1 || st.SentFiles != 1 || st.SentBytes != int64(len("changed")) {
		t.Fatalf("after one change: %+v", st)
	}
}

func TestRunDetectsChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.txt": "first"}, true)
	scan, _ := upload.Scan(dir, lathe.DataURIFolder)
	rem := newRemote()
	rem.onAsk = func() { write(t, dir, map[string]string{"a.txt": "second, longer"}, false) }
	_, _, err := upload.Run(t.Context(), scan, rem, upload.Options{})
	if !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("err = %v, want a changed-file error", err)
	}
}

func TestScanRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"x/a.csv": "a"}, false)
	if err := os.Symlink(filepath.Join(dir, "x"), filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, typ, mention string }{
		{filepath.Join(dir, "missing"), lathe.DataURIFolder, "does not exist"},
		{dir, lathe.DataURIFile, "not a regular file"},
		{filepath.Join(dir, "x", "a.csv"), lathe.DataURIFolder, "is a file"},
		{filepath.Join(dir, "x"), lathe.DataMLTable, "MLTable"},
		{dir, lathe.DataURIFolder, "symbolic link to a folder"},
		{dir, "csv", "type"},
	}
	for _, tc := range tests {
		_, err := upload.Scan(tc.path, tc.typ)
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("Scan(%s, %s) = %v, want an error mentioning %q", tc.path, tc.typ, err, tc.mention)
		}
	}
	empty := t.TempDir()
	if _, err := upload.Scan(empty, lathe.DataURIFolder); err == nil || !strings.Contains(err.Error(), "no files") {
		t.Errorf("empty folder: %v", err)
	}
	files, err := upload.Scan(filepath.Join(dir, "x", "a.csv"), lathe.DataURIFile)
	if err != nil || len(files) != 1 || files[0].Path != "a.csv" {
		t.Fatalf("uri_file scan = %v, %v", files, err)
	}
}

func TestCacheIgnoresDamage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, upload.CacheFile), bytes.Repeat([]byte("garbage\n"), 10), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := upload.OpenCache(dir)
	if err != nil || c.Len() != 0 {
		t.Fatalf("damaged cache = %d entries, %v", c.Len(), err)
	}
}
