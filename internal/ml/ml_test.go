package ml

import (
	"compress/gzip"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/metric"
)

// sharedData reads one of the bank-marketing CSVs the repository carries
// (gzip-compressed, for the demo) in internal/demo/data.
func sharedData(t *testing.T, name string) *frame.Frame {
	t.Helper()
	fh, err := os.Open(filepath.Join("..", "demo", "data", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	f, err := frame.ReadCSV(zr, frame.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func auc(t *testing.T, m *Model, test *frame.Frame) float64 {
	t.Helper()
	ev, err := m.Evaluate(test, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Classification.ROCAUC
}

// TestBankMarketingQuality is the acceptance check of the learners:
// duration kept, train on the training split, score the test split.
func TestBankMarketingQuality(t *testing.T) {
	t.Parallel()
	train := sharedData(t, "bank_marketing_train.csv")
	test := sharedData(t, "bank_marketing_test.csv")
	tests := []struct {
		algo Algorithm
		min  float64
	}{
		{GBDT, 0.93},
		{Linear, 0.90},
		{Baseline, 0.5},
	}
	for _, tt := range tests {
		t.Run(string(tt.algo), func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.Label, cfg.Algorithm = "y", tt.algo
			m, err := Train(context.Background(), train, nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if m.Task != Binary || m.Classes[1] != "yes" {
				t.Fatalf("task %s classes %q, want binary with positive class yes", m.Task, m.Classes)
			}
			got := auc(t, m, test)
			t.Logf("%s test ROC AUC %.4f", tt.algo, got)
			if got < tt.min {
				t.Errorf("%s test ROC AUC %.4f, want >= %.2f", tt.algo, got, tt.min)
			}
		})
	}
}

// table builds a small mixed frame: a numeric signal, a categorical signal,
// and a label that depends on both.
func table(n int) *frame.Frame {
	x := make([]float64, n)
	c := make([]string, n)
	y := make([]string, n)
	v := make([]float64, n)
	for i := 0; i < n; i++ {
		x[i] = float64(i%17) / 17
		c[i] = []string{"red", "green", "blue", "grey"}[i%4]
		score := x[i]
		if c[i] == "red" || c[i] == "blue" {
			score += 0.5
		}
		y[i] = "no"
		if score > 0.7 {
			y[i] = "yes"
		}
		v[i] = 3*x[i] + float64(i%4)
	}
	f, _ := frame.New(frame.NewNumeric("x", x), frame.NewCategorical("c", c),
		frame.NewCategorical("y", y), frame.NewNumeric("v", v))
	return f
}

func TestTrainPredictTasks(t *testing.T) {
	t.Parallel()
	f := table(400)
	tests := []struct {
		name  string
		label string
		task  Task
		algo  Algorithm
	}{
		{"gbdt binary", "y", Binary, GBDT},
		{"linear binary", "y", Binary, Linear},
		{"gbdt regression", "v", Regression, GBDT},
		{"linear regression", "v", Regression, Linear},
		{"gbdt multiclass", "c", Multiclass, GBDT},
		{"linear multiclass", "c", Multiclass, Linear},
		{"baseline multiclass", "c", Multiclass, Baseline},
		{"baseline regression", "v", Regression, Baseline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.Label, cfg.Algorithm = tt.label, tt.algo
			cfg.GBDT.Trees, cfg.GBDT.MinSamplesLeaf = 30, 5
			if tt.label == "c" {
				cfg.Exclude = []string{"y"} // c = v - 3x: learnable from v and x
			}
			m, err := Train(context.Background(), f, nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if m.Task != tt.task {
				t.Fatalf("task = %s, want %s", m.Task, tt.task)
			}
			p, err := m.Predict(f)
			if err != nil {
				t.Fatal(err)
			}
			if tt.task == Regression {
				if len(p.Value) != f.Rows() {
					t.Fatalf("%d values", len(p.Value))
				}
			} else if len(p.Label) != f.Rows() || len(p.Proba) != f.Rows()*len(m.Classes) {
				t.Fatalf("%d labels, %d probabilities", len(p.Label), len(p.Proba))
			}
			for i := 0; i < f.Rows() && p.Proba != nil; i++ {
				s := 0.0
				for k := range m.Classes {
					s += p.Proba[i*len(m.Classes)+k]
				}
				if math.Abs(s-1) > 1e-12 {
					t.Fatalf("row %d probabilities sum to %v", i, s)
				}
			}
			ev, err := m.Evaluate(f, []string{"c"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.algo != Baseline {
				if ev.Classification != nil && ev.Classification.Accuracy < 0.9 {
					t.Errorf("training accuracy %.3f", ev.Classification.Accuracy)
				}
				if ev.Regression != nil && ev.Regression.R2 < 0.9 {
					t.Errorf("training R² %.3f", ev.Regression.R2)
				}
			}
			if len(ev.Slices) != 4 {
				t.Errorf("%d slices, want 4 (one per colour)", len(ev.Slices))
			}
			// Explanations sum to the margins.
			e, err := m.Explain(f)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < f.Rows(); i++ {
				for k := range e.Outputs {
					c, base := e.Row(i, k)
					s := base
					for _, v := range c {
						s += v
					}
					if math.Abs(s-p.Margin[i*len(e.Outputs)+k]) > 1e-9 {
						t.Fatalf("row %d output %d: contributions sum to %v, margin %v", i, k, s, p.Margin[i*len(e.Outputs)+k])
					}
				}
			}
			kind, imp := m.Importance()
			if tt.algo != Baseline && (imp[0].Value <= 0 || kind == "none") {
				t.Errorf("importance %s %+v", kind, imp)
			}
			// The single-blob encoding restores bit-identical predictions.
			b, err := m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := UnmarshalModel(b)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := back.Predict(f)
			if err != nil {
				t.Fatal(err)
			}
			for i := range p.Margin {
				if math.Float64bits(p.Margin[i]) != math.Float64bits(p2.Margin[i]) {
					t.Fatalf("margin %d: %v before, %v after encoding", i, p.Margin[i], p2.Margin[i])
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	f := table(200)
	constant, _ := frame.New(frame.NewNumeric("x", []float64{1, 2, 3}), frame.NewCategorical("y", []string{"a", "a", "a"}))
	manyClasses := make([]string, 300)
	for i := range manyClasses {
		manyClasses[i] = string(rune('A'+i%26)) + string(rune('a'+i/26))
	}
	many, _ := frame.New(frame.NewNumeric("x", make([]float64, 300)), frame.NewCategorical("y", manyClasses))
	tests := []struct {
		name string
		f    *frame.Frame
		set  func(c *Config)
		msg  string
	}{
		{"no label", f, func(c *Config) { c.Label = "" }, "label is required"},
		{"label missing", f, func(c *Config) { c.Label = "nope" }, `label column "nope" is not in the training data`},
		{"label constant", constant, func(c *Config) { c.Label = "y" }, "is constant"},
		{"too many classes", many, func(c *Config) { c.Label = "y" }, "more than max_classes=100"},
		{"regression on text", f, func(c *Config) { c.Label = "y"; c.Task = Regression }, "needs a numeric label"},
		{"binary with 4 classes", f, func(c *Config) { c.Label = "c"; c.Task = Binary }, "exactly two"},
		{"unknown positive class", f, func(c *Config) { c.Label = "y"; c.PositiveClass = "maybe" }, `positive_class "maybe"`},
		{"unknown feature", f, func(c *Config) { c.Label = "y"; c.Features = []string{"zz"} }, `feature column "zz"`},
		{"label as feature", f, func(c *Config) { c.Label = "y"; c.Features = []string{"y"} }, "cannot also be a feature"},
		{"learning rate", f, func(c *Config) { c.Label = "y"; c.GBDT.LearningRate = 5 }, "learning_rate must be in (0, 1], got 5"},
		{"max leaves", f, func(c *Config) { c.Label = "y"; c.GBDT.MaxLeaves = 0 }, "max_leaves must be an integer in [2, 65536]"},
		{"l2", f, func(c *Config) { c.Label = "y"; c.Algorithm = Linear; c.Linear.L2 = -1 }, "l2 must be in [0, 1e6]"},
		{"algorithm", f, func(c *Config) { c.Label = "y"; c.Algorithm = "forest" }, "algorithm must be"},
		{"max classes", f, func(c *Config) { c.Label = "y"; c.MaxClasses = 1 }, "max_classes must be"},
		{"validation fraction", f, func(c *Config) { c.Label = "y"; c.ValidationFraction = 1 }, "validation_fraction must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tt.set(&cfg)
			_, err := Train(context.Background(), tt.f, nil, cfg)
			if !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want EINVALID containing %q", err, tt.msg)
			}
		})
	}
}

func TestDirtyData(t *testing.T) {
	t.Parallel()
	n := 300
	x := make([]float64, n)
	gone := make([]float64, n)
	c := make([]string, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(i % 10)
		gone[i] = math.NaN()
		c[i] = []string{"a", "b", ""}[i%3]
		y[i] = float64(i % 2)
		if i%10 >= 5 {
			y[i] = 1 - y[i]*0 // rows 5..9 of every ten are positive
		} else {
			y[i] = 0
		}
	}
	x[3], x[4], x[7] = math.Inf(1), math.NaN(), math.Inf(-1)
	y[11] = math.NaN() // no label
	f, _ := frame.New(frame.NewNumeric("x", x), frame.NewNumeric("gone", gone), frame.NewCategorical("c", c), frame.NewNumeric("y", y))
	for _, algo := range []Algorithm{GBDT, Linear} {
		cfg := DefaultConfig()
		cfg.Label, cfg.Algorithm = "y", algo
		cfg.GBDT.MinSamplesLeaf = 5
		m, err := Train(context.Background(), f, nil, cfg)
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		if m.Task != Binary || m.Classes[0] != "0" || m.Classes[1] != "1" {
			t.Errorf("%s: task %s classes %q, want binary 0/1", algo, m.Task, m.Classes)
		}
		w := strings.Join(m.Info.Warnings, "\n")
		for _, want := range []string{"1 training rows have no label", `"gone" is missing in every row`, "infinite values"} {
			if !strings.Contains(w, want) {
				t.Errorf("%s: warnings %q lack %q", algo, m.Info.Warnings, want)
			}
		}
		// Unseen categories, NaN and Inf at prediction time are handled.
		in, _ := frame.New(frame.NewNumeric("x", []float64{math.NaN(), math.Inf(1), 7}),
			frame.NewCategorical("gone", []string{"", "", "3"}), frame.NewCategorical("c", []string{"never-seen", "", "a"}))
		p, err := m.Predict(in)
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		for i, q := range p.Proba {
			if math.IsNaN(q) || q < 0 || q > 1 {
				t.Errorf("%s: probability %d = %v", algo, i, q)
			}
		}
		if p.Label[2] != "1" {
			t.Errorf("%s: x=7 predicted %q, want 1", algo, p.Label[2])
		}
	}
}

func TestValidationAndEarlyStopping(t *testing.T) {
	t.Parallel()
	f := table(600)
	cfg := DefaultConfig()
	cfg.Label = "y"
	cfg.GBDT.Trees, cfg.GBDT.EarlyStoppingRounds, cfg.GBDT.MinSamplesLeaf = 500, 5, 5
	cfg.ValidationFraction = 0.25
	m, err := Train(context.Background(), f, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Info.ValidRows != 150 || m.Info.Rows != 450 || m.Info.Rounds >= 500 {
		t.Errorf("info %+v: want 450/150 rows and an early stop", m.Info)
	}
	v := table(100)
	m2, err := Train(context.Background(), f, v, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Info.ValidRows != 100 || m2.Info.Rows != 600 {
		t.Errorf("info %+v: want the given validation frame used", m2.Info)
	}
	// Unknown classes in the evaluation data are dropped and reported.
	lbl := v.Column("y")
	lbl.Str[0] = "maybe"
	ev, err := m2.Evaluate(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Classification.Count != 99 || len(ev.Warnings) != 1 {
		t.Errorf("count %d warnings %q", ev.Classification.Count, ev.Warnings)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	c := frame.NewCategorical("k", []string{"a", "b", "a", "", "c", "d", "a", "b"})
	values, groups := Groups(&c, 3)
	want := []string{"a", "b", OtherSlice}
	if strings.Join(values, ",") != strings.Join(want, ",") {
		t.Fatalf("values %q, want %q", values, want)
	}
	if len(groups[0]) != 3 || len(groups[1]) != 2 || len(groups[2]) != 3 {
		t.Errorf("groups %v", groups)
	}
	_ = metric.CalibrationBins
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig([]byte(`{"label":"y","algorithm":"gbdt","gbdt":{"n_estimators":50,"learning_rate":0.05}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.GBDT.Trees != 50 || c.GBDT.LearningRate != 0.05 || c.GBDT.MaxLeaves != 31 || c.MaxClasses != 100 {
		t.Errorf("config %+v: given fields set, others default", c)
	}
	tests := []struct {
		in, msg string
	}{
		{`{"label":"y","gbdt":{"n_trees":5}}`, `unknown field "n_trees"`},
		{`{"label":"y","gbdt":{"max_bins":1000}}`, "max_bins must be an integer in [2, 255], got 1000"},
		{`{"label":"y"} {}`, "trailing data"},
		{`[1]`, "training configuration"},
	}
	for _, tt := range tests {
		if _, err := ParseConfig([]byte(tt.in)); !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want EINVALID containing %q", tt.in, err, tt.msg)
		}
	}
}

func TestConcurrentPredict(t *testing.T) {
	t.Parallel()
	f := table(300)
	cfg := DefaultConfig()
	cfg.Label = "y"
	cfg.GBDT.Trees = 20
	m, err := Train(context.Background(), f, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	m, err = UnmarshalModel(b) // a loaded model, as serving has
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Predict(f)
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				p, err := m.Predict(f.Take([]int{i, i + 1}))
				if err == nil && (p.Proba[1] != want.Proba[2*i+1] || p.Proba[3] != want.Proba[2*i+3]) {
					err = lathe.Errorf(lathe.EINTERNAL, "row %d: concurrent prediction differs", i)
				}
				if err == nil {
					_, err = m.Explain(f.Take([]int{i}))
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
