package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StaleTempAge is how old a backend's temp file must be before the backend's
// constructor removes it as left over from a crash. An hour is far longer than
// any Put that is still making progress is expected to leave a file untouched,
// so a Put running in another process sharing the directory is never hit.
const StaleTempAge = time.Hour

// RemoveStaleTemp removes the regular files in dir whose names start with
// prefix and that were last modified before cutoff. Backends call it when
// they open, to clear temp files a crashed process left behind. A missing dir
// is not an error. It returns the number of files removed.
func RemoveStaleTemp(ctx context.Context, dir, prefix string, cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list temp dir: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("remove stale temp files: %w", err)
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // renamed or removed by a Put that just finished
		}
		if err != nil {
			return removed, fmt.Errorf("stat temp file: %w", err)
		}
		if !info.ModTime().Before(cutoff) {
			continue
		}
		err = os.Remove(filepath.Join(dir, e.Name()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove stale temp file: %w", err)
		}
		if err == nil {
			removed++
		}
	}
	return removed, nil
}
