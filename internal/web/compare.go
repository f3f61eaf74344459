package web

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/latheml/lathe"
)

// compareBody is the compare page's content.
type compareBody struct {
	Runs      *Table
	Controls  chartControls
	Charts    []metricChart
	Latest    *Table
	Params    *Table
	OnlyDiff  bool
	Differ    int // params whose values differ
	IDs       []string
	Keys      []keyChoice // metrics that can be charted
	ExpURL    string      // the experiment of the runs, when they share one
	ExpName   string
	Self      string
	ChartNote string
	// PickKeep and DiffKeep are what the metric picker and the
	// differences toggle carry.
	PickKeep, DiffKeep url.Values
}

// compareIDs reads the runs to compare from ?runs=a,b (or runs=a&runs=b):
// distinct, well-formed, from 1 to maxCompareRuns.
func compareIDs(q url.Values) ([]string, error) {
	var ids []string
	for _, v := range q["runs"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id == "" {
				continue
			}
			if !runIDRE().MatchString(id) {
				return nil, lathe.Errorf(lathe.EINVALID, "%q is not a run ID; run IDs are letters, digits, '-' and '_'", clip(id, 60))
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	switch {
	case len(ids) == 0:
		return nil, lathe.Errorf(lathe.EINVALID, "choose the runs to compare: tick them in an experiment's runs table, or list their IDs in ?runs=a,b")
	case len(ids) > maxCompareRuns:
		return nil, lathe.Errorf(lathe.EINVALID, "%d runs were chosen; compare at most %d at a time", len(ids), maxCompareRuns)
	}
	return ids, nil
}

// compare shows up to ten runs side by side: their metrics overlaid on one
// chart per metric, their latest values and which params differ.
func (s *Studio) compare(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	tr, err := s.tracker()
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	ids, err := compareIDs(q)
	if err != nil {
		return err
	}
	runs := make([]*lathe.Run, 0, len(ids))
	exps := map[string]*lathe.Experiment{}
	for _, id := range ids {
		run, err := tr.Run(ctx, rc.ws.ID, id)
		if err != nil {
			return err
		}
		runs = append(runs, run)
		if _, ok := exps[run.Info.ExperimentID]; !ok {
			e, err := tr.Experiment(ctx, rc.ws.ID, run.Info.ExperimentID)
			if err != nil && !lathe.IsCode(err, lathe.ENOTFOUND) {
				return err
			}
			exps[run.Info.ExperimentID] = e
		}
	}
	b := compareBody{IDs: ids, OnlyDiff: q.Get("diff") == "1", Self: wsURL(rc.ws.Name, "compare"),
		PickKeep: keepQuery(q, "runs", "diff", "x", "log", "from", "to"), DiffKeep: keepQuery(q, "runs", "m", "charts", "x", "log", "from", "to")}
	if len(exps) == 1 {
		if e := exps[runs[0].Info.ExperimentID]; e != nil {
			b.ExpURL, b.ExpName = expURL(rc.ws.Name, e.ID), e.Name
		}
	}
	names := seriesNames(runs)
	now := s.now()

	rt := NewTable(r.URL, "compared", []Column{{Label: "Run"}, {Label: "Experiment"}, {Label: "Status"}, {Label: "Started"}, {Label: "Duration"}, {Label: "Run ID"}}, "", false)
	rt.Caption = "The runs compared, with their line style in the charts"
	for i, run := range runs {
		exp := Cell{Text: run.Info.ExperimentID, Mono: true}
		if e := exps[run.Info.ExperimentID]; e != nil {
			exp = Cell{Text: e.Name, Href: expURL(rc.ws.Name, e.ID)}
		}
		rt.Rows = append(rt.Rows, []Cell{
			{Swatch: i + 1, Text: names[i], Href: runURL(rc.ws.Name, run.Info.RunID)},
			exp, statusCell(run.Info.Status),
			{Time: msTime(run.Info.StartTime), Text: fmtTime(msTime(run.Info.StartTime))},
			{Text: runDuration(run.Info, now)},
			{Text: run.Info.RunID, Mono: true},
		})
	}
	b.Runs = rt

	// Metrics: those most runs share first.
	has := map[string]int{}
	for _, run := range runs {
		for _, m := range run.Metrics {
			has[m.Key]++
		}
	}
	keys := make([]string, 0, len(has))
	for k := range has {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(has[b], has[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	chartKeys := keys
	if q.Has("charts") || len(q["m"]) > 0 {
		chartKeys = slices.DeleteFunc(cleanKeys(q["m"]), func(k string) bool { return has[k] == 0 })
	}
	chartKeys = uniqueKeys(chartKeys, maxCompareCharts)
	for _, k := range keys {
		b.Keys = append(b.Keys, keyChoice{Key: k, Checked: slices.Contains(chartKeys, k)})
	}
	if len(keys) > len(chartKeys) && !q.Has("charts") {
		b.ChartNote = fmt.Sprintf("%d of %d metrics are charted; choose others below.", len(chartKeys), len(keys))
	}
	b.Controls = parseChartControls(r.URL, "runs", "m", "charts", "diff")
	b.Controls.Action += "#metrics"
	status := http.StatusOK
	if b.Controls.Error != "" {
		status, rc.failed = http.StatusBadRequest, lathe.Errorf(lathe.EINVALID, "%s", b.Controls.Error)
	}
	for ci, key := range chartKeys {
		var series []Series
		for i, run := range runs {
			if !slices.ContainsFunc(run.Metrics, func(m lathe.Metric) bool { return m.Key == key }) {
				continue
			}
			sr, _, err := metricSeries(ctx, tr, rc.ws.ID, run, key, b.Controls, compareChartPoints, false)
			if err != nil {
				return err
			}
			sr.Name, sr.Style = names[i], i+1
			series = append(series, sr)
		}
		c := metricChart{Key: key, ID: fmt.Sprintf("metric-%d", ci)}
		if c.SVG, err = chartFor(c.ID, key, series, b.Controls, 600, 280, true); err != nil {
			return err
		}
		b.Charts = append(b.Charts, c)
	}

	cols := []Column{{Label: "Metric"}}
	for _, n := range names {
		cols = append(cols, Column{Label: n, Numeric: true})
	}
	lt := NewTable(r.URL, "latest", cols, "", false)
	lt.Caption = "Latest value of each metric, by run"
	lt.Empty = Empty{Title: "No metrics logged", Text: "None of these runs logged a metric."}
	for _, k := range keys[:min(len(keys), maxKeysOffered)] {
		row := []Cell{{Text: k, Mono: true}}
		for _, run := range runs {
			c := Cell{Text: "—"}
			for _, m := range run.Metrics {
				if m.Key == k {
					c = Cell{Text: fmtValue(m.Value), Title: fmt.Sprint(m.Value)}
				}
			}
			row = append(row, c)
		}
		lt.Rows = append(lt.Rows, row)
	}
	b.Latest = lt

	b.Params = paramDiff(r.URL, runs, names, b.OnlyDiff, &b.Differ)
	return s.render(w, r, rc, status, "compare", &page{Title: "Compare runs", Section: "experiments", Body: b})
}

// paramDiff is the params of the runs side by side, rows whose values
// differ marked (and the only rows, when onlyDiff).
func paramDiff(u *url.URL, runs []*lathe.Run, names []string, onlyDiff bool, differ *int) *Table {
	cols := []Column{{Label: "Parameter"}, {Label: "Differs"}}
	for _, n := range names {
		cols = append(cols, Column{Label: n})
	}
	t := NewTable(u, "params", cols, "", false)
	t.Caption = "Parameters by run"
	t.Empty = Empty{Title: "No parameters logged", Text: "None of these runs logged a parameter."}
	if onlyDiff {
		t.Empty = Empty{Title: "No differences", Text: "Every parameter has the same value in all these runs."}
	}
	vals := make([]map[string]string, len(runs))
	var keys []string
	for i, run := range runs {
		vals[i] = map[string]string{}
		for _, p := range run.Params {
			vals[i][p.Key] = p.Value
			keys = append(keys, p.Key)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for _, k := range keys {
		first, same := "", true
		for i := range runs {
			v, ok := vals[i][k]
			if !ok {
				v = "\x00missing"
			}
			if i == 0 {
				first = v
			} else if v != first {
				same = false
			}
		}
		if !same {
			*differ++
		}
		if onlyDiff && same {
			continue
		}
		row := []Cell{{Text: k, Mono: true}, {}}
		class := ""
		if !same {
			row[1] = Cell{Text: "differs", Badge: "warn"}
			class = "row-diff"
		}
		for i := range runs {
			if v, ok := vals[i][k]; ok {
				row = append(row, Cell{Text: clip(v, 200), Title: clip(v, 1000), Class: "value", Mono: true})
			} else {
				row = append(row, Cell{Text: "—"})
			}
		}
		t.Rows = append(t.Rows, row)
		t.RowClasses = append(t.RowClasses, class)
	}
	return t
}

// seriesNames names each run for the charts and tables: its name, with the
// start of its ID when two runs share a name.
func seriesNames(runs []*lathe.Run) []string {
	count := map[string]int{}
	for _, run := range runs {
		count[runName(run)]++
	}
	out := make([]string, len(runs))
	for i, run := range runs {
		out[i] = runName(run)
		if count[out[i]] > 1 {
			out[i] += " (" + shorten(run.Info.RunID, 7) + ")"
		}
	}
	return out
}
