// Command tracking measures experiment tracking through the MLflow REST API
// of an in-process Lathe server, on SQLite and (when LATHE_TEST_POSTGRES_URL
// is set) on PostgreSQL, side by side, against the goals of issue 4 and the
// MLflow 2.7 figures measured on the same machine kind
// (/work/shared/reference/performance-anchors.md §1.3):
//
//   - runs/log-metric req/s and p50/p99 with 8 connections;
//   - runs/log-batch of 1000 metrics: metrics/s with 4 clients, and the
//     p50 of one batch from one client;
//   - log-batch ingest against raw multi-row INSERTs of the same rows through
//     the same driver and DSN (the baseline measured in the same run);
//   - runs/get of a run with 300 params;
//   - metrics/get-history of a 1M-point metric, all pages, and the native
//     downsampling endpoint to 1,000 points;
//   - runs/search with a metric filter and an order_by over 10,000 runs ×
//     50 params.
//
// The load generator runs in the same process (Go net/http clients over one
// shared Transport), so it shares the 2 cores with the server, as wrk did
// with MLflow. Throughput figures are the median of -rounds rounds, latency
// figures the median of -reps repetitions: the machine is shared and noisy.
//
//	go run ./bench/tracking -quick        # < 1 minute
//	LATHE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/lathe_ci?sslmode=disable go run ./bench/tracking
//	go run ./bench/tracking -phases logmetric -cpuprofile /tmp/lathe  # writes /tmp/lathe-sqlite-logmetric.pprof
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/server"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/postgres"
	"github.com/latheml/lathe/internal/store/sqlite"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// opts are the command-line settings.
type opts struct {
	quick          bool
	duration       time.Duration
	rounds         int
	reps           int
	conns          int
	batchClients   int
	batchSize      int
	seqBatches     int
	sharedRun      bool
	params         int
	historyPoints  int
	pageSize       int
	downsample     int
	searchRuns     int
	searchParams   int
	searchMax      string
	cpuprofile     string
	keep           bool
	phases         map[string]bool
	backends       map[string]bool
	serverLogLevel slog.Level
}

func main() {
	var o opts
	var phases, backends, logLevel string
	flag.BoolVar(&o.quick, "quick", false, "small sizes and one round, to finish in under a minute")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each throughput round")
	flag.IntVar(&o.rounds, "rounds", 3, "throughput rounds per figure (median reported)")
	flag.IntVar(&o.reps, "reps", 7, "repetitions of each latency measurement (median reported)")
	flag.IntVar(&o.conns, "conns", 8, "concurrent connections for log-metric and runs/get")
	flag.IntVar(&o.batchClients, "batch-clients", 4, "concurrent log-batch clients")
	flag.IntVar(&o.batchSize, "batch-size", 1000, "metrics per log-batch")
	flag.IntVar(&o.seqBatches, "seq-batches", 100, "sequential batches for the one-batch latency")
	flag.BoolVar(&o.sharedRun, "shared-run", false, "log-metric: all connections log to one run (default: one run per connection)")
	flag.IntVar(&o.params, "params", 300, "params of the runs/get run")
	flag.IntVar(&o.historyPoints, "history-points", 1_000_000, "points of the get-history metric")
	flag.IntVar(&o.pageSize, "page-size", lathe.MaxHistoryPage, "get-history max_results (the MLflow client asks for 25,000)")
	flag.IntVar(&o.downsample, "points", 1000, "points of the downsampled history")
	flag.IntVar(&o.searchRuns, "search-runs", 10_000, "runs in the runs/search experiment")
	flag.IntVar(&o.searchParams, "search-params", 50, "params per runs/search run")
	flag.StringVar(&o.searchMax, "search-max", "1000,100", "runs/search max_results values, comma-separated; the first is held to the goal")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of each phase to <prefix>-<backend>-<phase>.pprof")
	flag.BoolVar(&o.keep, "keep", false, "keep the data dir and the PostgreSQL schema for inspection")
	flag.StringVar(&phases, "phases", "logmetric,logbatch,runget,history,search", "phases to run")
	flag.StringVar(&backends, "backends", "sqlite,postgres", "backends to run (postgres only with LATHE_TEST_POSTGRES_URL)")
	flag.StringVar(&logLevel, "server-log", "info", "server log level (the log goes to io.Discard, but is formatted)")
	flag.Parse()
	if o.quick {
		setDefault("duration", func() { o.duration = time.Second })
		setDefault("rounds", func() { o.rounds = 1 })
		setDefault("reps", func() { o.reps = 3 })
		setDefault("seq-batches", func() { o.seqBatches = 20 })
		setDefault("history-points", func() { o.historyPoints = 50_000 })
		setDefault("search-runs", func() { o.searchRuns = 1_000 })
	}
	o.phases, o.backends = set(phases), set(backends)
	check(o.serverLogLevel.UnmarshalText([]byte(logLevel)))

	host, _ := os.Hostname()
	fmt.Printf("lathe tracking benchmark: %s, %d cores, GOMAXPROCS %d, %s, host %s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), host)
	fmt.Printf("settings: duration %s × %d rounds, %d reps, %d conns, %d batch clients × %d metrics, %d history points, %d runs × %d params\n",
		o.duration, o.rounds, o.reps, o.conns, o.batchClients, o.batchSize, o.historyPoints, o.searchRuns, o.searchParams)
	loads.sample("start")

	var results []*backendResult
	if o.backends["sqlite"] {
		results = append(results, runBackend(o, "sqlite", ""))
	}
	if o.backends["postgres"] {
		if base := os.Getenv("LATHE_TEST_POSTGRES_URL"); base != "" {
			results = append(results, runBackend(o, "postgres", base))
		} else {
			fmt.Println("postgres skipped: set LATHE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/lathe_ci?sslmode=disable")
		}
	}
	loads.sample("end")
	fmt.Println()
	printTable(os.Stdout, o, results)
	fmt.Printf("\nload average (1 min) during the run: %s\n", loads.String())
}

// setDefault applies a -quick size unless the flag was given explicitly.
func setDefault(name string, apply func()) {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	if !given {
		apply()
	}
}

func set(list string) map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			m[s] = true
		}
	}
	return m
}

// ---------------------------------------------------------------------------
// Results

// figure is one measured value with its goal.
type figure struct {
	value string
	met   string // "met", "missed" or "" (no goal)
}

type backendResult struct {
	name string
	figs map[string]figure
}

// row describes one line of the table.
type row struct {
	key, label, goal, mlflow string
}

func rows(o opts) []row {
	rs := []row{
		{"lm_rate", fmt.Sprintf("log-metric, %d conns: req/s", o.conns), "≥ 5,000", "161"},
		{"lm_p50", "log-metric: p50", "", "38 ms"},
		{"lm_p99", "log-metric: p99", "< 10 ms", "234 ms"},
		{"fsync", "baseline: fsync of a 4 KiB append (disk), p50", "", ""},
		{"lm_bare", fmt.Sprintf("baseline: bare net/http handler, same client, %d conns: req/s", o.conns), "", ""},
		{"lm_store", fmt.Sprintf("baseline: store.LogBatch(1 metric) direct, %d goroutines: calls/s", o.conns), "", ""},
		{"lm_raw", fmt.Sprintf("baseline: raw 1-row INSERT txn, %d writers: txn/s", o.conns), "", ""},
		{"lm_ratio", "log-metric / raw 1-row INSERT txn", "", ""},
		{"lb_rate", fmt.Sprintf("log-batch ×%d, %d clients: metrics/s", o.batchSize, o.batchClients), "≥ 200,000", "≈ 9,750 (1 client)"},
		{"lb_p50c", fmt.Sprintf("log-batch, %d clients: p50 of a batch", o.batchClients), "", ""},
		{"lb_p50", "log-batch, 1 client: p50 of a batch", "≤ 10 ms", "102.5 ms"},
		{"lb_p99", "log-batch, 1 client: p99 of a batch", "", ""},
		{"raw_one", "baseline: raw INSERT of one 1000-row batch, 1 writer: p50", "", ""},
		{"raw_rate", fmt.Sprintf("raw multi-row INSERT, %d writers: rows/s", o.batchClients), "", ""},
		{"lb_ratio", "log-batch ingest / raw INSERT", "≥ 0.5", ""},
		{"get_rate", fmt.Sprintf("runs/get, %d params, %d conns: req/s", o.params, o.conns), "≥ 3,000", "64"},
		{"get_p50", "runs/get: p50", "", "99 ms"},
		{"get_p99", "runs/get: p99", "", "329 ms"},
		{"hist_seed", fmt.Sprintf("seed %s-point metric via log-batch: metrics/s", human(o.historyPoints)), "", ""},
		{"hist_all", fmt.Sprintf("get-history, %s points, all pages of %s", human(o.historyPoints), human(o.pageSize)), "< 1 s", "70 ms per 2,000 points"},
		{"hist_ds", fmt.Sprintf("metric-history downsampled to %d points", o.downsample), "< 50 ms", ""},
		{"search_seed", fmt.Sprintf("seed %s runs × %d params via store API: runs/s", human(o.searchRuns), o.searchParams), "", ""},
	}
	for i, m := range strings.Split(o.searchMax, ",") {
		goal := ""
		if i == 0 {
			goal = "≤ 200 ms"
		}
		rs = append(rs, row{"search_" + m, fmt.Sprintf("runs/search, %s runs, filter + order_by, max_results=%s", human(o.searchRuns), m), goal, ""})
	}
	return rs
}

func printTable(w io.Writer, o opts, results []*backendResult) {
	fmt.Fprint(w, "| figure | goal | MLflow 2.7 |")
	for _, r := range results {
		fmt.Fprintf(w, " %s | |", r.name)
	}
	fmt.Fprint(w, "\n|---|---|---|")
	for range results {
		fmt.Fprint(w, "---:|---|")
	}
	fmt.Fprintln(w)
	for _, rw := range rows(o) {
		found := false
		for _, r := range results {
			_, ok := r.figs[rw.key]
			found = found || ok
		}
		if !found {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s |", rw.label, rw.goal, rw.mlflow)
		for _, r := range results {
			f := r.figs[rw.key]
			fmt.Fprintf(w, " %s | %s |", f.value, f.met)
		}
		fmt.Fprintln(w)
	}
}

func metMax(v, goal float64) string { // v must be at most goal
	if v <= goal {
		return "met"
	}
	return "missed"
}

func metMin(v, goal float64) string { // v must be at least goal
	if v >= goal {
		return "met"
	}
	return "missed"
}

// ---------------------------------------------------------------------------
// One backend

// bench is one server and the clients that drive it.
type bench struct {
	o       opts
	name    string
	dir     string
	store   string // config store setting ("" for SQLite in dir)
	dbPath  string // SQLite file
	pgURL   string // PostgreSQL URL with search_path
	srv     *server.Server
	url     string
	token   string
	client  *http.Client
	expID   string
	res     *backendResult
	profile *os.File
}

func runBackend(o opts, name, pgBase string) *backendResult {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "lathe-bench-tracking-")
	check(err)
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	b := &bench{o: o, name: name, dir: dir, res: &backendResult{name: name, figs: map[string]figure{}}}
	cfg := config.Default(dir)
	cfg.Addr = "127.0.0.1:0"
	if pgBase != "" {
		schema := "lathe_bench_" + lathe.NewID()[:12]
		admin, err := sql.Open("pgx", pgBase)
		check(err)
		_, err = admin.ExecContext(ctx, "CREATE SCHEMA "+schema)
		check(err)
		defer func() {
			if !o.keep {
				_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			}
			_ = admin.Close()
		}()
		u, err := url.Parse(pgBase)
		check(err)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		b.pgURL = u.String()
		cfg.Store = b.pgURL
	}
	b.dbPath = cfg.StorePath()
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: o.serverLogLevel}))
	srv, err := server.New(ctx, cfg, logger)
	check(err)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
		}
	}()
	b.srv, b.url, b.token = srv, srv.URL(), srv.AdminToken()
	n := max(o.conns, o.batchClients) * 2
	b.client = &http.Client{Transport: &http.Transport{
		MaxIdleConns: n, MaxIdleConnsPerHost: n, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
	var out struct {
		ExperimentID string `json:"experiment_id"`
	}
	check(b.call("POST", "/api/2.0/mlflow/experiments/create", []byte(`{"name":"bench"}`), &out))
	b.expID = out.ExperimentID
	fmt.Printf("\n== %s (%s)\n", name, b.where())

	for _, ph := range []struct {
		name string
		fn   func(context.Context)
	}{
		{"logmetric", b.logMetric},
		{"logbatch", b.logBatch},
		{"runget", b.runGet},
		{"history", b.history},
		{"search", b.search},
	} {
		if !o.phases[ph.name] {
			continue
		}
		loads.sample(name + " " + ph.name)
		t := time.Now()
		ph.fn(ctx)
		fmt.Printf("   (%s took %.1f s)\n", ph.name, time.Since(t).Seconds())
	}
	return b.res
}

func (b *bench) where() string {
	if b.pgURL != "" {
		u, _ := url.Parse(b.pgURL)
		return "PostgreSQL " + u.Host + u.Path + ", schema " + u.Query().Get("search_path")
	}
	return "SQLite " + b.dbPath + ", WAL, synchronous=FULL, group commit"
}

// startProfile starts a CPU profile of phase if -cpuprofile is set.
func (b *bench) startProfile(phase string) {
	if b.o.cpuprofile == "" {
		return
	}
	path := fmt.Sprintf("%s-%s-%s.pprof", b.o.cpuprofile, b.name, phase)
	f, err := os.Create(path)
	check(err)
	check(pprof.StartCPUProfile(f))
	b.profile = f
}

func (b *bench) stopProfile() {
	if b.profile == nil {
		return
	}
	pprof.StopCPUProfile()
	check(b.profile.Close())
	fmt.Printf("   profile: %s\n", b.profile.Name())
	b.profile = nil
}

func (b *bench) set(key, value, met string) { b.res.figs[key] = figure{value, met} }

// ---------------------------------------------------------------------------
// HTTP

// do sends a request and returns the body of a 200 answer into buf.
func (b *bench) do(method, path string, body []byte, buf *bytes.Buffer) error {
	return b.doURL(method, b.url+path, body, buf)
}

func (b *bench) doURL(method, u string, body []byte, buf *bytes.Buffer) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, clip(buf.String()))
	}
	return nil
}

// call sends a request and decodes a 200 answer into out (if not nil).
func (b *bench) call(method, path string, body []byte, out any) error {
	var buf bytes.Buffer
	if err := b.do(method, path, body, &buf); err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(buf.Bytes(), out)
	}
	return nil
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func (b *bench) createRun(expID string) string {
	var out struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	check(b.call("POST", "/api/2.0/mlflow/runs/create", fmt.Appendf(nil, `{"experiment_id":%q,"start_time":%d}`, expID, time.Now().UnixMilli()), &out))
	return out.Run.Info.RunID
}

// load runs fn from w goroutines for d and returns the latency of every
// call and the elapsed time. fn gets the worker number and the call number
// within the worker.
func load(d time.Duration, w int, fn func(worker, i int) error) ([]time.Duration, time.Duration) {
	lat := make([][]time.Duration, w)
	var stop atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < w; g++ {
		wg.Go(func() {
			l := make([]time.Duration, 0, 1<<14)
			for i := 0; !stop.Load(); i++ {
				t := time.Now()
				check(fn(g, i))
				l = append(l, time.Since(t))
			}
			lat[g] = l
		})
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return all, elapsed
}

// pct returns the p-th percentile (0..100) of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// ---------------------------------------------------------------------------
// Phases

// logMetric: runs/log-metric with o.conns connections, unique steps, and
// in the same rounds the baselines: a bare net/http handler with the same
// client, the store's LogBatch of one metric called directly (no HTTP, no
// auth, no audit), and raw one-row INSERT transactions through the same
// driver and DSN; and the disk's fsync latency.
func (b *bench) logMetric(ctx context.Context) {
	w := b.o.conns
	runs := make([]string, w)
	for i := range runs {
		if i == 0 || !b.o.sharedRun {
			runs[i] = b.createRun(b.expID)
		} else {
			runs[i] = runs[0]
		}
	}
	steps := make([]int64, w) // per worker; shared run: disjoint ranges
	for i := range steps {
		steps[i] = int64(i) << 32
	}
	body := func(g int) []byte {
		steps[g]++
		return fmt.Appendf(nil, `{"run_id":%q,"key":"loss","value":%g,"timestamp":%d,"step":%d}`,
			runs[g], rand.Float64(), time.Now().UnixMilli(), steps[g])
	}
	bufs := make([]bytes.Buffer, w)
	bare, stopBare := bareServer()
	defer stopBare()
	db, ws := b.openStore(ctx)
	defer db.Close()
	raw := b.openRaw()
	defer raw.close()

	fsync := b.fsyncLatency(max(20, b.o.seqBatches))
	fmt.Printf("   fsync of a 4 KiB append in the data dir: p50 %.2f ms\n", ms(fsync))
	b.set("fsync", fmtMS(ms(fsync)), "")
	var rates, p50s, p99s, bareRates, bareP99s, storeRates, rawRates []float64
	for r := 0; r < b.o.rounds; r++ {
		b.startProfile("logmetric")
		lat, el := load(b.o.duration, w, func(g, i int) error {
			return b.do("POST", "/api/2.0/mlflow/runs/log-metric", body(g), &bufs[g])
		})
		b.stopProfile()
		rate := float64(len(lat)) / el.Seconds()
		rates, p50s, p99s = append(rates, rate), append(p50s, ms(pct(lat, 50))), append(p99s, ms(pct(lat, 99)))
		blat, bel := load(b.o.duration, w, func(g, i int) error {
			return b.doURL("POST", bare+"/api/2.0/mlflow/runs/log-metric", body(g), &bufs[g])
		})
		bareRate := float64(len(blat)) / bel.Seconds()
		bareRates, bareP99s = append(bareRates, bareRate), append(bareP99s, ms(pct(blat, 99)))
		slat, sel := load(b.o.duration, w, func(g, i int) error {
			steps[g]++
			return db.LogBatch(ctx, ws, runs[g], []lathe.Metric{{Key: "loss", Value: rand.Float64(), Timestamp: time.Now().UnixMilli(), Step: steps[g]}}, nil, nil)
		})
		storeRate := float64(len(slat)) / sel.Seconds()
		storeRates = append(storeRates, storeRate)
		rlat, rel := load(b.o.duration, w, func(g, i int) error {
			steps[g]++
			return raw.insert(ctx, runs[g], 1, steps[g])
		})
		rawRate := float64(len(rlat)) / rel.Seconds()
		rawRates = append(rawRates, rawRate)
		fmt.Printf("   log-metric round %d: %.0f req/s, p50 %.2f ms, p99 %.2f ms | bare net/http %.0f req/s (p99 %.2f ms) | store.LogBatch %.0f calls/s (p50 %.2f ms) | raw 1-row txn %.0f/s (p50 %.2f ms)\n",
			r+1, rate, ms(pct(lat, 50)), ms(pct(lat, 99)), bareRate, ms(pct(blat, 99)), storeRate, ms(pct(slat, 50)), rawRate, ms(pct(rlat, 50)))
	}
	rate, p50, p99 := median(rates), median(p50s), median(p99s)
	b.set("lm_rate", fmt.Sprintf("%.0f", rate), metMin(rate, 5000))
	b.set("lm_p50", fmtMS(p50), "")
	b.set("lm_p99", fmtMS(p99), metMax(p99, 10))
	b.set("lm_bare", fmt.Sprintf("%.0f (p99 %s)", median(bareRates), fmtMS(median(bareP99s))), "")
	b.set("lm_store", fmt.Sprintf("%.0f", median(storeRates)), "")
	b.set("lm_raw", fmt.Sprintf("%.0f", median(rawRates)), "")
	b.set("lm_ratio", fmt.Sprintf("%.2f", median(rates)/median(rawRates)), "")
}

// batchBody is a log-batch of n metrics: 10 keys, n/10 consecutive steps
// each from step.
func batchBody(run string, n int, step int64) []byte {
	buf := make([]byte, 0, 64+n*80)
	buf = fmt.Appendf(buf, `{"run_id":%q,"metrics":[`, run)
	ts := time.Now().UnixMilli()
	keys := min(10, n)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"key":"m`...)
		buf = strconv.AppendInt(buf, int64(i%keys), 10)
		buf = append(buf, `","value":`...)
		buf = strconv.AppendFloat(buf, rand.Float64(), 'g', -1, 64)
		buf = append(buf, `,"timestamp":`...)
		buf = strconv.AppendInt(buf, ts, 10)
		buf = append(buf, `,"step":`...)
		buf = strconv.AppendInt(buf, step+int64(i/keys), 10)
		buf = append(buf, '}')
	}
	return append(buf, "]}"...)
}

// rawInserter inserts the rows of a log-batch straight into the metrics
// table, in one transaction per batch, with prepared multi-row INSERTs of
// the same chunk size as the store (200 rows), through the same driver and
// DSN as the store (and its pool size: one connection on SQLite).
type rawInserter struct {
	db    *sql.DB
	ph    func(int) string
	mu    sync.Mutex
	stmts map[int]*sql.Stmt // by rows per statement
}

const rawChunk = 200

func (b *bench) openRaw() *rawInserter {
	raw := &rawInserter{stmts: map[int]*sql.Stmt{}, ph: func(int) string { return "?" }}
	var err error
	if b.pgURL != "" {
		raw.db, err = sql.Open("pgx", b.pgURL)
		check(err)
		raw.db.SetMaxOpenConns(16) // as postgres.Open
		raw.db.SetMaxIdleConns(16)
		raw.ph = func(i int) string { return "$" + strconv.Itoa(i) }
	} else {
		raw.db, err = sql.Open("sqlite", sqlite.DSN(b.dbPath, false))
		check(err)
		raw.db.SetMaxOpenConns(1) // as sqlite.Open's writer
		raw.db.SetMaxIdleConns(1)
	}
	return raw
}

// stmt returns the prepared INSERT of rows rows.
func (r *rawInserter) stmt(ctx context.Context, rows int) (*sql.Stmt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.stmts[rows]; s != nil {
		return s, nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO metrics (run_id, key, step, timestamp, value, is_nan) VALUES `)
	n := 0
	for row := 0; row < rows; row++ {
		if row > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(")
		for c := 0; c < 6; c++ {
			if c > 0 {
				q.WriteString(", ")
			}
			n++
			q.WriteString(r.ph(n))
		}
		q.WriteString(")")
	}
	s, err := r.db.PrepareContext(ctx, q.String())
	if err != nil {
		return nil, err
	}
	r.stmts[rows] = s
	return s, nil
}

func (r *rawInserter) close() {
	for _, s := range r.stmts {
		_ = s.Close()
	}
	_ = r.db.Close()
}

// insert writes n rows like batchBody's in one transaction.
func (r *rawInserter) insert(ctx context.Context, run string, n int, step int64) error {
	// Prepare first: on SQLite the one connection is the transaction's.
	for _, rows := range []int{min(n, rawChunk), n % rawChunk} {
		if rows > 0 {
			if _, err := r.stmt(ctx, rows); err != nil {
				return err
			}
		}
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	ts := time.Now().UnixMilli()
	keys := min(10, n)
	args := make([]any, 0, min(n, rawChunk)*6)
	for start := 0; start < n; start += rawChunk {
		part := min(rawChunk, n-start)
		args = args[:0]
		for i := start; i < start+part; i++ {
			args = append(args, run, "m"+strconv.Itoa(i%keys), step+int64(i/keys), ts, rand.Float64(), false)
		}
		stmt, err := r.stmt(ctx, part)
		if err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// openStore opens a second handle on the server's database, through the
// store API (for seeding and for the store-only baseline).
func (b *bench) openStore(ctx context.Context) (*store.DB, string) {
	var db *store.DB
	var err error
	if b.pgURL != "" {
		db, err = postgres.Open(ctx, b.pgURL)
	} else {
		db, err = sqlite.Open(ctx, b.dbPath)
	}
	check(err)
	ws, err := db.WorkspaceByName(ctx, lathe.DefaultWorkspace)
	check(err)
	return db, ws.ID
}

// fsyncLatency times 4 KiB appends each followed by fsync in the data
// dir: the disk's floor under one durable commit.
func (b *bench) fsyncLatency(n int) time.Duration {
	f, err := os.CreateTemp(b.dir, "fsync-")
	check(err)
	defer os.Remove(f.Name())
	defer f.Close()
	page := make([]byte, 4096)
	var lat []time.Duration
	for i := 0; i < n; i++ {
		t := time.Now()
		_, err := f.Write(page)
		check(err)
		check(f.Sync())
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	return pct(lat, 50)
}

// bareServer is a bare net/http handler that reads the body and answers
// {}: the ceiling of HTTP with this client on this machine.
func bareServer() (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}\n"))
	})}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = hs.Close() }
}

// logBatch: metrics/s through log-batch with o.batchClients clients against
// raw INSERTs of the same rows with as many writers, alternating, then the
// latency of one batch from one client.
func (b *bench) logBatch(ctx context.Context) {
	n, w := b.o.batchSize, b.o.batchClients
	runs := make([]string, w)
	for i := range runs {
		runs[i] = b.createRun(b.expID)
	}
	steps := make([]int64, w)
	rawSteps := make([]int64, w)
	for i := range rawSteps {
		rawSteps[i] = 1 << 40
	}
	bufs := make([]bytes.Buffer, w)
	raw := b.openRaw()
	defer raw.close()
	perBatch := int64(n / min(10, n))
	var rates, rawRates, ratios, p50s []float64
	for r := 0; r < b.o.rounds; r++ {
		b.startProfile("logbatch")
		lat, el := load(b.o.duration, w, func(g, i int) error {
			body := batchBody(runs[g], n, steps[g])
			steps[g] += perBatch
			return b.do("POST", "/api/2.0/mlflow/runs/log-batch", body, &bufs[g])
		})
		b.stopProfile()
		rate := float64(len(lat)*n) / el.Seconds()
		rlat, rel := load(b.o.duration, w, func(g, i int) error {
			err := raw.insert(ctx, runs[g], n, rawSteps[g])
			rawSteps[g] += perBatch
			return err
		})
		rawRate := float64(len(rlat)*n) / rel.Seconds()
		rates, rawRates, ratios = append(rates, rate), append(rawRates, rawRate), append(ratios, rate/rawRate)
		p50s = append(p50s, ms(pct(lat, 50)))
		fmt.Printf("   log-batch round %d: %.0f metrics/s (p50 %.2f ms, p99 %.2f ms); raw INSERT %.0f rows/s (p50 %.2f ms); ratio %.2f\n",
			r+1, rate, ms(pct(lat, 50)), ms(pct(lat, 99)), rawRate, ms(pct(rlat, 50)), rate/rawRate)
	}
	// One client, one batch at a time, alternating with one raw batch.
	var one, rawOne []time.Duration
	for i := 0; i < b.o.seqBatches; i++ {
		body := batchBody(runs[0], n, steps[0])
		steps[0] += perBatch
		t := time.Now()
		check(b.do("POST", "/api/2.0/mlflow/runs/log-batch", body, &bufs[0]))
		one = append(one, time.Since(t))
		t = time.Now()
		check(raw.insert(ctx, runs[0], n, rawSteps[0]))
		rawSteps[0] += perBatch
		rawOne = append(rawOne, time.Since(t))
	}
	slices.Sort(one)
	slices.Sort(rawOne)
	fmt.Printf("   log-batch one client: p50 %.2f ms, p99 %.2f ms over %d batches; raw INSERT of one batch p50 %.2f ms\n",
		ms(pct(one, 50)), ms(pct(one, 99)), len(one), ms(pct(rawOne, 50)))
	b.set("raw_one", fmtMS(ms(pct(rawOne, 50))), "")
	rate, rawRate, ratio := median(rates), median(rawRates), median(ratios)
	b.set("lb_rate", fmt.Sprintf("%.0f", rate), metMin(rate, 200_000))
	b.set("lb_p50c", fmtMS(median(p50s)), "")
	b.set("lb_p50", fmtMS(ms(pct(one, 50))), metMax(ms(pct(one, 50)), 10))
	b.set("lb_p99", fmtMS(ms(pct(one, 99))), "")
	b.set("raw_rate", fmt.Sprintf("%.0f", rawRate), "")
	b.set("lb_ratio", fmt.Sprintf("%.2f", ratio), metMin(ratio, 0.5))
}

// runGet: runs/get of a run with o.params params and 12 metric keys.
func (b *bench) runGet(ctx context.Context) {
	run := b.createRun(b.expID)
	for start := 0; start < b.o.params; start += lathe.MaxBatchParamsTags {
		var ps []string
		for i := start; i < min(start+lathe.MaxBatchParamsTags, b.o.params); i++ {
			ps = append(ps, fmt.Sprintf(`{"key":"param_%03d","value":"value of parameter %d, a typical hyperparameter string"}`, i, i))
		}
		var mets []string
		if start == 0 {
			for k := 0; k < 12; k++ {
				mets = append(mets, fmt.Sprintf(`{"key":"metric_%02d","value":%g,"timestamp":%d,"step":0}`, k, rand.Float64(), time.Now().UnixMilli()))
			}
		}
		check(b.call("POST", "/api/2.0/mlflow/runs/log-batch",
			[]byte(`{"run_id":"`+run+`","params":[`+strings.Join(ps, ",")+`],"metrics":[`+strings.Join(mets, ",")+`]}`), nil))
	}
	path := "/api/2.0/mlflow/runs/get?run_id=" + run
	var buf bytes.Buffer
	check(b.do("GET", path, nil, &buf))
	var got struct {
		Run struct {
			Data struct {
				Params []json.RawMessage `json:"params"`
			} `json:"data"`
		} `json:"run"`
	}
	check(json.Unmarshal(buf.Bytes(), &got))
	if len(got.Run.Data.Params) != b.o.params {
		check(fmt.Errorf("runs/get returned %d params, want %d", len(got.Run.Data.Params), b.o.params))
	}
	size := buf.Len()
	bufs := make([]bytes.Buffer, b.o.conns)
	var rates, p50s, p99s []float64
	b.startProfile("runget")
	for r := 0; r < b.o.rounds; r++ {
		lat, el := load(b.o.duration, b.o.conns, func(w, i int) error {
			return b.do("GET", path, nil, &bufs[w])
		})
		rate := float64(len(lat)) / el.Seconds()
		rates, p50s, p99s = append(rates, rate), append(p50s, ms(pct(lat, 50))), append(p99s, ms(pct(lat, 99)))
		fmt.Printf("   runs/get round %d: %.0f req/s, p50 %.2f ms, p99 %.2f ms (%d KB JSON)\n", r+1, rate, ms(pct(lat, 50)), ms(pct(lat, 99)), size/1024)
	}
	b.stopProfile()
	rate := median(rates)
	b.set("get_rate", fmt.Sprintf("%.0f", rate), metMin(rate, 3000))
	b.set("get_p50", fmtMS(median(p50s)), "")
	b.set("get_p99", fmtMS(median(p99s)), "")
}

// history: a metric of o.historyPoints points logged through log-batch,
// then read back through every page of metrics/get-history, and
// downsampled through the native endpoint.
func (b *bench) history(ctx context.Context) {
	run := b.createRun(b.expID)
	n, w := b.o.historyPoints, b.o.batchClients
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Go(func() {
			var buf bytes.Buffer
			body := make([]byte, 0, 1000*80)
			for {
				first := next.Add(1000) - 1000
				if first >= int64(n) {
					return
				}
				cnt := min(1000, n-int(first))
				body = append(body[:0], `{"run_id":"`+run+`","metrics":[`...)
				ts := time.Now().UnixMilli()
				for i := 0; i < cnt; i++ {
					if i > 0 {
						body = append(body, ',')
					}
					step := first + int64(i)
					body = append(body, `{"key":"loss","value":`...)
					body = strconv.AppendFloat(body, 1/(1+float64(step))+rand.Float64()*0.01, 'g', -1, 64)
					body = append(body, `,"timestamp":`...)
					body = strconv.AppendInt(body, ts, 10)
					body = append(body, `,"step":`...)
					body = strconv.AppendInt(body, step, 10)
					body = append(body, '}')
				}
				body = append(body, "]}"...)
				check(b.do("POST", "/api/2.0/mlflow/runs/log-batch", body, &buf))
			}
		})
	}
	wg.Wait()
	seed := float64(n) / time.Since(start).Seconds()
	fmt.Printf("   seeded %d points in %.1f s (%.0f metrics/s)\n", n, float64(n)/seed, seed)
	b.set("hist_seed", fmt.Sprintf("%.0f", seed), "")

	// All pages. The client reads each page whole but does not decode it,
	// to time the server: it counts the points and finds the page token.
	var buf bytes.Buffer
	tokenKey := []byte(`"next_page_token":"`)
	var walls []float64
	b.startProfile("history")
	for r := 0; r < max(3, b.o.reps/2); r++ {
		t := time.Now()
		token, total, pages := "", 0, 0
		for {
			path := fmt.Sprintf("/api/2.0/mlflow/metrics/get-history?run_id=%s&metric_key=loss&max_results=%d", run, b.o.pageSize)
			if token != "" {
				path += "&page_token=" + url.QueryEscape(token)
			}
			check(b.do("GET", path, nil, &buf))
			pages++
			body := buf.Bytes()
			total += bytes.Count(body, []byte(`"step":`))
			token = ""
			if i := bytes.LastIndex(body, tokenKey); i >= 0 {
				rest := body[i+len(tokenKey):]
				token = string(rest[:bytes.IndexByte(rest, '"')])
			}
			if token == "" {
				break
			}
		}
		wall := time.Since(t)
		if total != n {
			check(fmt.Errorf("get-history returned %d points, want %d", total, n))
		}
		walls = append(walls, wall.Seconds())
		fmt.Printf("   get-history: %d points in %d pages, %.3f s\n", total, pages, wall.Seconds())
	}
	b.stopProfile()
	wall := median(walls)
	b.set("hist_all", fmt.Sprintf("%.3f s", wall), metMax(wall, 1))

	// Downsampled.
	var ds []float64
	path := fmt.Sprintf("/api/v1/workspaces/default/runs/%s/metric-history?key=loss&points=%d", run, b.o.downsample)
	b.startProfile("downsample")
	for r := 0; r < b.o.reps; r++ {
		var out struct {
			Buckets []struct {
				Count int64 `json:"count"`
			} `json:"buckets"`
		}
		t := time.Now()
		check(b.do("GET", path, nil, &buf))
		d := time.Since(t)
		check(json.Unmarshal(buf.Bytes(), &out))
		var total int64
		for _, bk := range out.Buckets {
			total += bk.Count
		}
		if total != int64(n) || len(out.Buckets) > b.o.downsample {
			check(fmt.Errorf("downsample: %d buckets covering %d points, want ≤ %d covering %d", len(out.Buckets), total, b.o.downsample, n))
		}
		ds = append(ds, ms(d))
	}
	b.stopProfile()
	slices.Sort(ds)
	fmt.Printf("   downsampled to %d points: median %.1f ms (min %.1f, max %.1f)\n", b.o.downsample, median(ds), ds[0], ds[len(ds)-1])
	b.set("hist_ds", fmtMS(median(ds)), metMax(median(ds), 50))
}

// search: o.searchRuns runs with o.searchParams params and 5 metrics each,
// written through the store API of a second handle on the same database,
// then runs/search over HTTP with a metric filter and a metric order_by.
func (b *bench) search(ctx context.Context) {
	var out struct {
		ExperimentID string `json:"experiment_id"`
	}
	check(b.call("POST", "/api/2.0/mlflow/experiments/create", []byte(`{"name":"bench-search"}`), &out))
	expID := out.ExperimentID
	db, wsID := b.openStore(ctx)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	base := time.Now().UnixMilli()
	for g := 0; g < 16; g++ {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.o.searchRuns) {
					return
				}
				id := lathe.NewID()
				name := fmt.Sprintf("run-%05d", i)
				info := &lathe.RunInfo{WorkspaceID: wsID, RunID: id, ExperimentID: expID, Name: name, UserID: "bench",
					Status: lathe.RunFinished, StartTime: base + i, ArtifactURI: "mlflow-artifacts:/" + expID + "/" + id + "/artifacts",
					LifecycleStage: lathe.StageActive}
				check(db.CreateRun(ctx, info, []lathe.Tag{{Key: "mlflow.runName", Value: name}, {Key: "mlflow.user", Value: "bench"}}))
				params := make([]lathe.Tag, b.o.searchParams)
				for p := range params {
					params[p] = lathe.Tag{Key: fmt.Sprintf("param_%02d", p), Value: strconv.Itoa(rand.IntN(1000))}
				}
				metrics := []lathe.Metric{
					{Key: "acc", Value: rand.Float64(), Timestamp: base, Step: 10},
					{Key: "loss", Value: rand.Float64(), Timestamp: base, Step: 10},
					{Key: "f1", Value: rand.Float64(), Timestamp: base, Step: 10},
					{Key: "precision", Value: rand.Float64(), Timestamp: base, Step: 10},
					{Key: "recall", Value: rand.Float64(), Timestamp: base, Step: 10},
				}
				check(db.LogBatch(ctx, wsID, id, metrics, params, nil))
			}
		})
	}
	wg.Wait()
	check(db.Close())
	seed := float64(b.o.searchRuns) / time.Since(start).Seconds()
	fmt.Printf("   seeded %d runs × %d params in %.1f s\n", b.o.searchRuns, b.o.searchParams, time.Since(start).Seconds())
	b.set("search_seed", fmt.Sprintf("%.0f", seed), "")

	var buf bytes.Buffer
	for i, m := range strings.Split(b.o.searchMax, ",") {
		maxResults, err := strconv.Atoi(strings.TrimSpace(m))
		check(err)
		body := fmt.Appendf(nil, `{"experiment_ids":[%q],"filter":"metrics.acc > 0.5","order_by":["metrics.loss ASC"],"max_results":%d}`, expID, maxResults)
		// One untimed call to check the answer (and warm the caches).
		var res struct {
			Runs []struct {
				Data struct {
					Metrics []struct {
						Key   string  `json:"key"`
						Value float64 `json:"value"`
					} `json:"metrics"`
					Params []json.RawMessage `json:"params"`
				} `json:"data"`
			} `json:"runs"`
		}
		check(b.call("POST", "/api/2.0/mlflow/runs/search", body, &res))
		if len(res.Runs) == 0 || len(res.Runs) > maxResults || len(res.Runs[0].Data.Params) != b.o.searchParams {
			check(fmt.Errorf("runs/search returned %d runs", len(res.Runs)))
		}
		prev := -1.0
		for _, r := range res.Runs {
			for _, mt := range r.Data.Metrics {
				if mt.Key == "acc" && mt.Value <= 0.5 {
					check(fmt.Errorf("runs/search returned a run with acc %g", mt.Value))
				}
				if mt.Key == "loss" {
					if mt.Value < prev {
						check(fmt.Errorf("runs/search is not ordered by loss"))
					}
					prev = mt.Value
				}
			}
		}
		var ts []float64
		if i == 0 {
			b.startProfile("search")
		}
		for r := 0; r < b.o.reps; r++ {
			t := time.Now()
			check(b.do("POST", "/api/2.0/mlflow/runs/search", body, &buf))
			ts = append(ts, ms(time.Since(t)))
		}
		if i == 0 {
			b.stopProfile()
		}
		slices.Sort(ts)
		fmt.Printf("   runs/search max_results=%d: %d runs, %d KB, median %.1f ms (min %.1f, max %.1f)\n",
			maxResults, len(res.Runs), buf.Len()/1024, median(ts), ts[0], ts[len(ts)-1])
		goal := ""
		if i == 0 {
			goal = metMax(median(ts), 200)
		}
		b.set("search_"+m, fmtMS(median(ts)), goal)
	}
}

// ---------------------------------------------------------------------------
// Helpers

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtMS(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

func human(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// loadSampler records the 1-minute load average at points of the run.
type loadSampler struct {
	mu  sync.Mutex
	at  []string
	val []float64
}

var loads loadSampler

func (l *loadSampler) sample(at string) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	f := strings.Fields(string(b))
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.at, l.val = append(l.at, at), append(l.val, v)
}

func (l *loadSampler) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.val) == 0 {
		return "unknown"
	}
	parts := make([]string, len(l.val))
	for i := range l.val {
		parts[i] = fmt.Sprintf("%s %.2f", l.at[i], l.val[i])
	}
	return fmt.Sprintf("min %.2f, max %.2f (%s)", slices.Min(l.val), slices.Max(l.val), strings.Join(parts, "; "))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
