//go:build unix

package upload

import (
	"io/fs"
	"syscall"
)

// inode returns the file's inode number, part of the hash cache's key.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
