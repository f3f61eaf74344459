package upload

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
)

// CacheFile is the hash cache's file name inside the cache directory.
const CacheFile = "hashes"

// MaxCacheEntries bounds the hash cache; the least recently used entries
// are dropped past it.
const MaxCacheEntries = 500_000

// racyWindow: a file modified this close to the moment it was hashed may be
// modified again within the same timestamp tick, unseen, so its digest is
// not cached (git's "racy" entries).
const racyWindow = time.Second

const cacheHeader = "lathe-hash-cache 1"

// Cache remembers file digests keyed by (path, size, modification time,
// inode), so an unchanged file is not read again. It is a plain text file
// rewritten atomically on Save; a damaged or foreign file is ignored (the
// cache only ever saves work). It is safe for concurrent use.
type Cache struct {
	path    string
	mu      sync.Mutex
	entries map[string]cacheEntry
	dirty   bool
	now     func() time.Time
}

type cacheEntry struct {
	size, mtime int64
	inode       uint64
	digest      lathe.Digest
	used        int64 // Unix seconds
}

// OpenCache loads the cache in dir (created on Save if missing).
func OpenCache(dir string) (*Cache, error) {
	c := &Cache{path: filepath.Join(dir, CacheFile), entries: map[string]cacheEntry{}, now: time.Now}
	b, err := os.ReadFile(c.path)
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read hash cache: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	if !sc.Scan() || sc.Text() != cacheHeader {
		return c, nil
	}
	for sc.Scan() {
		// digest-hex size mtime inode used path
		f := strings.SplitN(sc.Text(), " ", 6)
		if len(f) != 6 {
			continue
		}
		size, e1 := strconv.ParseInt(f[1], 10, 64)
		mtime, e2 := strconv.ParseInt(f[2], 10, 64)
		ino, e3 := strconv.ParseUint(f[3], 10, 64)
		used, e4 := strconv.ParseInt(f[4], 10, 64)
		d := lathe.Digest(lathe.DigestPrefix + f[0])
		if e1 != nil || e2 != nil || e3 != nil || e4 != nil || d.Validate() != nil {
			continue
		}
		c.entries[f[5]] = cacheEntry{size: size, mtime: mtime, inode: ino, digest: d, used: used}
	}
	return c, nil
}

// Lookup returns the cached digest of the file if its size, modification
// time and inode are those recorded.
func (c *Cache) Lookup(f File) (lathe.Digest, bool) {
	if c == nil {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[f.Abs]
	if !ok || e.size != f.Size || e.mtime != f.ModTime || e.inode != f.Inode {
		return "", false
	}
	e.used = c.now().Unix()
	c.entries[f.Abs] = e
	c.dirty = true
	return e.digest, true
}

// Store records a file's digest, hashed at time hashed, unless the file
// was modified too close to that moment to be trusted.
func (c *Cache) Store(f File, d lathe.Digest, hashed time.Time) {
	if c == nil || strings.ContainsAny(f.Abs, "\n\r") || time.Unix(0, f.ModTime).After(hashed.Add(-racyWindow)) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[f.Abs] = cacheEntry{size: f.Size, mtime: f.ModTime, inode: f.Inode, digest: d, used: c.now().Unix()}
	c.dirty = true
}

// Len returns the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Save writes the cache if it changed: temp file, fsync, rename, keeping
// the MaxCacheEntries most recently used entries.
func (c *Cache) Save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	paths := make([]string, 0, len(c.entries))
	for p := range c.entries {
		paths = append(paths, p)
	}
	if len(paths) > MaxCacheEntries {
		sort.Slice(paths, func(i, j int) bool { return c.entries[paths[i]].used > c.entries[paths[j]].used })
		for _, p := range paths[MaxCacheEntries:] {
			delete(c.entries, p)
		}
		paths = paths[:MaxCacheEntries]
	}
	var b bytes.Buffer
	b.WriteString(cacheHeader + "\n")
	for _, p := range paths {
		e := c.entries[p]
		fmt.Fprintf(&b, "%s %d %d %d %d %s\n", e.digest.Hex(), e.size, e.mtime, e.inode, e.used, p)
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return fmt.Errorf("save hash cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), "."+CacheFile+"-*")
	if err != nil {
		return fmt.Errorf("save hash cache: %w", err)
	}
	_, err = tmp.Write(b.Bytes())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("save hash cache: %w", err)
	}
	c.dirty = false
	return nil
}
