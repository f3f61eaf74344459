package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// TestPipelineNested submits a pipeline whose middle step runs a pipeline
// component file (type: pipeline) of two steps — train from a command
// component file with its own code, score an inline command with code —
// through the real binary: the inner steps run as <step>_<inner> jobs,
// data flows prep → fit_train → fit_score → eval and out to the
// pipeline's output, the component's defaults apply, and a second
// submission reuses every step. A component file whose step binds an
// undefined parent input is refused with its file:line before anything
// runs, through the CLI and the API.
func TestPipelineNested(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	env := p.cliEnv(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "pipelines", "nested"), dir)
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
		out, errOut, code := run(t, env, args...)
		if code != 0 {
			t.Fatalf("lathe %v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		return out
	}
	outer := filepath.Join(dir, "outer.yml")
	all := []string{"prep", "fit_train", "fit_score", "eval"}

	mustRun("job", "create", "-f", outer, "--name", "nest1", "--stream")
	s1 := steps("nest1")
	if len(s1) != len(all) {
		t.Fatalf("steps = %+v; want %v", s1, all)
	}
	for _, k := range all {
		if s1[k].State != "completed" || s1[k].Reused || s1[k].Job != "nest1-"+k {
			t.Fatalf("nest1 step %s = %+v; want completed as job nest1-%s", k, s1[k], k)
		}
	}
	if !strings.HasPrefix(s1["fit_train"].Component, lathe.AnonymousComponent+":") {
		t.Errorf("fit_train ran component %q; want the registered component file", s1["fit_train"].Component)
	}
	if d := s1["fit_score"].Deps; len(d) != 1 || d[0] != "fit_train" {
		t.Errorf("fit_score depends on %v; want fit_train", d)
	}
	if log := logText(t, c, s1["fit_train"].Job); !strings.Contains(log, "fit on 4 rows, 3 epochs at 0.25") {
		t.Errorf("fit_train did not get prep's rows, the step's epochs and the component's default rate:\n%s", log)
	}
	if log := logText(t, c, s1["eval"].Job); !strings.Contains(log, "eval read scored model rows=4 epochs=3 rate=0.25") {
		t.Errorf("eval did not read the nested component's output:\n%s", log)
	}
	pj, err := c.Job(ctx, lathe.DefaultWorkspace, "nest1")
	if err != nil || pj.Status != lathe.JobCompleted {
		t.Fatalf("pipeline job = %+v, %v", pj, err)
	}
	sj, err := c.Job(ctx, lathe.DefaultWorkspace, "nest1-fit_score")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pj.Spec.Outputs["final_scores"].Data, sj.Spec.Outputs["result"].Data; got == "" || got != want {
		t.Errorf("pipeline output final_scores = %q; want fit_score's result %q", got, want)
	}

	// The same submission again reuses every step, inner ones included.
	out := mustRun("job", "create", "-f", outer, "--name", "nest2", "--stream")
	s2 := steps("nest2")
	for _, k := range all {
		if s2[k].State != "reused" || s2[k].Job != s1[k].Job {
			t.Errorf("nest2 step %s = %+v; want reused from %s\n%s", k, s2[k], s1[k].Job, out)
		}
	}

	// An inner step binding an undefined parent input: refused with the
	// component file's line, and nothing runs.
	bad := filepath.Join(dir, "bad-outer.yml")
	_, errOut, code := run(t, env, "job", "create", "-f", bad, "--name", "nestbad")
	want := filepath.Join(dir, "sub", "bad_inner.yml") + ":10:"
	if code == 0 || !strings.Contains(errOut, want) || !strings.Contains(errOut, `"epoch_count"`) {
		t.Errorf("lathe job create -f bad-outer.yml: exit %d\n%s\nwant %s and the undefined input", code, errOut, want)
	}
	if _, err := c.Job(ctx, lathe.DefaultWorkspace, "nestbad"); !lathe.IsCode(err, lathe.ENOTFOUND) {
		t.Errorf("job nestbad after the refusal: %v, want not found", err)
	}
	// The server checks it too, and wants the component file sent.
	badYAML, _ := os.ReadFile(bad)
	inner, _ := os.ReadFile(filepath.Join(dir, "sub", "bad_inner.yml"))
	spec := lathe.PipelineSpec{File: "bad-outer.yml", YAML: string(badYAML), Pipelines: map[string]string{"./sub/bad_inner.yml": string(inner)}}
	_, err = c.CreatePipelineJob(ctx, lathe.DefaultWorkspace, client.PipelineRequest{Name: "nestbad", Spec: spec})
	if err == nil || !strings.Contains(err.Error(), "sub/bad_inner.yml:10:") || !strings.Contains(err.Error(), `"epoch_count"`) {
		t.Errorf("API submit of the bad component: %v", err)
	}
	spec.Pipelines = nil
	_, err = c.CreatePipelineJob(ctx, lathe.DefaultWorkspace, client.PipelineRequest{Name: "nestbad", Spec: spec})
	if err == nil || !strings.Contains(err.Error(), "bad-outer.yml:8:") || !strings.Contains(err.Error(), "was not sent with the pipeline") {
		t.Errorf("API submit without the component file: %v", err)
	}
}
