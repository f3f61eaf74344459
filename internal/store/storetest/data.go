package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

func mkFiles(n int, seed int) []lathe.ManifestEntry {
	out := make([]lathe.ManifestEntry, n)
	for i := range out {
		out[i] = lathe.ManifestEntry{Path: fmt.Sprintf("part/%04d.csv", i), Digest: digest(seed*100000 + i), Size: int64(i * 10), Mode: 0o644}
	}
	return out
}

func mkVersion(ws *lathe.Workspace, name, version string, at time.Time, files []lathe.ManifestEntry) *lathe.DataVersion {
	var size int64
	for _, f := range files {
		size += f.Size
	}
	return &lathe.DataVersion{WorkspaceID: ws.ID, Name: name, Version: version, Type: lathe.DataURIFolder,
		Path: lathe.DatastoreURI(lathe.WorkspaceBlobStore, "LocalUpload/x/"), Datastore: lathe.WorkspaceBlobStore, DatastorePath: "LocalUpload/x",
		Digest: lathe.ManifestDigest(files), Files: int64(len(files)), Size: size, CreatedAt: at, CreatedBy: "ann",
		Tags: map[string]string{"team": "risk"}, Description: "bank marketing"}
}

func testDataVersions(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w, other := mkWorkspace(t, db, "ws"), mkWorkspace(t, db, "other")

	if n, err := db.NextDataVersion(ctx, w.ID, "bank"); err != nil || n != 1 {
		t.Fatalf("NextDataVersion of a new asset = %d, %v", n, err)
	}
	files := mkFiles(1203, 1) // more than one insert chunk
	v1 := mkVersion(w, "bank", "1", t0, files)
	profile := []byte(`{"rows":3}`)
	if err := db.CreateDataVersion(ctx, v1, files, profile); err != nil {
		t.Fatal(err)
	}
	got, err := db.DataVersion(ctx, w.ID, "bank", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v1) {
		t.Fatalf("DataVersion = %+v\nwant %+v", got, v1)
	}
	wantCode(t, db.CreateDataVersion(ctx, mkVersion(w, "bank", "1", t0, files[:1]), files[:1], nil), lathe.ECONFLICT)
	if f, _ := db.DataFiles(ctx, w.ID, "bank", "1", "", 5000); len(f) != len(files) {
		t.Fatalf("a refused duplicate changed the manifest: %d files", len(f))
	}

	// The manifest pages in path order.
	var all []lathe.ManifestEntry
	after := ""
	for {
		page, err := db.DataFiles(ctx, w.ID, "bank", "1", after, 500)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].Path
	}
	if !reflect.DeepEqual(all, files) {
		t.Fatalf("DataFiles paged = %d entries, want %d in order", len(all), len(files))
	}
	if e, err := db.DataFile(ctx, w.ID, "bank", "1", files[7].Path); err != nil || *e != files[7] {
		t.Fatalf("DataFile = %+v, %v", e, err)
	}
	_, err = db.DataFile(ctx, w.ID, "bank", "1", "nope.csv")
	wantCode(t, err, lathe.ENOTFOUND)
	if p, err := db.DataProfile(ctx, w.ID, "bank", "1"); err != nil || !bytes.Equal(p, profile) {
		t.Fatalf("DataProfile = %s, %v", p, err)
	}

	// More versions: a label, then auto-increment past the largest number.
	v2 := mkVersion(w, "bank", "2024-q1", t0.Add(time.Second), files[:2])
	v3 := mkVersion(w, "bank", "7", t0.Add(2*time.Second), files[:3])
	for _, v := range []*lathe.DataVersion{v2, v3} {
		if err := db.CreateDataVersion(ctx, v, files[:v.Files], nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.DataProfile(ctx, w.ID, "bank", "7")
	wantCode(t, err, lathe.ENOTFOUND)
	if n, err := db.NextDataVersion(ctx, w.ID, "bank"); err != nil || n != 8 {
		t.Fatalf("NextDataVersion = %d, %v; want 8", n, err)
	}
	if l, err := db.LatestDataVersion(ctx, w.ID, "bank"); err != nil || l.Version != "7" {
		t.Fatalf("latest = %v, %v", l, err)
	}
	if byD, err := db.DataVersionByDigest(ctx, w.ID, lathe.WorkspaceBlobStore, v2.Digest); err != nil || byD.Version != "2024-q1" {
		t.Fatalf("DataVersionByDigest = %v, %v", byD, err)
	}

	// Archiving hides a version from latest and the default list.
	yes, no := true, false
	at := t0.Add(time.Hour)
	if _, err := db.UpdateDataVersion(ctx, w.ID, "bank", "7", store.DataVersionUpdate{Archived: &yes, At: at}); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.LatestDataVersion(ctx, w.ID, "bank"); l == nil || l.Version != "2024-q1" {
		t.Fatalf("latest after archiving 7 = %v", l)
	}
	if list, _ := db.ListDataVersions(ctx, w.ID, "bank", false, 0, 10); len(list) != 2 || list[0].Version != "2024-q1" || list[1].Version != "1" {
		t.Fatalf("active versions = %v", list)
	}
	if list, _ := db.ListDataVersions(ctx, w.ID, "bank", true, 1, 10); len(list) != 2 || list[0].Version != "2024-q1" {
		t.Fatalf("all versions from offset 1 = %v", list)
	}
	if n, _ := db.NextDataVersion(ctx, w.ID, "bank"); n != 8 {
		t.Fatalf("archived versions still count for the next number; got %d", n)
	}
	desc := "new words"
	upd, err := db.UpdateDataVersion(ctx, w.ID, "bank", "7", store.DataVersionUpdate{Archived: &no, Description: &desc, Tags: map[string]string{"a": "b"}, At: at})
	if err != nil || upd.Archived || upd.Description != desc || upd.Tags["a"] != "b" || len(upd.Tags) != 1 || upd.UpdatedAt == nil || !upd.UpdatedAt.Equal(at) {
		t.Fatalf("restore + edit = %+v, %v", upd, err)
	}
	_, err = db.UpdateDataVersion(ctx, w.ID, "bank", "99", store.DataVersionUpdate{Description: &desc, At: at})
	wantCode(t, err, lathe.ENOTFOUND)

	// Assets.
	if err := db.CreateDataVersion(ctx, mkVersion(w, "another", "1", t0, files[:1]), files[:1], nil); err != nil {
		t.Fatal(err)
	}
	a, err := db.DataAsset(ctx, w.ID, "bank")
	if err != nil || a.Versions != 3 || a.LatestVersion != "7" || !a.CreatedAt.Equal(t0) || !a.UpdatedAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("DataAsset = %+v, %v", a, err)
	}
	if err := db.SetDataAssetArchived(ctx, w.ID, "another", &at); err != nil {
		t.Fatal(err)
	}
	if list, _ := db.ListDataAssets(ctx, w.ID, false, "", 10); len(list) != 1 || list[0].Name != "bank" {
		t.Fatalf("active assets = %v", list)
	}
	if list, _ := db.ListDataAssets(ctx, w.ID, true, "another", 10); len(list) != 1 || list[0].Name != "bank" {
		t.Fatalf("assets after 'another' = %v", list)
	}
	if err := db.SetDataAssetArchived(ctx, w.ID, "another", nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.SetDataAssetArchived(ctx, w.ID, "nope", nil), lathe.ENOTFOUND)

	// Another workspace sees none of it.
	_, err = db.DataVersion(ctx, other.ID, "bank", "1")
	wantCode(t, err, lathe.ENOTFOUND)
	_, err = db.LatestDataVersion(ctx, other.ID, "bank")
	wantCode(t, err, lathe.ENOTFOUND)
	_, err = db.DataAsset(ctx, other.ID, "bank")
	wantCode(t, err, lathe.ENOTFOUND)
	if f, _ := db.DataFiles(ctx, other.ID, "bank", "1", "", 10); len(f) != 0 {
		t.Fatalf("other workspace sees files %v", f)
	}
	if err := db.CreateDataVersion(ctx, mkVersion(other, "bank", "1", t0, files[:1]), files[:1], nil); err != nil {
		t.Fatalf("same name and version in another workspace: %v", err)
	}

	// Deleting the workspace takes its data.
	usage, err := db.WorkspaceUsage(ctx, w.ID)
	if err != nil || usage["data_versions"] != 4 {
		t.Fatalf("usage = %v, %v", usage, err)
	}
	wantCode(t, db.DeleteWorkspace(ctx, w.ID, w.Name, false), lathe.ECONFLICT)
	if err := db.DeleteWorkspace(ctx, w.ID, w.Name, true); err != nil {
		t.Fatal(err)
	}
	w2 := mkWorkspace(t, db, "ws")
	if list, _ := db.ListDataAssets(ctx, w2.ID, true, "", 10); len(list) != 0 {
		t.Fatalf("a new workspace of the same name sees %v", list)
	}
	if _, err := db.DataVersion(ctx, other.ID, "bank", "1"); err != nil {
		t.Fatalf("deleting one workspace touched another: %v", err)
	}
}

func testDatastores(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w, other := mkWorkspace(t, db, "ws"), mkWorkspace(t, db, "other")
	s3 := &lathe.Datastore{WorkspaceID: w.ID, Name: "lake", Type: lathe.DatastoreS3, Bucket: "ml", Prefix: "raw", Endpoint: "127.0.0.1:9000",
		Region: "us-east-1", Secure: true, Credentials: []byte{1, 0, 2, 255}, HasCredentials: true, CreatedAt: t0, CreatedBy: "ann",
		Tags: map[string]string{"k": "v"}, Description: "the lake"}
	local := &lathe.Datastore{WorkspaceID: w.ID, Name: "nfs", Type: lathe.DatastoreLocal, Path: "/srv/data", CreatedAt: t0}
	for _, d := range []*lathe.Datastore{s3, local} {
		if err := db.CreateDatastore(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// BlobSizes answers for the workspace's own blobs only.
	if err := db.PutBlob(ctx, &lathe.Blob{WorkspaceID: w.ID, Digest: digest(7), Size: 70, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if sizes, err := db.BlobSizes(ctx, w.ID, []lathe.Digest{digest(7), digest(8)}); err != nil || len(sizes) != 1 || sizes[digest(7)] != 70 {
		t.Fatalf("BlobSizes = %v, %v", sizes, err)
	}
	if sizes, _ := db.BlobSizes(ctx, other.ID, []lathe.Digest{digest(7)}); len(sizes) != 0 {
		t.Fatalf("another workspace sees sizes %v", sizes)
	}
	wantCode(t, db.CreateDatastore(ctx, &lathe.Datastore{WorkspaceID: w.ID, Name: "lake", Type: lathe.DatastoreLocal, Path: "/x", CreatedAt: t0}), lathe.ECONFLICT)
	got, err := db.Datastore(ctx, w.ID, "lake")
	if err != nil || !reflect.DeepEqual(got, s3) {
		t.Fatalf("Datastore = %+v, %v\nwant %+v", got, err, s3)
	}
	if got, _ := db.Datastore(ctx, w.ID, "nfs"); got == nil || got.HasCredentials || got.Credentials != nil || got.Path != "/srv/data" {
		t.Fatalf("local datastore = %+v", got)
	}
	list, err := db.ListDatastores(ctx, w.ID)
	if err != nil || len(list) != 2 || list[0].Name != "lake" || list[1].Name != "nfs" {
		t.Fatalf("ListDatastores = %v, %v", list, err)
	}
	if list, _ := db.ListDatastores(ctx, other.ID); len(list) != 0 {
		t.Fatalf("other workspace sees %v", list)
	}
	_, err = db.Datastore(ctx, other.ID, "lake")
	wantCode(t, err, lathe.ENOTFOUND)

	// A datastore a version refers to stays.
	v := mkVersion(w, "ref", "1", t0, mkFiles(1, 2))
	v.Datastore = "nfs"
	if err := db.CreateDataVersion(ctx, v, mkFiles(1, 2), nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteDatastore(ctx, w.ID, "nfs"), lathe.ECONFLICT)
	if err := db.DeleteDatastore(ctx, w.ID, "lake"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteDatastore(ctx, w.ID, "lake"), lathe.ENOTFOUND)
	if usage, _ := db.WorkspaceUsage(ctx, w.ID); usage["datastores"] != 1 {
		t.Fatalf("usage = %v", usage)
	}
}
