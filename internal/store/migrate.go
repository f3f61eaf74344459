package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// migration is one embedded schema step, NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations of a dialect in version order.
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations for %s: %w", dialect, err)
	}
	var ms []migration
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		num, name, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations for %s: expected version %d, found %d (%s)", dialect, i+1, m.version, m.name)
		}
	}
	return ms, nil
}

// LatestSchema returns the newest schema version this binary knows.
func LatestSchema(dialect string) int {
	ms, err := migrations(dialect)
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate brings the schema up to date and returns its version. Each
// migration runs in its own transaction together with its version row, so a
// crash leaves the schema at a whole version.
func (db *DB) migrate(ctx context.Context) (int, error) {
	ms, err := migrations(db.d.Name)
	if err != nil {
		return 0, err
	}
	latest := len(ms)
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	for {
		var done bool
		var current int
		err := db.tx(ctx, func(tx *sql.Tx) error {
			if db.d.Lock != "" {
				if _, err := tx.ExecContext(ctx, db.d.Lock); err != nil {
					return fmt.Errorf("take migration lock: %w", err)
				}
			}
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if current > latest {
				return lathe.Errorf(lathe.EUNSUPPORTED,
					"the metadata database is at schema version %d, but this lathe binary only knows versions up to %d: "+
						"a newer lathe has used it; run that newer lathe (or point --store at another database)", current, latest)
			}
			if current == latest {
				done = true
				return nil
			}
			m := ms[current]
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("record migration %04d: %w", m.version, err)
			}
			current = m.version
			return nil
		})
		if err != nil {
			return 0, err
		}
		if done {
			return current, nil
		}
	}
}
