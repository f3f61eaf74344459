package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// train runs the training as command jobs on local compute, as a data
// scientist would with `lathe job create -f job.yml`: a job that trains
// gradient-boosted trees with the built-in train_tabular component on the
// registered train and validation assets and writes the model as an output,
// then a job that evaluates that output on the test asset. Both log to
// their own MLflow runs in the term-deposit experiment; no Python anywhere.
func train(ctx context.Context, e *Env) error {
	c, ws := e.Client, e.Workspace
	str := func(s string) *string { return &s }
	trainJob, err := runJob(ctx, e, lathe.JobSpec{
		DisplayName:    "train gbdt on bank marketing",
		ExperimentName: "term-deposit",
		Command: "lathe exec builtin train_tabular --train ${{inputs.train}} --validation ${{inputs.validation}} " +
			"--label ${{inputs.label}} --algorithm gbdt --n-estimators ${{inputs.n_estimators}} " +
			"--learning-rate ${{inputs.learning_rate}} --max-leaves 31 --seed 7 --model ${{outputs.model}}",
		Inputs: map[string]lathe.JobInput{
			"train":         {Type: lathe.DataURIFile, Path: "azureml:bank-marketing-train@latest"},
			"validation":    {Type: lathe.DataURIFile, Path: "azureml:bank-marketing-validation@latest"},
			"label":         {Type: lathe.InputString, Value: str("y")},
			"n_estimators":  {Type: lathe.InputInteger, Value: str("150")},
			"learning_rate": {Type: lathe.InputNumber, Value: str("0.1")},
		},
		Outputs: map[string]lathe.JobOutput{"model": {Type: lathe.ModelCustom, Name: "term-deposit-model"}},
		Tags:    map[string]string{"stage": "demo"},
	})
	if err != nil {
		return err
	}
	e.Facts["train_job"] = trainJob.Name
	out, err := c.JobOutput(ctx, ws, trainJob.Name, "model")
	if err != nil {
		return err
	}
	e.Say("model output registered as %s:%s (%d files), reachable as %s", out.Name, out.Version, out.Files, lathe.JobOutputURI(trainJob.Name, "model"))

	evalJob, err := runJob(ctx, e, lathe.JobSpec{
		DisplayName:    "evaluate on the held-out test set",
		ExperimentName: "term-deposit",
		Command:        "lathe exec builtin evaluate --model ${{inputs.model}} --data ${{inputs.test}} --output ${{outputs.evaluation}}",
		Inputs: map[string]lathe.JobInput{
			"model": {Type: lathe.ModelCustom, Path: lathe.JobOutputURI(trainJob.Name, "model")},
			"test":  {Type: lathe.DataURIFile, Path: "azureml:bank-marketing-test@latest"},
		},
		Outputs: map[string]lathe.JobOutput{"evaluation": {Type: lathe.DataURIFolder}},
	})
	if err != nil {
		return err
	}
	e.Facts["run_id"], e.Facts["experiment_id"] = trainJob.RunID, trainJob.ExperimentID
	e.Facts["run_page"] = e.URL + "/ui/w/" + ws + "/runs/" + trainJob.RunID
	e.Facts["job_page"] = e.URL + "/ui/w/" + ws + "/jobs/" + trainJob.Name
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
	if err := c.MLflow(ctx, ws, "GET", "/mlflow/runs/get?run_id="+evalJob.RunID, nil, &run); err != nil {
		return err
	}
	got := map[string]float64{}
	for _, m := range run.Run.Data.Metrics {
		got[m.Key] = m.Value
	}
	auc, ok := got["test_roc_auc"]
	if !ok {
		return fmt.Errorf("the evaluation job %s logged no test_roc_auc", evalJob.Name)
	}
	e.Say("test ROC AUC %.4f, PR AUC %.4f, accuracy %.4f (logged by job %s)", auc, got["test_pr_auc"], got["test_accuracy"], evalJob.Name)
	return nil
}

// runJob submits a command job, waits for it to end and reports it; a job
// that does not complete is an error carrying its reason and log tail.
func runJob(ctx context.Context, e *Env, sp lathe.JobSpec) (*lathe.Job, error) {
	c, ws := e.Client, e.Workspace
	j, err := c.CreateJob(ctx, ws, client.SubmitRequest{Spec: sp})
	if err != nil {
		return nil, fmt.Errorf("submit %q: %w", sp.DisplayName, err)
	}
	for !lathe.JobTerminal(j.Status) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if j, err = c.Job(ctx, ws, j.Name); err != nil {
			return nil, err
		}
	}
	took := time.Duration(0)
	if j.EndedAt != nil {
		took = j.EndedAt.Sub(j.CreatedAt)
	}
	if j.Status != lathe.JobCompleted {
		tail := ""
		if page, err := c.JobLogs(ctx, ws, j.Name, max(0, j.LogLines-15), 15); err == nil {
			for _, l := range page.Items {
				tail += "\n        " + l.Text
			}
		}
		return nil, fmt.Errorf("job %s (%s) ended %s: %s%s", j.Name, sp.DisplayName, j.Status, j.Reason, tail)
	}
	e.Say("job %s: %s — %s on %s in %s, %d log lines", j.Name, sp.DisplayName, j.Status, j.Compute, took.Round(time.Millisecond), j.LogLines)
	return j, nil
}
