package stage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data/stage"
)

func entry(p string, b []byte, mode uint32) lathe.ManifestEntry {
	s := sha256.Sum256(b)
	return lathe.ManifestEntry{Path: p, Digest: lathe.NewDigest(s[:]), Size: int64(len(b)), Mode: mode}
}

// source serves contents by digest and counts fetches.
type source struct {
	by      map[lathe.Digest][]byte
	fetches atomic.Int64
}

func (s *source) Open(_ context.Context, e lathe.ManifestEntry) (io.ReadCloser, error) {
	s.fetches.Add(1)
	b, ok := s.by[e.Digest]
	if !ok {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "no %s", e.Digest)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func fixture() ([]lathe.ManifestEntry, *source) {
	files := map[string][]byte{"a.csv": []byte("1,2\n"), "dup/a.csv": []byte("1,2\n"), "bin/run.sh": []byte("#!/bin/sh\n"), "d/e/f.txt": bytes.Repeat([]byte("z"), 3<<20)}
	src := &source{by: map[lathe.Digest][]byte{}}
	var m []lathe.ManifestEntry
	for p, b := range files {
		mode := uint32(0o644)
		if p == "bin/run.sh" {
			mode = 0o755
		}
		e := entry(p, b, mode)
		m = append(m, e)
		src.by[e.Digest] = b
	}
	lathe.SortManifest(m)
	return m, src
}

func check(t *testing.T, dir string, m []lathe.ManifestEntry, src *source) {
	t.Helper()
	for _, e := range m {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Path)))
		if err != nil || !bytes.Equal(b, src.by[e.Digest]) {
			t.Fatalf("%s: %d bytes, %v", e.Path, len(b), err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "bin", "run.sh")); fi == nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("run.sh mode = %v", fi)
	}
}

func TestMaterialize(t *testing.T) {
	t.Parallel()
	m, src := fixture()
	dir := filepath.Join(t.TempDir(), "out")
	r, err := stage.Materialize(t.Context(), m, src, dir, stage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, dir, m, src)
	if r.Files != 4 || r.Fetched != 3 || src.fetches.Load() != 3 {
		t.Fatalf("result %+v, %d fetches", r, src.fetches.Load())
	}
	// Again over the same folder: files are replaced, strays kept.
	if err := os.WriteFile(filepath.Join(dir, "stray.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.csv"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := stage.Materialize(t.Context(), m, src, dir, stage.Options{Parallel: 1}); err != nil {
		t.Fatal(err)
	}
	check(t, dir, m, src)
	if b, _ := os.ReadFile(filepath.Join(dir, "stray.txt")); string(b) != "mine" {
		t.Fatal("a file the version does not list was touched")
	}
}

func TestMaterializeWithCache(t *testing.T) {
	t.Parallel()
	m, src := fixture()
	cache := t.TempDir()
	var progress atomic.Int64
	r1, err := stage.Materialize(t.Context(), m, src, filepath.Join(t.TempDir(), "j1"), stage.Options{Cache: cache, Progress: func(n int64) { progress.Add(n) }})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "j2")
	r2, err := stage.Materialize(t.Context(), m, src, dir, stage.Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	check(t, dir, m, src)
	if r1.Fetched != 3 || r2.Fetched != 0 || src.fetches.Load() != 3 || r2.Linked != 3 || r2.Copied != 1 {
		t.Fatalf("first %+v, second %+v, fetches %d", r1, r2, src.fetches.Load())
	}
	if progress.Load() != r1.FetchedBytes {
		t.Fatalf("progress %d, fetched %d bytes", progress.Load(), r1.FetchedBytes)
	}
}

func TestMaterializeRefusesBadBytes(t *testing.T) {
	t.Parallel()
	m, src := fixture()
	for d := range src.by {
		src.by[d] = []byte("tampered")
	}
	dir := t.TempDir()
	_, err := stage.Materialize(t.Context(), m, src, dir, stage.Options{Cache: t.TempDir()})
	if !lathe.IsCode(err, lathe.ECORRUPT) {
		t.Fatalf("err = %v, want corrupt", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 0 {
		t.Fatalf("bad bytes left files behind: %v", left)
	}
	bad := []lathe.ManifestEntry{{Path: "../escape", Digest: m[0].Digest, Size: m[0].Size}}
	if _, err := stage.Materialize(t.Context(), bad, src, dir, stage.Options{}); !lathe.IsCode(err, lathe.EINVALID) {
		t.Fatalf("traversal: %v", err)
	}
}
