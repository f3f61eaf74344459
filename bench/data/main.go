// Command data benchmarks creating a uri_folder data version from local
// files, end to end through a real server (issue 5):
//
//   - create: 1,000 files totalling 1 GiB (-files, -size), hashed by the
//     client (both cores, streaming), checked with the server in batches,
//     uploaded 4 at a time, stored durably by the server (hashed again,
//     fsynced) and committed as a manifest;
//   - re-create after changing one file: with the client's hash cache, only
//     that file is read and sent.
//
// Baselines measured in the same run over the same bytes: Go's crypto/sha256
// over the files' bytes held in memory (one core: the hashing limit, and
// both cores), and sha256sum(1) over the files (in the page cache, as are the
// files the create reads). The server's data dir is on the benchmark
// directory's disk and, when /dev/shm exists, on tmpfs, where fsync costs
// nothing, to show the CPU path alone. Each create gets a fresh server and
// data dir.
//
// The files are given a modification time a minute in the past, as data
// that is registered usually is: the hash cache does not trust files
// modified less than a second before they were hashed.
//
// Run it with `go run ./bench/data` (flags: -dir, -files, -size, -runs).
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/data/upload"
	"github.com/latheml/lathe/internal/server"
)

func main() {
	var (
		dir   = flag.String("dir", os.TempDir(), "directory for the files and the disk data dir")
		files = flag.Int("files", 1000, "files in the folder")
		size  = flag.Int64("size", 1<<30, "total bytes of the files")
		runs  = flag.Int("runs", 3, "timed runs of each measurement; the median and the best are reported")
		prof  = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	)
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/data:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), *dir, *files, *size, *runs); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/data:", err)
		os.Exit(1)
	}
}

type timing struct {
	name  string
	bytes int64
	ds    []time.Duration
	cpu   []time.Duration // user+system CPU time of this process (client and server)
	extra []string
}

func (t *timing) medianCPU() time.Duration {
	s := slices.Clone(t.cpu)
	slices.Sort(s)
	return s[len(s)/2]
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (t *timing) add(d time.Duration) { t.ds = append(t.ds, d) }

func (t *timing) median() time.Duration {
	s := slices.Clone(t.ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func (t *timing) best() time.Duration { return slices.Min(t.ds) }

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

func run(ctx context.Context, dir string, nfiles int, size int64, runs int) error {
	work, err := os.MkdirTemp(dir, "lathe-bench-data-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	src := filepath.Join(work, "folder")
	per := size / int64(nfiles)
	fmt.Printf("writing %d files of %d bytes to %s\n", nfiles, per, src)
	paths, mem, err := writeFiles(src, nfiles, per)
	if err != nil {
		return err
	}
	total := per * int64(nfiles)

	memHash := &timing{name: "sha256 in memory, 1 core", bytes: total}
	memHash2 := &timing{name: "sha256 in memory, 2 cores", bytes: total}
	sum := &timing{name: "sha256sum over the files", bytes: total}
	targets := []string{filepath.Join(work, "disk")}
	if err := os.MkdirAll(targets[0], 0o755); err != nil {
		return err
	}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		shm, err := os.MkdirTemp("/dev/shm", "lathe-bench-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(shm)
		targets = append(targets, shm)
	}
	clientOnly := &timing{name: "client side alone (hash, check, send to a null server)", bytes: total}
	creates := make([]*timing, len(targets))
	recreates := make([]*timing, len(targets))
	for i, tg := range targets {
		kind := "disk"
		if strings.HasPrefix(tg, "/dev/shm") {
			kind = "tmpfs"
		}
		creates[i] = &timing{name: "create, server data dir on " + kind, bytes: total}
		recreates[i] = &timing{name: "re-create after changing one file, " + kind, bytes: total}
	}
	for r := range runs {
		fmt.Printf("round %d/%d\n", r+1, runs)
		c0 := cpuTime()
		memHash.add(hashMemory(mem, 1))
		memHash.cpu = append(memHash.cpu, cpuTime()-c0)
		memHash2.add(hashMemory(mem, 2))
		d, err := sha256sum(paths)
		if err != nil {
			return err
		}
		sum.add(d)
		c0 = cpuTime()
		d, err = clientSide(ctx, src)
		if err != nil {
			return err
		}
		clientOnly.add(d)
		clientOnly.cpu = append(clientOnly.cpu, cpuTime()-c0)
		for i, tg := range targets {
			first, firstCPU, again, sent, err := createTwice(ctx, tg, src, paths[r%len(paths)], per)
			if err != nil {
				return err
			}
			creates[i].add(first)
			creates[i].cpu = append(creates[i].cpu, firstCPU)
			recreates[i].add(again)
			recreates[i].extra = append(recreates[i].extra, fmt.Sprintf("sent %d bytes, %.1f%% of the first create's time", sent, 100*again.Seconds()/first.Seconds()))
		}
	}

	fmt.Printf("\n%d files, %d bytes, %d runs; GOMAXPROCS %d; load average %s\n\n", nfiles, total, runs, runtime.GOMAXPROCS(0), loadavg())
	fmt.Println("| measurement | median MB/s | best MB/s | median time |")
	fmt.Println("|---|---:|---:|---:|")
	all := append([]*timing{memHash, memHash2, sum, clientOnly}, creates...)
	for _, t := range all {
		fmt.Printf("| %s | %.0f | %.0f | %s |\n", t.name, mbps(t.bytes, t.median()), mbps(t.bytes, t.best()), t.median().Round(time.Millisecond))
	}
	for _, t := range recreates {
		fmt.Printf("| %s | — | — | %s |\n", t.name, t.median().Round(time.Millisecond))
	}
	fmt.Println()
	fmt.Println("| ratio | median | best |")
	fmt.Println("|---|---:|---:|")
	for _, c := range append([]*timing{clientOnly}, creates...) {
		fmt.Printf("| %s / sha256 in memory (1 core) | %.2f | %.2f |\n", c.name, memHash.median().Seconds()/c.median().Seconds(), memHash.best().Seconds()/c.best().Seconds())
		fmt.Printf("| %s / sha256sum | %.2f | %.2f |\n", c.name, sum.median().Seconds()/c.median().Seconds(), sum.best().Seconds()/c.best().Seconds())
	}
	for i, r := range recreates {
		fmt.Printf("| %s / first create (goal ≤ 0.05) | %.3f | %.3f |\n", r.name, r.median().Seconds()/creates[i].median().Seconds(), r.best().Seconds()/creates[i].best().Seconds())
	}
	fmt.Println()
	fmt.Println("CPU time (user+system, client and in-process server), load-independent:")
	fmt.Println()
	fmt.Println("| measurement | median CPU s | CPU s per GiB | 2-core bound MB/s | bound / sha256 in memory |")
	fmt.Println("|---|---:|---:|---:|---:|")
	gib := float64(total) / (1 << 30)
	memMBps := mbps(total, memHash.medianCPU())
	fmt.Printf("| %s | %.2f | %.2f | %.0f | 1.00 |\n", memHash.name, memHash.medianCPU().Seconds(), memHash.medianCPU().Seconds()/gib, memMBps)
	for _, c := range append([]*timing{clientOnly}, creates...) {
		bound := mbps(total, c.medianCPU()/2)
		fmt.Printf("| %s | %.2f | %.2f | %.0f | %.2f |\n", c.name, c.medianCPU().Seconds(), c.medianCPU().Seconds()/gib, bound, bound/memMBps)
	}
	for _, r := range recreates {
		fmt.Printf("\n%s: %s\n", r.name, strings.Join(r.extra, "; "))
	}
	return nil
}

// writeFiles writes n files of per random bytes in 10 folders, dated a
// minute ago, and returns their paths and their bytes.
func writeFiles(dir string, n int, per int64) ([]string, [][]byte, error) {
	var paths []string
	var mem [][]byte
	past := time.Now().Add(-time.Minute)
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("part-%d", i%10))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, nil, err
		}
		b := make([]byte, per)
		_, _ = rand.Read(b)
		p := filepath.Join(sub, fmt.Sprintf("%05d.bin", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, nil, err
		}
		if err := os.Chtimes(p, past, past); err != nil {
			return nil, nil, err
		}
		paths, mem = append(paths, p), append(mem, b)
	}
	return paths, mem, nil
}

// hashMemory hashes each buffer with workers goroutines.
func hashMemory(mem [][]byte, workers int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(mem); i += workers {
				s := sha256.Sum256(mem[i])
				_ = s
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

func sha256sum(paths []string) (time.Duration, error) {
	start := time.Now()
	cmd := exec.Command("sha256sum", paths...)
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("sha256sum: %w", err)
	}
	return time.Since(start), nil
}

// createTwice starts a fresh server with its data dir under target,
// creates a version of src with a fresh hash cache, changes the file
// `change` (same size, new bytes), creates again, and returns both times
// and the bytes the second create sent.
func createTwice(ctx context.Context, target, src, change string, per int64) (first, firstCPU, again time.Duration, sent int64, err error) {
	home, err := os.MkdirTemp(target, "run-")
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer os.RemoveAll(home)
	cfg := config.Default(filepath.Join(home, "server"))
	cfg.Addr = "127.0.0.1:0"
	cfg.LogLevel = "warn"
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	srv, err := server.New(sctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, 0, 0, 0, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()
	defer func() { stop(); <-done }()
	c, err := client.New(srv.URL(), srv.AdminToken(), nil)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	cacheDir := filepath.Join(home, "cache")
	create := func() (time.Duration, upload.Stats, error) {
		start := time.Now()
		files, err := upload.Scan(src, lathe.DataURIFolder)
		if err != nil {
			return 0, upload.Stats{}, err
		}
		cache, err := upload.OpenCache(cacheDir)
		if err != nil {
			return 0, upload.Stats{}, err
		}
		rem := remote{c}
		m, st, err := upload.Run(ctx, files, rem, upload.Options{Cache: cache})
		if err != nil {
			return 0, st, err
		}
		if _, err := c.CreateDataVersion(ctx, lathe.DefaultWorkspace, "bench", client.VersionSpec{Type: lathe.DataURIFolder, Manifest: m}); err != nil {
			return 0, st, err
		}
		return time.Since(start), st, nil
	}
	c0 := cpuTime()
	first, st, err := create()
	firstCPU = cpuTime() - c0
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if st.SentBytes != st.Bytes {
		return 0, 0, 0, 0, fmt.Errorf("first create sent %d of %d bytes", st.SentBytes, st.Bytes)
	}
	b := make([]byte, per)
	_, _ = rand.Read(b)
	if err := os.WriteFile(change, b, 0o644); err != nil {
		return 0, 0, 0, 0, err
	}
	past := time.Now().Add(-time.Minute)
	if err := os.Chtimes(change, past, past); err != nil {
		return 0, 0, 0, 0, err
	}
	again, st, err = create()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if st.SentFiles != 1 || st.HashedFiles != 1 {
		return 0, 0, 0, 0, fmt.Errorf("re-create hashed %d and sent %d files, want 1 and 1", st.HashedFiles, st.SentFiles)
	}
	return first, firstCPU, again, st.SentBytes, nil
}

// nullRemote is a server on another machine, reduced to reading what it is
// sent: it holds nothing, so every content is sent.
type nullRemote struct{}

func (nullRemote) Exists(_ context.Context, ds []lathe.Digest) ([]bool, error) {
	return make([]bool, len(ds)), nil
}

func (nullRemote) Put(_ context.Context, _ lathe.Digest, _ int64, r io.Reader) error {
	// A copy through a 1 MiB buffer, like a socket write of the bytes.
	_, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, r, make([]byte, 1<<20))
	return err
}

// clientSide times the client's pipeline alone, without a hash cache.
func clientSide(ctx context.Context, src string) (time.Duration, error) {
	start := time.Now()
	files, err := upload.Scan(src, lathe.DataURIFolder)
	if err != nil {
		return 0, err
	}
	if _, _, err := upload.Run(ctx, files, nullRemote{}, upload.Options{}); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

type remote struct{ c *client.Client }

func (r remote) Exists(ctx context.Context, ds []lathe.Digest) ([]bool, error) {
	return r.c.BlobsExist(ctx, lathe.DefaultWorkspace, ds)
}

func (r remote) Put(ctx context.Context, d lathe.Digest, size int64, rd io.Reader) error {
	_, err := r.c.PutBlob(ctx, lathe.DefaultWorkspace, rd, size, d)
	return err
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
