package data_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob/s3"
	"github.com/latheml/lathe/internal/data"
)

// TestS3Datastore runs against a real S3 server: wrong credentials fail at
// creation, a prefix is referenced and hashed, and staging reads it back.
func TestS3Datastore(t *testing.T) {
	t.Parallel()
	raw := os.Getenv("LATHE_TEST_S3_URL")
	if raw == "" {
		t.Skip("set LATHE_TEST_S3_URL, LATHE_TEST_S3_ACCESS_KEY and LATHE_TEST_S3_SECRET_KEY (source .ci/s3.sh) to run the S3 datastore test")
	}
	opts, err := s3.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	ak, sk := os.Getenv("LATHE_TEST_S3_ACCESS_KEY"), os.Getenv("LATHE_TEST_S3_SECRET_KEY")
	ctx := t.Context()
	cl, err := minio.New(opts.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(ak, sk, ""), Secure: opts.Secure, Region: opts.Region})
	if err != nil {
		t.Fatal(err)
	}
	bucket := "lathe-ds-" + lathe.NewID()[:8]
	if err := cl.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: opts.Region}); err != nil {
		t.Fatal(err)
	}
	objects := map[string]string{"raw/2024/a.csv": "k,v\n1,2\n3,4\n", "raw/2024/b.csv": "k,v\n5,6\n", "raw/notes.txt": "hello", "other/x": "x"}
	for k, v := range objects {
		if _, err := cl.PutObject(ctx, bucket, k, strings.NewReader(v), int64(len(v)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	scheme := "http://"
	if opts.Secure {
		scheme = "https://"
	}
	e := newEnv(t)
	spec := data.DatastoreSpec{Name: "lake", Type: lathe.DatastoreS3, Bucket: bucket, Endpoint: scheme + opts.Endpoint, Region: opts.Region,
		Credentials: &data.Credentials{AccessKey: ak, SecretKey: "wrong-" + sk}}
	_, err = e.svc.CreateDatastore(ctx, e.ws, "ann", spec)
	wantCode(t, err, lathe.EINVALID, "refused the credentials")
	if strings.Contains(err.Error(), sk) {
		t.Fatal("the error shows the secret key")
	}
	spec.Credentials.SecretKey = sk
	spec.Bucket = "lathe-no-such-bucket"
	_, err = e.svc.CreateDatastore(ctx, e.ws, "ann", spec)
	wantCode(t, err, lathe.EINVALID, "does not exist")
	spec.Bucket = bucket
	d, err := e.svc.CreateDatastore(ctx, e.ws, "ann", spec)
	if err != nil {
		t.Fatal(err)
	}
	if !d.HasCredentials || d.Credentials != nil {
		t.Fatalf("datastore = %+v", d)
	}
	stored, err := e.db.Datastore(ctx, e.ws, "lake")
	if err != nil || bytes.Contains(stored.Credentials, []byte(sk)) || len(stored.Credentials) == 0 {
		t.Fatalf("stored credentials are not sealed: %v", err)
	}

	v, err := e.create("lake-raw", data.VersionSpec{Type: lathe.DataURIFolder, Path: "azureml://datastores/lake/paths/raw"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Files != 3 || v.Datastore != "lake" {
		t.Fatalf("version = %+v", v)
	}
	tbl, err := e.create("lake-a", data.VersionSpec{Type: lathe.DataURIFile, Path: "azureml://datastores/lake/paths/raw/2024/a.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if p := e.profile(tbl); p.Rows != 2 {
		t.Fatalf("profile = %+v", p)
	}
	dir := filepath.Join(t.TempDir(), "in")
	if _, err := e.svc.Stage(ctx, e.ws, "lake-raw", "1", dir, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "2024", "b.csv")); string(b) != objects["raw/2024/b.csv"] {
		t.Fatalf("staged b.csv = %q", b)
	}
	// The object changes at the source: staging says so.
	if _, err := cl.PutObject(ctx, bucket, "raw/notes.txt", strings.NewReader("HELLO"), 5, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Stage(ctx, e.ws, "lake-raw", "1", filepath.Join(t.TempDir(), "in"), t.TempDir())
	wantCode(t, err, lathe.ECORRUPT, "changed")
	_, err = e.create("nothing", data.VersionSpec{Type: lathe.DataURIFolder, Path: "azureml://datastores/lake/paths/nope"})
	wantCode(t, err, lathe.EINVALID, "no objects")
}
