package data_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
	"github.com/latheml/lathe/internal/blob/file"
	"github.com/latheml/lathe/internal/content"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/profile"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/sqlite"
)

// env is a data service on SQLite and a file blob store, with one workspace.
type env struct {
	t       *testing.T
	svc     *data.Service
	db      *store.DB
	content *content.Service
	ws      string
	key     []byte
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "lathe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	blobs, err := file.New(ctx, filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Now().UTC() }
	ws := &lathe.Workspace{ID: lathe.NewID(), Name: "ws", CreatedAt: now()}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, data.KeySize)
	_, _ = rand.Read(key)
	c := content.New(blobs, db, now)
	svc, err := data.New(data.Options{Store: db, Content: c, Key: key, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, svc: svc, db: db, content: c, ws: ws.ID, key: key}
}

// put stores bytes in the workspace and returns their manifest entry.
func (e *env) put(p string, b []byte) lathe.ManifestEntry {
	e.t.Helper()
	bl, err := e.content.Put(e.t.Context(), e.ws, "ann", bytes.NewReader(b), blob.PutOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return lathe.ManifestEntry{Path: p, Digest: bl.Digest, Size: bl.Size, Mode: 0o644}
}

func (e *env) create(name string, spec data.VersionSpec) (*lathe.DataVersion, error) {
	return e.svc.CreateVersion(e.t.Context(), e.ws, "ann", name, spec)
}

func (e *env) profile(v *lathe.DataVersion) *profile.Profile {
	e.t.Helper()
	_, raw, err := e.svc.Profile(e.t.Context(), e.ws, lathe.AssetRef{Name: v.Name, Version: v.Version})
	if err != nil {
		e.t.Fatalf("profile of %s:%s: %v", v.Name, v.Version, err)
	}
	var p profile.Profile
	if err := json.Unmarshal(raw, &p); err != nil {
		e.t.Fatal(err)
	}
	return &p
}

func wantCode(t *testing.T, err error, code string, mention ...string) {
	t.Helper()
	if got := lathe.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("error %q does not mention %q", err, m)
		}
	}
}

func digestOf(b []byte) lathe.Digest {
	s := sha256.Sum256(b)
	return lathe.NewDigest(s[:])
}

func TestUploadedVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	csv := []byte("age,job,balance\n30,admin,100.5\n41,technician,\n52,admin,3.25\n")
	f := e.put("bank.csv", csv)

	v1, err := e.create("bank", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{f}, Tags: map[string]string{"src": "uci"}})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != "1" || v1.Files != 1 || v1.Size != int64(len(csv)) || v1.Datastore != lathe.WorkspaceBlobStore ||
		!strings.HasPrefix(v1.Path, "azureml://datastores/workspaceblobstore/paths/LocalUpload/") || !strings.HasSuffix(v1.Path, "/bank.csv") {
		t.Fatalf("v1 = %+v", v1)
	}
	p := e.profile(v1)
	if p.Rows != 3 || len(p.Columns) != 3 || p.Column("balance").Nulls != 1 {
		t.Fatalf("profile = %+v", p)
	}

	// Versions auto-increment past the largest number; labels are kept.
	if v, err := e.create("bank", data.VersionSpec{Version: "7", Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{f}}); err != nil || v.Version != "7" {
		t.Fatalf("labelled = %v, %v", v, err)
	}
	v8, err := e.create("bank", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{f}})
	if err != nil || v8.Version != "8" {
		t.Fatalf("auto = %v, %v", v8, err)
	}
	_, err = e.create("bank", data.VersionSpec{Version: "7", Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{f}})
	wantCode(t, err, lathe.ECONFLICT, "immutable")

	// @latest skips archived versions.
	ctx := t.Context()
	if err := e.svc.SetArchived(ctx, e.ws, "bank", "8", true); err != nil {
		t.Fatal(err)
	}
	if l, err := e.svc.Version(ctx, e.ws, lathe.AssetRef{Name: "bank", Latest: true}); err != nil || l.Version != "7" {
		t.Fatalf("latest = %v, %v", l, err)
	}
	if err := e.svc.SetArchived(ctx, e.ws, "bank", "8", false); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.svc.Version(ctx, e.ws, lathe.AssetRef{Name: "bank", Latest: true}); l.Version != "8" {
		t.Fatalf("latest after restore = %v", l.Version)
	}
	desc := "three rows"
	u, err := e.svc.UpdateVersion(ctx, e.ws, lathe.AssetRef{Name: "bank", Version: "1"}, data.VersionUpdate{Description: &desc})
	if err != nil || u.Description != desc || u.Tags["src"] != "uci" {
		t.Fatalf("update = %+v, %v", u, err)
	}

	// A folder: the file is read back verified.
	other := e.put("docs/readme.txt", []byte("hello"))
	fv, err := e.create("folder", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{other, {Path: "bank.csv", Digest: f.Digest, Size: f.Size, Mode: 0o755}}})
	if err != nil {
		t.Fatal(err)
	}
	if fv.Files != 2 || strings.HasSuffix(fv.Path, ".csv") {
		t.Fatalf("folder = %+v", fv)
	}
	if _, _, err := e.svc.Profile(ctx, e.ws, lathe.AssetRef{Name: "folder", Version: "1"}); !lathe.IsCode(err, lathe.ENOTFOUND) {
		t.Fatalf("a uri_folder has a profile: %v", err)
	}
	ent, rc, err := e.svc.OpenFile(ctx, e.ws, lathe.AssetRef{Name: "folder", Latest: true}, "docs/readme.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "hello" || ent.Digest != other.Digest {
		t.Fatalf("OpenFile = %q, %v", b, err)
	}
	// The same tree is the same digest; an upload can be referred to again.
	again, err := e.create("again", data.VersionSpec{Type: lathe.DataURIFile, Path: v1.Path})
	if err != nil || again.Digest != v1.Digest || again.Path != v1.Path {
		t.Fatalf("reuse of %s = %+v, %v", v1.Path, again, err)
	}
	sub, err := e.create("sub", data.VersionSpec{Type: lathe.DataURIFolder, Path: strings.TrimSuffix(fv.Path, "/") + "/docs"})
	if err != nil || sub.Files != 1 {
		t.Fatalf("reuse of a sub-folder = %+v, %v", sub, err)
	}
}

func TestBadManifests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := e.put("a.csv", []byte("x\n1\n"))
	missing := lathe.ManifestEntry{Path: "b.csv", Digest: digestOf([]byte("never uploaded")), Size: 14}
	tests := []struct {
		name    string
		spec    data.VersionSpec
		code    string
		mention string
	}{
		{"missing digest", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{good, missing}}, lathe.EINVALID, "does not hold"},
		{"wrong size", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{{Path: "a.csv", Digest: good.Digest, Size: 99}}}, lathe.EINVALID, "99 bytes"},
		{"traversal", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{{Path: "../etc/passwd", Digest: good.Digest, Size: good.Size}}}, lathe.EINVALID, `".."`},
		{"absolute", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{{Path: "/etc/passwd", Digest: good.Digest, Size: good.Size}}}, lathe.EINVALID, "absolute"},
		{"backslash", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{{Path: `a\..\b`, Digest: good.Digest, Size: good.Size}}}, lathe.EINVALID, "character"},
		{"twice", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{good, good}}, lathe.EINVALID, "twice"},
		{"file and folder", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{good, {Path: "a.csv/x", Digest: good.Digest, Size: good.Size}}}, lathe.EINVALID, "both"},
		{"two files in uri_file", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{good, {Path: "c.csv", Digest: good.Digest, Size: good.Size}}}, lathe.EINVALID, "one file"},
		{"empty", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{}}, lathe.EINVALID, "no files"},
		{"no path", data.VersionSpec{Type: lathe.DataURIFolder}, lathe.EINVALID, "give a path"},
		{"bad type", data.VersionSpec{Type: "csv", Manifest: []lathe.ManifestEntry{good}}, lathe.EINVALID, "uri_file"},
		{"latest version", data.VersionSpec{Version: "latest", Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{good}}, lathe.EINVALID, "reserved"},
		{"version with slash", data.VersionSpec{Version: "1/2", Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{good}}, lathe.EINVALID, "position"},
		{"mode bits", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{{Path: "a.csv", Digest: good.Digest, Size: good.Size, Mode: 0o4755}}}, lathe.EINVALID, "permission"},
		{"https", data.VersionSpec{Type: lathe.DataURIFile, Path: "https://example.com/a.csv"}, lathe.EUNSUPPORTED, "local path"},
		{"local path", data.VersionSpec{Type: lathe.DataURIFile, Path: "./a.csv"}, lathe.EINVALID, "CLI"},
		{"unknown datastore", data.VersionSpec{Type: lathe.DataURIFile, Path: "azureml://datastores/nope/paths/a.csv"}, lathe.ENOTFOUND, "nope"},
		{"datastore traversal", data.VersionSpec{Type: lathe.DataURIFile, Path: "azureml://datastores/x/paths/a/../../b"}, lathe.EINVALID, `".."`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.create("bad", tc.spec)
			wantCode(t, err, tc.code, tc.mention)
		})
	}
	for _, name := range []string{"../x", "a/b", "", strings.Repeat("n", 300)} {
		_, err := e.create(name, data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{good}})
		wantCode(t, err, lathe.EINVALID)
	}
	if list, _ := e.svc.Assets(t.Context(), e.ws, true, "", 10); len(list) != 0 {
		t.Fatalf("refused creates left assets: %v", list)
	}
}

func TestTabularProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ragged := e.put("r.csv", []byte("a,b\n1,2\n3\n4,5,6\n7,\xff\xfe\n"))
	v, err := e.create("ragged", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{ragged}})
	if err != nil {
		t.Fatalf("lenient create refused: %v", err)
	}
	p := e.profile(v)
	if p.RaggedRows != 2 || p.InvalidUTF8Rows != 1 || len(p.Problems) == 0 || p.Problems[0].Line != 3 {
		t.Fatalf("profile problems = ragged %d, utf8 %d, %+v", p.RaggedRows, p.InvalidUTF8Rows, p.Problems)
	}
	_, err = e.create("ragged", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{ragged}, Strict: true})
	wantCode(t, err, lathe.EINVALID, "line 3")

	corrupt := e.put("c.parquet", append([]byte("PAR1"), bytes.Repeat([]byte{7}, 100)...))
	_, err = e.create("corrupt", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{corrupt}})
	wantCode(t, err, lathe.EINVALID, "c.parquet")

	type row struct {
		ID    int64   `parquet:"id"`
		Score float64 `parquet:"score"`
		Name  string  `parquet:"name"`
	}
	var buf bytes.Buffer
	rows := []row{{1, 0.5, "a"}, {2, 1.5, "b"}, {3, 2.5, "a"}}
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	pq := e.put("t.parquet", buf.Bytes())
	v, err = e.create("pq", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{pq}})
	if err != nil {
		t.Fatal(err)
	}
	if p := e.profile(v); p.Rows != 3 || p.Format != profile.FormatParquet || p.Column("score") == nil {
		t.Fatalf("parquet profile = %+v", p)
	}
}

func TestMLTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mlt := e.put("MLTable", []byte("paths:\n  - pattern: ./parts/*.csv\ntransformations:\n  - read_delimited:\n      delimiter: ';'\n      header: all_files_same_headers\n      encoding: utf8\n"))
	p1 := e.put("parts/1.csv", []byte("x;y\n1;a\n2;b"))
	p2 := e.put("parts/2.csv", []byte("x;y\n3;c\n"))
	other := e.put("notes.txt", []byte("not part of the table"))
	v, err := e.create("table", data.VersionSpec{Type: lathe.DataMLTable, Manifest: []lathe.ManifestEntry{mlt, p1, p2, other}})
	if err != nil {
		t.Fatal(err)
	}
	p := e.profile(v)
	if p.Rows != 3 || len(p.Columns) != 2 || p.Column("x").Type != profile.TypeInt || p.ProblemCount != 0 {
		t.Fatalf("mltable profile = %+v", p)
	}
	bad := []struct{ name, mltable, mention string }{
		{"unknown field", "paths:\n  - file: ./parts/1.csv\ncolumns: 3\n", "columns"},
		{"no paths", "transformations:\n  - read_parquet: {}\n", "no paths"},
		{"no match", "paths:\n  - file: ./nope.csv\ntransformations:\n  - read_delimited: {}\n", "nope.csv"},
		{"escape", "paths:\n  - folder: ../..\ntransformations:\n  - read_delimited: {}\n", "leaves"},
		{"unsupported", "paths:\n  - file: ./parts/1.csv\ntransformations:\n  - take: 5\n", "take"},
	}
	for _, tc := range bad {
		m := e.put("MLTable", []byte(tc.mltable))
		_, err := e.create("table", data.VersionSpec{Type: lathe.DataMLTable, Manifest: []lathe.ManifestEntry{m, p1, p2}})
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.mention)
		}
	}
	_, err = e.create("table", data.VersionSpec{Type: lathe.DataMLTable, Manifest: []lathe.ManifestEntry{p1}})
	wantCode(t, err, lathe.EINVALID, "MLTable")
}

func TestLocalDatastore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "raw", "2024"), 0o755))
	must(os.WriteFile(filepath.Join(root, "raw", "2024", "a.csv"), []byte("k,v\n1,2\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "raw", "b.bin"), []byte{1, 2, 3}, 0o755))

	_, err := e.svc.CreateDatastore(ctx, e.ws, "ann", data.DatastoreSpec{Name: "nfs", Type: lathe.DatastoreLocal, Path: filepath.Join(root, "nope")})
	wantCode(t, err, lathe.EINVALID, "nope")
	_, err = e.svc.CreateDatastore(ctx, e.ws, "ann", data.DatastoreSpec{Name: "nfs", Type: lathe.DatastoreLocal, Path: "relative/dir"})
	wantCode(t, err, lathe.EINVALID, "absolute")
	_, err = e.svc.CreateDatastore(ctx, e.ws, "ann", data.DatastoreSpec{Name: lathe.WorkspaceBlobStore, Type: lathe.DatastoreLocal, Path: root})
	wantCode(t, err, lathe.ECONFLICT, "built in")
	_, err = e.svc.CreateDatastore(ctx, e.ws, "ann", data.DatastoreSpec{Name: "az", Type: "azure_blob"})
	wantCode(t, err, lathe.EINVALID, "Azure")
	d, err := e.svc.CreateDatastore(ctx, e.ws, "ann", data.DatastoreSpec{Name: "nfs", Type: lathe.DatastoreLocal, Path: root})
	if err != nil || d.Path != root {
		t.Fatalf("create = %+v, %v", d, err)
	}
	if list, _ := e.svc.Datastores(ctx, e.ws); len(list) != 2 || list[0].Name != lathe.WorkspaceBlobStore || list[1].Name != "nfs" {
		t.Fatalf("list = %v", list)
	}

	v, err := e.create("raw", data.VersionSpec{Type: lathe.DataURIFolder, Path: "azureml://datastores/nfs/paths/raw"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Files != 2 || v.Datastore != "nfs" || v.DatastorePath != "raw" || v.Path != "azureml://datastores/nfs/paths/raw/" {
		t.Fatalf("referenced = %+v", v)
	}
	f, err := e.create("one", data.VersionSpec{Type: lathe.DataURIFile, Path: "azureml://datastores/nfs/paths/raw/2024/a.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if p := e.profile(f); p.Rows != 1 {
		t.Fatalf("profile of a referenced CSV = %+v", p)
	}
	_, err = e.create("one", data.VersionSpec{Type: lathe.DataURIFile, Path: "azureml://datastores/nfs/paths/raw"})
	wantCode(t, err, lathe.EINVALID, "not a file")

	// A link out of the datastore is refused.
	must(os.Symlink("/etc/passwd", filepath.Join(root, "raw", "evil")))
	_, err = e.create("raw", data.VersionSpec{Type: lathe.DataURIFolder, Path: "azureml://datastores/nfs/paths/raw"})
	wantCode(t, err, lathe.EINVALID, "evil")
	must(os.Remove(filepath.Join(root, "raw", "evil")))

	// Staging: from the cache, hard-linked and read-only; a second stage
	// fetches nothing.
	cache := t.TempDir()
	dir1, dir2 := filepath.Join(t.TempDir(), "in"), filepath.Join(t.TempDir(), "in")
	r1, err := e.svc.Stage(ctx, e.ws, "raw", "1", dir1, cache)
	if err != nil || r1.Fetched != 2 || r1.Files != 2 {
		t.Fatalf("stage = %+v, %v", r1, err)
	}
	r2, err := e.svc.Stage(ctx, e.ws, "raw", "latest", dir2, cache)
	if err != nil || r2.Fetched != 0 || r2.Linked != 1 || r2.Copied != 1 {
		t.Fatalf("second stage = %+v, %v", r2, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir2, "2024", "a.csv")); string(b) != "k,v\n1,2\n" {
		t.Fatalf("staged a.csv = %q", b)
	}
	if fi, _ := os.Stat(filepath.Join(dir2, "b.bin")); fi == nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("staged b.bin mode = %v", fi)
	}
	if fi, _ := os.Stat(filepath.Join(dir2, "2024", "a.csv")); fi == nil || fi.Mode().Perm()&0o222 != 0 {
		t.Fatalf("a linked file is writable: %v", fi)
	}

	// The source changes: reading the version says so.
	must(os.WriteFile(filepath.Join(root, "raw", "b.bin"), []byte{9, 9, 9}, 0o755))
	_, err = e.svc.Stage(ctx, e.ws, "raw", "1", filepath.Join(t.TempDir(), "x"), t.TempDir())
	wantCode(t, err, lathe.ECORRUPT, "changed")

	wantCode(t, e.svc.DeleteDatastore(ctx, e.ws, "nfs"), lathe.ECONFLICT)
	wantCode(t, e.svc.DeleteDatastore(ctx, e.ws, lathe.WorkspaceBlobStore), lathe.ECONFLICT)
}

func TestDiff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a1 := e.put("t.csv", []byte("a,b,c\n1,x,2\n2,y,3\n"))
	a2 := e.put("t.csv", []byte("a,b,d\n1.5,x,q\n2,y,r\n3,z,s\n"))
	keep := e.put("keep.txt", []byte("same"))
	gone := e.put("gone.txt", []byte("bye"))
	if _, err := e.create("d", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{a1, keep, gone}}); err != nil {
		t.Fatal(err)
	}
	added := e.put("new.txt", []byte("hi"))
	if _, err := e.create("d", data.VersionSpec{Type: lathe.DataURIFolder, Manifest: []lathe.ManifestEntry{a2, keep, added}}); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.DiffVersions(t.Context(), e.ws, lathe.AssetRef{Name: "d", Version: "1"}, lathe.AssetRef{Name: "d", Latest: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Added) != 1 || d.Added[0].Path != "new.txt" || len(d.Removed) != 1 || d.Removed[0].Path != "gone.txt" ||
		len(d.Changed) != 1 || d.Changed[0].Path != "t.csv" || d.Unchanged != 1 || d.Same || d.Table != nil {
		t.Fatalf("diff = %+v", d)
	}
	for i, b := range [][]byte{[]byte("a,b,c\n1,x,2\n2,y,3\n"), []byte("a,b,d\n1.5,x,q\n2,y,r\n3,z,s\n")} {
		if _, err := e.create("tab", data.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{e.put("t.csv", b)}}); err != nil {
			t.Fatalf("tab %d: %v", i, err)
		}
	}
	d, err = e.svc.DiffVersions(t.Context(), e.ws, lathe.AssetRef{Name: "tab", Version: "1"}, lathe.AssetRef{Name: "tab", Version: "2"})
	if err != nil {
		t.Fatal(err)
	}
	tb := d.Table
	if tb == nil || tb.FromRows != 2 || tb.ToRows != 3 || len(tb.Added) != 1 || tb.Added[0].Name != "d" ||
		len(tb.Removed) != 1 || tb.Removed[0].Name != "c" || len(tb.Retyped) != 1 || tb.Retyped[0].Name != "a" {
		t.Fatalf("table diff = %+v", tb)
	}
	_, err = e.svc.DiffVersions(t.Context(), e.ws, lathe.AssetRef{Name: "tab", Version: "1"}, lathe.AssetRef{Name: "tab", Version: "9"})
	wantCode(t, err, lathe.ENOTFOUND)
}

func TestSealedCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Credentials are sealed with the key: stored bytes never contain the
	// secret, and another key cannot open them.
	secret := "s3cr3t-" + lathe.NewID()
	d := &lathe.Datastore{WorkspaceID: e.ws, Name: "lake", Type: lathe.DatastoreS3, Bucket: "ml", Endpoint: "127.0.0.1:1", CreatedAt: time.Now()}
	sealed := data.SealForTest(e.key, e.ws, "lake", []byte(`{"access_key":"ak","secret_key":"`+secret+`"}`))
	if bytes.Contains(sealed, []byte(secret)) {
		t.Fatal("sealed credentials contain the secret")
	}
	d.Credentials, d.HasCredentials = sealed, true
	if err := e.db.CreateDatastore(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Datastore(t.Context(), e.ws, "lake")
	if err != nil || got.Credentials != nil || !got.HasCredentials {
		t.Fatalf("Datastore = %+v, %v", got, err)
	}
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), `"credentials"`) {
		t.Fatalf("datastore JSON shows credentials: %s", raw)
	}
	other := make([]byte, data.KeySize)
	svc2, _ := data.New(data.Options{Store: e.db, Content: e.content, Key: other})
	_, err = svc2.CreateVersion(t.Context(), e.ws, "ann", "x", data.VersionSpec{Type: lathe.DataURIFile, Path: "azureml://datastores/lake/paths/a.csv"})
	wantCode(t, err, lathe.ECORRUPT, "another key")

	for _, k := range []string{strings.Repeat("ab", 32), "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="} {
		if b, err := data.ParseKey(k); err != nil || len(b) != data.KeySize {
			t.Errorf("ParseKey(%q) = %d bytes, %v", k, len(b), err)
		}
	}
	if _, err := data.ParseKey("short"); err == nil {
		t.Error("ParseKey accepted a short key")
	}
}

func TestNouns(t *testing.T) {
	t.Parallel()
	refs := []struct {
		in, want string
		bare     bool
		ok       bool
	}{
		{"bank:3", "bank:3", false, true},
		{"azureml:bank:3", "bank:3", false, true},
		{"lathe:bank@latest", "bank@latest", false, true},
		{"bank", "bank@latest", true, true},
		{"bank", "", false, false},
		{"bank@v2", "", false, false},
		{"../x:1", "", false, false},
		{"bank:latest", "", false, false},
	}
	for _, tc := range refs {
		r, err := lathe.ParseAssetRef(tc.in, tc.bare)
		if (err == nil) != tc.ok || (tc.ok && r.String() != tc.want) {
			t.Errorf("ParseAssetRef(%q) = %v, %v", tc.in, r, err)
		}
	}
	uris := []struct {
		in, ds, path string
		ok           bool
	}{
		{"azureml://datastores/lake/paths/raw/2024/", "lake", "raw/2024", true},
		{"lathe://datastores/lake/paths/a.csv", "lake", "a.csv", true},
		{"azureml://datastores/lake/paths", "lake", "", true},
		{"azureml://datastores/lake/paths/a/../../b", "", "", false},
		{"azureml://datastores/../paths/a", "", "", false},
		{"azureml://datastores/lake", "", "", false},
	}
	for _, tc := range uris {
		ds, p, isURI, err := lathe.ParseDatastoreURI(tc.in)
		if !isURI || (err == nil) != tc.ok || ds != tc.ds || p != tc.path {
			t.Errorf("ParseDatastoreURI(%q) = %q, %q, %v, %v", tc.in, ds, p, isURI, err)
		}
	}
	m := []lathe.ManifestEntry{{Path: "b", Digest: digestOf(nil), Size: 0}, {Path: "a", Digest: digestOf(nil)}}
	if err := lathe.ValidateManifest(m); err != nil || m[0].Path != "a" {
		t.Fatalf("ValidateManifest sorted = %v, %v", m, err)
	}
	if lathe.ManifestDigest(m) == lathe.ManifestDigest([]lathe.ManifestEntry{m[0]}) {
		t.Fatal("manifest digest ignores entries")
	}
	big := make([]lathe.ManifestEntry, lathe.MaxManifestEntries+1)
	wantCode(t, lathe.ValidateManifest(big), lathe.ETOOLARGE)
	for _, p := range []string{"a//b", "./a", "a/.", strings.Repeat("x", 256), strings.Repeat("a/", 600) + "b", "a\x00b", "\xff"} {
		if lathe.ValidateDataPath(p) == nil {
			t.Errorf("ValidateDataPath(%q) passed", p)
		}
	}
}
