package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// fact is one labelled value in a run's overview.
type fact struct {
	Label, Value, Href, Title string
	Mono                      bool
	Badge                     string
	// Wide gives the value a whole row of a facts grid (a long path).
	Wide bool
}

// runBody is a run page's content.
type runBody struct {
	Run       *lathe.Run
	Name      string
	Exp       *lathe.Experiment
	ExpURL    string
	Tone      string
	Facts     []fact
	Controls  chartControls
	Charts    []metricChart
	ChartKeys []string // the metrics charted, for the metrics table form
	Metrics   *Table
	Params    *Table
	Tags      *Table
	System    *Table
	Artifacts *artifactView
	Self      string
	Status    string
	// ChartsKeep is what the form choosing the charted metrics carries.
	ChartsKeep url.Values
}

// run shows one run: its overview, metric charts, params, tags and
// artifacts.
func (s *Studio) run(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	tr, err := s.tracker()
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("run")
	if !runIDRE().MatchString(id) {
		return lathe.Errorf(lathe.ENOTFOUND, "there is no run %q", clip(id, 60))
	}
	run, err := tr.Run(ctx, rc.ws.ID, id)
	if err != nil {
		return err
	}
	b := runBody{Run: run, Name: runName(run), Tone: runTone(run.Info.Status), Self: runURL(rc.ws.Name, id),
		Status: strings.ToLower(run.Info.Status)}
	if e, err := tr.Experiment(ctx, rc.ws.ID, run.Info.ExperimentID); err == nil {
		b.Exp, b.ExpURL = e, expURL(rc.ws.Name, e.ID)
	} else if !lathe.IsCode(err, lathe.ENOTFOUND) {
		return err
	}
	now := s.now()
	b.Facts = runFacts(rc.ws.Name, run, b.Exp, now)
	status := http.StatusOK

	// Metrics: the latest values, and charts of the chosen ones.
	latest := slices.Clone(run.Metrics)
	slices.SortFunc(latest, func(a, b lathe.Metric) int { return strings.Compare(a.Key, b.Key) })
	q := r.URL.Query()
	var keys []string
	for _, m := range latest {
		keys = append(keys, m.Key)
	}
	chosen := cleanKeys(q["m"])
	if q.Has("charts") || len(chosen) > 0 {
		keys = slices.DeleteFunc(chosen, func(k string) bool {
			return !slices.ContainsFunc(latest, func(m lathe.Metric) bool { return m.Key == k })
		})
	}
	b.ChartKeys = uniqueKeys(keys, maxCharts)
	b.Controls = parseChartControls(r.URL, "m", "charts", "path")
	b.ChartsKeep = keepQuery(q, "x", "log", "from", "to", "path")
	b.Controls.Action += "#metrics"
	if b.Controls.Error != "" {
		status = http.StatusBadRequest
		rc.failed = lathe.Errorf(lathe.EINVALID, "%s", b.Controls.Error)
	}
	for i, key := range b.ChartKeys {
		sr, note, err := metricSeries(ctx, tr, rc.ws.ID, run, key, b.Controls, chartPoints, true)
		if err != nil {
			return err
		}
		c := metricChart{Key: key, ID: fmt.Sprintf("metric-%d", i), Note: note}
		for _, m := range latest {
			if m.Key == key {
				c.Latest = fmtValue(m.Value)
			}
		}
		if c.SVG, err = chartFor(c.ID, key, []Series{sr}, b.Controls, 600, 240, false); err != nil {
			return err
		}
		b.Charts = append(b.Charts, c)
	}
	mt := NewTable(r.URL, "metrics", []Column{{Label: "Chart"}, {Label: "Metric"}, {Label: "Latest value", Numeric: true},
		{Label: "Step", Numeric: true}, {Label: "Logged"}}, "", false)
	mt.Caption = "Latest value of each metric"
	mt.Empty = Empty{Title: "No metrics logged", Text: "Values logged with mlflow.log_metric() appear here, with a chart of their history."}
	for _, m := range latest {
		on := slices.Contains(b.ChartKeys, m.Key)
		cell := Cell{Text: m.Key, Mono: true}
		if on {
			cell.Href = "#" + chartAnchor(b.ChartKeys, m.Key)
		}
		mt.Rows = append(mt.Rows, []Cell{
			{Check: &Check{Form: "charts-form", Name: "m", Value: m.Key, ID: "chart-" + slug(m.Key) + fmt.Sprintf("-%d", len(mt.Rows)), Label: "Chart " + m.Key, Checked: on}},
			cell, {Text: fmtValue(m.Value), Title: fmt.Sprint(m.Value)}, {Text: fmtCount(m.Step)},
			{Time: msTime(m.Timestamp), Text: fmtTime(msTime(m.Timestamp))},
		})
	}
	b.Metrics = mt
	if len(latest) > maxCharts {
		mt.Note = fmt.Sprintf("Up to %d metrics are charted at once; tick the ones to chart and press Chart selected.", maxCharts)
	}

	b.Params = kvTable(r.URL, "params", "Parameter", run.Params, 2000)
	b.Params.Empty = Empty{Title: "No parameters logged", Text: "Values logged with mlflow.log_param() appear here."}
	var user, system []lathe.Tag
	for _, t := range run.Tags {
		if strings.HasPrefix(t.Key, "mlflow.") {
			system = append(system, t)
		} else {
			user = append(user, t)
		}
	}
	b.Tags = kvTable(r.URL, "tags", "Tag", user, 2000)
	b.Tags.Empty = Empty{Title: "No tags", Text: "Tags set with mlflow.set_tag() appear here."}
	b.System = kvTable(r.URL, "system-tags", "Tag", system, 300)

	av, astatus, err := s.artifactBrowser(ctx, tr, rc, r.URL, run)
	if err != nil {
		return err
	}
	b.Artifacts = av
	if status == http.StatusOK {
		status = astatus
	}
	return s.render(w, r, rc, status, "run", &page{Title: b.Name, Section: "experiments", Body: b})
}

// chartAnchor is the element id of a metric's chart.
func chartAnchor(keys []string, key string) string {
	return fmt.Sprintf("metric-%d-box", slices.Index(keys, key))
}

// kvTable lists key/value pairs sorted by key, values clipped to n bytes.
func kvTable(u *url.URL, id, label string, kvs []lathe.Tag, n int) *Table {
	kvs = slices.Clone(kvs)
	slices.SortFunc(kvs, func(a, b lathe.Tag) int { return strings.Compare(a.Key, b.Key) })
	t := NewTable(u, id, []Column{{Label: label}, {Label: "Value"}}, "", false)
	t.Caption = label + "s"
	for _, kv := range kvs {
		v := kv.Value
		c := Cell{Text: clip(v, n), Class: "value"}
		if len(v) > n {
			c.Text += "…"
			c.Title = fmt.Sprintf("%s of %s bytes shown", fmtCount(int64(n)), fmtCount(int64(len(v))))
		}
		t.Rows = append(t.Rows, []Cell{{Text: kv.Key, Mono: true}, c})
	}
	return t
}

// runFacts is the run's overview: identity, timing, source and inputs.
func runFacts(ws string, run *lathe.Run, e *lathe.Experiment, now time.Time) []fact {
	info := run.Info
	out := []fact{{Label: "Run ID", Value: info.RunID, Mono: true}}
	if e != nil {
		out = append(out, fact{Label: "Experiment", Value: e.Name, Href: expURL(ws, e.ID)})
	} else {
		out = append(out, fact{Label: "Experiment", Value: info.ExperimentID, Mono: true})
	}
	out = append(out, fact{Label: "Status", Value: strings.ToLower(info.Status), Badge: runTone(info.Status)})
	if info.LifecycleStage == lathe.StageDeleted {
		out = append(out, fact{Label: "Lifecycle", Value: "deleted", Badge: "warn"})
	}
	out = append(out, fact{Label: "Started", Value: fmtTime(msTime(info.StartTime)), Title: msTime(info.StartTime).Format("2006-01-02 15:04:05.000 UTC")})
	if info.EndTime != nil {
		out = append(out, fact{Label: "Ended", Value: fmtTime(msTime(*info.EndTime))})
	}
	out = append(out, fact{Label: "Duration", Value: runDuration(info, now)})
	if info.UserID != "" {
		out = append(out, fact{Label: "User", Value: info.UserID})
	}
	if v := tagValue(run.Tags, "mlflow.source.name"); v != "" {
		out = append(out, fact{Label: "Source", Value: clip(v, 200), Title: v, Mono: true})
	}
	if v := tagValue(run.Tags, "mlflow.source.git.commit"); v != "" {
		out = append(out, fact{Label: "Git commit", Value: shorten(v, 12), Title: v, Mono: true})
	}
	if v := tagValue(run.Tags, "mlflow.parentRunId"); v != "" && runIDRE().MatchString(v) {
		out = append(out, fact{Label: "Parent run", Value: v, Href: runURL(ws, v), Mono: true})
	}
	for _, in := range run.Inputs {
		ctx := ""
		for _, t := range in.Tags {
			if t.Key == "mlflow.data.context" {
				ctx = " (" + t.Value + ")"
			}
		}
		out = append(out, fact{Label: "Dataset", Value: in.Name + ctx, Title: "digest " + in.Digest + ", source " + clip(in.Source, 300)})
	}
	out = append(out, fact{Label: "Artifact URI", Value: info.ArtifactURI, Mono: true})
	return out
}
