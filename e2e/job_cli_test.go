package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJobCLI drives `lathe job` against the real binary: a job with a local
// uri_file input and a uri_folder output, run with --stream, its output
// downloaded; an optional $[[ ]] fragment with the input unset and set
// through --set; a code folder whose .amlignore'd file must not be staged;
// a misspelt field refused with file:line; a failing job's exit code.
func TestJobCLI(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	env := p.cliEnv(t)
	lathe := func(args ...string) (string, string, int) {
		t.Helper()
		return run(t, env, args...)
	}

	dir := t.TempDir()
	files := map[string]string{
		"job.yml": `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: sh train.sh ${{inputs.rows}} ${{outputs.model}} $[[--epochs ${{inputs.epochs}}]]
code: src
inputs:
  rows:
    type: uri_file
    path: data/rows.csv
  epochs: ""
outputs:
  model:
    type: uri_folder
experiment_name: e2e-jobs
`,
		"data/rows.csv": "x,y\n1,2\n3,4\n",
		"src/train.sh": `set -e
rows=$1 out=$2
shift 2
echo "options: [$*]"
if [ -e private.key ]; then echo "private.key was staged"; exit 9; fi
wc -l < "$rows" > "$out/lines.txt"
`,
		"src/private.key": "secret",
		"src/.amlignore":  "*.key\n",
		"typo.yml":        "command: echo hi\ncompte: local\n",
		"fail.yml":        "command: echo failing; exit 4\n",
	}
	for name, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	out, stderr, code := lathe("job", "create", "-f", filepath.Join(dir, "job.yml"), "--stream", "--name", "first")
	if code != 0 || !strings.Contains(out, "options: []") || strings.Contains(out, "private.key was staged") {
		t.Fatalf("job create --stream: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	out, stderr, code = lathe("job", "create", "-f", filepath.Join(dir, "job.yml"), "--stream", "--name", "second", "--set", "inputs.epochs=3")
	if code != 0 || !strings.Contains(out, "options: [--epochs 3]") {
		t.Fatalf("job create --set: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}

	to := filepath.Join(t.TempDir(), "dl")
	if _, stderr, code := lathe("job", "download", "second", "--to", to); code != 0 {
		t.Fatalf("job download: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(to, "named-outputs", "model", "lines.txt")); err != nil || strings.TrimSpace(string(b)) != "3" {
		t.Errorf("downloaded output = %q, %v; want 3", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(to, "logs", "std_log.txt")); err != nil || !strings.Contains(string(b), "options: [--epochs 3]") {
		t.Errorf("downloaded log = %q, %v", b, err)
	}

	out, _, code = lathe("job", "show", "second", "-o", "json")
	var shown struct {
		Status string `json:"status"`
		Spec   struct {
			Inputs map[string]struct {
				Path string `json:"path"`
				Data string `json:"data"`
			} `json:"inputs"`
			Outputs map[string]struct {
				Data string `json:"data"`
			} `json:"outputs"`
		} `json:"spec"`
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil {
		t.Fatalf("job show: exit %d, %v\n%s", code, err, out)
	}
	if shown.Status != "completed" || shown.Spec.Inputs["rows"].Data == "" || shown.Spec.Outputs["model"].Data != "azureml_second_output_model:1" || len(shown.Events) < 3 {
		t.Errorf("job show = %+v", shown)
	}

	_, stderr, code = lathe("job", "create", "-f", filepath.Join(dir, "typo.yml"))
	if code != 1 || !strings.Contains(stderr, "typo.yml:2:") || !strings.Contains(stderr, "compte") {
		t.Errorf("misspelt field: exit %d, stderr %q", code, stderr)
	}
	out, stderr, code = lathe("job", "create", "-f", filepath.Join(dir, "fail.yml"), "--stream")
	if code != 1 || !strings.Contains(out, "failing") || !strings.Contains(stderr, "exit code 4") {
		t.Errorf("failing job: exit %d\nstdout %q\nstderr %q", code, out, stderr)
	}
}
