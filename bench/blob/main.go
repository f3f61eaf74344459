// Command blob benchmarks the file blob store's Put against baselines
// measured in the same run, and prints the ratios (issue 2):
//
//   - Go's crypto/sha256 over the same number of bytes in memory: a 256 MiB
//     buffer hashed 4 times for 1 GiB, so the benchmark needs little memory;
//   - sha256sum(1) over the source file;
//   - writing the same bytes to a file from a 1 MiB buffer and fsyncing it:
//     the disk's durable write speed, which bounds a durable Put.
//
// Put reads a 1 GiB file of pseudo-random bytes (in the page cache, as are the
// baselines' inputs) into a store on the benchmark directory's file system,
// and, when /dev/shm exists, into a store on tmpfs, where fsync costs nothing,
// to show the CPU path alone. Then a child process (this program re-run with
// -child) Puts 2 GiB from the same file and reports its peak RSS (VmHWM).
//
// Each measurement runs -runs times; the median and the best are printed, the
// best being the least disturbed by other load on a shared machine.
//
// Run it with `go run ./bench/blob` (flags: -dir, -size, -rss-size, -runs,
// -cpuprofile).
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/latheml/lathe/internal/blob"
	"github.com/latheml/lathe/internal/blob/file"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

func main() {
	var (
		dir       = flag.String("dir", os.TempDir(), "directory for the source file and the disk store")
		size      = flag.Int64("size", gib, "bytes in the Put benchmark")
		rssSize   = flag.Int64("rss-size", 2*gib, "bytes in the child Put whose peak RSS is measured")
		runs      = flag.Int("runs", 3, "timed runs of each measurement; the median and the best are reported")
		profile   = flag.String("cpuprofile", "", "write a CPU profile of the tmpfs Put runs to this file")
		childSrc  = flag.String("child", "", "internal: Put this file, repeated to -rss-size bytes, and exit")
		childRoot = flag.String("child-root", "", "internal: the store directory of -child")
	)
	flag.Parse()
	ctx := context.Background()
	if *childSrc != "" {
		if err := child(ctx, *childSrc, *childRoot, *rssSize); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, *dir, *size, *rssSize, *runs, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "bench/blob:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, size, rssSize int64, runs int, profile string) error {
	work, err := os.MkdirTemp(dir, "lathe-bench-blob-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	src := filepath.Join(work, "source")
	fmt.Printf("writing %d MiB of pseudo-random bytes to %s\n", size/mib, src)
	if err := writeSource(src, size); err != nil {
		return err
	}

	mem, err := measure(runs, func() (float64, error) { return hashInMemory(size), nil })
	if err != nil {
		return err
	}
	sum, sumDigest, err := sha256sum(src, size, runs)
	if err != nil {
		return err
	}
	disk, err := measure(runs, func() (float64, error) { return writeAndSync(filepath.Join(work, "disk"), size) })
	if err != nil {
		return err
	}
	put, putDigest, err := measurePut(ctx, filepath.Join(work, "store"), src, size, runs)
	if err != nil {
		return err
	}
	if putDigest != "sha256:"+sumDigest {
		return fmt.Errorf("put digest %s differs from sha256sum's %s", putDigest, sumDigest)
	}
	var shm result
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		shmWork, err := os.MkdirTemp("/dev/shm", "lathe-bench-blob-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(shmWork)
		if profile != "" {
			pf, err := os.Create(profile)
			if err != nil {
				return err
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return err
			}
		}
		shm, _, err = measurePut(ctx, shmWork, src, size, runs)
		pprof.StopCPUProfile()
		if err != nil {
			return err
		}
	}

	fmt.Printf("\n%d MiB, %d runs each              median MB/s   best MB/s\n", size/mib, runs)
	row := func(name string, r result) { fmt.Printf("%-36s %11.0f %11.0f\n", name, r.median, r.best) }
	row("sha256 in memory (256 MiB buf x4)", mem)
	row("sha256sum on the file", sum)
	row("write + fsync the same bytes", disk)
	row("file store Put (disk, fsync)", put)
	if shm.best > 0 {
		row("file store Put (tmpfs /dev/shm)", shm)
	}
	fmt.Printf("\nratio                                     median        best\n")
	ratio := func(name string, a, b result) {
		fmt.Printf("%-36s %11.2f %11.2f\n", name, a.median/b.median, a.best/b.best)
	}
	ratio("Put(disk) / sha256 in memory", put, mem)
	ratio("Put(disk) / sha256sum", put, sum)
	ratio("Put(disk) / write + fsync", put, disk)
	if shm.best > 0 {
		ratio("Put(tmpfs) / sha256 in memory", shm, mem)
	}

	base, err := childRSS(work, src, 0)
	if err != nil {
		return err
	}
	peak, err := childRSS(work, src, rssSize)
	if err != nil {
		return err
	}
	fmt.Printf("\npeak RSS of a child process Putting %d MiB: %.1f MiB (the same child Putting nothing: %.1f MiB)\n",
		rssSize/mib, float64(peak)/mib, float64(base)/mib)
	return nil
}

// writeSource writes size pseudo-random bytes to path and fsyncs them, so
// the measurements that follow do not pay for its writeback.
func writeSource(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyBuffer(f, io.LimitReader(rand.NewChaCha8([32]byte{1}), size), make([]byte, mib)); err != nil {
		return fmt.Errorf("write source: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync source: %w", err)
	}
	return f.Close()
}

// hashInMemory hashes size bytes from a 256 MiB buffer and returns MB/s.
func hashInMemory(size int64) float64 {
	buf := make([]byte, min(size, 256*mib))
	_, _ = rand.NewChaCha8([32]byte{2}).Read(buf)
	h := sha256.New()
	start := time.Now()
	for left := size; left > 0; left -= int64(len(buf)) {
		h.Write(buf[:min(left, int64(len(buf)))])
	}
	h.Sum(nil)
	return rate(size, time.Since(start))
}

// sha256sum times sha256sum(1) on path and returns MB/s and the hex digest.
func sha256sum(path string, size int64, runs int) (result, string, error) {
	var digest string
	r, err := measure(runs, func() (float64, error) {
		start := time.Now()
		out, err := exec.Command("sha256sum", path).Output()
		if err != nil {
			return 0, fmt.Errorf("sha256sum: %w", err)
		}
		d := time.Since(start)
		digest, _, _ = strings.Cut(string(out), " ")
		return rate(size, d), nil
	})
	return r, digest, err
}

// writeAndSync writes size bytes to path from a 1 MiB buffer, fsyncs and
// removes the file, and returns MB/s.
func writeAndSync(path string, size int64) (float64, error) {
	buf := make([]byte, mib)
	_, _ = rand.NewChaCha8([32]byte{3}).Read(buf)
	start := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	for left := size; left > 0; left -= mib {
		if _, err := f.Write(buf[:min(left, mib)]); err != nil {
			return 0, err
		}
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return rate(size, time.Since(start)), nil
}

// measurePut times Put of the file src into a store at root, deleting the
// blob after each run so every run writes it, and returns MB/s and the
// digest.
func measurePut(ctx context.Context, root, src string, size int64, runs int) (result, string, error) {
	s, err := file.New(ctx, root)
	if err != nil {
		return result{}, "", err
	}
	var digest string
	r, err := measure(runs, func() (float64, error) {
		f, err := os.Open(src)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		start := time.Now()
		info, err := s.Put(ctx, f, blob.PutOptions{})
		if err != nil {
			return 0, err
		}
		d := time.Since(start)
		digest = string(info.Digest)
		if info.Size != size {
			return 0, fmt.Errorf("put stored %d bytes, want %d", info.Size, size)
		}
		return rate(size, d), s.Delete(ctx, info.Digest)
	})
	return r, digest, err
}

// childRSS runs this program with -child to Put size bytes and returns the
// child's peak resident set size in bytes, which the child reads from VmHWM
// in /proc/self/status as it exits. The child's rusage is no good here: Linux
// carries the parent's peak RSS over into the child's ru_maxrss through fork
// and exec, so it would report this process's 256 MiB hashing buffer.
func childRSS(work, src string, size int64) (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	root := filepath.Join(work, fmt.Sprint("rss-store-", size))
	cmd := exec.Command(exe, "-child", src, "-child-root", root, "-rss-size", fmt.Sprint(size))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("child Put of %d bytes: %w", size, err)
	}
	var kib int64
	if _, err := fmt.Sscanf(string(out), "VmHWM %d", &kib); err != nil {
		return 0, fmt.Errorf("child Put of %d bytes printed %q: %w", size, out, err)
	}
	return kib * 1024, nil
}

// peakRSS returns this process's peak resident set size in KiB (VmHWM).
func peakRSS() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			_, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kib)
			return kib, err
		}
	}
	return 0, errors.New("peak RSS: no VmHWM in /proc/self/status")
}

// child Puts the file src, read again and again up to size bytes, into a
// store at root.
func child(ctx context.Context, src, root string, size int64) error {
	s, err := file.New(ctx, root)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	var readers []io.Reader
	for left := size; left > 0; left -= fi.Size() {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		readers = append(readers, io.LimitReader(f, left))
	}
	info, err := s.Put(ctx, io.MultiReader(readers...), blob.PutOptions{})
	if err != nil {
		return err
	}
	if info.Size != size {
		return fmt.Errorf("put stored %d bytes, want %d", info.Size, size)
	}
	kib, err := peakRSS()
	if err != nil {
		return err
	}
	fmt.Printf("VmHWM %d\n", kib)
	return nil
}

// result is a throughput measured several times.
type result struct {
	median, best float64 // MB/s
}

// measure runs fn runs times and returns the median and best of its results.
// Each run starts with no dirty pages left by the one before.
func measure(runs int, fn func() (float64, error)) (result, error) {
	var rates []float64
	for range runs {
		syscall.Sync()
		r, err := fn()
		if err != nil {
			return result{}, err
		}
		rates = append(rates, r)
	}
	slices.Sort(rates)
	return result{median: rates[len(rates)/2], best: rates[len(rates)-1]}, nil
}

func rate(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }
