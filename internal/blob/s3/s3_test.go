package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
	"github.com/latheml/lathe/internal/blob/blobtest"
	"github.com/latheml/lathe/internal/blob/s3"
)

// testOptions returns Options for the server named by LATHE_TEST_S3_URL,
// under a key prefix of their own so that tests and runs do not collide, or
// skips the test.
func testOptions(t *testing.T) s3.Options {
	t.Helper()
	raw := os.Getenv("LATHE_TEST_S3_URL")
	if raw == "" {
		t.Skip("set LATHE_TEST_S3_URL=s3://bucket/prefix?endpoint=... to run the S3 suite")
	}
	o, err := s3.ParseURL(raw)
	if err != nil {
		t.Fatalf("LATHE_TEST_S3_URL: %v", err)
	}
	o.AccessKey = os.Getenv("LATHE_TEST_S3_ACCESS_KEY")
	o.SecretKey = os.Getenv("LATHE_TEST_S3_SECRET_KEY")
	o.TempDir = t.TempDir()
	o.CreateBucket = true
	o.Prefix = path.Join(o.Prefix, "test-"+randomHex(t, 8))
	return o
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func newStore(t *testing.T, o s3.Options) *s3.Store {
	t.Helper()
	s, err := s3.New(context.Background(), o)
	if err != nil {
		t.Fatalf("New(%s): %v", o, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	base := testOptions(t)
	// A client of its own writes objects behind the store's back.
	raw, err := minio.New(base.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(base.AccessKey, base.SecretKey, ""),
		Secure: base.Secure,
		Region: base.Region,
	})
	if err != nil {
		t.Fatalf("minio client: %v", err)
	}
	blobtest.RunWith(t, func(t *testing.T) blob.Store { return newStore(t, testOptions(t)) }, blobtest.Options{
		Corrupt: func(t *testing.T, s blob.Store, d lathe.Digest, data []byte) {
			key, err := s.(*s3.Store).Key(d)
			if err != nil {
				t.Fatalf("Key: %v", err)
			}
			_, err = raw.PutObject(context.Background(), base.Bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
			if err != nil {
				t.Fatalf("overwrite object %s: %v", key, err)
			}
		},
	})
}

func TestNoSpoolFilesLeft(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	s := newStore(t, o)
	data := bytes.Repeat([]byte("y"), 3<<20)
	for _, opts := range []blob.PutOptions{{}, {}, {MaxSize: 1 << 20}, {Digest: lathe.NewDigest(make([]byte, 32))}} {
		_, _ = s.Put(context.Background(), bytes.NewReader(data), opts)
		entries, err := os.ReadDir(o.TempDir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Fatalf("Put(%+v) left %d files in the temp dir", opts, len(entries))
		}
	}
}

func TestNewMissingBucket(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.Bucket = "lathe-missing-" + randomHex(t, 8)
	o.CreateBucket = false
	_, err := s3.New(context.Background(), o)
	if lathe.ErrorCode(err) != lathe.ENOTFOUND {
		t.Fatalf("New with a missing bucket = %v; want a %q error", err, lathe.ENOTFOUND)
	}
}

func TestNewBadOptions(t *testing.T) {
	t.Parallel()
	good := s3.Options{Endpoint: "127.0.0.1:1", Bucket: "lathe", TempDir: t.TempDir()}
	tests := []struct {
		name   string
		change func(*s3.Options)
	}{
		{"no temp dir", func(o *s3.Options) { o.TempDir = "" }},
		{"no endpoint", func(o *s3.Options) { o.Endpoint = "" }},
		{"endpoint with scheme", func(o *s3.Options) { o.Endpoint = "http://127.0.0.1:1" }},
		{"bad bucket", func(o *s3.Options) { o.Bucket = "Lathe_Blobs" }},
		{"bad prefix", func(o *s3.Options) { o.Prefix = "a/../b" }},
		{"access key without secret", func(o *s3.Options) { o.AccessKey = "k" }},
		{"negative concurrency", func(o *s3.Options) { o.Concurrency = -1 }},
	}
	for _, tc := range tests {
		o := good
		tc.change(&o)
		// Validation fails before any request, so no server is needed.
		_, err := s3.New(context.Background(), o)
		if lathe.ErrorCode(err) != lathe.EINVALID {
			t.Errorf("%s: New = %v; want an %q error", tc.name, err, lathe.EINVALID)
		}
	}
}
