package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

func testRoundTrip(t *testing.T, s blob.Store) {
	// Sizes around the chunk boundaries of blob.Copy and multipart uploads.
	for _, n := range []int64{1, 100, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3<<20 + 7} {
		b := genBytes(t, uint64(n), n)
		info := put(t, s, b)
		if got := get(t, s, info.Digest, 0, -1); !bytes.Equal(got, b) {
			t.Fatalf("Get after Put of %d bytes returned %d different bytes", n, len(got))
		}
		st, err := s.Stat(context.Background(), info.Digest)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if st.Digest != info.Digest || st.Size != n {
			t.Fatalf("Stat = %s, %d bytes; want %s, %d bytes", st.Digest, st.Size, info.Digest, n)
		}
	}
	// Declaring the right digest and size is accepted.
	b := genBytes(t, 7, 1000)
	info, err := s.Put(context.Background(), bytes.NewReader(b), blob.PutOptions{
		Digest: digestOf(b), Size: 1000, HasSize: true, MaxSize: 1000,
	})
	if err != nil || info.Digest != digestOf(b) || info.Size != 1000 {
		t.Fatalf("Put with matching digest, size and limit = %+v, %v; want success", info, err)
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	info := put(t, s, nil)
	const empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if info.Digest != empty {
		t.Fatalf("digest of the empty blob = %s; want %s", info.Digest, empty)
	}
	if got := get(t, s, info.Digest, 0, -1); len(got) != 0 {
		t.Fatalf("Get of the empty blob returned %d bytes", len(got))
	}
	st, err := s.Stat(context.Background(), info.Digest)
	if err != nil || st.Size != 0 {
		t.Fatalf("Stat of the empty blob = %+v, %v; want size 0", st, err)
	}
	wantPresent(t, s, info.Digest)
}

func testDedup(t *testing.T, s blob.Store) {
	b := genBytes(t, 11, 200<<10)
	first := put(t, s, b)
	second := put(t, s, b)
	if first.Digest != second.Digest {
		t.Fatalf("same bytes stored twice got digests %s and %s", first.Digest, second.Digest)
	}
	// One object: a single Delete removes it.
	if err := s.Delete(context.Background(), first.Digest); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantAbsent(t, s, first.Digest)
}

func testDigestMismatch(t *testing.T, s blob.Store) {
	b := genBytes(t, 12, 100<<10)
	wrong := digestOf([]byte("something else"))
	_, err := s.Put(context.Background(), bytes.NewReader(b), blob.PutOptions{Digest: wrong})
	wantCode(t, "Put with a wrong expected digest", err, lathe.EINVALID)
	wantAbsent(t, s, digestOf(b), wrong)
}

func testSizeMismatch(t *testing.T, s blob.Store) {
	b := genBytes(t, 13, 100<<10)
	for _, size := range []int64{0, 100<<10 - 1, 100<<10 + 1} {
		_, err := s.Put(context.Background(), bytes.NewReader(b), blob.PutOptions{Size: size, HasSize: true})
		wantCode(t, fmt.Sprintf("Put of %d bytes declared as %d", len(b), size), err, lathe.EINVALID)
	}
	wantAbsent(t, s, digestOf(b))
}

func testMaxSize(t *testing.T, s blob.Store) {
	tests := []struct {
		name    string
		size    int64
		maxSize int64
		ok      bool
	}{
		{"small over", 10, 9, false},
		{"large over", 3 << 20, 1 << 20, false},
		{"one over a chunk", 64<<10 + 1, 64 << 10, false},
		{"exactly", 3 << 20, 3 << 20, true},
		{"under", 100, 1 << 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := genBytes(t, uint64(tc.size+tc.maxSize), tc.size)
			info, err := s.Put(context.Background(), bytes.NewReader(b), blob.PutOptions{MaxSize: tc.maxSize})
			if tc.ok {
				if err != nil || info.Digest != digestOf(b) {
					t.Fatalf("Put(%d bytes, MaxSize %d) = %+v, %v; want success", tc.size, tc.maxSize, info, err)
				}
				return
			}
			wantCode(t, fmt.Sprintf("Put(%d bytes, MaxSize %d)", tc.size, tc.maxSize), err, lathe.ETOOLARGE)
			wantAbsent(t, s, digestOf(b), digestOf(b[:tc.maxSize]), digestOf(b[:tc.maxSize+1]))
		})
	}
}

func testBadOptions(t *testing.T, s blob.Store) {
	tests := []struct {
		name string
		opts blob.PutOptions
		code string
	}{
		{"malformed digest", blob.PutOptions{Digest: "sha256:abc"}, lathe.EINVALID},
		{"negative size", blob.PutOptions{Size: -1, HasSize: true}, lathe.EINVALID},
		{"negative limit", blob.PutOptions{MaxSize: -1}, lathe.EINVALID},
		{"size over limit", blob.PutOptions{Size: 10, HasSize: true, MaxSize: 5}, lathe.ETOOLARGE},
	}
	for _, tc := range tests {
		_, err := s.Put(context.Background(), bytes.NewReader([]byte("0123456789")), tc.opts)
		wantCode(t, "Put with "+tc.name, err, tc.code)
	}
	wantAbsent(t, s, digestOf([]byte("0123456789")))
}

// failingReader yields n bytes of gen(seed, ...) and then fails.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func testReaderError(t *testing.T, s blob.Store) {
	boom := errors.New("boom")
	for _, n := range []int64{0, 100, 2 << 20} {
		_, err := s.Put(context.Background(), &failingReader{r: gen(14, n), err: boom}, blob.PutOptions{})
		if !errors.Is(err, boom) {
			t.Fatalf("Put from a reader that fails after %d bytes = %v; want the reader's error", n, err)
		}
		wantAbsent(t, s, genDigest(t, 14, n))
	}
}

// cancellingReader yields bytes from r and calls cancel once after it has
// yielded at bytes.
type cancellingReader struct {
	r      io.Reader
	at     int64
	n      int64
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.at && c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	return n, err
}

func testCancelMidPut(t *testing.T, s blob.Store) {
	const size = 8 << 20
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &cancellingReader{r: gen(15, size), at: 1 << 20, cancel: cancel}
	_, err := s.Put(ctx, r, blob.PutOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put whose context is cancelled after 1 MiB of 8 MiB = %v; want context.Canceled", err)
	}
	wantAbsent(t, s, genDigest(t, 15, size), genDigest(t, 15, r.n))
}

func testLarge(t *testing.T, s blob.Store) {
	const size = 20 << 20
	want := genDigest(t, 16, size)
	info, err := s.Put(context.Background(), gen(16, size), blob.PutOptions{Digest: want, Size: size, HasSize: true})
	if err != nil {
		t.Fatalf("Put of 20 MiB: %v", err)
	}
	if info.Digest != want || info.Size != size {
		t.Fatalf("Put of 20 MiB = %s, %d bytes; want %s, %d bytes", info.Digest, info.Size, want, size)
	}
	rc, err := s.Get(context.Background(), want, 0, -1)
	if err != nil {
		t.Fatalf("Get of 20 MiB: %v", err)
	}
	defer rc.Close()
	// Compare with a fresh generator without holding either side in memory.
	n, err := compareStreams(rc, gen(16, size))
	if err != nil {
		t.Fatalf("Get of 20 MiB: %v after %d bytes", err, n)
	}
	if n != size {
		t.Fatalf("Get of 20 MiB returned %d bytes", n)
	}
}

// compareStreams reads a and b to their ends and reports the first
// difference.
func compareStreams(a, b io.Reader) (int64, error) {
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	var n int64
	for {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return n, fmt.Errorf("streams differ in the %d bytes after offset %d", max(na, nb), n)
		}
		n += int64(na)
		endA := errA == io.EOF || errA == io.ErrUnexpectedEOF
		endB := errB == io.EOF || errB == io.ErrUnexpectedEOF
		switch {
		case errA != nil && !endA:
			return n, errA
		case errB != nil && !endB:
			return n, errB
		case endA && endB:
			return n, nil
		case endA != endB:
			return n, fmt.Errorf("one stream ended before the other")
		}
	}
}

func testConcurrentPuts(t *testing.T, s blob.Store) {
	const workers = 8
	shared := genBytes(t, 17, 300<<10)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	data := make([][]byte, workers)
	for i := range workers {
		data[i] = shared
		if i%2 == 1 {
			data[i] = genBytes(t, uint64(100+i), 300<<10)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := s.Put(context.Background(), bytes.NewReader(data[i]), blob.PutOptions{})
			if err == nil && info.Digest != digestOf(data[i]) {
				err = fmt.Errorf("digest %s, want %s", info.Digest, digestOf(data[i]))
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Put %d: %v", i, err)
		}
	}
	for i, b := range data {
		if got := get(t, s, digestOf(b), 0, -1); !bytes.Equal(got, b) {
			t.Errorf("Get after concurrent Put %d returned different bytes", i)
		}
	}
}
