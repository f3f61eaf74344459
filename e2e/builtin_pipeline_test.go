package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/demo"
)

// TestBuiltinComponentsPipeline is issue 8's wiring as a user meets it: a
// pipeline file whose steps are the built-in components, given local CSV
// files, submitted with lathe job create --stream; the model must reach
// the quality bar on the held-out test set, with no Python.
func TestBuiltinComponentsPipeline(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	env := p.cliEnv(t)
	dir := t.TempDir()
	for _, f := range []string{"bank_marketing_train.csv", "bank_marketing_test.csv"} {
		b, err := demo.Dataset(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yml := `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
experiment_name: builtins
inputs:
  raw: {type: uri_file, path: ./bank_marketing_train.csv}
  test: {type: uri_file, path: ./bank_marketing_test.csv}
outputs:
  model: {type: custom_model, name: bank-gbdt}
jobs:
  split:
    component: azureml:lathe.split_data@latest
    inputs: {data: "${{parent.inputs.raw}}", label: y, test_fraction: 0, validation_fraction: 0.1}
  gbdt:
    component: azureml:lathe.train_tabular@latest
    inputs:
      train: ${{parent.jobs.split.outputs.train}}
      validation: ${{parent.jobs.split.outputs.validation}}
      label: y
      n_estimators: 100
    outputs:
      model: ${{parent.outputs.model}}
  logistic:
    component: azureml:lathe.train_tabular@latest
    inputs:
      train: ${{parent.jobs.split.outputs.train}}
      label: y
      algorithm: linear
  eval_gbdt:
    component: azureml:lathe.evaluate@latest
    inputs: {model: "${{parent.jobs.gbdt.outputs.model}}", data: "${{parent.inputs.test}}"}
  eval_logistic:
    component: azureml:lathe.evaluate@latest
    inputs: {model: "${{parent.jobs.logistic.outputs.model}}", data: "${{parent.inputs.test}}"}
`
	file := filepath.Join(dir, "pipeline.yml")
	if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, env, "job", "create", "-f", file, "--stream", "-o", "json")
	if code != 0 {
		t.Fatalf("job create --stream: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res struct {
		Job   lathe.Job            `json:"job"`
		Items []lathe.PipelineStep `json:"items"`
	}
	if err := json.Unmarshal([]byte(stdout[strings.Index(stdout, "{"):]), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	j := res.Job
	if j.Status != lathe.JobCompleted || len(res.Items) != 5 {
		t.Fatalf("pipeline %s ended %s with %d steps", j.Name, j.Status, len(res.Items))
	}
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The pipeline output names an asset: the model is registered under it.
	if v, err := c.DataVersion(t.Context(), lathe.DefaultWorkspace, "bank-gbdt", "1"); err != nil || v.Files != 4 {
		t.Errorf("the named pipeline output: %+v, %v; want bank-gbdt:1 with the model's 4 files", v, err)
	}
	for step, floor := range map[string]float64{"eval_gbdt": 0.93, "eval_logistic": 0.90} {
		sj, err := c.Job(t.Context(), lathe.DefaultWorkspace, j.Name+"-"+step)
		if err != nil {
			t.Fatal(err)
		}
		var run struct {
			Run struct {
				Data struct {
					Metrics []struct {
						Key   string  `json:"key"`
						Value float64 `json:"value"`
					} `json:"metrics"`
				} `json:"data"`
			} `json:"run"`
		}
		mlflowGet(t, p.url, p.token(t), "/api/2.0/mlflow/runs/get?run_id="+sj.RunID, &run)
		auc := -1.0
		for _, m := range run.Run.Data.Metrics {
			if m.Key == "test_roc_auc" {
				auc = m.Value
			}
		}
		if auc < floor {
			t.Errorf("%s: test ROC AUC %.4f, want ≥ %.2f", step, auc, floor)
		}
	}
}
