package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/profile"
)

// diffBody is the page comparing two versions of a data asset.
type diffBody struct {
	Name             string
	AssetURL         string
	From, To         *lathe.DataVersion
	FromURL, ToURL   string
	D                *data.Diff
	Choices          []versionChoice
	Self             string
	SwapURL          string
	Counts           []diffCount
	Added, Removed   *Table
	Changed          *Table
	Rows             string // the row counts, from → to
	RowsChanged      bool
	Schema           *Table
	Stats            *Table
	StatsNote        string
	OnlyChanged      bool
	StatsKeep        url.Values
	NoTable          string // why there is no table comparison
	ColumnsChanged   int
	ColumnsCompared  int
	FilesListedLimit int
}

// versionChoice is one version offered by the compare form.
type versionChoice struct {
	Version, Label string
	From, To       bool
}

// diffCount is one of the summary cards: files added, removed, changed or
// unchanged.
type diffCount struct {
	Label string
	N     int
	Href  string
}

// dataDiff compares two versions of an asset (?from= and ?to=, "latest"
// allowed; by default the latest version and the one before it): files
// added, removed and changed, and for tables the row counts, the schema
// and each common column's statistics side by side.
func (s *Studio) dataDiff(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	da, a, err := s.requestedAsset(r, rc)
	if err != nil {
		return err
	}
	ctx, name := r.Context(), a.Name
	q := r.URL.Query()
	listed, err := da.Versions(ctx, rc.ws.ID, name, true, 0, maxVersionChoices)
	if err != nil {
		return err
	}
	from, to := strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	if to == "" {
		to = "latest"
		if a.LatestVersion == "" && len(listed) > 0 {
			to = listed[0].Version
		}
	}
	toRef, err := versionRef(name, to, "to")
	if err != nil {
		return err
	}
	if from == "" {
		tv, err := da.Version(ctx, rc.ws.ID, toRef)
		if err != nil {
			return err
		}
		if from, err = previousVersion(ctx, da, rc.ws.ID, name, tv.Version); err != nil {
			return err
		}
		if from == "" {
			return lathe.Errorf(lathe.EINVALID, "%s:%s is the oldest version of %s, so there is nothing before it to compare it with; choose two versions with ?from= and ?to=", name, tv.Version, name)
		}
	}
	fromRef, err := versionRef(name, from, "from")
	if err != nil {
		return err
	}
	d, err := da.DiffVersions(ctx, rc.ws.ID, fromRef, toRef)
	if err != nil {
		return err
	}
	fv, err := da.Version(ctx, rc.ws.ID, d.From)
	if err != nil {
		return err
	}
	tv, err := da.Version(ctx, rc.ws.ID, d.To)
	if err != nil {
		return err
	}
	self := assetURL(rc.ws.Name, name) + "/diff"
	b := diffBody{Name: name, AssetURL: assetURL(rc.ws.Name, name), From: fv, To: tv, D: d, Self: self,
		FromURL: versionURL(rc.ws.Name, name, fv.Version), ToURL: versionURL(rc.ws.Name, name, tv.Version),
		SwapURL:     diffURL(rc.ws.Name, name, tv.Version, fv.Version),
		OnlyChanged: q.Get("changed") == "1", FilesListedLimit: maxDiffFiles}
	b.StatsKeep = url.Values{"from": {fv.Version}, "to": {tv.Version}}
	b.Choices = versionChoices(listed, fv.Version, tv.Version)
	b.Counts = []diffCount{{"Files added", len(d.Added), "#files-added"}, {"Files removed", len(d.Removed), "#files-removed"},
		{"Files changed", len(d.Changed), "#files-changed"}, {"Files unchanged", int(min(d.Unchanged, 1<<30)), ""}}
	b.Added = fileList(r.URL, "files-added", "Files added in "+d.ToRef, d.Added, func(c data.FileChange) []Cell {
		return []Cell{{Text: c.Path, Href: dataFileURL(rc.ws.Name, name, tv.Version, c.Path), Mono: true},
			{Text: lathe.FormatBytes(c.ToSize), Title: fmtCount(c.ToSize) + " bytes"}, {Text: shorten(string(c.ToDigest), 12), Title: string(c.ToDigest), Mono: true}}
	}, []Column{{Label: "Path"}, {Label: "Size", Numeric: true}, {Label: "Digest"}})
	b.Removed = fileList(r.URL, "files-removed", "Files removed since "+d.FromRef, d.Removed, func(c data.FileChange) []Cell {
		return []Cell{{Text: c.Path, Href: dataFileURL(rc.ws.Name, name, fv.Version, c.Path), Mono: true},
			{Text: lathe.FormatBytes(c.FromSize), Title: fmtCount(c.FromSize) + " bytes"}, {Text: shorten(string(c.FromDigest), 12), Title: string(c.FromDigest), Mono: true}}
	}, []Column{{Label: "Path"}, {Label: "Size", Numeric: true}, {Label: "Digest"}})
	b.Changed = fileList(r.URL, "files-changed", "Files whose content changed", d.Changed, func(c data.FileChange) []Cell {
		return []Cell{{Text: c.Path, Href: dataFileURL(rc.ws.Name, name, tv.Version, c.Path), Mono: true},
			{Text: arrow(lathe.FormatBytes(c.FromSize), lathe.FormatBytes(c.ToSize)), Title: fmtCount(c.FromSize) + " → " + fmtCount(c.ToSize) + " bytes", Class: "delta"},
			{Text: signedBytes(c.ToSize - c.FromSize)},
			{Text: arrow(shorten(string(c.FromDigest), 8), shorten(string(c.ToDigest), 8)), Title: string(c.FromDigest) + " → " + string(c.ToDigest), Mono: true, Class: "delta"}}
	}, []Column{{Label: "Path"}, {Label: "Size", Numeric: true}, {Label: "Change", Numeric: true}, {Label: "Digest"}})

	if d.Table == nil {
		b.NoTable = "Rows, columns and statistics are compared when both versions are tables with a profile (CSV, TSV, Parquet, or an mltable of them)."
	} else {
		t := d.Table
		b.RowsChanged = t.FromRows != t.ToRows
		b.Rows = fmtCount(t.ToRows)
		if b.RowsChanged {
			b.Rows = fmtCount(t.FromRows) + " → " + fmtCount(t.ToRows) + " (" + signedCount(t.ToRows-t.FromRows)
			if t.FromRows > 0 {
				b.Rows += ", " + signedPercent(float64(t.ToRows-t.FromRows)/float64(t.FromRows))
			}
			b.Rows += ")"
		}
		b.Schema = schemaTable(r.URL, t)
		if err := b.statsTable(ctx, r.URL, da, rc.ws.ID, d); err != nil {
			return err
		}
	}
	title := "Compare " + d.FromRef + " and " + d.ToRef
	return s.render(w, r, rc, http.StatusOK, "datadiff", &page{Title: title, Section: "data", Body: b})
}

// previousVersion returns the version listed after version (newest first),
// the one before it, or "" when it is the oldest, looking through at most
// 2,000 versions.
func previousVersion(ctx context.Context, da DataAssets, ws, name, version string) (string, error) {
	const page, limit = 200, 2000
	found := false
	for off := 0; off < limit; off += page {
		vs, err := da.Versions(ctx, ws, name, true, off, page)
		if err != nil {
			return "", err
		}
		for _, v := range vs {
			if found {
				return v.Version, nil
			}
			found = v.Version == version
		}
		if len(vs) < page {
			break
		}
	}
	return "", nil
}

// versionChoices lists the versions the compare form offers, newest first,
// with the two compared marked (and added if the list lacks them).
func versionChoices(listed []*lathe.DataVersion, from, to string) []versionChoice {
	var out []versionChoice
	seen := map[string]bool{}
	add := func(version, created string, archived bool) {
		label := version
		if created != "" {
			label += " · " + created
		}
		if archived {
			label += " (archived)"
		}
		out = append(out, versionChoice{Version: version, Label: label, From: version == from, To: version == to})
		seen[version] = true
	}
	for _, v := range listed {
		add(v.Version, v.CreatedAt.UTC().Format("2006-01-02"), v.Archived)
	}
	for _, v := range []string{from, to} {
		if !seen[v] {
			add(v, "", false)
		}
	}
	return out
}

// fileList is one list of a diff's files, at most maxDiffFiles of them.
func fileList(u *url.URL, id, caption string, files []data.FileChange, row func(data.FileChange) []Cell, cols []Column) *Table {
	t := NewTable(u, id, cols, "", false)
	t.Caption = caption
	t.Class = "table-compact"
	for i, c := range files {
		if i == maxDiffFiles {
			t.Note = fmt.Sprintf("The first %s of %s files are listed; `lathe data diff` lists them all.", fmtCount(maxDiffFiles), fmtCount(int64(len(files))))
			break
		}
		t.Rows = append(t.Rows, row(c))
	}
	return t
}

// schemaTable lists the columns added, removed and retyped.
func schemaTable(u *url.URL, t *data.TableDiff) *Table {
	st := NewTable(u, "schema", []Column{{Label: "Column"}, {Label: "Change"}, {Label: "Type"}}, "", false)
	st.Caption = "Columns added, removed or retyped"
	st.Empty = Empty{Title: "Same columns", Text: "Both versions have the same columns, with the same types, in the profile's reading."}
	for _, c := range t.Added {
		st.Rows = append(st.Rows, []Cell{{Text: c.Name, Mono: true}, {Text: "added", Badge: "ok"}, {Text: c.ToType, Mono: true}})
	}
	for _, c := range t.Removed {
		st.Rows = append(st.Rows, []Cell{{Text: c.Name, Mono: true}, {Text: "removed", Badge: "bad"}, {Text: c.FromType, Mono: true}})
	}
	for _, c := range t.Retyped {
		st.Rows = append(st.Rows, []Cell{{Text: c.Name, Mono: true}, {Text: "retyped", Badge: "warn"}, {Text: arrow(c.FromType, c.ToType), Mono: true}})
	}
	return st
}

// statsTable compares the statistics of the columns both profiles have,
// in the newer one's order.
func (b *diffBody) statsTable(ctx context.Context, u *url.URL, da DataAssets, ws string, d *data.Diff) error {
	var ps [2]*profile.Profile
	for i, ref := range []lathe.AssetRef{d.From, d.To} {
		_, raw, err := da.Profile(ctx, ws, ref)
		if lathe.IsCode(err, lathe.ENOTFOUND) {
			return nil
		}
		if err != nil {
			return err
		}
		var p profile.Profile
		if err := json.Unmarshal(raw, &p); err != nil {
			b.StatsNote = "The stored profile of " + ref.String() + " could not be read, so column statistics are not compared."
			return nil
		}
		ps[i] = &p
	}
	cols := []Column{{Label: "Column"}, {Label: "Type"}, {Label: "Null rate", Numeric: true}, {Label: "Distinct", Numeric: true},
		{Label: "Mean", Numeric: true}, {Label: "Std", Numeric: true}, {Label: "Min", Numeric: true}, {Label: "Median", Numeric: true}, {Label: "Max", Numeric: true}}
	t := NewTable(u, "column-stats", cols, "", false)
	t.Caption = "Statistics of the columns both versions have: " + d.FromRef + " → " + d.ToRef
	t.Class = "table-compact table-delta"
	t.Empty = Empty{Title: "No common columns", Text: "The two versions share no column name."}
	if b.OnlyChanged {
		t.Empty = Empty{Title: "No column changed", Text: "Every common column has the same statistics in both versions."}
	}
	for _, c := range ps[1].Columns {
		old := ps[0].Column(c.Name)
		if old == nil {
			continue
		}
		b.ColumnsCompared++
		row, changed := statsRow(old, &c)
		if changed {
			b.ColumnsChanged++
		}
		if (b.OnlyChanged && !changed) || len(t.Rows) == maxDiffColumns {
			continue
		}
		t.Rows = append(t.Rows, row)
		class := ""
		if changed {
			class = "row-diff"
		}
		t.RowClasses = append(t.RowClasses, class)
	}
	if n := b.ColumnsCompared; n > maxDiffColumns && !b.OnlyChanged {
		t.Note = fmt.Sprintf("The first %s of %s common columns are compared.", fmtCount(maxDiffColumns), fmtCount(int64(n)))
	}
	b.Stats = t
	return nil
}

// statsRow sets one column's statistics in two versions side by side and
// reports whether any differ.
func statsRow(a, b *profile.ColumnProfile) ([]Cell, bool) {
	changed := a.Type != b.Type
	typ := Cell{Text: string(b.Type), Mono: true}
	if a.Type != b.Type {
		typ = Cell{Text: arrow(string(a.Type), string(b.Type)), Mono: true, Class: "delta"}
	}
	row := []Cell{{Text: b.Name, Mono: true}, typ}
	add := func(c Cell, diff bool) {
		row = append(row, c)
		changed = changed || diff
	}
	add(deltaCell(&a.NullRate, &b.NullRate, fmtPercent, func(x, y float64) string {
		return fmt.Sprintf("%+.2f percentage points", (y-x)*100)
	}))
	da, db := float64(a.Distinct), float64(b.Distinct)
	cnt := func(v float64) string { return fmtCount(int64(v)) }
	dc, dd := deltaCell(&da, &db, cnt, relative(cnt))
	if a.DistinctApproximate || b.DistinctApproximate {
		dc.Title = strings.TrimSpace("Estimated counts. " + dc.Title)
	}
	add(dc, dd)
	num := func(v float64) string { return fmtNum(v, false) }
	med := func(c *profile.ColumnProfile) *float64 {
		if c.Quantiles == nil {
			return nil
		}
		return &c.Quantiles.P50
	}
	for _, pair := range [][2]*float64{{a.Mean, b.Mean}, {a.Std, b.Std}, {a.Min, b.Min}, {med(a), med(b)}, {a.Max, b.Max}} {
		add(deltaCell(pair[0], pair[1], num, relative(num)))
	}
	return row, changed
}

// deltaCell shows a statistic of two versions: the value when it is the
// same; the new value over the old one when it differs (the title says by
// how much); "—" when neither has it.
func deltaCell(a, b *float64, show func(float64) string, delta func(a, b float64) string) (Cell, bool) {
	switch {
	case a == nil && b == nil:
		return Cell{Text: "—"}, false
	case a == nil:
		return Cell{Text: show(*b), Sub: "was —", Class: "delta"}, true
	case b == nil:
		return Cell{Text: "—", Sub: "was " + show(*a), Class: "delta"}, true
	case show(*a) == show(*b):
		return Cell{Text: show(*b), Title: fmtValue(*b)}, *a != *b
	}
	return Cell{Text: show(*b), Sub: "was " + show(*a), Title: arrow(show(*a), show(*b)) + ": " + delta(*a, *b), Class: "delta"}, true
}

// relative describes the change from a to b: by how much, and by what
// share of a.
func relative(show func(float64) string) func(a, b float64) string {
	return func(a, b float64) string {
		s := "change " + signed(show(b-a), b-a)
		if a != 0 {
			s += " (" + signedPercent((b-a)/a) + ")"
		}
		return s
	}
}

// arrow joins two values of a change.
func arrow(a, b string) string { return a + " → " + b }

// signed puts a + before a positive value's text.
func signed(text string, v float64) string {
	if v > 0 {
		return "+" + text
	}
	return text
}

// signedCount, signedBytes and signedPercent show a change with its sign.
func signedCount(n int64) string { return signed(fmtCount(n), float64(n)) }

func signedBytes(n int64) string {
	switch {
	case n < 0:
		return "-" + lathe.FormatBytes(-n)
	case n == 0:
		return "0 B"
	}
	return "+" + lathe.FormatBytes(n)
}

func signedPercent(f float64) string {
	if f < 0 {
		return "-" + fmtPercent(-f)
	}
	return signed(fmtPercent(f), f)
}
