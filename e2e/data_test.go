package e2e_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/blob/s3"
)

type createOut struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Files   int64  `json:"files"`
	Digest  string `json:"digest"`
	Upload  struct {
		Files        int   `json:"files"`
		HashedFiles  int   `json:"hashed_files"`
		CachedFiles  int   `json:"cached_files"`
		PresentFiles int   `json:"present_files"`
		SentFiles    int   `json:"sent_files"`
		SentBytes    int64 `json:"sent_bytes"`
	} `json:"upload"`
}

// TestDataAssets drives `lathe data` and `lathe datastore` against the real
// binary: create from a folder, re-create after changing one file (only
// that file is sent), download verified, diff, archive and restore, YAML,
// and the bad inputs of the issue.
func TestDataAssets(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	env := p.cliEnv(t)
	lathe := func(args ...string) (string, string, int) {
		t.Helper()
		return run(t, env, args...)
	}
	mustJSON := func(v any, args ...string) {
		t.Helper()
		out, stderr, code := lathe(append(args, "-o", "json")...)
		if code != 0 {
			t.Fatalf("lathe %v: exit %d\n%s", args, code, stderr)
		}
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("lathe %v: %v\n%s", args, err, out)
		}
	}
	refused := func(mention string, args ...string) {
		t.Helper()
		_, stderr, code := lathe(args...)
		if code == 0 || !strings.Contains(stderr, mention) {
			t.Fatalf("lathe %v: exit %d, stderr %q; want a failure mentioning %q", args, code, stderr, mention)
		}
	}

	// A folder of 24 files.
	dir := filepath.Join(t.TempDir(), "images")
	for i := range 24 {
		b := make([]byte, 50_000+i)
		_, _ = rand.Read(b)
		sub := filepath.Join(dir, fmt.Sprintf("class-%d", i%3))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("%02d.bin", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var v1 createOut
	mustJSON(&v1, "data", "create", "--name", "images", "--type", "uri_folder", "--path", dir)
	if v1.Version != "1" || v1.Files != 24 || v1.Upload.SentFiles != 24 {
		t.Fatalf("first create: %+v", v1)
	}

	// One file changes: only its bytes are sent.
	changed := filepath.Join(dir, "class-1", "04.bin")
	nb := make([]byte, 70_001)
	_, _ = rand.Read(nb)
	if err := os.WriteFile(changed, nb, 0o644); err != nil {
		t.Fatal(err)
	}
	var v2 createOut
	mustJSON(&v2, "data", "create", "-n", "images", "-t", "uri_folder", "-p", dir)
	if v2.Version != "2" || v2.Upload.SentFiles != 1 || v2.Upload.SentBytes != int64(len(nb)) || v2.Upload.PresentFiles != 23 {
		t.Fatalf("re-create after one change: %+v", v2.Upload)
	}

	// Download, verified, equals the source.
	to := filepath.Join(t.TempDir(), "dl")
	if _, stderr, code := lathe("data", "download", "-n", "images", "-v", "2", "--to", to); code != 0 {
		t.Fatalf("download: %d %s", code, stderr)
	}
	for _, f := range []string{"class-1/04.bin", "class-2/23.bin"} {
		want, _ := os.ReadFile(filepath.Join(dir, f))
		got, err := os.ReadFile(filepath.Join(to, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("downloaded %s differs: %v", f, err)
		}
	}

	// Diff.
	var d struct {
		Changed   []struct{ Path string } `json:"changed"`
		Added     []any                   `json:"added"`
		Unchanged int                     `json:"unchanged"`
	}
	mustJSON(&d, "data", "diff", "images:1", "images:2")
	if len(d.Changed) != 1 || d.Changed[0].Path != "class-1/04.bin" || len(d.Added) != 0 || d.Unchanged != 23 {
		t.Fatalf("diff: %+v", d)
	}

	// Archive and restore: @latest moves back and forth.
	var show struct{ Version string }
	if _, stderr, code := lathe("data", "archive", "-n", "images", "-v", "2"); code != 0 {
		t.Fatalf("archive: %s", stderr)
	}
	mustJSON(&show, "data", "show", "-n", "images", "--label", "latest")
	if show.Version != "1" {
		t.Fatalf("latest after archiving 2 = %s", show.Version)
	}
	if _, stderr, code := lathe("data", "restore", "-n", "images", "-v", "2"); code != 0 {
		t.Fatalf("restore: %s", stderr)
	}
	mustJSON(&show, "data", "show", "-n", "images@latest")
	if show.Version != "2" {
		t.Fatalf("latest after restoring 2 = %s", show.Version)
	}

	// Azure YAML with a relative path, a tabular file and its profile.
	work := t.TempDir()
	csv := "age,job,y\n30,admin,no\n41,technician,yes\n52,admin,no\n"
	if err := os.WriteFile(filepath.Join(work, "bank.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	yml := filepath.Join(work, "data.yml")
	if err := os.WriteFile(yml, []byte("$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json\nname: bank\nversion: 1\ndescription: three clients\ntags:\n  source: test\ntype: uri_file\npath: ./bank.csv\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var bank struct {
		Version string
		Profile struct {
			Rows    int64
			Columns []struct{ Name, Type string }
		}
	}
	if _, stderr, code := lathe("data", "create", "-f", yml); code != 0 {
		t.Fatalf("create -f: %s", stderr)
	}
	mustJSON(&bank, "data", "show", "-n", "bank", "-v", "1")
	if bank.Profile.Rows != 3 || len(bank.Profile.Columns) != 3 || bank.Profile.Columns[0].Type != "int" {
		t.Fatalf("profile: %+v", bank.Profile)
	}
	out, _, code := lathe("data", "list")
	if code != 0 || !strings.Contains(out, "images") || !strings.Contains(out, "bank") {
		t.Fatalf("data list: %q", out)
	}

	// Bad inputs.
	refused("does not exist", "data", "create", "-n", "x", "-t", "uri_folder", "-p", filepath.Join(work, "missing"))
	refused("'-', '_' or '.'", "data", "create", "-n", "a/b", "-t", "uri_file", "-p", filepath.Join(work, "bank.csv"))
	refused(`".."`, "data", "create", "-n", "x", "-t", "uri_folder", "-p", "azureml://datastores/workspaceblobstore/paths/../../etc")
	if err := os.WriteFile(filepath.Join(work, "ragged.csv"), []byte("a,b\n1,2\n3\n4,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("line 3", "data", "create", "-n", "ragged", "-t", "uri_file", "-p", filepath.Join(work, "ragged.csv"), "--strict")
	var ragged struct {
		Profile struct {
			RaggedRows int64 `json:"ragged_rows"`
			Problems   []struct{ Line int64 }
		}
	}
	if _, stderr, code := lathe("data", "create", "-n", "ragged", "-t", "uri_file", "-p", filepath.Join(work, "ragged.csv")); code != 0 {
		t.Fatalf("lenient create of a ragged CSV: %s", stderr)
	}
	mustJSON(&ragged, "data", "show", "-n", "ragged", "-v", "1")
	if ragged.Profile.RaggedRows != 1 || len(ragged.Profile.Problems) != 1 || ragged.Profile.Problems[0].Line != 3 {
		t.Fatalf("ragged profile: %+v", ragged.Profile)
	}
	if err := os.WriteFile(filepath.Join(work, "bad.parquet"), append([]byte("PAR1 not really"), make([]byte, 64)...), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("bad.parquet", "data", "create", "-n", "pq", "-t", "uri_file", "-p", filepath.Join(work, "bad.parquet"))
	if err := os.WriteFile(filepath.Join(work, "bad.yml"), []byte("name: x\npath: ./bank.csv\nformat: csv\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("format", "data", "create", "-f", filepath.Join(work, "bad.yml"))

	// A manifest naming a digest the server lacks is refused.
	body := `{"type":"uri_file","manifest":[{"path":"a.csv","digest":"sha256:` + strings.Repeat("ab", 32) + `","size":3,"mode":420}]}`
	req, _ := http.NewRequest("POST", p.url+"/api/v1/workspaces/default/data/ghost/versions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.token(t))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("manifest with a missing digest: %d", resp.StatusCode)
	}

	// A local datastore (read-only, referenced in place).
	ds := t.TempDir()
	if err := os.WriteFile(filepath.Join(ds, "t.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := lathe("datastore", "create", "-n", "nfs", "-t", "local", "--path", ds); code != 0 {
		t.Fatalf("datastore create: %s", stderr)
	}
	var ref createOut
	mustJSON(&ref, "data", "create", "-n", "nfs-t", "-t", "uri_file", "-p", "azureml://datastores/nfs/paths/t.csv")
	if ref.Files != 1 {
		t.Fatalf("referenced: %+v", ref)
	}
	refused("holds 1 data versions", "datastore", "delete", "-n", "nfs")

	// An S3 datastore with wrong credentials fails at creation, and the
	// secret is in no output or log.
	if raw := os.Getenv("LATHE_TEST_S3_URL"); raw != "" {
		o, err := s3.ParseURL(raw)
		if err != nil {
			t.Fatal(err)
		}
		secret := "wrong-" + os.Getenv("LATHE_TEST_S3_SECRET_KEY")
		scheme := "http://"
		if o.Secure {
			scheme = "https://"
		}
		_, stderr, code := lathe("datastore", "create", "-n", "lake", "-t", "s3", "--bucket", o.Bucket, "--endpoint", scheme+o.Endpoint,
			"--region", o.Region, "--access-key", os.Getenv("LATHE_TEST_S3_ACCESS_KEY"), "--secret-key", secret)
		if code == 0 || !strings.Contains(stderr, "refused the credentials") || strings.Contains(stderr, secret) {
			t.Fatalf("S3 datastore with a wrong secret: exit %d, %q", code, stderr)
		}
		if strings.Contains(p.stderr.String(), secret) {
			t.Fatal("the server log shows the secret key")
		}
	}
	q := url.Values{"from": {"images:1"}, "to": {"nope:1"}}
	req, _ = http.NewRequest("GET", p.url+"/api/v1/workspaces/default/data-diff?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+p.token(t))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("diff with a missing version: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
