// Command profile benchmarks Lathe's streaming table profiles
// (internal/profile, issue 5) against pandas, measured in the same run:
// pandas.read_csv followed by DataFrame.describe(include='all'), from Debian's
// python3-pandas, on the same files.
//
// Data: the bank-marketing training CSV (30k rows × 21 columns, decompressed
// from internal/demo/data to a temporary file) and a generated CSV of mixed
// int, float, text, bool and timestamp columns with nulls (20 columns, seeded)
// at 30,000 rows and at -rows rows (1,000,000 by default), so that peak memory
// can be compared across row counts with the same columns.
//
// Every measurement runs in a child process — this program re-run with
// -child, or python3 on pandas_baseline.py — which reports its wall and CPU
// time and its peak RSS (VmHWM from /proc/self/status). Lathe and pandas runs
// alternate, -runs times each; the best and the median are reported. The same
// runs cross-check Lathe's figures against pandas' describe().
//
// Usage, from the repository root:
//
//	go run ./bench/profile [-rows 1000000] [-runs 3] [-write]
//
// -write replaces the "Tabular profiles (issue 5)" section of bench/RESULTS.md.
package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/latheml/lathe/internal/profile"
)

type options struct {
	rows    int
	runs    int
	python  string
	dir     string
	data    string
	results string
	write   bool
}

func main() {
	var o options
	flag.IntVar(&o.rows, "rows", 1_000_000, "rows of the large generated CSV")
	flag.IntVar(&o.runs, "runs", 3, "runs of each side on each file")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with pandas (Debian's python3-pandas)")
	flag.StringVar(&o.dir, "dir", os.TempDir(), "directory for the CSV files")
	flag.StringVar(&o.data, "data", "internal/demo/data/bank_marketing_train.csv.gz", "the bank-marketing CSV, gzip-compressed")
	flag.StringVar(&o.results, "results", "bench/RESULTS.md", "results file to update with -write")
	flag.BoolVar(&o.write, "write", false, "replace this benchmark's section of -results")
	child := flag.String("child", "", "internal: profile this CSV, print a measurement and exit")
	childNone := flag.Bool("child-none", false, "internal: print the peak RSS of a child that profiles nothing")
	childProf := flag.Bool("child-profile", false, "internal: include the profile in the child's output")
	flag.Parse()
	ctx := context.Background()
	if *child != "" || *childNone {
		if err := childProfile(ctx, *child, *childProf); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/profile:", err)
		os.Exit(1)
	}
}

// dataset is one CSV file benchmarked on both sides.
type dataset struct {
	name   string
	path   string
	size   int64
	lathe  []measurement
	pandas []measurement
}

func run(ctx context.Context, o options) error {
	work, err := os.MkdirTemp(o.dir, "lathe-bench-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	rep := &report{
		date:     time.Now().UTC(),
		loadFrom: loadAvg(),
		cpu:      cpuModel(),
		goVer:    runtime.Version(),
		nproc:    runtime.NumCPU(),
		rows:     o.rows,
		runs:     o.runs,
	}
	bank := filepath.Join(work, "bank_marketing_train.csv")
	if err := gunzip(o.data, bank); err != nil {
		return err
	}
	small := filepath.Join(work, "synth_30k.csv")
	large := filepath.Join(work, fmt.Sprintf("synth_%d.csv", o.rows))
	fmt.Printf("generating %s and %s\n", small, large)
	if err := writeSynth(small, 30_000, 1); err != nil {
		return err
	}
	if err := writeSynth(large, o.rows, 1); err != nil {
		return err
	}
	rep.sets = []*dataset{
		{name: "bank marketing (21 columns)", path: bank},
		{name: "generated, 20 mixed columns", path: small},
		{name: "generated, 20 mixed columns", path: large},
	}
	script := scriptPath()
	for _, ds := range rep.sets {
		fi, err := os.Stat(ds.path)
		if err != nil {
			return err
		}
		ds.size = fi.Size()
		for i := range o.runs {
			lathe := func() error {
				m, err := runLathe(ctx, ds.path, true)
				ds.lathe = append(ds.lathe, m)
				return err
			}
			pandas := func() error {
				m, err := runPandas(ctx, o.python, script, ds.path, true)
				ds.pandas = append(ds.pandas, m)
				return err
			}
			first, second := lathe, pandas
			if i%2 == 1 {
				first, second = pandas, lathe
			}
			if err := first(); err != nil {
				return err
			}
			if err := second(); err != nil {
				return err
			}
			l, p := ds.lathe[len(ds.lathe)-1], ds.pandas[len(ds.pandas)-1]
			fmt.Printf("%-40s run %d: lathe %.3f s (%.0f MiB), pandas %.3f s (%.0f MiB)\n",
				filepath.Base(ds.path), i+1, l.Seconds, mib(l.VmHWMKiB), p.Seconds, mib(p.VmHWMKiB))
		}
		if ds.lathe[0].Rows != ds.pandas[0].Rows {
			return fmt.Errorf("%s: lathe counted %d rows, pandas %d", ds.path, ds.lathe[0].Rows, ds.pandas[0].Rows)
		}
	}
	idle, err := runLathe(ctx, "", false)
	if err != nil {
		return err
	}
	rep.idleKiB = idle.VmHWMKiB
	for _, ds := range rep.sets {
		cc, err := crossCheck(ds)
		if err != nil {
			return err
		}
		rep.checks = append(rep.checks, cc)
	}
	rep.pandasVer = rep.sets[0].pandas[0].Pandas
	if out, err := exec.Command(o.python, "--version").Output(); err == nil {
		rep.pythonVer = strings.TrimSpace(string(out))
	}
	rep.loadTo = loadAvg()
	section := rep.markdown()
	fmt.Println()
	fmt.Print(section)
	if o.write {
		if err := writeSection(o.results, section); err != nil {
			return err
		}
		fmt.Printf("\nwrote the section to %s\n", o.results)
	}
	return nil
}

// check is the agreement of Lathe's profile with pandas' describe().
type check struct {
	numeric, text int      // columns compared
	maxStat       float64  // largest |Δ| of mean and std, relative to the value
	maxQuant      float64  // largest |Δ| of p25/p50/p75, relative to max - min
	textEqual     int      // text columns with equal distinct, top and freq
	maxDistinct   float64  // largest relative |Δ| of distinct counts
	approx        int      // columns whose distinct count is a sketch estimate
	differ        []string // text columns whose distinct, top or freq differ
}

func crossCheck(ds *dataset) (check, error) {
	var c check
	var p profile.Profile
	if err := json.Unmarshal([]byte(ds.lathe[0].ProfileJSON), &p); err != nil {
		return c, err
	}
	pd := ds.pandas[0].Columns
	rel := func(a, b, scale float64) float64 {
		if scale == 0 {
			scale = 1
		}
		d := (a - b) / scale
		if d < 0 {
			d = -d
		}
		return d
	}
	for _, col := range p.Columns {
		want, ok := pd[col.Name]
		if !ok {
			return c, fmt.Errorf("%s: pandas has no column %q", ds.path, col.Name)
		}
		if col.DistinctApproximate {
			c.approx++
		}
		switch {
		case col.Type.Numeric() && want.Mean != nil && col.Mean != nil:
			c.numeric++
			c.maxStat = max(c.maxStat, rel(*col.Mean, *want.Mean, *want.Mean), rel(*col.Std, *want.Std, *want.Std))
			span := *want.Max - *want.Min
			q := col.Quantiles
			c.maxQuant = max(c.maxQuant, rel(q.P25, *want.P25, span), rel(q.P50, *want.P50, span), rel(q.P75, *want.P75, span))
		case col.Type == profile.TypeString && want.Unique != nil:
			c.text++
			c.maxDistinct = max(c.maxDistinct, rel(float64(col.Distinct), float64(*want.Unique), float64(*want.Unique)))
			if col.Distinct == *want.Unique && len(col.TopK) > 0 && col.TopK[0].Value == want.Top && col.TopK[0].Count == want.Freq {
				c.textEqual++
			} else {
				top := profile.ValueCount{}
				if len(col.TopK) > 0 {
					top = col.TopK[0]
				}
				approx := ""
				if col.TopKApproximate {
					approx = fmt.Sprintf(" with error ≤ %d", top.Error)
				}
				c.differ = append(c.differ, fmt.Sprintf("`%s` (Lathe %d distinct, top %q × %d%s; pandas %d, %q × %d)",
					col.Name, col.Distinct, top.Value, top.Count, approx, *want.Unique, want.Top, want.Freq))
			}
		}
	}
	return c, nil
}

func gunzip(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("%w (run from the repository root, or pass -data)", err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	if _, err := io.Copy(out, zr); err != nil {
		return err
	}
	return out.Close()
}

// scriptPath finds pandas_baseline.py next to this source file, or under
// bench/profile of the working directory.
func scriptPath() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "pandas_baseline.py")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join("bench", "profile", "pandas_baseline.py")
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// stats returns the best (smallest) and the median of xs.
func stats(xs []float64) (best, median float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[0], s[len(s)/2]
}
