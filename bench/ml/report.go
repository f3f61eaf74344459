package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// sectionHeading starts this benchmark's section of bench/RESULTS.md.
const sectionHeading = "## Tabular learners (issue 8)"

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	ratio := func(a, b float64) string { return fmt.Sprintf("%.2f×", a/b) }
	p("%s\n\n", sectionHeading)
	p("Run on %s (`date`) with `go run ./bench/ml -write` (the program is `bench/ml/main.go`, the scikit-learn side "+
		"`bench/ml/sklearn_baseline.py` run by `/usr/bin/python3`).\n\n", r.Date)
	p("Machine: %s, %s (`/proc/cpuinfo`), %s; %s (Debian `python3-sklearn`). Both sides use %d threads "+
		"(`OMP_NUM_THREADS` for scikit-learn). The machine is shared with other developers' builds and tests "+
		"(load average %s before, %s after), so Go and scikit-learn runs are interleaved, each fit is repeated "+
		"(%d× on bank marketing, %d× on the generated set) and the table gives the best and the median.\n\n",
		r.Machine, r.CPU, r.GoVersion, r.Sklearn, r.Threads, r.LoadBefore, r.LoadAfter, r.Reps, r.SynthReps)
	p("### Training (100 trees, 31 leaves, 255 bins, learning rate 0.1, min 20 rows per leaf, no early stopping)\n\n")
	p("| data | Lathe fit best / median | scikit-learn fit best / median | time ratio, best (goal ≤ 1.0×) | Lathe CPU | sklearn CPU | Lathe test AUC | sklearn test AUC | AUC diff |\n")
	p("|---|---|---|---|---|---|---|---|---|\n")
	row := func(name string, gr, sr runs) {
		g, s := gr.best(), sr.best()
		p("| %s | %.3f / %.3f s | %.3f / %.3f s | %s | %.2f s | %.2f s | %.4f | %.4f | %+.4f |\n",
			name, g.FitS, gr.median(), s.FitS, sr.median(), ratio(g.FitS, s.FitS), g.FitCPUS, s.FitCPUS, g.AUC, s.AUC, g.AUC-s.AUC)
	}
	row("bank marketing GBDT (29,998 × 20, duration kept)", r.BankGo, r.BankPy)
	row(fmt.Sprintf("generated GBDT (%s × 20 numeric)", thousands(r.Rows)), r.SynthGo, r.SynthPy)
	row("bank marketing logistic regression (L2, C = 1/(l2·n))", r.LogGo, r.LogPy)
	p("\nCPU is user+system time of the best repetition. scikit-learn's OpenMP workers busy-wait, so load from " +
		"other processes slows it far more than Go (compare its best and median); the best columns are the fairer " +
		"comparison. scikit-learn: `HistGradientBoostingClassifier(max_iter, max_leaf_nodes=31, max_bins=255, learning_rate=0.1, " +
		"min_samples_leaf=20, early_stopping=False, categorical_features=<bank text columns>)` on ordinal-encoded " +
		"categories; `LogisticRegression` after `StandardScaler` + `OneHotEncoder`.\n\n")
	p("### Prediction latency (bank-marketing GBDT)\n\n")
	p("| trees | Lathe single row p50 / p99 | sklearn single row p50 / p99 | single-row speed-up (goal ≥ 10×) | Lathe 1000 rows | sklearn 1000 rows | Lathe rows/s | sklearn rows/s |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	for _, k := range []string{"100", "500"} {
		g, s := r.LatGo[k], r.LatPy[k]
		p("| %s | %.1f / %.1f µs | %.1f / %.1f µs | %.0f× | %.2f ms | %.2f ms | %.0f | %.0f |\n", k,
			g.SingleP50*1e6, g.SingleP99*1e6, s.SingleP50*1e6, s.SingleP99*1e6, s.SingleP50/g.SingleP50,
			g.Batch1000*1e3, s.Batch1000*1e3, 1000/g.Batch1000, 1000/s.Batch1000)
	}
	p("\nBest p50 of %d interleaved repetitions per side (p99 from the same repetition). ", latencyReps)
	p("Lathe's single-row time starts from a raw one-row frame (text categories) and includes encoding; " +
		"scikit-learn's starts from an already ordinal-encoded numpy row. From an encoded row Lathe takes ")
	p("%.1f µs (100 trees) and %.1f µs (500 trees). One row's TreeSHAP explanation takes %.0f µs / %.0f µs.\n\n",
		r.LatGo["100"].MatrixP50*1e6, r.LatGo["500"].MatrixP50*1e6, r.LatGo["100"].ExplainRowS*1e6, r.LatGo["500"].ExplainRowS*1e6)
	p("### Model load\n\n")
	p("The model file is a compact binary (`model.lathe`); the table shows why: decoding the same trees from JSON " +
		"(`encoding/json`) is over an order of magnitude slower. The lathe_model load includes reading `MLmodel` and " +
		"`preprocessing.json` and validating every node.\n\n")
	p("| trees | lathe_model dir load | model file | same trees as JSON: decode | JSON size | sklearn pickle load | pickle size |\n")
	p("|---|---|---|---|---|---|---|\n")
	for _, k := range []string{"100", "500"} {
		g, s := r.LatGo[k], r.LatPy[k]
		p("| %s | %.2f ms | %d KB | %.2f ms | %d KB | %.2f ms | %d KB |\n", k, g.LoadS*1e3, g.ModelBytes/1024,
			g.JSONLoadS*1e3, g.JSONBytes/1024, s.LoadS*1e3, s.ModelBytes/1024)
	}
	p("\n")
	return b.String()
}

// writeSection replaces this benchmark's section of the results file (from
// its heading to the next "## " heading), or appends it; other sections are
// left as they are.
func writeSection(path, section string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = []byte("# Benchmark results\n\n")
	} else if err != nil {
		return err
	}
	s := string(b)
	start := strings.Index(s, sectionHeading+"\n")
	if start < 0 {
		if !strings.HasSuffix(s, "\n\n") {
			s = strings.TrimRight(s, "\n") + "\n\n"
		}
		s += section
	} else {
		end := len(s)
		if i := strings.Index(s[start+len(sectionHeading):], "\n## "); i >= 0 {
			end = start + len(sectionHeading) + i + 1
		}
		s = s[:start] + section + s[end:]
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// thousands formats n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
