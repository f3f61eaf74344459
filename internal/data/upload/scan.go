// Package upload is the client side of creating a data version from local
// files, built so each byte crosses the wire at most once: it lists the
// files, hashes them in parallel (streaming, with a hash cache that makes an
// unchanged tree nearly free to hash again), asks the server in batches
// which digests it holds already, uploads only the missing ones, several at
// a time, and returns the manifest to commit. An interrupted upload resumes
// by itself: what reached the server is found there the next time.
package upload

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/latheml/lathe"
)

// File is one local file of a data version.
type File struct {
	Path    string // the manifest path: relative, slash-separated
	Abs     string // where it is on this machine
	Size    int64
	Mode    uint32
	ModTime int64 // nanoseconds since the epoch
	Inode   uint64
}

// Scan lists the files of a local path for a data version of type typ:
// uri_file needs a regular file (its manifest path is its base name);
// uri_folder and mltable need a folder, which is walked, and an mltable
// folder must hold an MLTable file. Symbolic links to files are followed,
// links to folders are refused (they can loop). Paths that cannot be
// manifest paths are refused with the local name.
func Scan(p, typ string) ([]File, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "path %q: %v", p, err)
	}
	fi, err := os.Stat(abs)
	if os.IsNotExist(err) {
		return nil, lathe.Errorf(lathe.EINVALID, "path %q does not exist; give a file (uri_file) or a folder (uri_folder, mltable) on this machine", p)
	}
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "path %q: %v", p, err)
	}
	switch typ {
	case lathe.DataURIFile:
		if !fi.Mode().IsRegular() {
			return nil, lathe.Errorf(lathe.EINVALID, "path %q is not a regular file; a uri_file is one file (use --type uri_folder for a folder)", p)
		}
		f, err := fileOf(abs, filepath.Base(abs), fi)
		if err != nil {
			return nil, err
		}
		return []File{f}, nil
	case lathe.DataURIFolder, lathe.DataMLTable:
		if !fi.IsDir() {
			return nil, lathe.Errorf(lathe.EINVALID, "path %q is a file, but a %s is a folder; use --type uri_file for one file", p, typ)
		}
	default:
		return nil, lathe.Errorf(lathe.EINVALID, "type %q is not one of uri_file, uri_folder, mltable", typ)
	}
	var out []File
	err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return lathe.Errorf(lathe.EINVALID, "read %s: %v", path, err)
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(abs, path)
		if err != nil {
			return fmt.Errorf("relative path of %s: %w", path, err)
		}
		fi, err := os.Stat(path) // follows links to files
		if err != nil {
			return lathe.Errorf(lathe.EINVALID, "%s: %v (a broken symbolic link?)", path, err)
		}
		switch {
		case fi.IsDir():
			return lathe.Errorf(lathe.EINVALID, "%s is a symbolic link to a folder; Lathe does not follow those (they can loop): copy the folder in, or create another asset from it", path)
		case !fi.Mode().IsRegular():
			return lathe.Errorf(lathe.EINVALID, "%s is not a regular file (%s); remove it from the folder", path, fi.Mode().Type())
		}
		f, err := fileOf(path, filepath.ToSlash(rel), fi)
		if err != nil {
			return err
		}
		if len(out) == lathe.MaxManifestEntries {
			return lathe.Errorf(lathe.ETOOLARGE, "%s has more than %d files; the limit for one data version is %d: split it into several assets", p, lathe.MaxManifestEntries, lathe.MaxManifestEntries)
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "folder %q has no files; a data version holds at least one", p)
	}
	if typ == lathe.DataMLTable {
		found := false
		for _, f := range out {
			found = found || f.Path == lathe.MLTableFile
		}
		if !found {
			return nil, lathe.Errorf(lathe.EINVALID, "folder %q has no %s file at its top; an mltable folder describes its table in one (paths and read_delimited or read_parquet)", p, lathe.MLTableFile)
		}
	}
	return out, nil
}

func fileOf(abs, rel string, fi fs.FileInfo) (File, error) {
	if err := lathe.ValidateDataPath(rel); err != nil {
		return File{}, fmt.Errorf("%s: %w", abs, err)
	}
	if strings.ContainsAny(rel, "\n\r") {
		return File{}, lathe.Errorf(lathe.EINVALID, "%s: file names with line breaks cannot be stored; rename it", abs)
	}
	return File{Path: rel, Abs: abs, Size: fi.Size(), Mode: lathe.ModeBits(fi.Mode()), ModTime: fi.ModTime().UnixNano(), Inode: inode(fi)}, nil
}
