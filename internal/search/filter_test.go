package search

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

// recordedRunFilters are the filter strings the real MLflow client sent in
// the conformance recording (exchanges.jsonl, runs/search), with the
// canonical form Lathe gives them.
var recordedRunFilters = []struct{ in, canon string }{
	{"metrics.rmse < 1 and params.alpha = '0.5'", "metrics.rmse < 1 AND params.alpha = '0.5'"}, // seq 48
	{"tags.team = 'a'", "tags.team = 'a'"},                                                     // seq 49
	{"attributes.status = 'FINISHED'", "attributes.status = 'FINISHED'"},                       // seqs 50, 75
	{"attributes.run_name = 'run-alpha'", "attributes.run_name = 'run-alpha'"},                 // seq 51
	{"params.solver LIKE 'lb%'", "params.solver LIKE 'lb%'"},                                   // seq 52
	{"metrics.rmse < 1", "metrics.rmse < 1"},                                                   // seq 54
	{"", ""},                                                                                   // seqs 55-56, 77-81, 113
	{"tags.mlflow.parentRunId = '77f7798b6e9a40a4b24ae153bbbfe7cd'", "tags.mlflow.parentRunId = '77f7798b6e9a40a4b24ae153bbbfe7cd'"}, // seq 76
}

var validRunFilters = []struct {
	in, canon string
}{
	{"   ", ""},
	{"\t\n", ""},
	{"metrics.accuracy > 0.92", "metrics.accuracy > 0.92"},
	{`params.model = "LogisticRegression" and params.lambda = "0.001" and metrics.error <= 0.05`, "params.model = 'LogisticRegression' AND params.lambda = '0.001' AND metrics.error <= 0.05"},
	{`attributes.status = "FAILED"`, "attributes.status = 'FAILED'"},
	{"attributes.created > 1670628787527", "attributes.start_time > 1670628787527"},
	{"attributes.Created > 1670628787527", "attributes.start_time > 1670628787527"},
	{"attributes.start_time >= 1664067852747", "attributes.start_time >= 1664067852747"},
	{"attributes.end_time < 1664067852747", "attributes.end_time < 1664067852747"},
	{"metrics.`f1 score` > 0.5", "metrics.`f1 score` > 0.5"},
	{"tags.`mlflow.user` = 'john@mlflow.com'", "tags.mlflow.user = 'john@mlflow.com'"},
	{`tags."mlflow.user" = 'john@mlflow.com'`, "tags.mlflow.user = 'john@mlflow.com'"},
	{"tags.`model` LIKE 'sklearn%'", "tags.model LIKE 'sklearn%'"},
	{"tags.`type` ILIKE '%Logistic%'", "tags.type ILIKE '%Logistic%'"},
	{"attributes.`run_name` IN ('alpha', 'beta', 'gamma')", "attributes.run_name IN ('alpha', 'beta', 'gamma')"},
	{"attributes.`run name` IN ('alpha', 'beta', 'gamma')", "attributes.run_name IN ('alpha', 'beta', 'gamma')"},
	{"attributes.`Run name` IN ('alpha')", "attributes.run_name IN ('alpha')"},
	{"attributes.`Run Name` = 'alpha'", "attributes.run_name = 'alpha'"},
	{"attributes.run_id IN ('a1b2c3d4', 'e5f6g7h8')", "attributes.run_id IN ('a1b2c3d4', 'e5f6g7h8')"},
	{"attributes.run_id not in (\"a\",'b')", "attributes.run_id NOT IN ('a', 'b')"},
	{"attributes.artifact_uri = 'models:/mymodel/1'", "attributes.artifact_uri = 'models:/mymodel/1'"},
	{"attributes.user_id = 'user1'", "attributes.user_id = 'user1'"},
	{"status = 'RUNNING'", "attributes.status = 'RUNNING'"},
	{"`Run Name` LIKE 'x%'", "attributes.run_name LIKE 'x%'"},
	{"run.status != 'FAILED'", "attributes.status != 'FAILED'"},
	{"attr.run_id = 'x'", "attributes.run_id = 'x'"},
	{"`metrics`.acc > 1", "metrics.acc > 1"},
	{"metric.x >= -1.5e3", "metrics.x >= -1500"},
	{"metrics.x = .5", "metrics.x = 0.5"},
	{"metrics.x = 1.", "metrics.x = 1"},
	{"metrics.x != 1E-7", "metrics.x != 1e-07"},
	{"metrics.x<=-0", "metrics.x <= -0"},
	{"parameters.p = 'x' AND parameter.q = 'y' AND param.r = 'z'", "params.p = 'x' AND params.q = 'y' AND params.r = 'z'"},
	{"tag.t = 'x'", "tags.t = 'x'"},
	{"params.x IS NULL", "params.x IS NULL"},
	{"tags.y is  not\tnull", "tags.y IS NOT NULL"},
	{"params.x like 'a_c'", "params.x LIKE 'a_c'"},
	{"params.x iLiKe 'A%'", "params.x ILIKE 'A%'"},
	{"datasets.name = 'iris'", "datasets.name = 'iris'"},
	{"dataset.context IN ('train','test')", "datasets.context IN ('train', 'test')"},
	{"datasets.digest != 'abc'", "datasets.digest != 'abc'"},
	{`metrics."2019-04-02 error rate" < 0.1`, "metrics.`2019-04-02 error rate` < 0.1"},
	{"params.`model-type` = 'cnn'", "params.`model-type` = 'cnn'"},
	{"params.model-type = 'cnn'", "params.`model-type` = 'cnn'"},
	{"metrics.train/loss < 2", "metrics.`train/loss` < 2"},
	{"metrics.точность > 0.9", "metrics.`точность` > 0.9"},
	{"params.x = 'it''s'", "params.x = 'it''s'"},
	{`params.x = 'it\'s'`, "params.x = 'it''s'"},
	{`params.x = "say ""hi"""`, `params.x = 'say "hi"'`},
	{`params.x = 'C:\data'`, `params.x = 'C:\\data'`},
	{`params.x = 'a\\b'`, `params.x = 'a\\b'`},
	{"params.x = ''", "params.x = ''"},
	{"tags.`a``b` = 'x'", "tags.`a``b` = 'x'"},
	{"metrics.a>1 AND metrics.b<2", "metrics.a > 1 AND metrics.b < 2"},
	{"  metrics.a > 1  and  metrics.a < 2  ", "metrics.a > 1 AND metrics.a < 2"},
	{"params.x='a'and params.y='b'", "params.x = 'a' AND params.y = 'b'"},
}

func TestParseRunFilterValid(t *testing.T) {
	t.Parallel()
	cases := append(append([]struct{ in, canon string }{}, recordedRunFilters...), validRunFilters...)
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			f, err := ParseRunFilter(tc.in)
			if err != nil {
				t.Fatalf("ParseRunFilter(%q): %v", tc.in, err)
			}
			if got := f.String(); got != tc.canon {
				t.Errorf("ParseRunFilter(%q).String() = %q, want %q", tc.in, got, tc.canon)
			}
			g, err := ParseRunFilter(f.String())
			if err != nil {
				t.Fatalf("canonical %q does not parse: %v", f.String(), err)
			}
			if !sameFilter(f, g) {
				t.Errorf("canonical %q parses to %+v, want %+v", f.String(), g, f)
			}
		})
	}
}

func TestParseRunFilterAST(t *testing.T) {
	t.Parallel()
	f, err := ParseRunFilter("metrics.rmse < 1 and params.alpha = '0.5' AND attributes.run_id IN ('a','b') AND tags.x IS NULL AND created >= 5")
	if err != nil {
		t.Fatal(err)
	}
	want := []Comparison{
		{Kind: Metric, Key: "rmse", Op: OpLt, Value: 1.0, Pos: 0},
		{Kind: Param, Key: "alpha", Op: OpEq, Value: "0.5", Pos: 21},
		{Kind: Attribute, Key: AttrRunID, Op: OpIn, Value: []string{"a", "b"}, Pos: 46},
		{Kind: Tag, Key: "x", Op: OpIsNull, Value: nil, Pos: 81},
		{Kind: Attribute, Key: AttrStartTime, Op: OpGe, Value: 5.0, Pos: 100},
	}
	if !reflect.DeepEqual(f.Comparisons, want) {
		t.Errorf("got %#v\nwant %#v", f.Comparisons, want)
	}
}

// invalidRunFilters: msg is the exact message; pos the reported position.
var invalidRunFilters = []struct {
	in, msg string
	pos     int
}{
	// The two errors recorded from a real MLflow 2.7 server (seqs 129, 130).
	{"metrics.rmse <<< 1", "Invalid comparator '<<<' not one of '{'=', '>=', '>', '!=', '<', '<='}", 13},
	{"attributes.nope = 'x'", "Invalid attribute key 'nope' specified. Valid keys are '{'status', 'Created', 'Run Name', 'run_name', 'created', 'start_time', 'Run name', 'end_time', 'run_id', 'run name', 'user_id', 'artifact_uri'}'", 11},

	// Semantic errors: MLflow's messages, no position in the text.
	{"nope = 'x'", "Invalid attribute key 'nope' specified. Valid keys are '{'status', 'Created', 'Run Name', 'run_name', 'created', 'start_time', 'Run name', 'end_time', 'run_id', 'run name', 'user_id', 'artifact_uri'}'", 0},
	{"attributes.lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage' specified. Valid keys are '{'status', 'Created', 'Run Name', 'run_name', 'created', 'start_time', 'Run name', 'end_time', 'run_id', 'run name', 'user_id', 'artifact_uri'}'", 11},
	{"foo.bar = 'x'", "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']", 0},
	{"Metrics.bar = 1", "Invalid entity type 'Metrics'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']", 0},
	{"datasets.foo = 'x'", "Invalid dataset key 'foo' specified. Valid keys are '{'name', 'digest', 'context'}'", 9},
	{"metrics.rmse > 'x'", "Expected numeric value type for metric. Found 'x'", 15},
	{"metrics.rmse > abc", "Expected numeric value type for metric. Found abc", 15},
	{"metrics.rmse > 1abc", "Expected numeric value type for metric. Found 1abc", 15},
	{"metrics.rmse<1AND params.a='b'", "Expected numeric value type for metric. Found 1AND", 13},
	{"metrics.rmse IN ('a')", "Expected numeric value type for metric. Found ('a')", 16},
	{"metrics.x IS NULL", "Invalid comparator 'IS NULL' not one of '{'=', '>=', '>', '!=', '<', '<='}", 10},
	{"metrics.x LIKE 1", "Invalid comparator 'LIKE' not one of '{'=', '>=', '>', '!=', '<', '<='}", 10},
	{"metrics.x <> 1", "Invalid comparator '<>' not one of '{'=', '>=', '>', '!=', '<', '<='}", 10},
	{"metrics.x == 1", "Invalid comparator '==' not one of '{'=', '>=', '>', '!=', '<', '<='}", 10},
	{"params.alpha = 0.5", "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.5", 15},
	{"tags.t = 1", "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1", 9},
	{"params.x IN ('a')", "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('a')", 12},
	{"params.alpha = abc", "Parameter value is either not quoted or unidentified quote types used for string value abc. Use either single or double quotes.", 15},
	{"params.alpha = `abc`", "Parameter value is either not quoted or unidentified quote types used for string value `abc`. Use either single or double quotes.", 15},
	{"params.p < 'a'", "Invalid comparator '<' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}'", 9},
	{"tags.t > 'a'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}", 7},
	{"attributes.status > 'a'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'", 18},
	{"attributes.status IS NULL", "Invalid comparator 'IS NULL' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'", 18},
	{"attributes.status = 1", "Expected a quoted string value for attributes. Got value 1", 20},
	{"attributes.start_time LIKE 'x'", "Expected numeric value type for numeric attribute: start_time. Found 'x'", 27},
	{"attributes.created = 'x'", "Expected numeric value type for numeric attribute: created. Found 'x'", 21},
	{"attributes.start_time LIKE 5", "Invalid comparator 'LIKE' not one of '{'=', '>=', '>', '!=', '<', '<='}", 22},
	{"datasets.name > 'x'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}", 14},
	{"datasets.name = 1", "Expected a quoted string value for dataset attributes. Got value 1", 16},

	// Syntax errors: the message ends with the position.
	{"metrics.a > 1 OR metrics.b > 2", "Invalid clause(s) in filter string: 'OR' at position 14", 14},
	{"metrics.a > 1 metrics.b > 2", "Invalid clause(s) in filter string: 'metrics.b' at position 14", 14},
	{"metrics.a > 1 and", "Invalid filter string: expected a comparison after AND at position 17", 17},
	{"metrics.a > 1 and ", "Invalid filter string: expected a comparison after AND at position 18", 18},
	{"and metrics.a > 1", "Invalid clause(s) in filter string: 'and' at position 0", 0},
	{"AND", "Invalid clause(s) in filter string: 'AND' at position 0", 0},
	{"metrics.a > 1 AND AND metrics.b > 1", "Invalid clause(s) in filter string: 'AND' at position 18", 18},
	{"(metrics.a > 1)", "Invalid clause(s) in filter string: '(' at position 0", 0},
	{"= 1", "Invalid clause(s) in filter string: '=' at position 0", 0},
	{"1 = 1", "Invalid clause(s) in filter string: '1' at position 0", 0},
	{"params.a = 'x';", "Invalid clause(s) in filter string: ';' at position 14", 14},
	{"params.a = 'x'; params.b = 'y'", "Invalid clause(s) in filter string: ';' at position 14", 14},
	{"params.a = 'x", "Invalid filter string: unterminated quoted string at position 11", 11},
	{`params.a = "x`, "Invalid filter string: unterminated quoted string at position 11", 11},
	{"params.`a = 'x'", "Invalid filter string: unterminated quoted key at position 7", 7},
	{`params.a = 'x\'`, "Invalid filter string: unterminated quoted string at position 11", 11},
	{"metrics.a", "Invalid comparison clause: expected a comparator after 'metrics.a' at position 9", 9},
	{"metrics.a >", "Invalid comparison clause: expected a value after > at position 11", 11},
	{"metrics.a > ,", "Invalid comparison clause: expected a value after > but found ',' at position 12", 12},
	{"metrics.a > -", "Invalid comparison clause: expected a value but found '-' at position 12", 12},
	{"metrics.a > 1e999", "Invalid comparison clause: the number 1e999 is out of range at position 12", 12},
	{"metrics.a BETWEEN 1 AND 2", "Invalid comparison clause: expected a comparator after 'metrics.a' but found 'BETWEEN' at position 10", 10},
	{"metrics.a NOT LIKE 'x'", "Invalid comparison clause: expected IN after NOT at position 14", 14},
	{"tags.x IS 'a'", "Invalid comparison clause: expected NULL or NOT NULL after IS at position 10", 10},
	{"tags.x IS NOT", "Invalid comparison clause: expected NULL or NOT NULL after IS at position 13", 13},
	{"metrics. = 1", "Invalid filter string: expected a key after 'metrics.' at position 8", 8},
	{"metrics.", "Invalid filter string: expected a key after 'metrics.' at position 8", 8},
	{"metrics.`` = 1", "Invalid filter string: the metric name is empty at position 8", 8},
	{"attributes.run_id IN ()", "While parsing a list in the query, expected a non-empty list of string values, but got empty list at position 21", 21},
	{"attributes.run_id IN ( )", "While parsing a list in the query, expected a non-empty list of string values, but got empty list at position 21", 21},
	{"attributes.run_id IN ('a'", "While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list: ')' is missing at position 25", 25},
	{"attributes.run_id IN ('a',", "While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list: ')' is missing at position 26", 26},
	{"attributes.run_id IN ('a', 1)", "While parsing a list in the query, expected a quoted string value but got '1' at position 27", 27},
	{"attributes.run_id IN ('a',)", "While parsing a list in the query, expected a quoted string value but got ')' at position 26", 26},
	{"attributes.run_id IN ('a' 'b')", "While parsing a list in the query, expected ',' or ')' but got ''b'' at position 26", 26},
	{"attributes.run_id IN 'a'", "Invalid comparison clause: IN needs a parenthesised list of quoted strings, such as ('a', 'b') at position 21", 21},
	{"attributes.run_id NOT IN 'a'", "Invalid comparison clause: NOT IN needs a parenthesised list of quoted strings, such as ('a', 'b') at position 25", 25},
	{"attributes.run_id = ('a')", "Invalid comparison clause: a list of values can only follow IN or NOT IN, not = at position 20", 20},
}

func TestParseRunFilterInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range invalidRunFilters {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			f, err := ParseRunFilter(tc.in)
			if err == nil {
				t.Fatalf("ParseRunFilter(%q) = %q, want an error", tc.in, f)
			}
			checkSyntaxError(t, tc.in, err, tc.msg, tc.pos)
		})
	}
}

func checkSyntaxError(t *testing.T, in string, err error, msg string, pos int) {
	t.Helper()
	if !lathe.IsCode(err, lathe.EINVALID) {
		t.Errorf("%q: code %q, want EINVALID", in, lathe.ErrorCode(err))
	}
	if got := lathe.ErrorMessage(err); got != msg {
		t.Errorf("%q: message\n got %s\nwant %s", in, got, msg)
	}
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%q: %T is not a *SyntaxError", in, err)
	}
	if se.Pos != pos || se.Input != in {
		t.Errorf("%q: Pos %d Input %q, want %d %q", in, se.Pos, se.Input, pos, in)
	}
}

func TestParseFilterTooLong(t *testing.T) {
	t.Parallel()
	long := "params.x = '" + strings.Repeat("a", MaxFilterLen) + "'"
	_, err := ParseRunFilter(long)
	if !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), "the limit is 262144 bytes") {
		t.Errorf("ParseRunFilter(long) = %v", err)
	}
	ok := "params.x = '" + strings.Repeat("a", MaxFilterLen-13) + "'"
	if _, err := ParseRunFilter(ok); err != nil {
		t.Errorf("ParseRunFilter(%d bytes) = %v", len(ok), err)
	}
}

var validExperimentFilters = []struct{ in, canon string }{
	{"name LIKE 'conformance%'", "attributes.name LIKE 'conformance%'"}, // recorded, seq 4
	{"", ""},
	{"attributes.name = 'x'", "attributes.name = 'x'"},
	{"attribute.name != 'x'", "attributes.name != 'x'"},
	{"name ILIKE '%X%'", "attributes.name ILIKE '%X%'"},
	{"tags.group != 'x'", "tags.group != 'x'"},
	{"tags.group ILIKE '%x%'", "tags.group ILIKE '%x%'"},
	{"tag.`a b` = 'x'", "tags.`a b` = 'x'"},
	{"attributes.name LIKE 'x%' AND tags.group = 'y'", "attributes.name LIKE 'x%' AND tags.group = 'y'"},
	{"creation_time > 1670628787527", "attributes.creation_time > 1670628787527"},
	{"attributes.last_update_time <= 5", "attributes.last_update_time <= 5"},
	{"tags.x IS NULL and tags.y IS NOT NULL", "tags.x IS NULL AND tags.y IS NOT NULL"},
}

var invalidExperimentFilters = []struct {
	in, msg string
	pos     int
}{
	{"metrics.a > 1", "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'attributes', 'tag', 'tags')", 0},
	{"params.a = 'x'", "Invalid entity type 'params'. Valid entity types are ('attribute', 'attributes', 'tag', 'tags')", 0},
	{"nope = 'a'", "Invalid attribute key 'nope' specified. Valid keys are '{'name', 'creation_time', 'last_update_time'}'", 0},
	{"run_id = 'a'", "Invalid attribute key 'run_id' specified. Valid keys are '{'name', 'creation_time', 'last_update_time'}'", 0},
	{"experiment_id = '1'", "Invalid attribute key 'experiment_id' specified. Valid keys are '{'name', 'creation_time', 'last_update_time'}'", 0},
	{"name IN ('a')", "Only the 'run_id' attribute supports comparison with a list of quoted string values.", 8},
	{"name > 'a'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'", 5},
	{"name = 1", "Expected a quoted string value for attributes. Got value 1", 7},
	{"creation_time LIKE 1", "Invalid comparator 'LIKE' not one of '{'=', '>=', '>', '!=', '<', '<='}", 14},
	{"creation_time = 'x'", "Expected numeric value type for numeric attribute: creation_time. Found 'x'", 16},
	{"tags.x > 'a'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}", 7},
	{"name = 'a' OR name = 'b'", "Invalid clause(s) in filter string: 'OR' at position 11", 11},
}

func TestParseExperimentFilter(t *testing.T) {
	t.Parallel()
	for _, tc := range validExperimentFilters {
		f, err := ParseExperimentFilter(tc.in)
		if err != nil {
			t.Errorf("ParseExperimentFilter(%q): %v", tc.in, err)
			continue
		}
		if got := f.String(); got != tc.canon {
			t.Errorf("ParseExperimentFilter(%q).String() = %q, want %q", tc.in, got, tc.canon)
		}
		if g, err := ParseExperimentFilter(f.String()); err != nil || !sameFilter(f, g) {
			t.Errorf("canonical %q: %+v, %v", f.String(), g, err)
		}
	}
	for _, tc := range invalidExperimentFilters {
		_, err := ParseExperimentFilter(tc.in)
		if err == nil {
			t.Errorf("ParseExperimentFilter(%q) succeeded, want %q", tc.in, tc.msg)
			continue
		}
		checkSyntaxError(t, tc.in, err, tc.msg, tc.pos)
	}
}

// sameFilter compares two filters, ignoring positions.
func sameFilter(a, b Filter) bool {
	if len(a.Comparisons) != len(b.Comparisons) {
		return false
	}
	for i := range a.Comparisons {
		x, y := a.Comparisons[i], b.Comparisons[i]
		x.Pos, y.Pos = 0, 0
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}
