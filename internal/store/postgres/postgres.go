// Package postgres opens Lathe's metadata store on PostgreSQL through pgx,
// for servers that share one database or outgrow an embedded file.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

// Dialect is the PostgreSQL dialect of the shared store. Migrations hold a
// transaction-scoped advisory lock so several servers starting at once do
// not migrate twice.
var Dialect = store.Dialect{
	Name:      "postgres",
	Numbered:  true,
	IsUnique:  isUnique,
	Lock:      `SELECT pg_advisory_xact_lock(7342001)`,
	AuditLock: `SELECT pg_advisory_xact_lock(7342002)`,
}

func isUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// Open connects to the database at a postgres:// URL and migrates it.
func Open(ctx context.Context, rawURL string) (*store.DB, error) {
	cfg, err := pgconnConfig(rawURL)
	if err != nil {
		return nil, err
	}
	pool := sql.OpenDB(stdlib.GetConnector(*cfg))
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, lathe.Errorf(lathe.EUNAVAILABLE, "cannot reach PostgreSQL at %s: %v; check that it runs and that --store is right", redact(rawURL), err)
	}
	db, err := store.New(ctx, pool, pool, Dialect)
	if err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", redact(rawURL), err)
	}
	return db, nil
}

func pgconnConfig(rawURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "PostgreSQL URL %s: %v", redact(rawURL), err)
	}
	return cfg, nil
}

// redact hides a password in a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
