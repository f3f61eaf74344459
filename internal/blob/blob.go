// Package blob defines the content-addressed byte store every Lathe feature
// keeps its bytes in (artifacts, data assets, code snapshots, models), and the
// pieces its backends share. Backends live in sub-packages (file, s3) and pass
// the conformance suite in blobtest.
package blob

import (
	"context"
	"io"
	"time"

	"github.com/latheml/lathe"
)

// Info describes one stored blob.
type Info struct {
	Digest  lathe.Digest
	Size    int64
	ModTime time.Time // when the backend stored it; zero if unknown
}

// PutOptions constrain a Put. Zero values mean "no expectation".
type PutOptions struct {
	// Digest, if set, must equal the digest of the bytes read; otherwise Put
	// fails with lathe.EINVALID and stores nothing.
	Digest lathe.Digest
	// Size, if >= 0 and set by the caller via HasSize, must equal the number of
	// bytes read.
	Size    int64
	HasSize bool
	// MaxSize, if > 0, bounds the bytes read; a longer stream fails with
	// lathe.ETOOLARGE and stores nothing.
	MaxSize int64
}

// Store is a content-addressed blob store.
//
// Put streams r to the store, never holding the whole stream in memory, and
// returns the sha256 digest and size; the blob becomes visible only once it is
// complete and durable, so a crash mid-Put leaves nothing behind under the
// digest. Storing bytes that exist already succeeds and changes nothing.
//
// Put's errors: lathe.EINVALID for inconsistent options or bytes that do not
// match the declared Digest or Size, lathe.ETOOLARGE past MaxSize, and the
// reader's or ctx's error wrapped; in every case nothing is stored.
//
// Get returns a reader for length bytes starting at offset (length < 0 means
// to the end; a length running past the end stops at the end). A read of the
// whole blob (offset 0, length < 0) verifies the digest and fails the final
// Read with lathe.ECORRUPT on a mismatch; partial reads are not verified.
// Missing blobs give lathe.ENOTFOUND; an offset past the end gives
// lathe.ERANGE, an offset equal to the size an empty reader, and a negative
// offset lathe.EINVALID. The caller must Close the reader; ctx stays in
// force while it is read.
//
// Exists reports, for each digest in order, whether it is stored. Delete
// removes a blob; deleting a missing blob is not an error.
//
// Every method rejects a malformed digest with lathe.EINVALID before doing
// any I/O. All methods honour ctx cancellation and are safe for concurrent
// use.
type Store interface {
	Put(ctx context.Context, r io.Reader, opts PutOptions) (Info, error)
	Get(ctx context.Context, d lathe.Digest, offset, length int64) (io.ReadCloser, error)
	Stat(ctx context.Context, d lathe.Digest) (Info, error)
	Exists(ctx context.Context, ds []lathe.Digest) ([]bool, error)
	Delete(ctx context.Context, d lathe.Digest) error
}
