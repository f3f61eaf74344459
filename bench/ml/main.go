// Command ml benchmarks Lathe's tabular learners (internal/ml) against
// scikit-learn from Debian, measured in the same run and interleaved so that
// load from other processes hits both sides alike:
//
//   - training time and test ROC AUC of GBDT on bank marketing and on a
//     generated 1M-row × 20-feature set, against HistGradientBoostingClassifier
//     with the same trees, leaves, bins, learning rate and threads;
//   - logistic regression on bank marketing against LogisticRegression;
//   - single-row and 1000-row prediction latency for 100 and 500 trees;
//   - model load time (binary model file against JSON and pickle).
//
// Usage, from the repository root:
//
//	go run ./bench/ml [-rows 1000000] [-reps 3] [-write]
//
// -write replaces the "Tabular learners (issue 8)" section of bench/RESULTS.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/latheml/lathe/internal/ml"
	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/gbdt"
	"github.com/latheml/lathe/internal/ml/modeldir"
)

type options struct {
	rows      int
	reps      int
	synthReps int
	threads   int
	python    string
	data      string
	results   string
	write     bool
	keep      bool
	single    int
}

func main() {
	var o options
	flag.IntVar(&o.rows, "rows", 1_000_000, "rows of the generated data set")
	flag.IntVar(&o.reps, "reps", 5, "repetitions of the bank-marketing fits")
	flag.IntVar(&o.synthReps, "synth-reps", 2, "repetitions of the generated-data fits")
	flag.IntVar(&o.threads, "threads", 2, "threads on both sides")
	flag.IntVar(&o.single, "single", 2000, "single-row predictions timed per model")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with scikit-learn (Debian's)")
	flag.StringVar(&o.data, "data", "", "directory with bank_marketing_*.csv (default: shared/data above the working directory)")
	flag.StringVar(&o.results, "results", "bench/RESULTS.md", "results file to update with -write")
	flag.BoolVar(&o.write, "write", false, "write the results section into -results")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory with the generated data")
	flag.Parse()
	log.SetFlags(0)
	if err := run(context.Background(), o); err != nil {
		log.Fatal(err)
	}
}

// result is one side's measurement of one task.
type result struct {
	FitS    float64 `json:"fit_s"`
	FitCPUS float64 `json:"fit_cpu_s"`
	AUC     float64 `json:"auc"`
}

// latency is one model's prediction timings.
type latency struct {
	SingleP50   float64 `json:"single_p50_s"`
	SingleP99   float64 `json:"single_p99_s"`
	MatrixP50   float64 `json:"matrix_p50_s,omitempty"`
	Batch1000   float64 `json:"batch1000_p50_s"`
	ModelBytes  int     `json:"pickle_bytes"`
	LoadS       float64 `json:"pickle_load_s"`
	JSONLoadS   float64 `json:"json_load_s,omitempty"`
	JSONBytes   int     `json:"json_bytes,omitempty"`
	ExplainRowS float64 `json:"explain_row_s,omitempty"`
}

// report gathers every measurement of a run.
type report struct {
	Date, Machine, CPU, GoVersion, Sklearn, LoadBefore, LoadAfter string
	Threads, Rows, Reps, SynthReps                                int
	BankGo, BankPy, LogGo, LogPy, SynthGo, SynthPy                runs
	LatGo, LatPy                                                  map[string]latency
}

// runs are the repetitions of one fit.
type runs []result

// best is the fastest repetition (the one least disturbed by other load).
func (r runs) best() result {
	b := r[0]
	for _, x := range r[1:] {
		if x.FitS < b.FitS {
			b = x
		}
	}
	return b
}

// median is the median fit time.
func (r runs) median() float64 {
	v := make([]float64, len(r))
	for i, x := range r {
		v[i] = x.FitS
	}
	return median(v)
}

func run(ctx context.Context, o options) error {
	dataDir := o.data
	if dataDir == "" {
		var err error
		if dataDir, err = findData(); err != nil {
			return err
		}
	}
	py := &python{exe: o.python, script: scriptPath(), threads: o.threads,
		bankTrain: filepath.Join(dataDir, "bank_marketing_train.csv"),
		bankTest:  filepath.Join(dataDir, "bank_marketing_test.csv")}
	rep := &report{Threads: o.threads, Rows: o.rows, Reps: o.reps, SynthReps: o.synthReps, LoadBefore: loadavg(),
		Date: time.Now().UTC().Format("Mon Jan 2 15:04 MST 2006"), GoVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		CPU: cpuModel(), Machine: fmt.Sprintf("%d cores (`nproc`)", runtime.NumCPU())}
	var info map[string]string
	if err := py.run(ctx, &info, "info"); err != nil {
		return err
	}
	rep.Sklearn = "scikit-learn " + info["sklearn"] + ", numpy " + info["numpy"] + ", Python " + info["python"]
	log.Printf("machine: %s, %s; %s; %s; load %s", rep.Machine, rep.CPU, rep.GoVersion, rep.Sklearn, rep.LoadBefore)

	train, err := readCSV(py.bankTrain)
	if err != nil {
		return err
	}
	test, err := readCSV(py.bankTest)
	if err != nil {
		return err
	}

	// Bank marketing: GBDT and logistic regression, interleaved repetitions.
	gcfg := gbdtConfig(o.threads, 100)
	lcfg := ml.DefaultConfig()
	lcfg.Label, lcfg.Algorithm, lcfg.Threads = "y", ml.Linear, o.threads
	C := 1 / (lcfg.Linear.L2 * float64(train.Rows()))
	for i := 0; i < o.reps; i++ {
		g, err := fitGo(ctx, train, test, gcfg)
		if err != nil {
			return err
		}
		var p result
		if err := py.run(ctx, &p, "bank-gbdt"); err != nil {
			return err
		}
		l, err := fitGo(ctx, train, test, lcfg)
		if err != nil {
			return err
		}
		var lp result
		if err := py.run(ctx, &lp, "bank-logistic", "--C", fmt.Sprint(C)); err != nil {
			return err
		}
		log.Printf("bank rep %d: gbdt go %.3fs auc %.4f | sklearn %.3fs auc %.4f; logistic go %.3fs auc %.4f | sklearn %.3fs auc %.4f",
			i+1, g.FitS, g.AUC, p.FitS, p.AUC, l.FitS, l.AUC, lp.FitS, lp.AUC)
		rep.BankGo, rep.BankPy = append(rep.BankGo, g), append(rep.BankPy, p)
		rep.LogGo, rep.LogPy = append(rep.LogGo, l), append(rep.LogPy, lp)
	}

	// Prediction latency and load time, 100 and 500 trees; three interleaved
	// repetitions per side, keeping each side's best.
	rep.LatGo, rep.LatPy = map[string]latency{}, map[string]latency{}
	benches := map[int]*predictBench{}
	for _, trees := range []int{100, 500} {
		b, err := newPredictBench(ctx, train, test, gbdtConfig(o.threads, trees))
		if err != nil {
			return err
		}
		defer b.close()
		benches[trees] = b
	}
	for i := 0; i < latencyReps; i++ {
		for _, trees := range []int{100, 500} {
			lat, err := benches[trees].measure(o.single)
			if err != nil {
				return err
			}
			k := fmt.Sprint(trees)
			if cur, ok := rep.LatGo[k]; !ok || lat.SingleP50 < cur.SingleP50 {
				rep.LatGo[k] = lat
			}
			log.Printf("go %d trees: single p50 %.1fµs p99 %.1fµs (matrix %.1fµs), batch1000 %.2fms, load %.2fms (json %.2fms), explain row %.1fµs",
				trees, lat.SingleP50*1e6, lat.SingleP99*1e6, lat.MatrixP50*1e6, lat.Batch1000*1e3, lat.LoadS*1e3, lat.JSONLoadS*1e3, lat.ExplainRowS*1e6)
		}
		var lp map[string]latency
		if err := py.run(ctx, &lp, "latency", "--single-reps", fmt.Sprint(o.single/2)); err != nil {
			return err
		}
		for _, k := range []string{"100", "500"} {
			l := lp[k]
			if cur, ok := rep.LatPy[k]; !ok || l.SingleP50 < cur.SingleP50 {
				rep.LatPy[k] = l
			}
			log.Printf("sklearn %s trees: single p50 %.1fµs p99 %.1fµs, batch1000 %.2fms, pickle load %.2fms",
				k, l.SingleP50*1e6, l.SingleP99*1e6, l.Batch1000*1e3, l.LoadS*1e3)
		}
	}

	// Generated data: 1M × 20.
	tmp, err := os.MkdirTemp("", "lathe-bench-ml-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(tmp)
	}
	sx, sy := synth(o.rows, 1)
	tx, ty := synth(o.rows/10, 2)
	py.synthPrefix = filepath.Join(tmp, "synth")
	for _, f := range []struct {
		name string
		rows int
		cols [][]float64
	}{
		{"_X.npy", o.rows, sx}, {"_y.npy", o.rows, [][]float64{sy}},
		{"_Xtest.npy", o.rows / 10, tx}, {"_ytest.npy", o.rows / 10, [][]float64{ty}},
	} {
		if err := writeNPY(py.synthPrefix+f.name, f.rows, f.cols); err != nil {
			return err
		}
	}
	strain, stest := synthFrame(sx, sy), synthFrame(tx, ty)
	sx, tx = nil, nil
	runtime.GC()
	scfg := gbdtConfig(o.threads, 100)
	for i := 0; i < o.synthReps; i++ {
		g, err := fitGo(ctx, strain, stest, scfg)
		if err != nil {
			return err
		}
		runtime.GC()
		var p result
		if err := py.run(ctx, &p, "synth-gbdt"); err != nil {
			return err
		}
		log.Printf("synthetic rep %d: go %.2fs (cpu %.2fs) auc %.4f | sklearn %.2fs (cpu %.2fs) auc %.4f",
			i+1, g.FitS, g.FitCPUS, g.AUC, p.FitS, p.FitCPUS, p.AUC)
		rep.SynthGo, rep.SynthPy = append(rep.SynthGo, g), append(rep.SynthPy, p)
	}
	rep.LoadAfter = loadavg()

	md := rep.markdown()
	fmt.Println(md)
	if o.write {
		return writeSection(o.results, md)
	}
	return nil
}

func gbdtConfig(threads, trees int) ml.Config {
	c := ml.DefaultConfig()
	c.Label, c.Threads = "y", threads
	c.GBDT.Trees, c.GBDT.MaxLeaves, c.GBDT.MaxBins = trees, 31, 255
	c.GBDT.LearningRate, c.GBDT.MinSamplesLeaf, c.GBDT.L2 = 0.1, 20, 0
	return c
}

func fitGo(ctx context.Context, train, test *frame.Frame, cfg ml.Config) (result, error) {
	runtime.GC()
	c0 := cpuTime()
	t0 := time.Now()
	m, err := ml.Train(ctx, train, nil, cfg)
	if err != nil {
		return result{}, err
	}
	r := result{FitS: time.Since(t0).Seconds(), FitCPUS: cpuTime() - c0}
	ev, err := m.Evaluate(test, nil)
	if err != nil {
		return result{}, err
	}
	r.AUC = ev.Classification.ROCAUC
	return r, nil
}

// latencyReps is the number of interleaved latency measurements per side.
const latencyReps = 3

// predictBench holds a trained, saved and reloaded model and its inputs.
type predictBench struct {
	dir   string
	m     *ml.Model
	rows  []*frame.Frame
	batch *frame.Frame
}

func newPredictBench(ctx context.Context, train, test *frame.Frame, cfg ml.Config) (*predictBench, error) {
	m, err := ml.Train(ctx, train, nil, cfg)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lathe-bench-model-")
	if err != nil {
		return nil, err
	}
	b := &predictBench{dir: dir, m: m}
	if err := modeldir.Save(dir, m, modeldir.SaveOptions{Example: test}); err != nil {
		b.close()
		return nil, err
	}
	b.rows = make([]*frame.Frame, test.Rows())
	for i := range b.rows {
		b.rows[i] = test.Take([]int{i})
	}
	idx := make([]int, 1000)
	for i := range idx {
		idx[i] = i % test.Rows()
	}
	b.batch = test.Take(idx)
	return b, nil
}

func (b *predictBench) close() { os.RemoveAll(b.dir) }

// measure times loading the saved model, and single-row, 1000-row and
// explanation calls from raw frames on the loaded model.
func (b *predictBench) measure(singles int) (latency, error) {
	var lat latency
	fi, err := os.Stat(filepath.Join(b.dir, modeldir.ModelFile))
	if err != nil {
		return lat, err
	}
	lat.ModelBytes = int(fi.Size())
	var m *ml.Model
	var loads []float64
	for i := 0; i < 20; i++ {
		t0 := time.Now()
		if m, err = modeldir.Load(b.dir); err != nil {
			return lat, err
		}
		loads = append(loads, time.Since(t0).Seconds())
	}
	lat.LoadS = median(loads)
	// The same trees as JSON, to justify the binary model file.
	js, err := json.Marshal(m.GBDT())
	if err != nil {
		return lat, err
	}
	lat.JSONBytes = len(js)
	var jl []float64
	for i := 0; i < 5; i++ {
		var g gbdt.Model
		t0 := time.Now()
		if err := json.Unmarshal(js, &g); err != nil {
			return lat, err
		}
		jl = append(jl, time.Since(t0).Seconds())
	}
	lat.JSONLoadS = median(jl)

	rows := b.rows
	for i := 0; i < 50; i++ {
		if _, err := m.Predict(rows[i%len(rows)]); err != nil {
			return lat, err
		}
	}
	single := make([]float64, 0, singles)
	for i := 0; i < singles; i++ {
		t0 := time.Now()
		if _, err := m.Predict(rows[i%len(rows)]); err != nil {
			return lat, err
		}
		single = append(single, time.Since(t0).Seconds())
	}
	lat.SingleP50, lat.SingleP99 = percentile(single, 50), percentile(single, 99)
	encoded := make([]*feature.Matrix, len(rows))
	for i, r := range rows {
		if encoded[i], err = m.Encoder.Encode(r); err != nil {
			return lat, err
		}
	}
	matrix := make([]float64, 0, singles)
	for i := 0; i < singles; i++ {
		t0 := time.Now()
		if _, err := m.PredictMatrix(encoded[i%len(encoded)]); err != nil {
			return lat, err
		}
		matrix = append(matrix, time.Since(t0).Seconds())
	}
	lat.MatrixP50 = percentile(matrix, 50)
	var batches []float64
	for i := 0; i < 30; i++ {
		t0 := time.Now()
		if _, err := m.Predict(b.batch); err != nil {
			return lat, err
		}
		batches = append(batches, time.Since(t0).Seconds())
	}
	lat.Batch1000 = median(batches)
	var expl []float64
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		if _, err := m.Explain(rows[i%len(rows)]); err != nil {
			return lat, err
		}
		expl = append(expl, time.Since(t0).Seconds())
	}
	lat.ExplainRowS = median(expl)
	return lat, nil
}

func median(v []float64) float64 { return percentile(v, 50) }

// percentile interpolates linearly between order statistics, as numpy does.
func percentile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	pos := q / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func readCSV(path string) (*frame.Frame, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return frame.ReadCSV(fh, frame.Options{})
}

// findData walks up from the working directory to a shared/data directory.
func findData() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "shared", "data")
		if _, err := os.Stat(filepath.Join(p, "bank_marketing_train.csv")); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("shared/data/bank_marketing_train.csv not found above the working directory; pass -data")
		}
		dir = parent
	}
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

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
