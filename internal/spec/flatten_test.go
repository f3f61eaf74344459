package spec

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

// loadNested parses a pipeline under testdata/nested and loads its
// pipeline components from the files next to it, recording the keys asked.
func loadNested(t *testing.T, file string) (*PipelineJob, []string, error) {
	t.Helper()
	dir := filepath.Join("testdata", "nested")
	src, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseKind(KindPipelineJob, file, src)
	if err != nil {
		return nil, nil, err
	}
	p := doc.(*PipelineJob)
	var asked []string
	err = ResolveNested(p, func(key string, s *PipelineStep) (*PipelineComponent, error) {
		asked = append(asked, key)
		src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
		if err != nil {
			return nil, err
		}
		doc, err := ParseKind(KindPipelineComponent, path.Clean(key), src)
		if err != nil {
			return nil, err
		}
		return doc.(*PipelineComponent), nil
	})
	return p, asked, err
}

func binding(s *PipelineStep, in string) string {
	if i := s.Inputs[in]; i != nil && i.Binding != nil {
		return i.Binding.String()
	}
	return ""
}

func TestFlattenNested(t *testing.T) {
	t.Parallel()
	p, asked, err := loadNested(t, "outer.yml")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, ",") != "./sub/sub_pipeline.yml" {
		t.Errorf("loaded %v", asked)
	}
	f, err := Flatten(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.StepNames(), ","); got != "eval,prep,sub_score,sub_train" {
		t.Fatalf("steps = %s", got)
	}
	if len(p.Jobs) != 3 || p.Jobs["sub"] == nil {
		t.Errorf("Flatten changed its argument: %v", p.StepNames())
	}
	train, score, eval := f.Jobs["sub_train"], f.Jobs["sub_score"], f.Jobs["eval"]
	checks := []struct{ what, got, want string }{
		{"train.training_data", binding(train, "training_data"), "${{parent.jobs.prep.outputs.clean}}"},
		{"train.max_epochs", binding(train, "max_epochs"), "${{parent.inputs.rounds}}"},
		{"score.model", binding(score, "model"), "${{parent.jobs.sub_train.outputs.model}}"},
		{"eval.scores", binding(eval, "scores"), "${{parent.jobs.sub_score.outputs.result}}"},
		{"eval.trained_with", binding(eval, "trained_with"), "${{parent.inputs.rounds}}"},
		{"score.result", score.Outputs["result"].Binding.String(), "${{parent.outputs.final_scores}}"},
		{"train dir", train.Dir, "sub"},
		{"train component", LocalKey(train.Dir, train.ComponentRef), "sub/train.yml"},
		{"score code", LocalKey(score.Dir, score.Code), "sub/src"},
		{"lookup path", train.Inputs["lookup"].Path.Path, "sub/tables"},
		{"compute", train.Compute + "|" + score.Compute + "|" + eval.Compute, "gpu|gpu|"},
		{"train position", train.Pos.String(), "sub/sub_pipeline.yml:21:3"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if r := train.Inputs["learning_rate"]; r == nil || r.Value == nil || r.Value.Text != "0.5" {
		t.Errorf("learning_rate (the component's default) = %+v", r)
	}
	if _, ok := train.Inputs["mode"]; ok {
		t.Errorf("the optional mode, given nothing, was kept: %+v", train.Inputs["mode"])
	}
	// The flat pipeline is a valid DAG once its command components load.
	train.Component = parseFile(t, "testdata/nested/sub/train.yml").(*CommandComponent)
	steps, err := Steps(f)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range steps {
		order = append(order, s.Name)
	}
	if got := strings.Join(order, ","); got != "prep,sub_train,sub_score,eval" {
		t.Errorf("run order = %s", got)
	}
}

func TestFlattenDeepInline(t *testing.T) {
	t.Parallel()
	p, asked, err := loadNested(t, "deep.yml")
	if err != nil || len(asked) != 0 {
		t.Fatalf("err %v, loaded %v", err, asked)
	}
	f, err := Flatten(p)
	if err != nil {
		t.Fatal(err)
	}
	say := f.Jobs["a_b_say"]
	if say == nil || len(f.Jobs) != 2 {
		t.Fatalf("steps = %v", f.StepNames())
	}
	if got := binding(say, "w"); got != "${{parent.inputs.greeting}}" {
		t.Errorf("a_b_say.w = %s", got)
	}
	if say.Outputs["out"].Binding != nil {
		t.Errorf("a_b_say.out keeps a binding: %s", say.Outputs["out"].Binding)
	}
	if got := binding(f.Jobs["listen"], "heard"); got != "${{parent.jobs.a_b_say.outputs.out}}" {
		t.Errorf("listen.heard = %s", got)
	}
	if _, err := Steps(f); err != nil {
		t.Error(err)
	}
}

func TestFlattenPlainPipelineUnchanged(t *testing.T) {
	t.Parallel()
	p := parseFile(t, "testdata/good/pipeline-inline-component.yml").(*PipelineJob)
	f, err := Flatten(p)
	if err != nil || f != p {
		t.Errorf("Flatten of a pipeline without nested steps = %p, %v; want the same pipeline", f, err)
	}
}

func TestNestedErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		code string
		want []string
	}{
		{"cycle-outer.yml", lathe.EINVALID, []string{"loop.yml:4:3: jobs.back: component ./self.yml includes itself: self.yml → loop.yml → self.yml"}},
		{"collide.yml", lathe.EINVALID, []string{"sub/sub_pipeline.yml:30:3: step score of the pipeline component run by jobs.sub becomes sub_score, which is also the step at collide.yml:3:3"}},
		{"missing-input.yml", lathe.EINVALID, []string{
			`missing-input.yml:8:7: jobs.sub.inputs.colour refers to an undefined component input "colour"`,
			`missing-input.yml:3:3: jobs.sub: the component's input "data" is required and not given`}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			p, _, err := loadNested(t, c.file)
			if err == nil {
				_, err = Flatten(p)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if lathe.ErrorCode(err) != c.code {
				t.Errorf("code %s, want %s", lathe.ErrorCode(err), c.code)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\nlacks\n%s", err, w)
				}
			}
		})
	}
}

func TestPipelineComponentParse(t *testing.T) {
	t.Parallel()
	c := parseFile(t, "testdata/nested/sub/sub_pipeline.yml").(*PipelineComponent)
	if c.Name != "train_and_score" || c.DisplayName != "Train and score" || len(c.Jobs) != 2 || c.Inputs["epochs"].Default.Text != "3" {
		t.Errorf("component = %+v", c)
	}
	src, _ := os.ReadFile("testdata/nested/bad-parent-input.yml")
	_, err := Parse("bad-parent-input.yml", src)
	if err == nil || !strings.Contains(err.Error(), `bad-parent-input.yml:9:7: jobs.train.inputs.n: ${{parent.inputs.epocs}} refers to an undefined pipeline input "epocs" (did you mean "epochs"?)`) {
		t.Errorf("undefined parent input: %v", err)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"type: pipeline\njobs:\n  x:\n    type: pipeline\n    command: echo\n", "jobs.x has type: pipeline and a command"},
		{"type: pipeline\njobs:\n  x:\n    type: pipeline\n    component: ./s.yml\n    environment: azureml:e@latest\n", "environment is set on the steps of the pipeline component"},
		{"$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json\njobs:\n  x:\n    command: echo\nsettings: {}\n", "settings belong to the pipeline job"},
	} {
		_, err := Parse("x.yml", []byte(bad.yaml))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err %v, want %q", bad.yaml, err, bad.want)
		}
	}
}

func TestResolveNestedLimits(t *testing.T) {
	t.Parallel()
	// A chain of distinct files deeper than MaxNesting.
	p := &PipelineJob{Jobs: map[string]*PipelineStep{}}
	mk := func(i int) map[string]*PipelineStep {
		r, _ := ParseRef("./level" + string(rune('a'+i)) + ".yml")
		return map[string]*PipelineStep{"n": {Name: "n", Type: StepTypePipeline, ComponentRef: &r}}
	}
	p.Jobs = mk(0)
	depth := 0
	err := ResolveNested(p, func(key string, s *PipelineStep) (*PipelineComponent, error) {
		depth++
		return &PipelineComponent{Jobs: mk(depth)}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "nest more than 5 levels") || depth != MaxNesting {
		t.Errorf("err %v after %d loads", err, depth)
	}
	// A registered pipeline component is loaded by its reference as
	// written; one that runs itself is refused with the chain.
	r, _ := ParseRef("azureml:sub@latest")
	reg := func() map[string]*PipelineStep {
		return map[string]*PipelineStep{"n": {Name: "n", Type: StepTypePipeline, ComponentRef: &r}}
	}
	p.Jobs = reg()
	var asked []string
	err = ResolveNested(p, func(key string, s *PipelineStep) (*PipelineComponent, error) {
		asked = append(asked, key)
		return &PipelineComponent{Jobs: reg()}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "includes itself: azureml:sub@latest → azureml:sub@latest") || strings.Join(asked, ",") != "azureml:sub@latest" {
		t.Errorf("registered loop: %v after loading %v", err, asked)
	}
	p.Jobs = reg()
	err = ResolveNested(p, func(key string, s *PipelineStep) (*PipelineComponent, error) {
		return &PipelineComponent{Jobs: map[string]*PipelineStep{"a": {Name: "a"}}}, nil
	})
	if err != nil || p.Jobs["n"].Pipeline == nil || p.Jobs["n"].Pipeline.Jobs["a"].Dir != "" {
		t.Errorf("registered: %v", err)
	}
	// Registry pipeline components are refused.
	rr, _ := ParseRef("azureml://registries/r/components/sub/versions/1")
	p.Jobs = map[string]*PipelineStep{"n": {Name: "n", Type: StepTypePipeline, ComponentRef: &rr}}
	err = ResolveNested(p, nil)
	if lathe.ErrorCode(err) != lathe.EUNSUPPORTED {
		t.Errorf("registry: %v", err)
	}
	keysAsked := []string{LocalKey("", &Ref{Raw: "./a.yml", Path: "./a.yml"}), LocalKey("sub", &Ref{Raw: "../b.yml", Path: "../b.yml"})}
	sort.Strings(keysAsked)
	if strings.Join(keysAsked, ",") != "./a.yml,b.yml" {
		t.Errorf("LocalKey = %v", keysAsked)
	}
}

func TestFlattenSameComponentTwice(t *testing.T) {
	t.Parallel()
	p, asked, err := loadNested(t, "twice.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 {
		t.Errorf("loaded %v; want the file once per step", asked)
	}
	f, err := Flatten(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.StepNames(), ","); got != "first_score,first_train,second_score,second_train" {
		t.Fatalf("steps = %s", got)
	}
	st := f.Jobs["second_train"]
	if got := binding(st, "training_data"); got != "${{parent.jobs.first_score.outputs.result}}" {
		t.Errorf("second_train.training_data = %s", got)
	}
	// first was given no epochs: second reads first's input, which is the
	// component's default.
	if e := st.Inputs["max_epochs"]; e == nil || e.Value == nil || e.Value.Text != "3" {
		t.Errorf("second_train.max_epochs = %+v", e)
	}
	if o := f.Jobs["first_score"].Outputs["result"]; o.Binding != nil {
		t.Errorf("first_score.result is bound to %s; first's scores go nowhere", o.Binding)
	}
}
