package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)})
	_, _ = r.Read(b)
	return b
}

func digest(b []byte) lathe.Digest {
	sum := sha256.Sum256(b)
	return lathe.NewDigest(sum[:])
}

func TestCopy(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, blob.BufferSize, 5*blob.BufferSize + 3, 9 * blob.BufferSize}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"plain", func(r io.Reader) io.Reader { return r }},
		{"half reads", iotest.HalfReader},
		{"data with EOF", iotest.DataErrReader},
	}
	for _, n := range sizes {
		data := randomBytes(n)
		for _, rd := range readers {
			var dst bytes.Buffer
			info, err := blob.Copy(context.Background(), &dst, rd.wrap(bytes.NewReader(data)), blob.PutOptions{})
			if err != nil {
				t.Fatalf("Copy(%d bytes, %s): %v", n, rd.name, err)
			}
			if info.Digest != digest(data) || info.Size != int64(n) || !bytes.Equal(dst.Bytes(), data) {
				t.Fatalf("Copy(%d bytes, %s) = %s, %d bytes, wrote %d bytes; want %s", n, rd.name, info.Digest, info.Size, dst.Len(), digest(data))
			}
		}
	}
}

func TestCopyChecks(t *testing.T) {
	t.Parallel()
	data := randomBytes(3 << 20)
	n := int64(len(data))
	tests := []struct {
		name     string
		opts     blob.PutOptions
		code     string
		maxWrite int64 // the most bytes that may reach dst
	}{
		{"all set and right", blob.PutOptions{Digest: digest(data), Size: n, HasSize: true, MaxSize: n}, "", n},
		{"wrong digest", blob.PutOptions{Digest: digest(nil)}, lathe.EINVALID, n},
		{"short size", blob.PutOptions{Size: 10, HasSize: true}, lathe.EINVALID, 0},
		{"long size", blob.PutOptions{Size: n + 1, HasSize: true}, lathe.EINVALID, n},
		{"over limit", blob.PutOptions{MaxSize: 1 << 20}, lathe.ETOOLARGE, 1 << 20},
		{"bad digest", blob.PutOptions{Digest: "sha256:zz"}, lathe.EINVALID, 0},
		{"size above limit", blob.PutOptions{Size: 5, HasSize: true, MaxSize: 4}, lathe.ETOOLARGE, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var dst bytes.Buffer
			_, err := blob.Copy(context.Background(), &dst, bytes.NewReader(data), tc.opts)
			if got := lathe.ErrorCode(err); got != tc.code {
				t.Fatalf("Copy error = %v (code %q); want code %q", err, got, tc.code)
			}
			if int64(dst.Len()) > tc.maxWrite {
				t.Fatalf("Copy wrote %d bytes; want at most %d", dst.Len(), tc.maxWrite)
			}
			if err != nil && lathe.ErrorMessage(err) == "" {
				t.Fatalf("error has no message")
			}
		})
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestCopyReadsAtMostOnePastLimit(t *testing.T) {
	t.Parallel()
	src := &countingReader{r: bytes.NewReader(randomBytes(4 << 20))}
	_, err := blob.Copy(context.Background(), io.Discard, src, blob.PutOptions{MaxSize: 1<<20 + 5})
	if lathe.ErrorCode(err) != lathe.ETOOLARGE {
		t.Fatalf("Copy = %v; want %q", err, lathe.ETOOLARGE)
	}
	if src.n != 1<<20+6 {
		t.Fatalf("Copy read %d bytes; want the limit plus one, %d", src.n, 1<<20+6)
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

func TestCopyErrors(t *testing.T) {
	t.Parallel()
	data := randomBytes(5 << 20)
	for after := range 4 {
		_, err := blob.Copy(context.Background(), &failingWriter{after: after}, bytes.NewReader(data), blob.PutOptions{})
		if err == nil || lathe.ErrorCode(err) != lathe.EINTERNAL {
			t.Fatalf("Copy to a writer failing after %d writes = %v; want the write error", after, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := blob.Copy(ctx, io.Discard, bytes.NewReader(data), blob.PutOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Copy with a cancelled context = %v; want context.Canceled", err)
	}
	boom := errors.New("boom")
	_, err = blob.Copy(context.Background(), io.Discard, io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)), blob.PutOptions{})
	if !errors.Is(err, boom) {
		t.Fatalf("Copy from a failing reader = %v; want its error", err)
	}
}
