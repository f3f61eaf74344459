// Package store is Lathe's metadata store: one SQL implementation, written in
// a portable subset of SQL, that runs on SQLite (embedded default) and
// PostgreSQL (scale-out). The backend packages store/sqlite and
// store/postgres open a connection the right way and hand it to New with
// their Dialect; storetest is the conformance suite both must pass.
//
// Every write is a single transaction. The store never invents IDs or times:
// callers pass them in.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
)

// Dialect is what differs between the SQL backends.
type Dialect struct {
	// Name is "sqlite" or "postgres"; it selects the migration directory.
	Name string
	// Numbered placeholders ($1, $2 ...) instead of '?'.
	Numbered bool
	// IsUnique reports whether err is a unique or primary-key violation.
	IsUnique func(error) bool
	// Lock, if set, runs before migrations inside their transaction to keep
	// several servers from migrating at once (PostgreSQL advisory lock).
	Lock string
	// AuditLock, if set, runs at the start of each audit append to
	// serialise appenders (SQLite needs none: it has one writer).
	AuditLock string
	// GroupCommit runs concurrent write transactions together, each in a
	// savepoint, so they share one commit. Right for SQLite, whose single
	// writer would otherwise commit (and fsync) them one by one.
	GroupCommit bool
}

// DB is the metadata store. Reads go to r, writes to w; on SQLite w is a
// single connection so writers queue in Go instead of meeting SQLITE_BUSY,
// on PostgreSQL both are the same pool.
type DB struct {
	w, r    *sql.DB
	d       Dialect
	queries sync.Map // original query → dialect query
	version int
	batch   *batcher // group commit, if the dialect wants it
}

// New checks and migrates the schema and returns the store. It refuses a
// database whose schema is newer than this binary knows.
func New(ctx context.Context, w, r *sql.DB, d Dialect) (*DB, error) {
	db := &DB{w: w, r: r, d: d}
	v, err := db.migrate(ctx)
	if err != nil {
		return nil, err
	}
	db.version = v
	if d.GroupCommit {
		db.batch = newBatcher(w, 256)
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	if db.batch != nil {
		db.batch.close()
	}
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Dialect returns the backend's name ("sqlite" or "postgres").
func (db *DB) Dialect() string { return db.d.Name }

// SchemaVersion returns the schema version the database is at.
func (db *DB) SchemaVersion() int { return db.version }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return lathe.Errorf(lathe.EUNAVAILABLE, "metadata store (%s) does not answer: %v", db.d.Name, err)
	}
	return nil
}

// SQL returns the write pool, for benchmarks that compare the store with raw
// statements through the same driver.
func (db *DB) SQL() *sql.DB { return db.w }

// q rewrites a '?'-placeholder query for the dialect, caching the result.
func (db *DB) q(query string) string {
	if !db.d.Numbered {
		return query
	}
	if v, ok := db.queries.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	db.queries.Store(query, b.String())
	return b.String()
}

// tx runs fn in one write transaction and commits it, rolling back on error.
// With group commit, fn runs in a savepoint of a transaction shared with
// other callers' writes; its outcome is still all or nothing.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if db.batch != nil {
		return db.batch.do(ctx, fn)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs one write statement in its own transaction (or savepoint).
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if db.batch == nil {
		return db.w.ExecContext(ctx, db.q(query), args...)
	}
	var res sql.Result
	err := db.batch.do(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, db.q(query), args...)
		return err
	})
	return res, err
}

// conflict turns a unique violation into a lathe.ECONFLICT with msg.
func (db *DB) conflict(err error, format string, args ...any) error {
	if err != nil && db.d.IsUnique != nil && db.d.IsUnique(err) {
		return lathe.Errorf(lathe.ECONFLICT, format, args...)
	}
	return err
}

// ms converts a time to the stored Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts stored Unix milliseconds back to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// msPtr converts an optional time.
func msPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// timePtr converts an optional stored time.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// notFound maps sql.ErrNoRows to a lathe.ENOTFOUND with msg.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return lathe.Errorf(lathe.ENOTFOUND, format, args...)
	}
	return err
}
