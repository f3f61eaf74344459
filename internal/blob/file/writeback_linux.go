package file

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackChunk is how many written bytes accumulate before writeback
// starts on them.
const writebackChunk = 8 << 20

// writeback is an io.Writer to a temp file that asks the kernel to start
// writing each chunk to disk as soon as it is complete, instead of leaving
// the whole blob dirty in the page cache until the final fsync. Disk writes
// then overlap reading and hashing, and the fsync at the end of a Put only
// waits for the last few chunks. Errors from the hint are ignored: the fsync
// that follows is what guarantees durability.
type writeback struct {
	f       *os.File
	fd      int
	off     int64 // bytes written
	flushed int64 // bytes writeback was started for
}

func newWriteback(f *os.File) *writeback { return &writeback{f: f, fd: int(f.Fd())} }

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.flushed >= writebackChunk {
		_ = unix.SyncFileRange(w.fd, w.flushed, w.off-w.flushed, unix.SYNC_FILE_RANGE_WRITE)
		w.flushed = w.off
	}
	return n, err
}
