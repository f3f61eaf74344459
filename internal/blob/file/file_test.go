package file_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
	"github.com/latheml/lathe/internal/blob/blobtest"
	"github.com/latheml/lathe/internal/blob/file"
)

func newStore(t *testing.T) *file.Store {
	t.Helper()
	s, err := file.New(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	blobtest.RunWith(t, func(t *testing.T) blob.Store { return newStore(t) }, blobtest.Options{
		Corrupt: func(t *testing.T, s blob.Store, d lathe.Digest, data []byte) {
			path, err := s.(*file.Store).Path(d)
			if err != nil {
				t.Fatalf("Path: %v", err)
			}
			if err := os.Chmod(path, 0o600); err != nil {
				t.Fatalf("make blob writable: %v", err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatalf("corrupt blob: %v", err)
			}
		},
	})
}

// tempFiles lists the files in the store's temp directory.
func tempFiles(t *testing.T, s *file.Store) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Root(), "tmp"))
	if err != nil {
		t.Fatalf("read temp dir: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestLayout(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	data := []byte("hello, lathe")
	sum := sha256.Sum256(data)
	info, err := s.Put(context.Background(), bytes.NewReader(data), blob.PutOptions{})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	h := info.Digest.Hex()
	want := filepath.Join(s.Root(), "sha256", h[:2], h)
	got, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("blob file: %v", err)
	}
	if !bytes.Equal(got, data) || info.Digest != lathe.NewDigest(sum[:]) {
		t.Fatalf("blob file holds %q under %s; want %q", got, info.Digest, data)
	}
	if path, _ := s.Path(info.Digest); path != want {
		t.Fatalf("Path = %s; want %s", path, want)
	}
	if names := tempFiles(t, s); len(names) != 0 {
		t.Fatalf("temp files left after Put: %v", names)
	}
}

func TestNoTempFilesLeft(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("x"), 3<<20)
	tests := []struct {
		name string
		ctx  func() context.Context
		opts blob.PutOptions
	}{
		{"success", context.Background, blob.PutOptions{}},
		{"dedup", context.Background, blob.PutOptions{}},
		{"digest mismatch", context.Background, blob.PutOptions{Digest: lathe.NewDigest(make([]byte, 32))}},
		{"too large", context.Background, blob.PutOptions{MaxSize: 1 << 20}},
		{"cancelled", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, blob.PutOptions{}},
	}
	s := newStore(t)
	for _, tc := range tests {
		_, _ = s.Put(tc.ctx(), bytes.NewReader(data), tc.opts)
		if names := tempFiles(t, s); len(names) != 0 {
			t.Fatalf("%s: temp files left after Put: %v", tc.name, names)
		}
	}
}

func TestNewRemovesStaleTemp(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	files := []struct {
		name     string
		modTime  time.Time
		survives bool
	}{
		{"put-stale", old, false},
		{"put-fresh", time.Now(), true},
		{"not-ours", old, true},
	}
	for _, f := range files {
		p := filepath.Join(tmp, f.name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, f.modTime, f.modTime); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := file.New(context.Background(), root); err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(tmp, f.name))
		if exists := err == nil; exists != f.survives {
			t.Errorf("%s exists = %v after New; want %v", f.name, exists, f.survives)
		}
	}
}

func TestNewEmptyRoot(t *testing.T) {
	t.Parallel()
	_, err := file.New(context.Background(), "")
	if lathe.ErrorCode(err) != lathe.EINVALID {
		t.Fatalf("New(\"\") = %v; want an %q error", err, lathe.EINVALID)
	}
}
