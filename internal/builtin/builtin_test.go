package builtin_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/builtin"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/server"
)

// bankCSV writes the repository's bank-marketing training data to a file.
func bankCSV(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "demo", "data", "bank_marketing_train.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bank.csv")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tracked starts a real server and a run on it, and returns a tracker.
func tracked(t *testing.T) (*builtin.Tracker, *client.Client) {
	t.Helper()
	cfg := config.Default(t.TempDir())
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	c, _ := client.New(srv.URL(), srv.AdminToken(), nil)
	var run struct {
		Run struct {
			Info struct {
				RunID        string `json:"run_id"`
				ExperimentID string `json:"experiment_id"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := c.MLflow(ctx, lathe.DefaultWorkspace, "POST", "/mlflow/runs/create", map[string]any{"experiment_id": "0"}, &run); err != nil {
		t.Fatal(err)
	}
	return &builtin.Tracker{URI: srv.URL() + "/w/default", Token: srv.AdminToken(), RunID: run.Run.Info.RunID, ExperimentID: run.Run.Info.ExperimentID}, c
}

func TestSplitTrainEvaluate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	data := bankCSV(t)
	dir := t.TempDir()
	tr, c := tracked(t)
	var out bytes.Buffer
	env := builtin.Env{Stdout: &out, Tracker: tr}
	// A small training set keeps the test quick under -race.
	err := builtin.Run(ctx, "split_data", []string{"--data", data, "--label", "y", "--test-fraction", "0.85", "--validation-fraction", "0.05",
		"--train", filepath.Join(dir, "train"), "--validation", filepath.Join(dir, "valid"), "--test", filepath.Join(dir, "test")}, env)
	if err != nil {
		t.Fatal(err)
	}
	err = builtin.Run(ctx, "train_tabular", []string{"--train", filepath.Join(dir, "train"), "--validation", filepath.Join(dir, "valid"),
		"--label", "y", "--n-estimators", "40", "--model", filepath.Join(dir, "model")}, env)
	if err != nil {
		t.Fatal(err)
	}
	err = builtin.Run(ctx, "evaluate", []string{"--model", filepath.Join(dir, "model"), "--data", filepath.Join(dir, "test"),
		"--slice-by", "marital", "--output", filepath.Join(dir, "eval")}, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model/MLmodel", "model/model.lathe", "eval/metrics.json", "eval/roc.svg", "eval/pr.svg", "eval/confusion_matrix.svg", "eval/calibration.svg", "eval/importance.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) == 0 {
			t.Errorf("%s missing: %v", f, err)
		}
		if strings.HasSuffix(f, ".svg") && (!bytes.HasPrefix(b, []byte("<svg")) || !bytes.HasSuffix(b, []byte("</svg>"))) {
			t.Errorf("%s is not an SVG document", f)
		}
	}
	var ev struct {
		Classification struct {
			ROCAUC float64 `json:"roc_auc"`
		} `json:"classification"`
		Slices []any `json:"slices"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "eval", "metrics.json"))
	if err := json.Unmarshal(b, &ev); err != nil || ev.Classification.ROCAUC < 0.88 || len(ev.Slices) == 0 {
		t.Fatalf("metrics.json: %v, AUC %.3f, %d slices", err, ev.Classification.ROCAUC, len(ev.Slices))
	}
	// Everything landed on the MLflow run.
	run, err := c.Run(ctx, lathe.DefaultWorkspace, tr.RunID)
	if err != nil {
		t.Fatal(err)
	}
	metrics := map[string]float64{}
	for _, m := range run.Data.Metrics {
		metrics[m.Key] = float64(m.Value)
	}
	params := map[string]string{}
	for _, p := range run.Data.Params {
		params[p.Key] = p.Value
	}
	if metrics["test_roc_auc"] < 0.88 || metrics["valid_loss"] == 0 || params["algorithm"] != "gbdt" || params["gbdt.n_estimators"] != "40" {
		t.Fatalf("run has metrics %v, params %v", metrics, params)
	}
	files, err := c.ListArtifacts(ctx, lathe.DefaultWorkspace, "0/"+tr.RunID+"/artifacts")
	if err != nil || len(files) != 2 {
		t.Fatalf("artifacts: %v %v (want model/ and evaluation/)", files, err)
	}
}

func TestAutoMLLogsTrialsAsChildRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	data := bankCSV(t)
	dir := t.TempDir()
	tr, c := tracked(t)
	env := builtin.Env{Stdout: io.Discard, Tracker: tr}
	if err := builtin.Run(ctx, "split_data", []string{"--data", data, "--label", "y", "--test-fraction", "0.93", "--train", filepath.Join(dir, "train"), "--test", filepath.Join(dir, "test")}, env); err != nil {
		t.Fatal(err)
	}
	err := builtin.Run(ctx, "automl_tabular", []string{"--train", filepath.Join(dir, "train"), "--label", "y", "--max-trials", "4", "--folds", "2",
		"--n-estimators", "30", "--model", filepath.Join(dir, "model")}, env)
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := c.SearchRuns(ctx, lathe.DefaultWorkspace, []string{"0"}, "tags.mlflow.parentRunId = '"+tr.RunID+"'", nil, "ACTIVE_ONLY", 100, "")
	if err != nil || len(runs) != 4 {
		t.Fatalf("child runs: %d, %v", len(runs), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "model", "MLmodel")); err != nil {
		t.Fatal("no model written")
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	data := bankCSV(t)
	tests := []struct {
		name    string
		comp    string
		args    []string
		mention string
	}{
		{"unknown component", "nope", nil, "built-ins are"},
		{"missing flags", "train_tabular", []string{"--train", data}, "--label"},
		{"unknown flag", "split_data", []string{"--frob"}, "flags:"},
		{"bad fractions", "split_data", []string{"--data", data, "--train", "a", "--test", "b", "--test-fraction", "0.8", "--validation-fraction", "0.3"}, "sum to less than 1"},
		{"missing label column", "split_data", []string{"--data", data, "--label", "nope", "--train", t.TempDir(), "--test", t.TempDir()}, "not in the data"},
		{"missing input", "train_tabular", []string{"--train", "/no/such", "--label", "y", "--model", t.TempDir()}, "/no/such"},
		{"bad hyperparameter", "train_tabular", []string{"--train", data, "--label", "y", "--learning-rate", "5", "--model", t.TempDir()}, "learning_rate"},
		{"bad primary metric", "automl_tabular", []string{"--train", data, "--label", "y", "--primary-metric", "rmse", "--max-trials", "1", "--folds", "2", "--n-estimators", "5", "--model", t.TempDir()}, "does not apply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := builtin.Run(ctx, tc.comp, tc.args, builtin.Env{})
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.mention)
			}
		})
	}
}

func TestComponentSpecsAreAzureComponents(t *testing.T) {
	t.Parallel()
	for name, c := range builtin.Components() {
		if !strings.Contains(c.Spec, "commandComponent.schema.json") || !strings.Contains(c.Spec, "lathe exec builtin "+name) || !strings.Contains(c.Spec, "name: lathe."+name) {
			t.Errorf("%s: spec does not describe the component", name)
		}
	}
}
