package s3_test

import (
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob/s3"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want s3.Options
	}{
		{"s3://lathe-blobs", s3.Options{Bucket: "lathe-blobs", Endpoint: s3.DefaultEndpoint, Secure: true}},
		{"s3://lathe-blobs/", s3.Options{Bucket: "lathe-blobs", Endpoint: s3.DefaultEndpoint, Secure: true}},
		{"s3://lathe-blobs/team/a/?region=eu-west-1", s3.Options{Bucket: "lathe-blobs", Prefix: "team/a", Region: "eu-west-1", Endpoint: s3.DefaultEndpoint, Secure: true}},
		{"s3://b12/p?endpoint=http://127.0.0.1:7070&region=us-east-1", s3.Options{Bucket: "b12", Prefix: "p", Endpoint: "127.0.0.1:7070", Region: "us-east-1"}},
		{"s3://my.bucket/x?endpoint=https://minio.internal:9000/", s3.Options{Bucket: "my.bucket", Prefix: "x", Endpoint: "minio.internal:9000", Secure: true}},
		{"s3://bkt?endpoint=http://[::1]:7070", s3.Options{Bucket: "bkt", Endpoint: "[::1]:7070"}},
		{"s3://bkt?endpoint=https://storage.example.com", s3.Options{Bucket: "bkt", Endpoint: "storage.example.com", Secure: true}},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := s3.ParseURL(tc.raw)
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			if got != tc.want {
				t.Fatalf("ParseURL = %+v; want %+v", got, tc.want)
			}
			// String turns it back into a URL that parses to the same.
			again, err := s3.ParseURL(got.String())
			if err != nil || again != got {
				t.Fatalf("ParseURL(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw     string
		mention string // a word the message must contain
	}{
		{"", "scheme"},
		{"lathe-blobs", "scheme"},
		{"http://lathe-blobs/p", "scheme"},
		{"s3://", "bucket"},
		{"s3:lathe-blobs", "bucket"},
		{"s3://AKIAEXAMPLE:hunter2@lathe-blobs/p", "credentials"},
		{"s3://lathe-blobs/p#frag", "fragment"},
		{"s3://lathe-blobs/p?endpont=http://127.0.0.1:7070", "endpont"},
		{"s3://lathe-blobs/p?access_key=AKIA", "access_key"},
		{"s3://lathe-blobs/p?region=a&region=b", "once"},
		{"s3://lathe-blobs/p?region=", "once"},
		{"s3://lathe-blobs/p?endpoint=127.0.0.1:7070", "http"},
		{"s3://lathe-blobs/p?endpoint=ftp://127.0.0.1:7070", "http"},
		{"s3://lathe-blobs/p?endpoint=http://", "http"},
		{"s3://lathe-blobs/p?endpoint=http://127.0.0.1:7070/path", "only"},
		{"s3://lathe-blobs/p?endpoint=http://u:p@127.0.0.1:7070", "only"},
		{"s3://ab", "bucket"},
		{"s3://Lathe-Blobs", "bucket"},
		{"s3://lathe_blobs", "bucket"},
		{"s3://-lathe", "bucket"},
		{"s3://lathe..blobs", "bucket"},
		{"s3://192.168.0.1", "bucket"},
		{"s3://" + strings.Repeat("a", 64), "bucket"},
		{"s3://lathe-blobs/a//b", "segment"},
		{"s3://lathe-blobs/a/../b", "segment"},
		{"s3://lathe-blobs/a/./b", "segment"},
		{"s3://lathe-blobs/a%0Ab", "character"},
		{"s3://lathe-blobs/" + strings.Repeat("p", 901), "long"},
		{"s3://lathe-blobs/p?%zz", "query"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := s3.ParseURL(tc.raw)
			if err == nil {
				t.Fatalf("ParseURL = %+v; want an error", got)
			}
			if lathe.ErrorCode(err) != lathe.EINVALID {
				t.Fatalf("ParseURL error code = %q (%v); want %q", lathe.ErrorCode(err), err, lathe.EINVALID)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("ParseURL error %q does not mention %q", err, tc.mention)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "AKIAEXAMPLE") {
				t.Fatalf("ParseURL error %q repeats the credentials", err)
			}
		})
	}
}

func TestOptionsStringHidesKeys(t *testing.T) {
	t.Parallel()
	o := s3.Options{Endpoint: "127.0.0.1:7070", Bucket: "lathe", AccessKey: "AKIAEXAMPLE", SecretKey: "sekrit"}
	if s := o.String(); strings.Contains(s, "AKIAEXAMPLE") || strings.Contains(s, "sekrit") {
		t.Fatalf("String() = %q; want no credentials", s)
	}
}
