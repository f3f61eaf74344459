package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
	"github.com/latheml/lathe/internal/tracking"
)

// experimentsBody is the experiments page's content.
type experimentsBody struct {
	Q        string
	Deleted  bool
	Error    string
	Table    *Table
	Commands []string
	Sort     string
	Dir      string
}

// experimentOrder maps the experiments table's sort keys to order_by
// fields.
func experimentOrder() map[string]string {
	return map[string]string{"name": search.AttrName, "id": search.AttrExperimentID,
		"created": search.AttrCreationTime, "updated": search.AttrLastUpdateTime}
}

// experiments lists the workspace's experiments, a page at a time.
func (s *Studio) experiments(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if s.opts.Tracking == nil {
		return s.section("experiments")(w, r, rc)
	}
	q := r.URL.Query()
	b := experimentsBody{Deleted: q.Get("deleted") == "1", Commands: trackingCommands(s.baseURL(r), rc.ws.Name)}
	cols := []Column{{Key: "name", Label: "Name"}, {Key: "id", Label: "ID", Numeric: true}, {Label: "Description"},
		{Key: "created", Label: "Created"}, {Key: "updated", Label: "Last updated"}}
	if b.Deleted {
		cols = append(cols, Column{Label: "State"})
	}
	t := NewTable(r.URL, "experiments", cols, "created", true)
	t.Caption = "Experiments in " + rc.ws.Name
	t.Empty = Empty{Title: "No matching experiments", Text: "Clear the search to see every experiment. Experiments are created by MLflow clients (mlflow.set_experiment) and by jobs."}
	b.Table, b.Sort, b.Dir = t, t.Sort, dirOf(t.Desc)
	status := http.StatusOK
	var err error
	if b.Q, err = queryText(q, "q", "search"); err != nil {
		b.Error, status, rc.failed = lathe.ErrorMessage(err), http.StatusBadRequest, err
		return s.render(w, r, rc, status, "experiments", &page{Title: "Experiments", Section: "experiments", Body: b})
	}
	pager, err := newTokenPager(q, experimentPageSize)
	if err != nil {
		return err
	}
	filter := ""
	if b.Q != "" {
		filter = search.Filter{Comparisons: []search.Comparison{{Kind: search.Attribute, Key: search.AttrName, Op: search.OpILike, Value: "%" + b.Q + "%"}}}.String()
	}
	view := tracking.ActiveOnly
	if b.Deleted {
		view = tracking.All
	}
	order := search.Order{Kind: search.Attribute, Key: experimentOrder()[t.Sort], Desc: t.Desc}.String()
	exps, _, err := s.opts.Tracking.SearchExperiments(r.Context(), rc.ws.ID, filter, view, experimentPageSize+1, []string{order}, pager.token)
	if err != nil {
		if !lathe.IsCode(err, lathe.EINVALID) {
			return err
		}
		b.Error, status, rc.failed = lathe.ErrorMessage(err), http.StatusBadRequest, err
	}
	exps = finish(pager, t, exps, "Experiments")
	for _, e := range exps {
		desc := tagValue(e.Tags, "mlflow.note.content")
		row := []Cell{
			{Text: e.Name, Href: expURL(rc.ws.Name, e.ID)},
			{Text: e.ID, Mono: true},
			{Text: clip(firstLine(desc), 120), Title: clip(desc, 1000)},
			{Time: msTime(e.CreationTime), Text: ago(s.now(), msTime(e.CreationTime)), Title: fmtTime(msTime(e.CreationTime))},
			{Time: msTime(e.LastUpdateTime), Text: ago(s.now(), msTime(e.LastUpdateTime)), Title: fmtTime(msTime(e.LastUpdateTime))},
		}
		if b.Deleted {
			tone := "ok"
			if e.LifecycleStage == lathe.StageDeleted {
				tone = "warn"
			}
			row = append(row, Cell{Text: e.LifecycleStage, Badge: tone})
		}
		t.Rows = append(t.Rows, row)
	}
	return s.render(w, r, rc, status, "experiments", &page{Title: "Experiments", Section: "experiments", Body: b})
}

// dirOf is a sort direction as ?dir= spells it.
func dirOf(desc bool) string {
	if desc {
		return "desc"
	}
	return "asc"
}

// firstLine is the first non-empty line of a text.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// filterError is a filter the search could not parse, with where.
type filterError struct {
	Message string
	// Before, At and After split the filter around the problem, so the
	// page can mark it; Caret is the line that points at it.
	Before, At, After string
	Caret             string
}

// newFilterError explains err, pointing into the filter when it is a
// syntax error of that filter.
func newFilterError(err error, filter string) *filterError {
	fe := &filterError{Message: lathe.ErrorMessage(err)}
	var se *search.SyntaxError
	if errors.As(err, &se) && se.Input == filter && se.Pos >= 0 && se.Pos <= len(filter) {
		fe.Before = filter[:se.Pos]
		rest := filter[se.Pos:]
		if rest == "" {
			fe.At = " "
		} else {
			_, size := utf8.DecodeRuneInString(rest)
			fe.At, fe.After = rest[:size], rest[size:]
		}
		fe.Caret = strings.Repeat(" ", len([]rune(fe.Before))) + "^"
	}
	return fe
}

// experimentBody is an experiment page's content: its runs.
type experimentBody struct {
	E         *lathe.Experiment
	Desc      string
	Tags      []lathe.Tag
	Filter    string
	Deleted   bool
	Error     *filterError
	Table     *Table
	Sort, Dir string
	// Metrics and Params are the chosen columns; MetricKeys and ParamKeys
	// are the keys offered (those of the runs on the page, and the chosen).
	Metrics, Params       []string
	MetricKeys, ParamKeys []keyChoice
	CompareURL            string
	Commands              []string
	Self                  string // the page's address, without a query
}

// keyChoice is one metric or param offered as a column.
type keyChoice struct {
	Key     string
	Checked bool
}

// experiment shows an experiment's runs: one bounded search per page.
func (s *Studio) experiment(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	tr, err := s.tracker()
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if !experimentIDRE().MatchString(id) {
		return lathe.Errorf(lathe.ENOTFOUND, "there is no experiment %q; experiment IDs are numbers", clip(id, 40))
	}
	e, err := tr.Experiment(ctx, rc.ws.ID, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	b := experimentBody{E: e, Deleted: q.Get("deleted") == "1", CompareURL: wsURL(rc.ws.Name, "compare"), Self: expURL(rc.ws.Name, e.ID),
		Commands: trackingCommands(s.baseURL(r), rc.ws.Name)}
	b.Desc = tagValue(e.Tags, "mlflow.note.content")
	for _, t := range e.Tags {
		if !strings.HasPrefix(t.Key, "mlflow.") {
			b.Tags = append(b.Tags, t)
		}
	}
	status := http.StatusOK
	b.Filter, err = queryText(q, "filter", "filter")
	if err != nil {
		b.Error, status, rc.failed = &filterError{Message: lathe.ErrorMessage(err)}, http.StatusBadRequest, err
		b.Filter = ""
	}
	chosen := q.Has("cols")
	b.Metrics = cleanKeys(q["m"])
	b.Params = cleanKeys(q["p"])

	// The sort may be any attribute, metric or param, shown or not: it is
	// checked as an order_by clause, and the start time otherwise.
	pager, err := newTokenPager(q, runPageSize)
	if err != nil {
		return err
	}
	sortKey, desc := orderKey(search.Attribute, search.AttrStartTime), true
	if k := q.Get("sort"); k != "" && len(k) <= 300 {
		if o, err := search.ParseOrderBy([]string{k}, true); err == nil && len(o) == 1 && o[0].Kind != search.Dataset {
			sortKey, desc = orderKey(o[0].Kind, o[0].Key), q.Get("dir") == "desc"
		}
	}
	if e.LifecycleStage == lathe.StageDeleted {
		b.Deleted = true // its runs were deleted with it
	}
	view := tracking.ActiveOnly
	if b.Deleted {
		view = tracking.All
	}
	var runs []*lathe.Run
	if b.Error == nil {
		runs, _, err = tr.SearchRuns(ctx, rc.ws.ID, tracking.SearchRunsRequest{ExperimentIDs: []string{e.ID}, Filter: b.Filter, View: view,
			MaxResults: runPageSize + 1, OrderBy: []string{sortKey + " " + strings.ToUpper(dirOf(desc))}, PageToken: pager.token})
		if err != nil {
			if !lathe.IsCode(err, lathe.EINVALID) {
				return err
			}
			b.Error, status, rc.failed = newFilterError(err, b.Filter), http.StatusBadRequest, err
			runs = nil
		}
	}
	seenM, seenP, defM, defP := pageKeys(runs[:min(len(runs), runPageSize)])
	if !chosen {
		b.Metrics, b.Params = defM, defP
	}
	b.MetricKeys, b.ParamKeys = offer(seenM, b.Metrics), offer(seenP, b.Params)

	cols := []Column{{Label: "Compare"}, {Key: orderKey(search.Attribute, search.AttrRunName), Label: "Run"},
		{Key: orderKey(search.Attribute, search.AttrStatus), Label: "Status"},
		{Key: orderKey(search.Attribute, search.AttrStartTime), Label: "Started"}, {Label: "Duration"},
		{Key: orderKey(search.Attribute, search.AttrUserID), Label: "User"}}
	for _, k := range b.Metrics {
		cols = append(cols, Column{Key: orderKey(search.Metric, k), Label: k, Numeric: true})
	}
	for _, k := range b.Params {
		cols = append(cols, Column{Key: orderKey(search.Param, k), Label: k})
	}
	u := *r.URL
	if !chosen {
		// Links (sorting, paging) keep the columns shown now.
		v := u.Query()
		v["m"], v["p"], v["cols"] = b.Metrics, b.Params, []string{"1"}
		u.RawQuery = v.Encode()
	}
	t := NewTable(&u, "runs", cols, sortKey, desc)
	t.Sort, t.Desc = sortKey, desc // kept even when its column is not shown
	t.Caption = "Runs of " + e.Name
	t.Class = "table-dense"
	t.Empty = Empty{Title: "No runs yet", Text: "Runs logged to this experiment by jobs or by an MLflow client appear here with their parameters and latest metrics.",
		Commands: append(append([]string(nil), b.Commands[:2]...), fmt.Sprintf("python train.py   # mlflow.set_experiment(%q), then mlflow.start_run()", e.Name))}
	if b.Filter != "" || b.Error != nil {
		t.Empty = Empty{Title: "No matching runs", Text: "No run of this experiment matches the filter. Loosen it, or clear it to see every run."}
	}
	b.Table, b.Sort, b.Dir = t, sortKey, dirOf(desc)
	runs = finish(pager, t, runs, "Runs")
	now := s.now()
	for _, run := range runs {
		row := []Cell{
			{Check: &Check{Form: "compare-form", Name: "runs", Value: run.Info.RunID, ID: "cmp-" + run.Info.RunID, Label: "Compare " + runName(run)}},
			{Text: runName(run), Href: runURL(rc.ws.Name, run.Info.RunID), Title: run.Info.RunID},
			statusCell(run.Info.Status),
			{Time: msTime(run.Info.StartTime), Text: ago(now, msTime(run.Info.StartTime)), Title: fmtTime(msTime(run.Info.StartTime))},
			{Text: runDuration(run.Info, now)},
			{Text: orDash(run.Info.UserID)},
		}
		if run.Info.LifecycleStage == lathe.StageDeleted {
			row[2] = Cell{Text: "deleted", Badge: "warn"}
		}
		metrics := map[string]float64{}
		for _, m := range run.Metrics {
			metrics[m.Key] = m.Value
		}
		params := map[string]string{}
		for _, p := range run.Params {
			params[p.Key] = p.Value
		}
		for _, k := range b.Metrics {
			if v, ok := metrics[k]; ok {
				row = append(row, Cell{Text: fmtShort(v), Title: k + " = " + fmtValue(v)})
			} else {
				row = append(row, Cell{Text: "—"})
			}
		}
		for _, k := range b.Params {
			if v, ok := params[k]; ok {
				row = append(row, Cell{Text: clip(v, 40), Title: clip(v, 1000), Mono: true})
			} else {
				row = append(row, Cell{Text: "—"})
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return s.render(w, r, rc, status, "experiment", &page{Title: e.Name, Section: "experiments", Body: b})
}

// cleanKeys keeps the well-formed, distinct metric or param keys of a
// query, at most maxColumnChoices.
func cleanKeys(vals []string) []string {
	var ok []string
	for _, v := range vals {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" && len(k) <= lathe.MaxEntityKeyLen {
				ok = append(ok, k)
			}
		}
	}
	return uniqueKeys(ok, maxColumnChoices)
}

// offer lists the keys to choose columns from: those seen, then any
// chosen that were not, each marked when chosen.
func offer(seen, chosen []string) []keyChoice {
	out := make([]keyChoice, 0, len(seen)+len(chosen))
	for _, k := range uniqueKeys(append(append([]string(nil), seen...), chosen...), maxKeysOffered+maxColumnChoices) {
		out = append(out, keyChoice{Key: k, Checked: slices.Contains(chosen, k)})
	}
	return out
}

// pageKeys returns the metric and param keys of the runs on a page, by
// name, and the default columns among them: the metrics most runs have,
// and the params whose values vary most (a param every run sets alike
// tells nothing).
func pageKeys(runs []*lathe.Run) (metrics, params, defMetrics, defParams []string) {
	mCount := map[string]int{}
	pValues := map[string]map[string]bool{}
	pCount := map[string]int{}
	for _, run := range runs {
		for _, m := range run.Metrics {
			mCount[m.Key]++
		}
		for _, p := range run.Params {
			if pValues[p.Key] == nil {
				pValues[p.Key] = map[string]bool{}
			}
			pValues[p.Key][p.Value] = true
			pCount[p.Key]++
		}
	}
	for k := range mCount {
		metrics = append(metrics, k)
	}
	for k := range pCount {
		params = append(params, k)
	}
	slices.Sort(metrics)
	slices.Sort(params)
	metrics, params = uniqueKeys(metrics, maxKeysOffered), uniqueKeys(params, maxKeysOffered)
	defMetrics = slices.Clone(metrics)
	slices.SortStableFunc(defMetrics, func(a, b string) int { return mCount[b] - mCount[a] })
	defParams = slices.Clone(params)
	slices.SortStableFunc(defParams, func(a, b string) int {
		if c := len(pValues[b]) - len(pValues[a]); c != 0 {
			return c
		}
		return pCount[b] - pCount[a]
	})
	return metrics, params, uniqueKeys(defMetrics, 4), uniqueKeys(defParams, 4)
}
