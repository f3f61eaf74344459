package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

func TestNestedPipelines(t *testing.T) {
	t.Parallel()
	outer := "type: pipeline\njobs:\n  fit:\n    type: pipeline\n    component: ./sub/p.yml\n"
	sub := "$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json\ntype: pipeline\njobs:\n  train:\n    command: sh run.sh\n    code: ./src\n  deeper:\n    type: pipeline\n    component: ../more/q.yml\n"
	more := "type: pipeline\njobs:\n  leaf:\n    component: ./leaf.yml\n"
	cases := []struct {
		name  string
		files map[string]string
		keys  string // PipelineSpec.Pipelines keys
		paths string // step: component or code path relative to the pipeline
		err   string
	}{
		{"two levels", map[string]string{"sub/p.yml": sub, "more/q.yml": more}, "./sub/p.yml,more/q.yml",
			"fit_deeper_leaf:more/leaf.yml,fit_train:sub/src", ""},
		{"missing file", map[string]string{}, "", "", "jobs.fit: component ./sub/p.yml"},
		{"self inclusion", map[string]string{"sub/p.yml": strings.Replace(sub, "../more/q.yml", "./p.yml", 1)}, "", "", "includes itself: sub/p.yml → sub/p.yml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, text := range c.files {
				f := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			doc, err := spec.Parse("outer.yml", []byte(outer))
			if err != nil {
				t.Fatal(err)
			}
			ps := &lathe.PipelineSpec{}
			p, err := nestedPipelines(dir, ps, doc.(*spec.PipelineJob), nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sortedNames(ps.Pipelines), ","); got != c.keys {
				t.Errorf("sent %s, want %s", got, c.keys)
			}
			var paths []string
			for _, n := range p.StepNames() {
				st := p.Jobs[n]
				switch {
				case st.ComponentRef != nil:
					paths = append(paths, n+":"+stepPath(st.Dir, st.ComponentRef.Path))
				case st.Code != nil:
					paths = append(paths, n+":"+stepPath(st.Dir, st.Code.Path))
				}
			}
			if got := strings.Join(paths, ","); got != c.paths {
				t.Errorf("paths = %s, want %s", got, c.paths)
			}
		})
	}
}
