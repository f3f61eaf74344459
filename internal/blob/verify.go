package blob

import (
	"crypto/sha256"
	"hash"
	"io"

	"github.com/latheml/lathe"
)

// VerifyingReader reads a whole blob and checks it against its digest. It
// hashes every byte it passes on; at the end of the stream it compares the
// hash with the expected digest and, if they differ, returns a lathe.ECORRUPT
// error from Read in place of io.EOF, so a caller that reads to the end can
// never mistake corrupt bytes for good ones. Errors are sticky: once Read has
// returned an error it returns the same error again.
//
// Backends wrap the reader of a full Get in one. It is not safe for
// concurrent use, like any io.Reader.
type VerifyingReader struct {
	rc   io.ReadCloser
	want lathe.Digest
	h    hash.Hash
	n    int64
	err  error
}

// NewVerifyingReader returns a VerifyingReader that reads rc, expects it to
// hash to want and closes rc when closed.
func NewVerifyingReader(rc io.ReadCloser, want lathe.Digest) *VerifyingReader {
	return &VerifyingReader{rc: rc, want: want, h: sha256.New()}
}

// Read implements io.Reader.
func (v *VerifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	if n > 0 {
		v.h.Write(p[:n])
		v.n += int64(n)
	}
	if err == io.EOF {
		if got := lathe.NewDigest(v.h.Sum(nil)); got != v.want {
			err = lathe.Errorf(lathe.ECORRUPT,
				"blob %s is corrupt: its %d stored bytes hash to %s; delete it and upload the original again, or restore it from a backup",
				v.want, v.n, got)
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

// Close closes the underlying reader.
func (v *VerifyingReader) Close() error { return v.rc.Close() }
