package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/server"
)

// TestDataKeyAndRoles checks the server's data wiring: the credentials key
// file is created at first start (32 bytes, mode 0600) and kept across
// restarts, data versions go through the API, a reader cannot write data,
// only contributors create datastores and only administrators local ones,
// and deleting a workspace takes its data.
func TestDataKeyAndRoles(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	keyPath := filepath.Join(h.dir, server.DataKeyFile)
	fi, err := os.Stat(keyPath)
	if err != nil || fi.Size() != 32 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("data key file: %v, %v", fi, err)
	}
	ctx := context.Background()
	admin, err := client.New(h.url, h.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateWorkspace(ctx, "team", ""); err != nil {
		t.Fatal(err)
	}
	tokens := map[lathe.Role]*client.Client{}
	for _, r := range []lathe.Role{lathe.RoleReader, lathe.RoleDataScientist, lathe.RoleContributor} {
		name := strings.ReplaceAll(string(r), "-", "")
		if _, err := admin.CreateUser(ctx, name, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.AssignRole(ctx, "team", name, r); err != nil {
			t.Fatal(err)
		}
		tok, err := admin.CreateToken(ctx, name, "t", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tokens[r], err = client.New(h.url, tok.Token, nil); err != nil {
			t.Fatal(err)
		}
	}
	body := []byte("a,b\n1,2\n")
	sum := sha256.Sum256(body)
	d := lathe.NewDigest(sum[:])
	ds := tokens[lathe.RoleDataScientist]
	if _, err := ds.PutBlob(ctx, "team", bytes.NewReader(body), int64(len(body)), d); err != nil {
		t.Fatal(err)
	}
	spec := client.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{{Path: "t.csv", Digest: d, Size: int64(len(body)), Mode: 0o644}}}
	if _, err := tokens[lathe.RoleReader].CreateDataVersion(ctx, "team", "t", spec); !lathe.IsCode(err, lathe.EFORBIDDEN) {
		t.Fatalf("reader created a data version: %v", err)
	}
	v, err := ds.CreateDataVersion(ctx, "team", "t", spec)
	if err != nil || v.Version != "1" {
		t.Fatalf("data scientist: %v, %v", v, err)
	}
	raw, err := tokens[lathe.RoleReader].DataProfile(ctx, "team", "t", "latest")
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Rows int64 }
	if err := json.Unmarshal(raw, &p); err != nil || p.Rows != 1 {
		t.Fatalf("profile %s: %v", raw, err)
	}
	local := client.DatastoreSpec{Name: "nfs", Type: lathe.DatastoreLocal, Path: t.TempDir()}
	if _, err := ds.CreateDatastore(ctx, "team", local); !lathe.IsCode(err, lathe.EFORBIDDEN) {
		t.Fatalf("a data scientist created a datastore: %v", err)
	}
	if _, err := tokens[lathe.RoleContributor].CreateDatastore(ctx, "team", local); !lathe.IsCode(err, lathe.EFORBIDDEN) {
		t.Fatalf("a contributor created a local datastore: %v", err)
	}
	if _, err := admin.CreateDatastore(ctx, "team", local); err != nil {
		t.Fatalf("admin local datastore: %v", err)
	}
	if err := admin.DeleteWorkspace(ctx, "team", true); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateWorkspace(ctx, "team", ""); err != nil {
		t.Fatal(err)
	}
	if list, _, err := admin.DataAssets(ctx, "team", true, "", 10); err != nil || len(list) != 0 {
		t.Fatalf("data survived the workspace: %v, %v", list, err)
	}
	before, _ := os.ReadFile(keyPath)
	h2 := start(t, nil)
	if b, _ := os.ReadFile(filepath.Join(h2.dir, server.DataKeyFile)); bytes.Equal(b, before) {
		t.Fatal("two data dirs share a key")
	}
}
