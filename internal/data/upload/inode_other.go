//go:build !unix

package upload

import "io/fs"

// inode is 0 where the platform has no inode numbers; the hash cache then
// keys on path, size and modification time.
func inode(fs.FileInfo) uint64 { return 0 }
