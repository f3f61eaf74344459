package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/sqlite"
	"github.com/latheml/lathe/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "lathe.db")
		return func(ctx context.Context) (*store.DB, error) { return sqlite.Open(ctx, path) }
	})
}
