package search

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func TestParseOrderBy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      []string
		forRuns bool
		want    []Order
		canon   []string
	}{
		// Recorded: runs/search seqs 55-56 and 77-81, experiments/search seq 4.
		{[]string{"metrics.rmse ASC", "attributes.start_time DESC"}, true,
			[]Order{{Kind: Metric, Key: "rmse"}, {Kind: Attribute, Key: AttrStartTime, Desc: true}},
			[]string{"metrics.rmse ASC", "attributes.start_time DESC"}},
		{[]string{"name ASC"}, false, []Order{{Kind: Attribute, Key: AttrName}}, []string{"attributes.name ASC"}},

		{nil, true, nil, nil},
		{[]string{"params.x"}, true, []Order{{Kind: Param, Key: "x"}}, []string{"params.x ASC"}},
		{[]string{"metrics.`my metric` desc"}, true, []Order{{Kind: Metric, Key: "my metric", Desc: true}}, []string{"metrics.`my metric` DESC"}},
		{[]string{`tags."mlflow.user"   Desc  `}, true, []Order{{Kind: Tag, Key: "mlflow.user", Desc: true}}, []string{"tags.mlflow.user DESC"}},
		{[]string{"created DESC", "attributes.run_name"}, true,
			[]Order{{Kind: Attribute, Key: AttrStartTime, Desc: true}, {Kind: Attribute, Key: AttrRunName}},
			[]string{"attributes.start_time DESC", "attributes.run_name ASC"}},
		{[]string{"attributes.Created", "end_time desc", "status", "user_id", "artifact_uri", "run_id"}, true,
			[]Order{{Kind: Attribute, Key: AttrStartTime}, {Kind: Attribute, Key: AttrEndTime, Desc: true}, {Kind: Attribute, Key: AttrStatus}, {Kind: Attribute, Key: AttrUserID}, {Kind: Attribute, Key: AttrArtifactURI}, {Kind: Attribute, Key: AttrRunID}},
			nil},
		{[]string{"experiment_id DESC", "attributes.last_update_time", "creation_time asc"}, false,
			[]Order{{Kind: Attribute, Key: AttrExperimentID, Desc: true}, {Kind: Attribute, Key: AttrLastUpdateTime}, {Kind: Attribute, Key: AttrCreationTime}},
			nil},
	}
	for _, tc := range cases {
		got, err := ParseOrderBy(tc.in, tc.forRuns)
		if err != nil {
			t.Errorf("ParseOrderBy(%q, %v): %v", tc.in, tc.forRuns, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseOrderBy(%q, %v) = %+v, want %+v", tc.in, tc.forRuns, got, tc.want)
		}
		var canon []string
		for _, o := range got {
			canon = append(canon, o.String())
		}
		if tc.canon != nil && !slices.Equal(canon, tc.canon) {
			t.Errorf("ParseOrderBy(%q) canonical %q, want %q", tc.in, canon, tc.canon)
		}
		if back, err := ParseOrderBy(canon, tc.forRuns); err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("canonical %q parses to %+v, %v", canon, back, err)
		}
	}
}

func TestParseOrderByInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      []string
		forRuns bool
		input   string // the clause the error names
		msg     string
		pos     int
	}{
		{[]string{"metrics.a foo"}, true, "metrics.a foo", "Invalid ordering key in order_by clause 'metrics.a foo'.", 10},
		{[]string{"metrics.a ASC x"}, true, "metrics.a ASC x", "Invalid order_by clause 'metrics.a ASC x'. Could not be parsed: unexpected 'x' at position 14", 14},
		{[]string{"metrics.a ,"}, true, "metrics.a ,", "Invalid order_by clause 'metrics.a ,'. Could not be parsed: unexpected ',' at position 10", 10},
		{[]string{""}, true, "", "Invalid order_by clause ''. Could not be parsed.", 0},
		{[]string{"  "}, false, "  ", "Invalid order_by clause '  '. Could not be parsed.", 2},
		{[]string{"(metrics.a)"}, true, "(metrics.a)", "Invalid order_by clause '(metrics.a)'. Could not be parsed: unexpected '(' at position 0", 0},
		{[]string{"metrics.`a"}, true, "metrics.`a", "Invalid order_by clause 'metrics.`a'. Could not be parsed: unterminated quoted key at position 8", 8},
		{[]string{"metrics."}, true, "metrics.", "Invalid order_by clause 'metrics.'. Could not be parsed: expected a key after 'metrics.' at position 8", 8},
		{[]string{"attributes.nope"}, true, "attributes.nope", "Invalid attribute key 'nope' specified. Valid keys are '{'status', 'Created', 'run_name', 'created', 'start_time', 'end_time', 'run_id', 'user_id', 'artifact_uri'}'", 11},
		{[]string{"attributes.`Run Name`"}, true, "attributes.`Run Name`", "Invalid attribute key 'Run Name' specified. Valid keys are '{'status', 'Created', 'run_name', 'created', 'start_time', 'end_time', 'run_id', 'user_id', 'artifact_uri'}'", 11},
		{[]string{"foo.x"}, true, "foo.x", "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']", 0},
		{[]string{"datasets.name"}, true, "datasets.name", "Invalid order_by entity type 'dataset'", 0},
		{[]string{"datasets.foo"}, true, "datasets.foo", "Invalid dataset key 'foo' specified. Valid keys are '{'name', 'digest', 'context'}'", 9},
		{[]string{"metrics.`` ASC"}, true, "metrics.`` ASC", "Invalid order_by clause 'metrics.`` ASC'. Could not be parsed: the metric name is empty at position 8", 8},
		{[]string{"created", "start_time DESC"}, true, "start_time DESC", "`order_by` contains duplicate fields: ['created', 'start_time DESC']", 0},
		{[]string{"metrics.a", "metrics.b", "metrics.`a`"}, true, "metrics.`a`", "`order_by` contains duplicate fields: ['metrics.a', 'metrics.b', 'metrics.`a`']", 0},
		{[]string{"tags.x"}, false, "tags.x", "Invalid order_by entity: tag", 0},
		{[]string{"metrics.x"}, false, "metrics.x", "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'attributes', 'tag', 'tags')", 0},
		{[]string{"run_id"}, false, "run_id", "Invalid attribute key 'run_id' specified. Valid keys are '{'name', 'experiment_id', 'creation_time', 'last_update_time'}'", 0},
		{[]string{"name ASC", "bad clause here"}, false, "bad clause here", "Invalid attribute key 'bad' specified. Valid keys are '{'name', 'experiment_id', 'creation_time', 'last_update_time'}'", 0},
	}
	for _, tc := range cases {
		_, err := ParseOrderBy(tc.in, tc.forRuns)
		if err == nil {
			t.Errorf("ParseOrderBy(%q, %v) succeeded, want %q", tc.in, tc.forRuns, tc.msg)
			continue
		}
		if tc.input != "" && tc.input != tc.in[len(tc.in)-1] {
			t.Fatalf("bad case %q", tc.in)
		}
		checkSyntaxError(t, tc.input, err, tc.msg, tc.pos)
	}
}

func TestParseOrderByLimits(t *testing.T) {
	t.Parallel()
	many := make([]string, MaxOrderBy+1)
	for i := range many {
		many[i] = "metrics.m" + strings.Repeat("x", i)
	}
	if _, err := ParseOrderBy(many, true); !lathe.IsCode(err, lathe.EINVALID) {
		t.Errorf("%d clauses: %v", len(many), err)
	}
	if _, err := ParseOrderBy(many[:MaxOrderBy], true); err != nil {
		t.Errorf("%d clauses: %v", MaxOrderBy, err)
	}
	long := "metrics.`" + strings.Repeat("x", MaxOrderByLen) + "`"
	if _, err := ParseOrderBy([]string{long}, true); !lathe.IsCode(err, lathe.EINVALID) {
		t.Errorf("%d-byte clause: %v", len(long), err)
	}
}

func TestCompleteOrder(t *testing.T) {
	t.Parallel()
	start := Order{Kind: Attribute, Key: AttrStartTime, Desc: true}
	runID := Order{Kind: Attribute, Key: AttrRunID}
	rmse := Order{Kind: Metric, Key: "rmse"}
	if got, want := DefaultRunOrder(), []Order{start, runID}; !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultRunOrder() = %+v, want %+v", got, want)
	}
	in := []Order{rmse}
	if got, want := CompleteRunOrder(in), []Order{rmse, start, runID}; !reflect.DeepEqual(got, want) {
		t.Errorf("CompleteRunOrder = %+v, want %+v", got, want)
	}
	if len(in) != 1 {
		t.Errorf("CompleteRunOrder modified its argument")
	}
	asc := Order{Kind: Attribute, Key: AttrStartTime}
	if got, want := CompleteRunOrder([]Order{asc}), []Order{asc, runID}; !reflect.DeepEqual(got, want) {
		t.Errorf("CompleteRunOrder(start_time ASC) = %+v, want %+v", got, want)
	}

	created := Order{Kind: Attribute, Key: AttrCreationTime, Desc: true}
	expID := Order{Kind: Attribute, Key: AttrExperimentID}
	name := Order{Kind: Attribute, Key: AttrName}
	if got, want := CompleteExperimentOrder(nil), []Order{created, expID}; !reflect.DeepEqual(got, want) {
		t.Errorf("CompleteExperimentOrder(nil) = %+v, want %+v", got, want)
	}
	if got, want := CompleteExperimentOrder([]Order{name}), []Order{name, {Kind: Attribute, Key: AttrExperimentID, Desc: true}}; !reflect.DeepEqual(got, want) {
		t.Errorf("CompleteExperimentOrder(name) = %+v, want %+v", got, want)
	}
}
