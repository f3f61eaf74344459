// Command pipeline measures the pure pipeline engine (internal/pipeline,
// issue 7): the ready-set computation on a 10,000-step random DAG (goal
// ≤ 100 ms), the engine's own per-step cost when a run is driven to
// completion step by step, for that DAG and for a 200-step fan-out/fan-in
// DAG, and the layered layout (and SVG) of 200 steps. Only the engine is
// timed: no jobs, processes, store or HTTP; the end-to-end goal
// (≤ 20 ms orchestration overhead per step) is measured elsewhere, and this
// is the engine's share of it.
//
// Usage, from the repository root:
//
//	go run ./bench/pipeline [-runs 25] [-seed 1] [-append]
//
// -append adds a "Pipeline engine (issue 7)" section to the end of
// bench/RESULTS.md (one write to the file opened for appending, so
// sections other programs append are kept).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/latheml/lathe/internal/pipeline"
)

type options struct {
	runs    int
	seed    uint64
	results string
	append  bool
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 25, "repetitions of each measurement; the median and the worst are reported")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the random DAGs")
	flag.StringVar(&o.results, "results", "bench/RESULTS.md", "results file for -append")
	flag.BoolVar(&o.append, "append", false, "append this run's section to -results")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/pipeline:", err)
		os.Exit(1)
	}
}

// row is one line of the results table.
type row struct {
	what        string
	graph       string
	median, max time.Duration
	per         string // per-step figure, when meaningful
	goal        string
}

func run(o options) error {
	rng := rand.New(rand.NewPCG(o.seed, 7))
	big, err := randomDAG(rng, 10_000, 3, 200)
	if err != nil {
		return err
	}
	fan, err := fanOutIn(200)
	if err != nil {
		return err
	}
	small, err := randomDAG(rng, 200, 2, 30)
	if err != nil {
		return err
	}
	bigName := fmt.Sprintf("random, %d steps, %d edges", big.Len(), big.Edges())
	fanName := fmt.Sprintf("fan-out/fan-in, %d steps, %d edges", fan.Len(), fan.Edges())
	smallName := fmt.Sprintf("random, %d steps, %d edges", small.Len(), small.Edges())

	var rows []row
	add := func(what, graph string, n int, goal string, f func()) {
		d := measure(o.runs, f)
		r := row{what: what, graph: graph, median: d[len(d)/2], max: d[len(d)-1], goal: goal}
		if n > 0 {
			r.per = fmt.Sprintf("%.2f µs", float64(r.median.Nanoseconds())/float64(n)/1e3)
		}
		rows = append(rows, r)
		fmt.Printf("%-44s %-40s median %-12v max %-12v %s\n", what, graph, r.median, r.max, r.per)
	}

	var edges [][2]int
	for i := range big.Len() {
		for _, d := range big.Deps(i) {
			edges = append(edges, [2]int{d, i})
		}
	}
	add("build the graph (NewIndexed, cycle check)", bigName, 0, "", func() {
		if _, err := pipeline.NewIndexed(big.Len(), edges); err != nil {
			panic(err)
		}
	})
	pending := make([]pipeline.State, big.Len())
	add("full ready set, nothing run yet (Ready)", bigName, 0, "≤ 100 ms", func() { pipeline.Ready(big, pending) })
	half := halfDone(big)
	add("full ready set, half the steps completed", bigName, 0, "≤ 100 ms", func() { pipeline.Ready(big, half) })
	add("full recompute to resume a run (NewRun)", bigName, 0, "", func() {
		if _, err := pipeline.NewRun(big, pipeline.Options{}, half); err != nil {
			panic(err)
		}
	})
	add("run to completion, step by step (Run)", bigName, big.Len(), "", func() { simulate(big) })
	add("run to completion, step by step (Run)", fanName, fan.Len(), "", func() { simulate(fan) })
	add("run to completion, full Ready after each end", fanName, fan.Len(), "", func() { simulateFull(fan) })
	add("layout (NewLayout)", fanName, 0, "", func() { pipeline.NewLayout(fan, pipeline.LayoutOptions{}) })
	add("layout (NewLayout)", smallName, 0, "", func() { pipeline.NewLayout(small, pipeline.LayoutOptions{}) })
	smallLayout := pipeline.NewLayout(small, pipeline.LayoutOptions{})
	var svgSize int
	add("SVG of the laid-out graph", smallName, 0, "", func() {
		svgSize = len(pipeline.SVG(smallLayout, nil, func(s string) string { return "/jobs/p?step=" + s }))
	})
	fmt.Printf("crossings of the %s layout: %d before the sweeps, %d after; SVG %d bytes\n",
		smallName, smallLayout.InitialCrossings, smallLayout.Crossings, svgSize)

	section := report(o, rows, smallLayout, pipeline.NewLayout(fan, pipeline.LayoutOptions{}).Crossings, svgSize)
	if !o.append {
		fmt.Print("\n", section)
		return nil
	}
	f, err := os.OpenFile(o.results, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(section)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// measure runs f runs times (after one warm-up run) and returns the
// durations, sorted.
func measure(runs int, f func()) []time.Duration {
	f()
	out := make([]time.Duration, runs)
	for i := range out {
		start := time.Now()
		f()
		out[i] = time.Since(start)
	}
	slices.Sort(out)
	return out
}

// randomDAG builds n steps each reading from up to maxDeps (uniformly 0..maxDeps)
// earlier steps among the window before it.
func randomDAG(rng *rand.Rand, n, maxDeps, window int) (*pipeline.Graph, error) {
	var e [][2]int
	for i := 1; i < n; i++ {
		lo := max(0, i-window)
		for range rng.IntN(maxDeps + 1) {
			e = append(e, [2]int{lo + rng.IntN(i-lo), i})
		}
	}
	return pipeline.NewIndexed(n, e)
}

// fanOutIn builds one source, n-2 steps reading from it, and one sink
// reading from all of them.
func fanOutIn(n int) (*pipeline.Graph, error) {
	var e [][2]int
	for i := 1; i < n-1; i++ {
		e = append(e, [2]int{0, i}, [2]int{i, n - 1})
	}
	return pipeline.NewIndexed(n, e)
}

// halfDone returns states with the first half of a topological order
// completed.
func halfDone(g *pipeline.Graph) []pipeline.State {
	s := make([]pipeline.State, g.Len())
	for _, i := range g.Order()[:g.Len()/2] {
		s[i] = pipeline.StateCompleted
	}
	return s
}

// simulate drives a run to completion: take every ready step, start it,
// complete it, until the run is done.
func simulate(g *pipeline.Graph) {
	r, err := pipeline.NewRun(g, pipeline.Options{}, nil)
	if err != nil {
		panic(err)
	}
	for !r.Done() {
		for _, i := range r.Take(0) {
			if err := r.Start(i); err != nil {
				panic(err)
			}
			if _, err := r.Finish(i, pipeline.StateCompleted); err != nil {
				panic(err)
			}
		}
	}
}

// simulateFull drives a run to completion as a controller that keeps only
// persisted states would: Advance and a full Ready after every step's end.
func simulateFull(g *pipeline.Graph) {
	states := make([]pipeline.State, g.Len())
	for {
		ready := pipeline.Ready(g, states)
		if len(ready) == 0 {
			return
		}
		for _, i := range ready {
			states[i] = pipeline.StateRunning
		}
		for _, i := range ready {
			var err error
			if states, err = pipeline.Advance(g, states, i, pipeline.StateCompleted, pipeline.Options{}); err != nil {
				panic(err)
			}
		}
	}
}

func report(o options, rows []row, l *pipeline.Layout, fanCrossings, svgSize int) string {
	var b bytes.Buffer
	now := time.Now().UTC()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&b, "\n## Pipeline engine (issue 7)\n\n")
	fmt.Fprintf(&b, "Run on %s with `go run ./bench/pipeline -append` (the program is `bench/pipeline/main.go`; seed %d, %d repetitions after a warm-up, median and worst).\n\n",
		now.Format("Mon Jan 2 15:04 MST 2006"), o.seed, o.runs)
	fmt.Fprintf(&b, "Machine: %d cores (`nproc`), %s (`lscpu | grep 'Model name'`), %s %s/%s; load average %s before.\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.Join(strings.Fields(string(load))[:3], " "))
	b.WriteString("Only the pure engine is timed (no jobs, processes, store or HTTP). The random DAG gives each step 0–3 dependencies among the 200 steps before it; the fan-out/fan-in DAG is one source, 198 parallel steps and one sink. \"Step by step\" takes every ready step, starts and completes it, until the run is done; the per-step figure is the median run's time divided by the steps.\n\n")
	b.WriteString("| measurement | graph | median | worst | per step | goal |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.what, r.graph, dur(r.median), dur(r.max), orDash(r.per), orDash(r.goal))
	}
	fmt.Fprintf(&b, "\nThe 200-step random layout has %d edge crossings between adjacent layers in the initial order and %d after the barycenter sweeps (the fan-out/fan-in one: %d); it is %.0f × %.0f px and its SVG %d bytes.\n",
		l.InitialCrossings, l.Crossings, fanCrossings, l.Width, l.Height, svgSize)
	return b.String()
}

func dur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1e3)
	default:
		return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6)
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// cpuModel returns the first "model name" of /proc/cpuinfo (what lscpu
// shows as Model name).
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
