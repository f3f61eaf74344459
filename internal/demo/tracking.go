package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/modeldir"
)

// loadFrame reads an embedded CSV data set into a frame.
func loadFrame(name string) (*frame.Frame, error) {
	b, err := Dataset(name)
	if err != nil {
		return nil, err
	}
	return frame.ReadCSV(bytes.NewReader(b), frame.Options{})
}

// track trains a gradient-boosted model on the bank-marketing data and logs
// it the way an MLflow client would, over the MLflow REST API: an
// experiment, a run, params, the validation loss of every boosting round,
// the test metrics and the model directory as artifacts.
func track(ctx context.Context, e *Env) error {
	c, ws := e.Client, e.Workspace
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	err := c.MLflow(ctx, ws, "POST", "/mlflow/experiments/create", map[string]any{"name": "term-deposit", "tags": []lathe.Tag{{Key: "data", Value: "bank_marketing"}}}, &exp)
	if lathe.IsCode(err, lathe.ECONFLICT) {
		var got struct {
			Experiment struct {
				ID string `json:"experiment_id"`
			} `json:"experiment"`
		}
		err = c.MLflow(ctx, ws, "GET", "/mlflow/experiments/get-by-name?experiment_name=term-deposit", nil, &got)
		exp.ExperimentID = got.Experiment.ID
	}
	if err != nil {
		return err
	}
	start := time.Now()
	var run struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	err = c.MLflow(ctx, ws, "POST", "/mlflow/runs/create", map[string]any{
		"experiment_id": exp.ExperimentID, "run_name": "gbdt-demo", "user_id": DemoUser, "start_time": start.UnixMilli(),
		"tags": []lathe.Tag{{Key: "mlflow.source.name", Value: "lathe demo"}, {Key: "mlflow.source.type", Value: "LOCAL"}, {Key: "mlflow.user", Value: DemoUser}},
	}, &run)
	if err != nil {
		return err
	}
	id := run.Run.Info.RunID
	e.Facts["run_id"], e.Facts["experiment_id"] = id, exp.ExperimentID
	e.Say("experiment term-deposit (id %s), run %s", exp.ExperimentID, id)

	train, err := loadFrame("bank_marketing_train.csv")
	if err != nil {
		return err
	}
	valid, err := loadFrame("bank_marketing_validation.csv")
	if err != nil {
		return err
	}
	test, err := loadFrame("bank_marketing_test.csv")
	if err != nil {
		return err
	}
	cfg := ml.DefaultConfig()
	cfg.Label, cfg.Seed = "y", 7
	cfg.GBDT.Trees, cfg.GBDT.LearningRate, cfg.GBDT.MaxLeaves = 150, 0.1, 31
	params := []lathe.Tag{
		{Key: "algorithm", Value: string(cfg.Algorithm)}, {Key: "n_estimators", Value: fmt.Sprint(cfg.GBDT.Trees)},
		{Key: "learning_rate", Value: fmt.Sprint(cfg.GBDT.LearningRate)}, {Key: "max_leaves", Value: fmt.Sprint(cfg.GBDT.MaxLeaves)},
		{Key: "label", Value: cfg.Label}, {Key: "duration_kept", Value: "true"},
	}
	if err := c.MLflow(ctx, ws, "POST", "/mlflow/runs/log-batch", map[string]any{"run_id": id, "params": params}, nil); err != nil {
		return err
	}
	t0 := time.Now()
	m, err := ml.Train(ctx, train, valid, cfg)
	if err != nil {
		return err
	}
	took := time.Since(t0)
	// The validation loss after every round, as a metric curve, in batches
	// of at most 1000 as MLflow requires.
	curve := m.Info.ValidLoss
	ts := time.Now().UnixMilli()
	for lo := 0; lo < len(curve); lo += lathe.MaxBatchMetrics {
		var batch []map[string]any
		for i := lo; i < min(lo+lathe.MaxBatchMetrics, len(curve)); i++ {
			batch = append(batch, map[string]any{"key": "valid_logloss", "value": curve[i], "step": i + 1, "timestamp": ts})
		}
		if err := c.MLflow(ctx, ws, "POST", "/mlflow/runs/log-batch", map[string]any{"run_id": id, "metrics": batch}, nil); err != nil {
			return err
		}
	}
	ev, err := m.Evaluate(test, nil)
	if err != nil {
		return err
	}
	cl := ev.Classification
	var final []map[string]any
	for k, v := range map[string]float64{"test_roc_auc": cl.ROCAUC, "test_pr_auc": cl.PRAUC, "test_accuracy": cl.Accuracy, "test_f1": cl.F1, "test_logloss": cl.LogLoss} {
		final = append(final, map[string]any{"key": k, "value": v, "step": len(curve), "timestamp": ts})
	}
	if err := c.MLflow(ctx, ws, "POST", "/mlflow/runs/log-batch", map[string]any{"run_id": id, "metrics": final}, nil); err != nil {
		return err
	}
	e.Say("trained %d trees on %d rows in %s (pure Go, no Python); valid logloss %.4f → %.4f, logged per round",
		len(curve), train.Rows(), took.Round(time.Millisecond), curve[0], curve[len(curve)-1])
	e.Say("test ROC AUC %.4f, PR AUC %.4f, accuracy %.4f on %d held-out rows", cl.ROCAUC, cl.PRAUC, cl.Accuracy, cl.Count)

	// The model directory, uploaded as the run's artifacts under model/.
	dir, err := os.MkdirTemp("", "lathe-demo-model-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := modeldir.Save(dir, m, modeldir.SaveOptions{Example: test.Take([]int{0, 1, 2}), Created: time.Now().UTC(), RunID: id}); err != nil {
		return err
	}
	files, _ := os.ReadDir(dir)
	var sent int64
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			return err
		}
		path := exp.ExperimentID + "/" + id + "/artifacts/model/" + f.Name()
		if err := c.PutArtifact(ctx, ws, path, bytes.NewReader(b), int64(len(b))); err != nil {
			return err
		}
		sent += int64(len(b))
	}
	e.Say("model directory (%s) uploaded as artifacts: %d files, %d bytes", strings.Join(names(files), ", "), len(files), sent)
	end := time.Now().UnixMilli()
	if err := c.MLflow(ctx, ws, "POST", "/mlflow/runs/update", map[string]any{"run_id": id, "status": lathe.RunFinished, "end_time": end}, nil); err != nil {
		return err
	}
	e.Facts["run_page"] = e.URL + "/ui/w/" + ws + "/runs/" + id
	return nil
}

func names(fs []os.DirEntry) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name()
	}
	return out
}
