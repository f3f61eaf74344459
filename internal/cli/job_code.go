package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/data/upload"
)

// Ignore files read in every folder of a job's code, in this order: rules
// of a later file (and of a deeper folder) win.
var ignoreFiles = []string{".gitignore", ".amlignore"}

// maxIgnoreFile bounds one .gitignore or .amlignore file.
const maxIgnoreFile = 1 << 20

// ignoreRule is one pattern line of an ignore file.
type ignoreRule struct {
	base     string // the folder of the ignore file, relative to the code root ("" for the root)
	pattern  string // slash-separated, without the leading '/', trailing '/' and '!'
	negate   bool   // '!' re-includes what an earlier rule excluded
	dirOnly  bool   // a trailing '/' matches folders only
	anchored bool   // a '/' at the start or in the middle: relative to base, not any depth
}

// parseIgnore reads the rules of an ignore file found in folder base
// (relative to the code root, slash-separated): '#' comments, blank lines,
// '!' negation, '\' escapes of a leading '#' or '!', trailing '/' for
// folders, and a leading or inner '/' anchoring the pattern to base.
func parseIgnore(base, text string) []ignoreRule {
	var out []ignoreRule
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		// Trailing spaces are ignored unless escaped.
		for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
			line = line[:len(line)-1]
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{base: base}
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, line[1:]
		} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimRight(line, "/")
		}
		if strings.Contains(line, "/") {
			r.anchored, line = true, strings.TrimPrefix(line, "/")
		}
		if line == "" {
			continue
		}
		r.pattern = line
		out = append(out, r)
	}
	return out
}

// match reports whether the rule matches rel (slash-separated, relative to
// the code root).
func (r ignoreRule) match(rel string, isDir bool) bool {
	if r.dirOnly && !isDir {
		return false
	}
	if r.base != "" {
		rest, ok := strings.CutPrefix(rel, r.base+"/")
		if !ok {
			return false
		}
		rel = rest
	}
	if r.anchored {
		return globMatch(r.pattern, rel)
	}
	return globMatch(r.pattern, path.Base(rel))
}

// globMatch matches a slash-separated pattern against a slash-separated
// path: '*', '?' and '[...]' within one segment, '**' as a whole segment
// for any number of segments (including none).
func globMatch(pattern, name string) bool {
	return matchSegs(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := range segs {
				if matchSegs(pat, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		ok, err := path.Match(pat[0], segs[0])
		if err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// ignorer decides which files of a code folder are left out.
type ignorer struct{ rules []ignoreRule }

// ignored reports whether rel is excluded: the last rule that matches
// decides.
func (g *ignorer) ignored(rel string, isDir bool) bool {
	out := false
	for _, r := range g.rules {
		if r.match(rel, isDir) {
			out = !r.negate
		}
	}
	return out
}

// scanCode lists the files of a code folder, leaving out .git/ and what
// the .gitignore and .amlignore files of the folder and its subfolders
// exclude. An excluded folder is not entered, so nothing under it can be
// included again (as in git).
func scanCode(root string) ([]upload.File, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "code %q: %v", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "code: folder %q: %v; code is a folder relative to the job's YAML file", root, err)
	}
	if !fi.IsDir() {
		return nil, lathe.Errorf(lathe.EINVALID, "code: %q is a file; code is the folder holding the command's scripts (for example code: ./src)", root)
	}
	g := &ignorer{}
	var out []upload.File
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return lathe.Errorf(lathe.EINVALID, "code: read %s: %v", p, err)
		}
		rel, err := filepath.Rel(abs, p)
		if err != nil {
			return fmt.Errorf("relative path of %s: %w", p, err)
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." {
				if d.Name() == ".git" || g.ignored(rel, true) {
					return filepath.SkipDir
				}
			}
			base := rel
			if base == "." {
				base = ""
			}
			for _, name := range ignoreFiles {
				b, err := readSmall(filepath.Join(p, name), maxIgnoreFile)
				if err != nil {
					return err
				}
				g.rules = append(g.rules, parseIgnore(base, string(b))...)
			}
			return nil
		}
		fi, err := os.Stat(p) // follows links to files
		if err != nil {
			return lathe.Errorf(lathe.EINVALID, "code: %s: %v (a broken symbolic link? list it in .amlignore)", p, err)
		}
		if g.ignored(rel, fi.IsDir()) {
			return nil
		}
		switch {
		case fi.IsDir():
			return lathe.Errorf(lathe.EINVALID, "code: %s is a symbolic link to a folder, which is not followed; copy the folder in or list the link in .amlignore", p)
		case !fi.Mode().IsRegular():
			return nil // sockets, pipes and devices are not code
		}
		if err := lathe.ValidateDataPath(rel); err != nil {
			return fmt.Errorf("code: %s: %w (rename it or list it in .amlignore)", p, err)
		}
		if len(out) == lathe.MaxManifestEntries {
			return lathe.Errorf(lathe.ETOOLARGE, "code folder %s has more than %d files; list data and build outputs in .amlignore and pass data as inputs", root, lathe.MaxManifestEntries)
		}
		// Scan the one file for its record (with the inode the hash cache
		// keys on, as lathe data create records it).
		one, err := upload.Scan(p, lathe.DataURIFile)
		if err != nil {
			return fmt.Errorf("code: %w", err)
		}
		f := one[0]
		f.Path = rel
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readSmall reads a file of at most limit bytes; a missing file is empty.
func readSmall(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "read %s: %v", p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "read %s: %v", p, err)
	}
	if int64(len(b)) > limit {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s is over %d bytes", p, limit)
	}
	return b, nil
}

// gitState is the repository state of a folder.
type gitState struct {
	commit, branch, remote string
	dirty                  bool
}

// gitInfo asks git about the folder; it returns an empty state when git is
// missing or the folder is not in a repository.
func gitInfo(ctx context.Context, dir string) gitState {
	run := func(args ...string) (string, bool) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Run(); err != nil {
			return "", false
		}
		return strings.TrimSpace(out.String()), true
	}
	commit, ok := run("rev-parse", "HEAD")
	if !ok {
		return gitState{}
	}
	st := gitState{commit: commit}
	if s, ok := run("status", "--porcelain", "--", "."); ok {
		st.dirty = s != ""
	}
	if b, ok := run("rev-parse", "--abbrev-ref", "HEAD"); ok && b != "HEAD" {
		st.branch = b
	}
	if r, ok := run("config", "--get", "remote.origin.url"); ok {
		st.remote = redactURL(r)
	}
	return st
}

// redactURL drops a password from a remote URL (https://user:token@host).
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
		rest = rest[at+1:]
	}
	return scheme + "://" + rest
}

// CodeResult says what snapshotting the code did.
type CodeResult struct {
	Snapshot lathe.CodeSnapshot `json:"snapshot"`
	Upload   upload.Stats       `json:"upload"`
}

// snapshotCode uploads a code folder's files (only the contents the server
// lacks) and its manifest, and returns the snapshot for the job spec.
func (a *app) snapshotCode(ctx context.Context, c *client.Client, ws, dir string, parallel int) (*CodeResult, error) {
	files, err := scanCode(dir)
	if err != nil {
		return nil, err
	}
	var m []lathe.ManifestEntry
	var st upload.Stats
	if len(files) > 0 {
		cache, err := upload.OpenCache(a.cacheDir())
		if err != nil {
			return nil, err
		}
		cnt := &upload.Counters{}
		stop := a.uploadProgress(cnt, len(files))
		m, st, err = upload.Run(ctx, files, c.Blobs(ws), upload.Options{Cache: cache, Uploaders: parallel, Counters: cnt})
		stop()
		if err != nil {
			return nil, fmt.Errorf("upload the code in %s: %w", dir, err)
		}
	}
	if m == nil {
		m = []lathe.ManifestEntry{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode the code manifest: %w", err)
	}
	blob, err := c.PutBlob(ctx, ws, bytes.NewReader(b), int64(len(b)), "")
	if err != nil {
		return nil, fmt.Errorf("upload the code manifest: %w", err)
	}
	snap := lathe.CodeSnapshot{Manifest: blob.Digest, Digest: lathe.ManifestDigest(m), Files: int64(len(m))}
	for _, e := range m {
		snap.Size += e.Size
	}
	g := gitInfo(ctx, dir)
	snap.GitCommit, snap.GitDirty, snap.GitBranch, snap.GitRemote = g.commit, g.dirty, g.branch, g.remote
	return &CodeResult{Snapshot: snap, Upload: st}, nil
}
