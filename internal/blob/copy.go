package blob

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/latheml/lathe"
)

// BufferSize is the size of the chunks Copy reads, hashes and writes. Large
// chunks keep the per-chunk overhead (system calls, channel hand-offs) small
// next to the cost of hashing; see bench/blob.
const BufferSize = 1 << 20

const (
	// firstBufferSize is the size of the first chunk. Most blobs (params,
	// small artifacts) fit in it, and they are hashed inline without
	// allocating full-size buffers or starting the hashing goroutine.
	firstBufferSize = 64 << 10
	// pipelineDepth is the number of full-size buffers in flight, which bounds
	// Copy's memory to pipelineDepth*BufferSize plus the first buffer.
	pipelineDepth = 4
)

// Validate checks that opts are consistent: a well-formed Digest if one is
// set, sizes that are not negative, and a declared Size within MaxSize.
func (o PutOptions) Validate() error {
	if o.Digest != "" {
		if err := o.Digest.Validate(); err != nil {
			return fmt.Errorf("expected digest: %w", err)
		}
	}
	if o.HasSize && o.Size < 0 {
		return lathe.Errorf(lathe.EINVALID, "declared blob size %d is negative; declare the length in bytes, or no size", o.Size)
	}
	if o.MaxSize < 0 {
		return lathe.Errorf(lathe.EINVALID, "blob size limit %d is negative; use 0 for no limit", o.MaxSize)
	}
	if o.HasSize && o.MaxSize > 0 && o.Size > o.MaxSize {
		return lathe.Errorf(lathe.ETOOLARGE, "blob of %d bytes is larger than the limit of %d bytes; upload something smaller or raise the limit", o.Size, o.MaxSize)
	}
	return nil
}

// Copy reads src to its end and writes every byte to dst, hashing and counting
// the bytes as it goes; it is the ingest path every backend's Put shares. It
// enforces opts:
//
//   - more than opts.MaxSize bytes (when > 0) fail with lathe.ETOOLARGE as soon
//     as the limit is crossed, reading at most one byte past it;
//   - a declared opts.Size that differs from the bytes read, or an expected
//     opts.Digest that differs from their hash, fail with lathe.EINVALID.
//
// On success it returns the Digest and Size of the bytes (ModTime is zero).
// On any error dst holds a partial or unchecked stream that the caller must
// discard.
//
// Memory is bounded whatever the stream's length: at most a few buffers of
// BufferSize bytes. Hashing runs in a second goroutine, overlapping reading
// and writing on machines with more than one core. ctx is checked between
// chunks; a Read or Write that blocks is not interrupted by it.
func Copy(ctx context.Context, dst io.Writer, src io.Reader, opts PutOptions) (Info, error) {
	if err := opts.Validate(); err != nil {
		return Info{}, err
	}
	// Read at most one byte past any bound, enough to see it crossed.
	limit := int64(-1)
	if opts.MaxSize > 0 {
		limit = opts.MaxSize + 1
	}
	if opts.HasSize && (limit < 0 || opts.Size+1 < limit) {
		limit = opts.Size + 1
	}
	if limit >= 0 {
		src = io.LimitReader(src, limit)
	}
	c := &copier{dst: dst, src: src, opts: opts, h: sha256.New()}
	if err := c.run(ctx); err != nil {
		return Info{}, err
	}
	return c.finish()
}

// copier holds the state of one Copy.
type copier struct {
	dst  io.Writer
	src  io.Reader
	opts PutOptions
	h    hash.Hash
	n    int64 // bytes read so far
}

// run moves the whole stream. The calling goroutine reads and writes; a
// second goroutine hashes the same buffers. A buffer goes back to the free
// list once hashed; the reader only takes buffers from the free list after it
// has finished writing the previous one, so no buffer is ever overwritten
// while it is still being written or hashed.
func (c *copier) run(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("copy blob: %w", err)
	}
	first := make([]byte, firstBufferSize)
	n, eof, err := c.fill(first)
	if err != nil {
		return err
	}
	if eof {
		c.h.Write(first[:n])
		return c.write(first[:n])
	}

	toHash := make(chan []byte, pipelineDepth+1)
	free := make(chan []byte, pipelineDepth)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range toHash {
			c.h.Write(b)
			if cap(b) == BufferSize {
				free <- b[:BufferSize]
			}
		}
	}()
	allocated := 0
	next := func() []byte {
		select {
		case b := <-free:
			return b
		default:
		}
		if allocated < pipelineDepth {
			allocated++
			return make([]byte, BufferSize)
		}
		return <-free
	}

	buf := first[:n]
	for {
		// toHash has room for every buffer in existence, so this never blocks.
		toHash <- buf
		if err = c.write(buf); err != nil || eof {
			break
		}
		if err = ctx.Err(); err != nil {
			err = fmt.Errorf("copy blob: %w", err)
			break
		}
		b := next()
		if n, eof, err = c.fill(b); err != nil {
			break
		}
		buf = b[:n]
	}
	close(toHash)
	<-hashed
	return err
}

// fill reads into b until b is full or the stream ends, checking the size
// bounds after every read. eof reports that the stream ended.
func (c *copier) fill(b []byte) (n int, eof bool, err error) {
	for n < len(b) {
		m, rerr := c.src.Read(b[n:])
		n += m
		c.n += int64(m)
		if err := c.checkBounds(); err != nil {
			return n, false, err
		}
		if rerr == io.EOF {
			return n, true, nil
		}
		if rerr != nil {
			return n, false, fmt.Errorf("read blob: %w", rerr)
		}
	}
	return n, false, nil
}

func (c *copier) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := c.dst.Write(b); err != nil {
		return fmt.Errorf("write blob: %w", err)
	}
	return nil
}

// checkBounds fails as soon as more bytes were read than MaxSize or the
// declared Size allow.
func (c *copier) checkBounds() error {
	o := c.opts
	if o.MaxSize > 0 && c.n > o.MaxSize {
		return lathe.Errorf(lathe.ETOOLARGE,
			"blob is larger than the limit of %d bytes (stopped after reading %d bytes); upload something smaller or raise the limit",
			o.MaxSize, c.n)
	}
	if o.HasSize && c.n > o.Size {
		return lathe.Errorf(lathe.EINVALID,
			"blob is longer than its declared size of %d bytes (stopped after reading %d bytes); declare the right size or check what is being sent",
			o.Size, c.n)
	}
	return nil
}

// finish checks the declared size and the expected digest once the whole
// stream has been read and hashed.
func (c *copier) finish() (Info, error) {
	o := c.opts
	if o.HasSize && c.n != o.Size {
		return Info{}, lathe.Errorf(lathe.EINVALID,
			"blob is %d bytes long but its declared size is %d bytes; the upload may have been cut short, or the declared size is wrong",
			c.n, o.Size)
	}
	got := lathe.NewDigest(c.h.Sum(nil))
	if o.Digest != "" && got != o.Digest {
		return Info{}, lathe.Errorf(lathe.EINVALID,
			"blob hashes to %s but %s was expected (%d bytes read); the bytes changed on the way or the expected digest is wrong: recompute it with sha256sum and retry",
			got, o.Digest, c.n)
	}
	return Info{Digest: got, Size: c.n}, nil
}
