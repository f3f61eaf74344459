package modeldir

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml"
	"github.com/latheml/lathe/internal/ml/frame"
)

func data() *frame.Frame {
	n := 500
	x := make([]float64, n)
	c := make([]string, n)
	y := make([]string, n)
	for i := range x {
		x[i] = float64(i%13) / 13
		if i%29 == 0 {
			x[i] = math.NaN()
		}
		c[i] = []string{"north", "south", "east", ""}[i%4]
		y[i] = "neg"
		if (x[i] > 0.5) != (c[i] == "east") {
			y[i] = "pos"
		}
	}
	f, _ := frame.New(frame.NewNumeric("x", x), frame.NewCategorical("c", c), frame.NewCategorical("y", y))
	return f
}

func TestSaveLoadBitIdentical(t *testing.T) {
	t.Parallel()
	f := data()
	for _, algo := range []ml.Algorithm{ml.GBDT, ml.Linear, ml.Baseline} {
		t.Run(string(algo), func(t *testing.T) {
			t.Parallel()
			cfg := ml.DefaultConfig()
			cfg.Label, cfg.Algorithm = "y", algo
			cfg.GBDT.Trees, cfg.GBDT.MinSamplesLeaf = 40, 5
			m, err := ml.Train(context.Background(), f, nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "model")
			created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := Save(dir, m, SaveOptions{Example: f, Created: created, RunID: "run-1"}); err != nil {
				t.Fatal(err)
			}
			back, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			p1, err := m.Predict(f)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := back.Predict(f)
			if err != nil {
				t.Fatal(err)
			}
			for i := range p1.Proba {
				if math.Float64bits(p1.Proba[i]) != math.Float64bits(p2.Proba[i]) {
					t.Fatalf("probability %d: %v saved, %v loaded", i, p1.Proba[i], p2.Proba[i])
				}
			}
			e1, _ := m.Explain(f)
			e2, _ := back.Explain(f)
			for i := range e1.Values {
				if math.Float64bits(e1.Values[i]) != math.Float64bits(e2.Values[i]) {
					t.Fatalf("contribution %d differs after loading", i)
				}
			}
			meta, _ := os.ReadFile(filepath.Join(dir, MLmodelFile))
			for _, want := range []string{
				"flavors:\n  lathe:\n", "model_file: model.lathe", "algorithm: " + string(algo), "task: binary",
				`- "neg"`, `- "pos"`, `run_id: "run-1"`, "utc_time_created: '2025-01-02 03:04:05.000000'",
				"pandas_orient: split", `{\"type\":\"double\",\"name\":\"x\",\"required\":false}`,
				`{\"type\":\"string\",\"name\":\"c\",\"required\":false}`, `proba_pos`,
			} {
				if !strings.Contains(string(meta), want) {
					t.Errorf("MLmodel lacks %q:\n%s", want, meta)
				}
			}
			ex, err := ReadExample(dir)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Rows() != 5 || ex.Column("x").Kind != frame.Numeric || ex.Column("c").Kind != frame.Categorical || ex.Column("y") != nil {
				t.Fatalf("example: %s %v", ex.Describe(), ex.Names())
			}
			if _, err := back.Predict(ex); err != nil {
				t.Errorf("the input example does not score: %v", err)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	f := data()
	cfg := ml.DefaultConfig()
	cfg.Label = "y"
	cfg.GBDT.Trees = 5
	m, err := ml.Train(context.Background(), f, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	good := t.TempDir()
	if err := Save(good, m, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if ex, err := ReadExample(good); ex != nil || err != nil {
		t.Errorf("no example saved: got %v, %v", ex, err)
	}
	tests := []struct {
		name   string
		change func(dir string)
		code   string
	}{
		{"missing model file", func(d string) { os.Remove(filepath.Join(d, ModelFile)) }, lathe.ENOTFOUND},
		{"missing MLmodel", func(d string) { os.Remove(filepath.Join(d, MLmodelFile)) }, lathe.ENOTFOUND},
		{"other flavor", func(d string) {
			os.WriteFile(filepath.Join(d, MLmodelFile), []byte("flavors:\n  sklearn:\n    x: 1\n"), 0o644)
		}, lathe.EINVALID},
		{"corrupt model", func(d string) { os.WriteFile(filepath.Join(d, ModelFile), []byte("LTGBxx"), 0o644) }, lathe.ECORRUPT},
		{"corrupt preprocessing", func(d string) { os.WriteFile(filepath.Join(d, PreprocessingFile), []byte("{"), 0o644) }, lathe.ECORRUPT},
		{"unknown field", func(d string) {
			os.WriteFile(filepath.Join(d, PreprocessingFile), []byte(`{"format":"lathe.preprocessing/v1","surprise":1}`), 0o644)
		}, lathe.ECORRUPT},
		{"feature count mismatch", func(d string) {
			b, _ := os.ReadFile(filepath.Join(d, PreprocessingFile))
			s := strings.Replace(string(b), `"name": "x"`, `"name": "x2"`, 1)
			s = strings.Replace(s, `"features": [`, `"features": [{"name":"extra","kind":"numeric","missing_fraction":0},`, 1)
			os.WriteFile(filepath.Join(d, PreprocessingFile), []byte(s), 0o644)
		}, lathe.ECORRUPT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, name := range []string{MLmodelFile, ModelFile, PreprocessingFile} {
				b, _ := os.ReadFile(filepath.Join(good, name))
				os.WriteFile(filepath.Join(dir, name), b, 0o644)
			}
			tt.change(dir)
			if _, err := Load(dir); !lathe.IsCode(err, tt.code) {
				t.Errorf("err = %v (code %s), want %s", err, lathe.ErrorCode(err), tt.code)
			}
		})
	}
}
