// Command store measures the metadata store's small-write rate against the
// limit: raw INSERTs of the same rows, through the same driver and settings,
// in the same run. It prints rows/s for both and their ratio.
//
//	go run ./bench/store                 # SQLite
//	LATHE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test go run ./bench/store
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/postgres"
	"github.com/latheml/lathe/internal/store/sqlite"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	n := flag.Int("n", 2000, "rows per measurement")
	rounds := flag.Int("rounds", 5, "alternating rounds per mode; the median is reported")
	workers := flag.Int("workers", 8, "concurrent writers in the concurrent measurement")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lathe-bench-store-")
	check(err)
	defer os.RemoveAll(dir)

	fmt.Printf("%-10s %-12s %12s %12s %7s\n", "backend", "mode", "store rows/s", "raw rows/s", "ratio")
	path := filepath.Join(dir, "bench.db")
	db, err := sqlite.Open(ctx, path)
	check(err)
	raw, err := sql.Open("sqlite", sqlite.DSN(path, false))
	check(err)
	raw.SetMaxOpenConns(1)
	compare(ctx, "sqlite", db, raw, "?", *n, *workers, *rounds)
	_ = db.Close()
	_ = raw.Close()

	if base := os.Getenv("LATHE_TEST_POSTGRES_URL"); base != "" {
		schema := "lathe_bench_" + lathe.NewID()[:8]
		admin, err := sql.Open("pgx", base)
		check(err)
		_, err = admin.ExecContext(ctx, "CREATE SCHEMA "+schema)
		check(err)
		defer admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		u, _ := url.Parse(base)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err := postgres.Open(ctx, u.String())
		check(err)
		raw, err := sql.Open("pgx", u.String())
		check(err)
		raw.SetMaxOpenConns(16)
		compare(ctx, "postgres", db, raw, "$", *n, *workers, *rounds)
		_ = db.Close()
		_ = raw.Close()
	} else {
		fmt.Println("postgres   skipped: set LATHE_TEST_POSTGRES_URL")
	}
}

// compare times n PutBlob calls against n raw INSERTs of the same shape of
// row, once from one goroutine and once from several, alternating the two
// for several rounds so machine noise hits both alike, and reports medians.
func compare(ctx context.Context, name string, db *store.DB, raw *sql.DB, ph string, n, workers, rounds int) {
	ws := &lathe.Workspace{ID: lathe.NewID(), Name: "bench-" + name, CreatedAt: time.Now()}
	check(db.CreateWorkspace(ctx, ws))
	query := `INSERT INTO blobs (workspace_id, digest, size, created_at, created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id, digest) DO NOTHING`
	if ph == "$" {
		query = `INSERT INTO blobs (workspace_id, digest, size, created_at, created_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, digest) DO NOTHING`
	}
	stmt, err := raw.PrepareContext(ctx, query)
	check(err)
	defer stmt.Close()
	seq := 0
	next := func() int { seq++; return seq }
	for _, mode := range []struct {
		label string
		w     int
	}{{"sequential", 1}, {fmt.Sprintf("%d writers", workers), workers}} {
		var storeRates, rawRates []float64
		for r := 0; r < rounds; r++ {
			base := next() * 10_000_000
			storeRates = append(storeRates, rate(n, mode.w, func(i int) error {
				return db.PutBlob(ctx, &lathe.Blob{WorkspaceID: ws.ID, Digest: digest(base + i), Size: int64(i), CreatedAt: time.Now(), CreatedBy: "bench"})
			}))
			base = next() * 10_000_000
			rawRates = append(rawRates, rate(n, mode.w, func(i int) error {
				_, err := stmt.ExecContext(ctx, ws.ID, string(digest(base+i)), int64(i), time.Now().UnixMilli(), "bench")
				return err
			}))
		}
		sr, rr := median(storeRates), median(rawRates)
		fmt.Printf("%-10s %-12s %12.0f %12.0f %7.2f\n", name, mode.label, sr, rr, sr/rr)
	}
}

// rate runs fn for i in [0,n) spread over w goroutines and returns calls/s.
func rate(n, w int, fn func(i int) error) float64 {
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Go(func() {
			for i := g; i < n; i += w {
				check(fn(i))
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func digest(i int) lathe.Digest { return lathe.Digest(fmt.Sprintf("sha256:%064x", i)) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
