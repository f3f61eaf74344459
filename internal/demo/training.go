package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// PipelineYAML is the demo's training pipeline, an Azure ML pipelineJob:
// prep splits the registered training asset into train and validation,
// train fits gradient-boosted trees on them, evaluate scores the model on
// the registered test asset. Every step is a built-in component, a
// command job on local compute that logs to its own MLflow run.
const PipelineYAML = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: term-deposit training
experiment_name: term-deposit
description: prep → train → evaluate on the bank-marketing data assets, with the built-in components
inputs:
  raw: {type: uri_file, path: azureml:bank-marketing-train@latest}
  test: {type: uri_file, path: azureml:bank-marketing-test@latest}
outputs:
  model: {type: custom_model, name: term-deposit-model}
settings:
  default_compute: azureml:local
jobs:
  prep:
    component: azureml:lathe.split_data@latest
    inputs:
      data: ${{parent.inputs.raw}}
      label: y
      test_fraction: 0
      validation_fraction: 0.15
  train:
    component: azureml:lathe.train_tabular@latest
    inputs:
      train: ${{parent.jobs.prep.outputs.train}}
      validation: ${{parent.jobs.prep.outputs.validation}}
      label: y
      algorithm: gbdt
      n_estimators: 150
      learning_rate: 0.1
    outputs:
      model: ${{parent.outputs.model}}
  evaluate:
    component: azureml:lathe.evaluate@latest
    inputs:
      model: ${{parent.jobs.train.outputs.model}}
      data: ${{parent.inputs.test}}
`

// train runs the training pipeline twice: the first submission runs every
// step; the second finds each step's cache key (component, code,
// environment and input digests) already completed and reuses them all.
func train(ctx context.Context, e *Env) error {
	c, ws := e.Client, e.Workspace
	first, steps, err := runPipeline(ctx, e)
	if err != nil {
		return err
	}
	var trainJob, evalJob string
	for _, st := range steps {
		switch st.Step {
		case "train":
			trainJob = st.Job
		case "evaluate":
			evalJob = st.Job
		}
	}
	tj, err := c.Job(ctx, ws, trainJob)
	if err != nil {
		return err
	}
	ej, err := c.Job(ctx, ws, evalJob)
	if err != nil {
		return err
	}
	out, err := c.JobOutput(ctx, ws, first.Name, "model")
	if err != nil {
		return err
	}
	e.Say("model registered as %s:%s (%d files), reachable as %s", out.Name, out.Version, out.Files, lathe.JobOutputURI(first.Name, "model"))
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
	if err := c.MLflow(ctx, ws, "GET", "/mlflow/runs/get?run_id="+ej.RunID, nil, &run); err != nil {
		return err
	}
	got := map[string]float64{}
	for _, m := range run.Run.Data.Metrics {
		got[m.Key] = m.Value
	}
	auc, ok := got["test_roc_auc"]
	if !ok {
		return fmt.Errorf("the evaluate step (job %s) logged no test_roc_auc", evalJob)
	}
	e.Say("test ROC AUC %.4f, PR AUC %.4f, accuracy %.4f on the held-out test asset", auc, got["test_pr_auc"], got["test_accuracy"])
	e.Facts["run_id"], e.Facts["experiment_id"] = tj.RunID, tj.ExperimentID
	e.Facts["run_page"] = e.URL + "/ui/w/" + ws + "/runs/" + tj.RunID
	e.Facts["job_page"] = e.URL + "/ui/w/" + ws + "/jobs/" + first.Name

	e.Say("submitting the same pipeline again: unchanged steps are reused")
	_, again, err := runPipeline(ctx, e)
	if err != nil {
		return err
	}
	reused := 0
	for _, st := range again {
		if st.Reused {
			reused++
		}
	}
	if reused != len(again) {
		return fmt.Errorf("the second submission reused %d of %d steps, want all", reused, len(again))
	}
	return nil
}

// runPipeline submits the demo pipeline, waits for it to end and reports
// its steps; a pipeline that does not complete is an error with the
// failing step's reason.
func runPipeline(ctx context.Context, e *Env) (*lathe.Job, []lathe.PipelineStep, error) {
	c, ws := e.Client, e.Workspace
	start := time.Now()
	j, err := c.CreatePipelineJob(ctx, ws, client.PipelineRequest{Spec: lathe.PipelineSpec{File: "pipeline.yml", YAML: PipelineYAML}})
	if err != nil {
		return nil, nil, fmt.Errorf("submit the training pipeline: %w", err)
	}
	for !lathe.JobTerminal(j.Status) {
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if j, err = c.Job(ctx, ws, j.Name); err != nil {
			return nil, nil, err
		}
	}
	ps, err := c.PipelineSteps(ctx, ws, j.Name)
	if err != nil {
		return nil, nil, err
	}
	e.Say("pipeline %s %s in %s", j.Name, j.Status, time.Since(start).Round(time.Millisecond))
	for _, st := range ps.Items {
		took := ""
		if st.StartedAt != nil && st.EndedAt != nil {
			took = " in " + st.EndedAt.Sub(*st.StartedAt).Round(time.Millisecond).String()
		}
		how := st.State + took
		if st.Reused {
			how = "reused from " + st.Job
		}
		e.Say("  %-9s %-28s %s", st.Step, strings.TrimPrefix(st.Component, "azureml:"), how)
	}
	if j.Status != lathe.JobCompleted {
		return nil, nil, fmt.Errorf("pipeline %s ended %s: %s", j.Name, j.Status, j.Reason)
	}
	return j, ps.Items, nil
}
