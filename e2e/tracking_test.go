package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// TestTrackingCLI logs runs over the MLflow REST API and reads them back
// with the experiment and run commands.
func TestTrackingCLI(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	ctx := context.Background()
	c, _ := client.New(p.url, p.token(t), nil)
	ws := lathe.DefaultWorkspace
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := c.MLflow(ctx, ws, "POST", "/mlflow/experiments/create", map[string]any{"name": "churn"}, &exp); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, lr := range []string{"0.1", "0.3"} {
		var run struct {
			Run struct {
				Info struct {
					RunID string `json:"run_id"`
				} `json:"info"`
			} `json:"run"`
		}
		if err := c.MLflow(ctx, ws, "POST", "/mlflow/runs/create", map[string]any{"experiment_id": exp.ExperimentID, "run_name": "r" + lr, "start_time": 1000 + i}, &run); err != nil {
			t.Fatal(err)
		}
		id := run.Run.Info.RunID
		ids = append(ids, id)
		err := c.MLflow(ctx, ws, "POST", "/mlflow/runs/log-batch", map[string]any{"run_id": id,
			"params":  []lathe.Tag{{Key: "lr", Value: lr}, {Key: "model", Value: "gbdt"}},
			"metrics": []map[string]any{{"key": "auc", "value": 0.8 + 0.1*float64(i), "step": 1, "timestamp": 5}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PutArtifact(ctx, ws, exp.ExperimentID+"/"+id+"/artifacts/model/weights.txt", strings.NewReader("w="+lr), -1); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"LATHE_URL=" + p.url, "LATHE_TOKEN=" + p.token(t), "LATHE_CONFIG=" + filepath.Join(t.TempDir(), "c")}

	out, stderr, code := run(t, env, "experiment", "list", "-o", "json")
	if code != 0 || !strings.Contains(out, `"name": "churn"`) || !strings.Contains(out, `"name": "Default"`) {
		t.Fatalf("experiment list: %d %q %s", code, out, stderr)
	}
	out, stderr, code = run(t, env, "run", "list", "-e", "churn", "--filter", "metrics.auc > 0.85", "-o", "json")
	var runs []struct {
		Info struct {
			RunID string `json:"run_id"`
		} `json:"info"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 1 || runs[0].Info.RunID != ids[1] {
		t.Fatalf("run list with a filter: %d %q %s", code, out, stderr)
	}
	out, _, code = run(t, env, "run", "list", "-e", "churn", "--order-by", "metrics.auc ASC", "--columns", "metrics.auc,params.lr")
	if code != 0 || strings.Index(out, "r0.1") > strings.Index(out, "r0.3") || !strings.Contains(out, "0.8") {
		t.Fatalf("run list ordered with columns:\n%s", out)
	}
	if _, stderr, code := run(t, env, "run", "list", "--filter", "metrics.auc <<< 1"); code != 1 || !strings.Contains(stderr, "Invalid comparator") {
		t.Fatalf("bad filter: %d %s", code, stderr)
	}
	out, _, code = run(t, env, "run", "compare", ids[0], ids[1], "--diff", "-o", "json")
	var cmp struct {
		Params map[string]map[string]string
	}
	if code != 0 || json.Unmarshal([]byte(out), &cmp) != nil || len(cmp.Params) != 1 || cmp.Params["lr"][ids[1]] != "0.3" {
		t.Fatalf("run compare --diff: %q", out)
	}
	dest := t.TempDir()
	if _, stderr, code := run(t, env, "run", "download", ids[0], "--dest", dest); code != 0 {
		t.Fatalf("run download: %s", stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "model", "weights.txt")); err != nil || string(b) != "w=0.1" {
		t.Fatalf("downloaded artifact: %q %v", b, err)
	}
	if _, stderr, code := run(t, env, "experiment", "delete", "churn"); code != 0 {
		t.Fatalf("experiment delete: %s", stderr)
	}
	out, _, _ = run(t, env, "experiment", "list", "--view", "deleted", "-o", "json")
	if !strings.Contains(out, `"churn"`) {
		t.Fatalf("deleted experiments: %q", out)
	}
	if _, stderr, code := run(t, env, "experiment", "restore", "churn"); code != 0 {
		t.Fatalf("experiment restore: %s", stderr)
	}
}
