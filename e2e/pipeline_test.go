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

// copyTree copies a testdata folder into dir.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPipelines submits our own pipeline YAMLs through the real binary:
// an inline output → input edge, a three-step pipeline from component
// files with pipeline inputs and outputs and an optional input, a second
// submission that reuses every step, a forced rerun, cache invalidation,
// a type error reported with file:line before anything runs, and a
// failing middle step with and without continue_on_step_failure.
func TestPipelines(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	env := p.cliEnv(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "pipelines"), dir)
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		return run(t, env, args...)
	}
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := func(name string) map[string]lathe.PipelineStep {
		t.Helper()
		return stepsByName(t, c, name)
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out, errOut, code := cli(args...)
		if code != 0 {
			t.Fatalf("lathe %v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		return out
	}
	f := func(name string) string { return filepath.Join(dir, name) }

	// hello-pipeline-io: the second step reads the first one's output.
	mustRun("job", "create", "-f", f("hello-io.yml"), "--name", "hello", "--stream")
	hs := steps("hello")
	if hs["world_job"].State != "completed" || hs["hello_job"].State != "completed" {
		t.Fatalf("hello steps = %+v", hs)
	}
	if log := logText(t, c, hs["world_job"].Job); !strings.Contains(log, "world") {
		t.Fatalf("world_job did not read hello_job's output:\n%s", log)
	}

	// Three steps from component files, with pipeline inputs and outputs.
	mustRun("job", "create", "-f", f("train-score-eval.yml"), "--name", "tse1", "--stream")
	s1 := steps("tse1")
	for _, k := range []string{"train", "score", "evaluate"} {
		if s1[k].State != "completed" || s1[k].Reused || !strings.HasPrefix(s1[k].Component, lathe.AnonymousComponent+":") {
			t.Fatalf("tse1 step %s = %+v", k, s1[k])
		}
	}
	if log := logText(t, c, s1["train"].Job); !strings.Contains(log, "training on 3 rows for 5 epochs at 0.01") || strings.Contains(log, "--mode") {
		t.Fatalf("train's log shows the wrong inputs (the optional mode must be left out):\n%s", log)
	}
	pj, err := c.Job(ctx, lathe.DefaultWorkspace, "tse1")
	if err != nil || pj.Type != lathe.JobTypePipeline || pj.Spec.Outputs["pipeline_model"].Data == "" {
		t.Fatalf("pipeline job = %+v, %v; want its pipeline_model output registered", pj, err)
	}
	tj, _ := c.Job(ctx, lathe.DefaultWorkspace, s1["train"].Job)
	if pj.Spec.Outputs["pipeline_model"].Data != tj.Spec.Outputs["model_output"].Data {
		t.Fatalf("pipeline_model = %s, train's model_output = %s", pj.Spec.Outputs["pipeline_model"].Data, tj.Spec.Outputs["model_output"].Data)
	}

	// The same submission again reuses every step.
	out := mustRun("job", "create", "-f", f("train-score-eval.yml"), "--name", "tse2", "--stream")
	if !strings.Contains(out, "reused from tse1-train") {
		t.Fatalf("stream of the second run does not say reused:\n%s", out)
	}
	s2 := steps("tse2")
	for _, k := range []string{"train", "score", "evaluate"} {
		if s2[k].State != "reused" || s2[k].Job != s1[k].Job {
			t.Fatalf("tse2 step %s = %+v; want reused from %s", k, s2[k], s1[k].Job)
		}
	}
	// A different input value runs train again; score and evaluate then
	// read a new model and run too.
	mustRun("job", "create", "-f", f("train-score-eval.yml"), "--name", "tse3", "--set", "inputs.epochs=7", "--stream")
	if s3 := steps("tse3"); s3["train"].State != "completed" || s3["score"].State != "completed" {
		t.Fatalf("tse3 (epochs changed) = %+v", s3)
	}

	// --force-rerun runs every step.
	mustRun("job", "create", "-f", f("train-score-eval.yml"), "--name", "tse4", "--force-rerun", "--stream")
	for k, s := range steps("tse4") {
		if s.State != "completed" || s.Reused {
			t.Fatalf("forced step %s = %+v", k, s)
		}
	}
	// Invalidating train's cache entry reruns train; score is reused
	// because train writes the same model.
	mustRun("job", "cache", "invalidate", "tse4-train")
	mustRun("job", "create", "-f", f("train-score-eval.yml"), "--name", "tse5", "--stream")
	if s5 := steps("tse5"); s5["train"].State != "completed" || s5["score"].State != "reused" {
		t.Fatalf("after invalidate: %+v", s5)
	}

	// job show lists the steps; -o json carries them.
	show := mustRun("job", "show", "tse2")
	if !strings.Contains(show, "step train") || !strings.Contains(show, "reused from tse1-train") {
		t.Fatalf("job show:\n%s", show)
	}
	var detail struct {
		Steps []lathe.PipelineStep `json:"steps"`
	}
	if err := json.Unmarshal([]byte(mustRun("job", "show", "tse2", "-o", "json")), &detail); err != nil || len(detail.Steps) != 3 {
		t.Fatalf("job show -o json steps = %+v, %v", detail.Steps, err)
	}

	// Type errors are reported with file:line before anything runs.
	_, errOut, code := cli("job", "create", "-f", f("bad-enum.yml"))
	if code == 0 || !strings.Contains(errOut, "bad-enum.yml:11:") || !strings.Contains(errOut, "above the maximum 100") ||
		!strings.Contains(errOut, `"slow" is not one of the allowed values`) {
		t.Fatalf("bad-enum: exit %d\n%s", code, errOut)
	}

	// A failing middle step stops the pipeline: its dependant is skipped
	// and a step not yet started on the other branch is canceled.
	_, errOut, code = cli("job", "create", "-f", f("failing.yml"), "--name", "fail1", "--stream")
	if code == 0 || !strings.Contains(errOut, "step middle") {
		t.Fatalf("failing pipeline: exit %d\n%s", code, errOut)
	}
	fs := steps("fail1")
	if fs["middle"].State != "failed" || fs["after_middle"].State != "skipped" || fs["after_side"].State != "canceled" || fs["side"].State != "completed" {
		t.Fatalf("fail1 steps = %+v", fs)
	}
	// With continue_on_step_failure the other branch runs to its end.
	_, _, code = cli("job", "create", "-f", f("failing.yml"), "--name", "fail2", "--set", "settings.continue_on_step_failure=true", "--stream")
	fs = steps("fail2")
	if code == 0 || fs["middle"].State != "failed" || fs["after_middle"].State != "skipped" || fs["after_side"].State != "completed" {
		t.Fatalf("fail2 (continue_on_step_failure) exit %d, steps = %+v", code, fs)
	}

	// Components: register, list, show, archive.
	mustRun("component", "create", "-f", f("train.yml"))
	mustRun("component", "create", "-f", f("train.yml"), "--version", "2")
	list := mustRun("component", "list")
	if !strings.Contains(list, "e2e_train") || !strings.Contains(list, "lathe.train_tabular") {
		t.Fatalf("component list:\n%s", list)
	}
	mustRun("component", "archive", "-n", "e2e_train", "-v", "2")
	if show := mustRun("component", "show", "-n", "e2e_train"); !strings.Contains(show, "version           1") && !strings.Contains(show, "e2e_train:1") {
		t.Fatalf("after archiving version 2, latest should be 1:\n%s", show)
	}
}

// stepsByName returns a pipeline job's steps by step name.
func stepsByName(t *testing.T, c *client.Client, name string) map[string]lathe.PipelineStep {
	t.Helper()
	ps, err := c.PipelineSteps(t.Context(), lathe.DefaultWorkspace, name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]lathe.PipelineStep{}
	for _, s := range ps.Items {
		out[s.Step] = s
	}
	return out
}
