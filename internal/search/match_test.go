package search

import (
	"math"
	"slices"
	"sort"
	"testing"
)

func i64(v int64) *int64 { return &v }

// The runs of the conformance recording (exchanges.jsonl) once step 38 has
// run: every search recorded after it must give what MLflow gave.
var (
	runAlpha = RunView{
		RunID: "b391ac1ddcd347a9994644a703512b17", RunName: "run-alpha", UserID: "root", Status: "FINISHED",
		ArtifactURI: "mlflow-artifacts:/1/b391ac1ddcd347a9994644a703512b17/artifacts",
		StartTime:   1795687197089, EndTime: i64(1795687201318),
		Metrics: map[string]float64{"loss": 0.001, "mae": 0.3, "r2": 0.87, "rmse": 0.42},
		Params:  map[string]string{"alpha": "0.5", "l1_ratio": "0.1", "max_iter": "100", "solver": "lbfgs"},
		Tags:    map[string]string{"mlflow.runName": "run-alpha", "mlflow.user": "root", "team": "a", "stage": "dev", "purpose": "conformance"},
	}
	runBeta = RunView{
		RunID: "c852bb35a96d46909a239b5d0214071a", RunName: "run-beta", UserID: "root", Status: "FINISHED",
		StartTime: 1795687201388, EndTime: i64(1795687201646),
		Metrics: map[string]float64{"rmse": 1.5},
		Params:  map[string]string{"alpha": "0.9"},
		Tags:    map[string]string{"mlflow.runName": "run-beta", "team": "b"},
	}
	runParent = RunView{
		RunID: "77f7798b6e9a40a4b24ae153bbbfe7cd", RunName: "run-parent", UserID: "root", Status: "FINISHED",
		StartTime: 1795687201716, EndTime: i64(1795687202030),
		Params: map[string]string{"alpha": "0.1"},
		Tags:   map[string]string{"mlflow.runName": "run-parent"},
	}
	runChild = RunView{
		RunID: "ae2bfbf8b7744bd6b6823b38c1febea7", RunName: "run-child", UserID: "root", Status: "FINISHED",
		StartTime: 1795687201843, EndTime: i64(1795687201970),
		Metrics: map[string]float64{"rmse": 0.9},
		Tags:    map[string]string{"mlflow.runName": "run-child", "mlflow.parentRunId": "77f7798b6e9a40a4b24ae153bbbfe7cd"},
	}
)

// search filters runs and sorts them the way runs/search does.
func search(t *testing.T, runs []RunView, filter string, orderBy []string) []string {
	t.Helper()
	f, err := ParseRunFilter(filter)
	if err != nil {
		t.Fatalf("ParseRunFilter(%q): %v", filter, err)
	}
	orders, err := ParseOrderBy(orderBy, true)
	if err != nil {
		t.Fatalf("ParseOrderBy(%q): %v", orderBy, err)
	}
	orders = CompleteRunOrder(orders)
	var out []RunView
	for _, r := range runs {
		if f.Match(r) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return Less(orders, out[i], out[j]) })
	names := []string{}
	for _, r := range out {
		names = append(names, r.RunName)
	}
	return names
}

func TestRecordedSearches(t *testing.T) {
	t.Parallel()
	// Steps 28-33: only run-alpha exists, and it is still running.
	early := runAlpha
	early.Status, early.EndTime = "RUNNING", nil
	all := []RunView{runAlpha, runBeta, runParent, runChild}
	cases := []struct {
		seq     int
		runs    []RunView
		filter  string
		orderBy []string
		want    []string
	}{
		{48, []RunView{early}, "metrics.rmse < 1 and params.alpha = '0.5'", nil, []string{"run-alpha"}},
		{49, []RunView{early}, "tags.team = 'a'", nil, []string{"run-alpha"}},
		{50, []RunView{early}, "attributes.status = 'FINISHED'", nil, []string{}},
		{51, []RunView{early}, "attributes.run_name = 'run-alpha'", nil, []string{"run-alpha"}},
		{52, []RunView{early}, "params.solver LIKE 'lb%'", nil, []string{"run-alpha"}},
		{54, []RunView{early}, "metrics.rmse < 1", nil, []string{"run-alpha"}},
		{55, []RunView{early}, "", []string{"metrics.rmse ASC", "attributes.start_time DESC"}, []string{"run-alpha"}},
		{75, all, "attributes.status = 'FINISHED'", nil, []string{"run-child", "run-parent", "run-beta", "run-alpha"}},
		{76, all, "tags.mlflow.parentRunId = '77f7798b6e9a40a4b24ae153bbbfe7cd'", nil, []string{"run-child"}},
		// Seqs 77-80 page through this order one run at a time.
		{77, all, "", []string{"metrics.rmse ASC", "attributes.start_time DESC"}, []string{"run-alpha", "run-child", "run-beta", "run-parent"}},
	}
	for _, tc := range cases {
		if got := search(t, tc.runs, tc.filter, tc.orderBy); !slices.Equal(got, tc.want) {
			t.Errorf("seq %d: %q %q = %q, want %q", tc.seq, tc.filter, tc.orderBy, got, tc.want)
		}
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	nan := runBeta
	nan.RunName = "run-nan"
	nan.Metrics = map[string]float64{"rmse": math.NaN()}
	ds := runParent
	ds.RunName = "run-ds"
	ds.Datasets = []DatasetView{{Name: "iris", Digest: "abc123", Context: "train"}, {Name: "wine", Digest: "def456"}}
	running := runChild
	running.RunName, running.RunID, running.Status, running.EndTime = "run-running", "ffff", "RUNNING", nil
	runs := []RunView{runAlpha, runBeta, runParent, runChild, nan, ds, running}

	cases := []struct {
		filter string
		want   []string // in default order: newest first
	}{
		{"", []string{"run-child", "run-running", "run-parent", "run-ds", "run-beta", "run-nan", "run-alpha"}},
		{"metrics.rmse > 0.5", []string{"run-child", "run-running", "run-beta"}},
		{"metrics.rmse != 0.9", []string{"run-beta", "run-nan", "run-alpha"}},
		{"metrics.rmse = 0.42", []string{"run-alpha"}},
		{"metrics.rmse <= 0.9 AND metrics.rmse >= 0.9", []string{"run-child", "run-running"}},
		{"metrics.loss < 1", []string{"run-alpha"}},
		{"params.alpha != '0.5'", []string{"run-parent", "run-ds", "run-beta", "run-nan"}},
		{"params.alpha IS NULL", []string{"run-child", "run-running"}},
		{"params.alpha IS NOT NULL AND params.alpha LIKE '0._'", []string{"run-parent", "run-ds", "run-beta", "run-nan", "run-alpha"}},
		{"tags.team ILIKE 'A'", []string{"run-alpha"}},
		{"tags.team LIKE 'A'", []string{}},
		{"tags.mlflow.runName LIKE '%a%'", []string{"run-parent", "run-ds", "run-beta", "run-nan", "run-alpha"}},
		{"attributes.run_name IN ('run-beta', 'run-child')", []string{"run-child", "run-beta"}},
		{"attributes.run_id NOT IN ('b391ac1ddcd347a9994644a703512b17')", []string{"run-child", "run-running", "run-parent", "run-ds", "run-beta", "run-nan"}},
		{"attributes.status != 'FINISHED'", []string{"run-running"}},
		{"attributes.end_time > 0", []string{"run-child", "run-parent", "run-ds", "run-beta", "run-nan", "run-alpha"}},
		{"attributes.created < 1795687201388", []string{"run-alpha"}},
		{"attributes.start_time >= 1795687201388 AND attributes.user_id = 'root'", []string{"run-child", "run-running", "run-parent", "run-ds", "run-beta", "run-nan"}},
		{"attributes.artifact_uri LIKE 'mlflow-artifacts:/1/%'", []string{"run-alpha"}},
		{"datasets.name = 'wine'", []string{"run-ds"}},
		{"datasets.name != 'wine'", []string{"run-ds"}},
		{"datasets.context = 'train' AND datasets.digest IN ('def456')", []string{"run-ds"}},
		{"datasets.context ILIKE 'TR%'", []string{"run-ds"}},
		{"datasets.context != 'train'", []string{}},
		{"datasets.name NOT IN ('iris', 'wine')", []string{}},
	}
	for _, tc := range cases {
		if got := search(t, runs, tc.filter, nil); !slices.Equal(got, tc.want) {
			t.Errorf("%q = %q, want %q", tc.filter, got, tc.want)
		}
	}
}

func TestLess(t *testing.T) {
	t.Parallel()
	nan := runBeta
	nan.RunName, nan.RunID = "run-nan", "0000"
	nan.Metrics = map[string]float64{"rmse": math.NaN()}
	tie := runAlpha
	tie.RunName, tie.RunID = "run-tie", "a000"
	running := runChild
	running.RunName, running.RunID, running.EndTime = "run-running", "ffff", nil
	runs := []RunView{runAlpha, runBeta, runParent, runChild, nan, tie, running}
	cases := []struct {
		orderBy []string
		want    []string
	}{
		// Missing values last, NaN before them, whatever the direction.
		{[]string{"metrics.rmse ASC"}, []string{"run-tie", "run-alpha", "run-child", "run-running", "run-beta", "run-nan", "run-parent"}},
		{[]string{"metrics.rmse DESC"}, []string{"run-beta", "run-child", "run-running", "run-tie", "run-alpha", "run-nan", "run-parent"}},
		{[]string{"params.alpha DESC", "metrics.rmse"}, []string{"run-beta", "run-nan", "run-tie", "run-alpha", "run-parent", "run-child", "run-running"}},
		{[]string{"attributes.end_time"}, []string{"run-tie", "run-alpha", "run-nan", "run-beta", "run-child", "run-parent", "run-running"}},
		{[]string{"attributes.end_time DESC"}, []string{"run-parent", "run-child", "run-nan", "run-beta", "run-tie", "run-alpha", "run-running"}},
		{[]string{"attributes.run_name DESC"}, []string{"run-tie", "run-running", "run-parent", "run-nan", "run-child", "run-beta", "run-alpha"}},
		{[]string{"created"}, []string{"run-tie", "run-alpha", "run-nan", "run-beta", "run-parent", "run-child", "run-running"}},
		{[]string{"tags.team"}, []string{"run-tie", "run-alpha", "run-nan", "run-beta", "run-child", "run-running", "run-parent"}},
	}
	for _, tc := range cases {
		if got := search(t, runs, "", tc.orderBy); !slices.Equal(got, tc.want) {
			t.Errorf("order by %q = %q, want %q", tc.orderBy, got, tc.want)
		}
	}
}

func TestExperiments(t *testing.T) {
	t.Parallel()
	exps := []ExperimentView{
		{ExperimentID: "0", Name: "Default", CreationTime: 1795687194233, LastUpdateTime: 1795687194233},
		{ExperimentID: "1", Name: "conformance-exp", CreationTime: 1795687196764, LastUpdateTime: 1795687196764, Tags: map[string]string{"project": "conformance"}},
		{ExperimentID: "10", Name: "Conformance-B", CreationTime: 1795687196764, LastUpdateTime: 1795687199999},
		{ExperimentID: "9", Name: "zeta", CreationTime: 1795687196764, LastUpdateTime: 1795687196764, Tags: map[string]string{"project": ""}},
	}
	cases := []struct {
		filter  string
		orderBy []string
		want    []string
	}{
		{"", nil, []string{"1", "9", "10", "0"}},                          // recorded seq 3: newest first; ties by experiment_id ASC
		{"name LIKE 'conformance%'", []string{"name ASC"}, []string{"1"}}, // recorded seq 4
		{"name ILIKE 'conformance%'", []string{"name ASC"}, []string{"10", "1"}},
		{"", []string{"creation_time"}, []string{"0", "10", "9", "1"}}, // tie-break experiment_id DESC
		{"", []string{"experiment_id"}, []string{"0", "1", "9", "10"}},
		{"", []string{"last_update_time DESC", "name"}, []string{"10", "1", "9", "0"}},
		{"tags.project = 'conformance'", nil, []string{"1"}},
		{"tags.project IS NOT NULL", nil, []string{"1", "9"}},
		{"tags.project IS NULL", nil, []string{"10", "0"}},
		{"tags.project != 'conformance'", nil, []string{"9"}},
		{"creation_time > 1795687194233 AND last_update_time = 1795687196764", nil, []string{"1", "9"}},
		{"attributes.name != 'Default'", []string{"name DESC"}, []string{"9", "1", "10"}},
	}
	for _, tc := range cases {
		f, err := ParseExperimentFilter(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		orders, err := ParseOrderBy(tc.orderBy, false)
		if err != nil {
			t.Fatal(err)
		}
		orders = CompleteExperimentOrder(orders)
		var got []string
		for _, e := range exps {
			if f.MatchExperiment(e) {
				got = append(got, e.ExperimentID)
			}
		}
		sort.SliceStable(got, func(i, j int) bool {
			return LessExperiment(orders, byID(exps, got[i]), byID(exps, got[j]))
		})
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("%q %q = %q, want %q", tc.filter, tc.orderBy, got, tc.want)
		}
	}
}

func byID(exps []ExperimentView, id string) ExperimentView {
	for _, e := range exps {
		if e.ExperimentID == id {
			return e
		}
	}
	return ExperimentView{}
}

func TestLike(t *testing.T) {
	t.Parallel()
	cases := []struct {
		s, pattern string
		fold, want bool
	}{
		{"lbfgs", "lb%", false, true},
		{"lbfgs", "LB%", false, false},
		{"lbfgs", "LB%", true, true},
		{"lbfgs", "%fg%", false, true},
		{"lbfgs", "l_fgs", false, true},
		{"lbfgs", "l_gs", false, false},
		{"lbfgs", "lbfgs", false, true},
		{"lbfgs", "lbfg", false, false},
		{"lbfgs", "%", false, true},
		{"", "%", false, true},
		{"", "", false, true},
		{"", "_", false, false},
		{"a", "", false, false},
		{"abc", "%%%c", false, true},
		{"abcabc", "%abc", false, true},
		{"aaab", "%a_b", false, true},
		{"mississippi", "m%iss%ppi", false, true},
		{"mississippi", "m%iss%ppx", false, false},
		{"a.b", "a.b", false, true},
		{"axb", "a.b", false, false}, // not a regular expression
		{"a+b", "a+b", false, true},
		{`a\b`, `a\b`, false, true},
		{`a%b`, `a\%b`, false, false}, // no escape character
		{"Ünïcode", "ü%", true, true},
		{"Ünïcode", "ü%", false, false},
		{"日本語", "日_語", false, true},
		{"日本語", "___", false, true},
		{"日本語", "__", false, false},
		{"\xff\xfe", "_\xfe", false, true},
		{"\xff", "\xfe", true, false},
		{"STRASSE", "strasse", true, true},
	}
	for _, tc := range cases {
		if got := like(tc.s, tc.pattern, tc.fold); got != tc.want {
			t.Errorf("like(%q, %q, %v) = %v, want %v", tc.s, tc.pattern, tc.fold, got, tc.want)
		}
	}
}
