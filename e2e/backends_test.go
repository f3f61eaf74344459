package e2e_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob/s3"
	"github.com/latheml/lathe/internal/client"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestScaleOutBackends runs the real server on PostgreSQL and S3 together and
// drives it through the CLI, as the scale-out deployment would be used.
func TestScaleOutBackends(t *testing.T) {
	t.Parallel()
	pg, s3url := os.Getenv("LATHE_TEST_POSTGRES_URL"), os.Getenv("LATHE_TEST_S3_URL")
	if pg == "" || s3url == "" {
		t.Skip("set LATHE_TEST_POSTGRES_URL and LATHE_TEST_S3_URL (with LATHE_TEST_S3_ACCESS_KEY/SECRET_KEY) to run the server on PostgreSQL + S3")
	}
	ctx := context.Background()
	// A fresh PostgreSQL schema for this server.
	admin, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "lathe_e2e_" + lathe.NewID()[:10]
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	pu, _ := url.Parse(pg)
	q := pu.Query()
	q.Set("search_path", schema)
	pu.RawQuery = q.Encode()

	// A fresh prefix in the bucket, which must exist for the server.
	opts, err := s3.ParseURL(s3url)
	if err != nil {
		t.Fatal(err)
	}
	opts.AccessKey, opts.SecretKey = os.Getenv("LATHE_TEST_S3_ACCESS_KEY"), os.Getenv("LATHE_TEST_S3_SECRET_KEY")
	opts.TempDir, opts.CreateBucket = t.TempDir(), true
	if _, err := s3.New(ctx, opts); err != nil {
		t.Fatalf("prepare bucket: %v", err)
	}
	su, _ := url.Parse(s3url)
	su.Path = strings.TrimSuffix(su.Path, "/") + "/e2e-" + lathe.NewID()[:10]

	home := t.TempDir()
	p := upEnv(t, home, []string{"LATHE_S3_ACCESS_KEY=" + opts.AccessKey, "LATHE_S3_SECRET_KEY=" + opts.SecretKey},
		"--store", pu.String(), "--blob", su.String())
	env := []string{"LATHE_URL=" + p.url, "LATHE_TOKEN=" + p.token(t)}

	out, stderr, code := run(t, env, "info", "-o", "json")
	var info struct{ Store, Blob string }
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info.Store != "postgres" || info.Blob != "s3" {
		t.Fatalf("info: %d %q %s", code, out, stderr)
	}
	c, _ := client.New(p.url, p.token(t), nil)
	data := bytes.Repeat([]byte("scale out "), 300_000)
	b, err := c.PutBlob(ctx, lathe.DefaultWorkspace, bytes.NewReader(data), int64(len(data)), "")
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := c.GetBlob(ctx, lathe.DefaultWorkspace, b.Digest, 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data[5:15]) {
		t.Fatalf("range read on S3: %q %v", got, err)
	}
	rc.Close()
	resp, err := httpGet(p.url + "/readyz")
	if err != nil || !strings.Contains(resp, `"blob":"ok"`) || !strings.Contains(resp, `"store":"ok"`) {
		t.Fatalf("readyz: %s %v", resp, err)
	}
}
