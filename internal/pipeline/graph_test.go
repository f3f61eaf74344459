package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

// edges parses "a>b c>d" into edges (b reads from a).
func edges(s string) []Edge {
	var out []Edge
	for _, f := range strings.Fields(s) {
		from, to, _ := strings.Cut(f, ">")
		out = append(out, Edge{From: from, To: to})
	}
	return out
}

func mustGraph(t testing.TB, names string, e string) *Graph {
	t.Helper()
	g, err := New(strings.Fields(names), edges(e))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, names, edges string
		want               []string
	}{
		{"duplicate step", "a b a", "", []string{`"a" is listed twice`}},
		{"unknown source", "a b", "x>b", []string{`"b" reads from "x"`, "not a step"}},
		{"unknown target", "a b", "a>x", []string{`goes to "x"`}},
		{"self loop", "a b", "a>a", []string{`"a" reads from itself`}},
		{"two-step cycle", "a b c", "a>b b>a b>c", []string{"cycle", "a needs b", "b needs a"}},
		{"cycle behind a chain", "s a b c", "s>a a>b b>c c>a", []string{"cycle", "a needs c", "c needs b", "b needs a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(strings.Fields(tc.names), edges(tc.edges))
			if lathe.ErrorCode(err) != lathe.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestGraphStructure(t *testing.T) {
	t.Parallel()
	g := mustGraph(t, "d c b a", "a>b a>c b>d c>d a>b")
	idx := func(n string) int { i, _ := g.Index(n); return i }
	if got, want := g.Deps(idx("d")), []int{idx("c"), idx("b")}; !reflect.DeepEqual(got, want) {
		t.Errorf("deps(d) = %v, want %v (c, b ascending)", got, want)
	}
	if got, want := g.Dependants(idx("a")), []int{idx("c"), idx("b")}; !reflect.DeepEqual(got, want) {
		t.Errorf("dependants(a) = %v, want %v (duplicate edge merged)", got, want)
	}
	if g.Edges() != 4 {
		t.Errorf("edges = %d, want 4", g.Edges())
	}
	pos := map[int]int{}
	for p, i := range g.Order() {
		pos[i] = p
	}
	for i := range g.Len() {
		for _, d := range g.Deps(i) {
			if pos[d] >= pos[i] {
				t.Errorf("order puts %s before its dependency %s", g.Name(i), g.Name(d))
			}
		}
	}
	if _, ok := g.Index("zz"); ok {
		t.Error("Index found a step that does not exist")
	}
}

func TestNewIndexed(t *testing.T) {
	t.Parallel()
	g, err := NewIndexed(3, [][2]int{{0, 2}, {1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Name(2) != "2" || !reflect.DeepEqual(g.Deps(2), []int{0, 1}) {
		t.Errorf("name %q deps %v", g.Name(2), g.Deps(2))
	}
	if _, err := NewIndexed(2, [][2]int{{0, 5}}); lathe.ErrorCode(err) != lathe.EINVALID {
		t.Errorf("out-of-range edge: err = %v", err)
	}
}

const threeSteps = `type: pipeline
inputs:
  raw:
    type: uri_folder
    path: azureml:raw:1
jobs:
  prep:
    command: prep ${{inputs.raw}} ${{outputs.clean}}
    inputs:
      raw: ${{parent.inputs.raw}}
    outputs:
      clean:
  train:
    command: train ${{inputs.data}} ${{outputs.model}}
    inputs:
      data: ${{parent.jobs.prep.outputs.clean}}
    outputs:
      model:
  evaluate:
    command: eval ${{inputs.model}} ${{inputs.data}}
    inputs:
      model: ${{parent.jobs.train.outputs.model}}
      data: ${{parent.jobs.prep.outputs.clean}}
`

func parsePipeline(t testing.TB, src string) *spec.PipelineJob {
	t.Helper()
	doc, err := spec.Parse("pipeline.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return doc.(*spec.PipelineJob)
}

func TestFromSteps(t *testing.T) {
	t.Parallel()
	steps, err := spec.Steps(parsePipeline(t, threeSteps))
	if err != nil {
		t.Fatal(err)
	}
	g, err := FromSteps(steps)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for i := range g.Len() {
		for _, d := range g.Deps(i) {
			got[g.Name(i)] = append(got[g.Name(i)], g.Name(d))
		}
	}
	want := map[string][]string{"train": {"prep"}, "evaluate": {"prep", "train"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deps = %v, want %v", got, want)
	}
	if r := Ready(g, make([]State, g.Len())); len(r) != 1 || g.Name(r[0]) != "prep" {
		t.Errorf("first ready set = %v, want [prep]", r)
	}
}
