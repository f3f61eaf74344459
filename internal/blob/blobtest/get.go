package blobtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

func testRange(t *testing.T, s blob.Store) {
	const size = 3*64<<10 + 17
	b := genBytes(t, 21, size)
	d := put(t, s, b).Digest
	tests := []struct {
		name           string
		offset, length int64
		want           []byte // nil with code set: an error
		code           string
	}{
		{"whole", 0, -1, b, ""},
		{"whole by length", 0, size, b, ""},
		{"start", 0, 10, b[:10], ""},
		{"middle", 1000, 70000, b[1000:71000], ""},
		{"to end", size - 100, -1, b[size-100:], ""},
		{"length past end", size - 10, 100, b[size-10:], ""},
		{"zero length", 5, 0, []byte{}, ""},
		{"last byte", size - 1, -1, b[size-1:], ""},
		{"offset at end", size, -1, []byte{}, ""},
		{"offset at end with length", size, 5, []byte{}, ""},
		{"offset past end", size + 1, -1, nil, lathe.ERANGE},
		{"offset far past end", 1 << 40, 10, nil, lathe.ERANGE},
		{"negative offset", -1, 10, nil, lathe.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(s, d, tc.offset, tc.length)
			what := fmt.Sprintf("Get(%d, %d) of a %d-byte blob", tc.offset, tc.length, size)
			if tc.code != "" {
				wantCode(t, what, err, tc.code)
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("%s returned %d bytes; want %d bytes", what, len(got), len(tc.want))
			}
		})
	}
}

func testRangeEmptyBlob(t *testing.T, s blob.Store) {
	d := put(t, s, nil).Digest
	for _, r := range [][2]int64{{0, -1}, {0, 0}, {0, 10}} {
		if got := get(t, s, d, r[0], r[1]); len(got) != 0 {
			t.Fatalf("Get(%d, %d) of the empty blob returned %d bytes", r[0], r[1], len(got))
		}
	}
	_, err := read(s, d, 1, -1)
	wantCode(t, "Get(1, -1) of the empty blob", err, lathe.ERANGE)
}

func testStatExists(t *testing.T, s blob.Store) {
	a := put(t, s, genBytes(t, 31, 1000))
	b := put(t, s, genBytes(t, 32, 2000))
	missing := digestOf([]byte("never stored"))

	for _, want := range []blob.Info{a, b} {
		got, err := s.Stat(context.Background(), want.Digest)
		if err != nil {
			t.Fatalf("Stat(%s): %v", want.Digest, err)
		}
		if got.Digest != want.Digest || got.Size != want.Size {
			t.Fatalf("Stat = %s, %d bytes; want %s, %d bytes", got.Digest, got.Size, want.Digest, want.Size)
		}
	}
	_, err := s.Stat(context.Background(), missing)
	wantCode(t, "Stat of a missing blob", err, lathe.ENOTFOUND)

	tests := []struct {
		name string
		ds   []lathe.Digest
		want []bool
	}{
		{"none", nil, []bool{}},
		{"present", []lathe.Digest{a.Digest}, []bool{true}},
		{"missing", []lathe.Digest{missing}, []bool{false}},
		{"mixed", []lathe.Digest{a.Digest, missing, b.Digest, a.Digest}, []bool{true, false, true, true}},
	}
	for _, tc := range tests {
		got, err := s.Exists(context.Background(), tc.ds)
		if err != nil {
			t.Fatalf("Exists(%s): %v", tc.name, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("Exists(%s) = %v; want %v", tc.name, got, tc.want)
		}
	}

	// Many digests at once, more than any backend's concurrency bound.
	many := make([]lathe.Digest, 100)
	for i := range many {
		many[i] = digestOf([]byte(fmt.Sprint("missing ", i)))
	}
	many[37], many[99] = a.Digest, b.Digest
	got, err := s.Exists(context.Background(), many)
	if err != nil {
		t.Fatalf("Exists(100 digests): %v", err)
	}
	for i, ok := range got {
		if want := i == 37 || i == 99; ok != want {
			t.Fatalf("Exists(100 digests)[%d] = %v; want %v", i, ok, want)
		}
	}
}

func testDelete(t *testing.T, s blob.Store) {
	keep := put(t, s, genBytes(t, 41, 500))
	gone := put(t, s, genBytes(t, 42, 500))
	if err := s.Delete(context.Background(), gone.Digest); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := read(s, gone.Digest, 0, -1)
	wantCode(t, "Get after Delete", err, lathe.ENOTFOUND)
	_, err = s.Stat(context.Background(), gone.Digest)
	wantCode(t, "Stat after Delete", err, lathe.ENOTFOUND)
	wantAbsent(t, s, gone.Digest)
	wantPresent(t, s, keep.Digest)
	if err := s.Delete(context.Background(), gone.Digest); err != nil {
		t.Fatalf("Delete of a deleted blob: %v; want success", err)
	}
	// Storing it again brings it back.
	put(t, s, genBytes(t, 42, 500))
	wantPresent(t, s, gone.Digest)
}

func testMissing(t *testing.T, s blob.Store) {
	d := digestOf([]byte("never stored"))
	for _, r := range [][2]int64{{0, -1}, {0, 10}, {5, -1}} {
		_, err := read(s, d, r[0], r[1])
		wantCode(t, fmt.Sprintf("Get(%d, %d) of a missing blob", r[0], r[1]), err, lathe.ENOTFOUND)
	}
	if err := s.Delete(context.Background(), d); err != nil {
		t.Fatalf("Delete of a missing blob: %v; want success", err)
	}
}

func testInvalidDigest(t *testing.T, s blob.Store) {
	for _, d := range []lathe.Digest{"", "sha256:", "md5:abc", "sha256:../../etc/passwd", "sha256:" + lathe.Digest(bytes.Repeat([]byte("A"), 64))} {
		ctx := context.Background()
		_, err := s.Get(ctx, d, 0, -1)
		wantCode(t, fmt.Sprintf("Get(%q)", d), err, lathe.EINVALID)
		_, err = s.Stat(ctx, d)
		wantCode(t, fmt.Sprintf("Stat(%q)", d), err, lathe.EINVALID)
		_, err = s.Exists(ctx, []lathe.Digest{digestOf(nil), d})
		wantCode(t, fmt.Sprintf("Exists(%q)", d), err, lathe.EINVALID)
		err = s.Delete(ctx, d)
		wantCode(t, fmt.Sprintf("Delete(%q)", d), err, lathe.EINVALID)
	}
}

func testCorrupt(t *testing.T, s blob.Store, corrupt func(*testing.T, blob.Store, lathe.Digest, []byte)) {
	if corrupt == nil {
		t.Skip("the backend test gives no Corrupt hook")
	}
	for _, n := range []int64{1, 100 << 10, 3 << 20} {
		b := genBytes(t, uint64(50+n), n)
		d := put(t, s, b).Digest
		bad := bytes.Clone(b)
		bad[n/2] ^= 0x55
		corrupt(t, s, d, bad)

		rc, err := s.Get(context.Background(), d, 0, -1)
		if err != nil {
			t.Fatalf("Get of a corrupted %d-byte blob: %v; want the error from Read", n, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		wantCode(t, fmt.Sprintf("reading a corrupted %d-byte blob to the end", n), err, lathe.ECORRUPT)
		if int64(len(got)) != n {
			t.Fatalf("reading a corrupted %d-byte blob returned %d bytes before the error", n, len(got))
		}
	}
}
