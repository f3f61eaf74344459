package postgres_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/postgres"
	"github.com/latheml/lathe/internal/store/storetest"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestConformance runs the store suite against a real PostgreSQL server. Each
// subtest gets its own schema, dropped afterwards.
func TestConformance(t *testing.T) {
	t.Parallel()
	base := os.Getenv("LATHE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("set LATHE_TEST_POSTGRES_URL=postgres://user@127.0.0.1:5432/db to run the PostgreSQL store suite")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		schema := "lathe_test_" + lathe.NewID()[:12]
		if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`) })
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return func(ctx context.Context) (*store.DB, error) { return postgres.Open(ctx, u.String()) }
	})
}
