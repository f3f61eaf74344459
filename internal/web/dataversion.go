package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/profile"
)

// versionBody is a data version's page.
type versionBody struct {
	V          *lathe.DataVersion
	AssetURL   string
	Latest     bool // the asset's newest version that is not archived
	Facts      []fact
	Tags       []string
	Profile    *profileView
	NoProfile  string // why there is no profile
	Files      *Table
	FilesNote  string
	CompareURL string
	Download   string // a uri_file's one file
}

// profileView is a version's profile as the page shows it.
type profileView struct {
	Summary  []fact
	Problems *Table
	// Issues say what lenient reading went past (ragged rows, bad UTF-8).
	Issues []string
	Cards  []columnCard
	// Columns: the column filter, the pager of the cards and what they
	// show ("Columns 1–24 of 80").
	Filter  string
	Pager   Pager
	Shown   string
	Keep    url.Values // what the column filter form carries
	Self    string
	NoMatch bool
}

// columnCard is one column of a profile.
type columnCard struct {
	ID, Name    string
	Type, Tone  string
	Categorical bool
	Unique      bool
	NullRate    string
	NullTitle   string
	NullBar     template.HTML
	Stats       []stat
	Quantiles   []stat
	QApprox     bool
	Chart       template.HTML
	ChartKind   string // "hist" or "rank"
	ChartNote   string
}

// stat is one labelled figure of a column card.
type stat struct{ Label, Value, Title string }

// dataVersion shows one version of a data asset: what it is, its profile as
// one card per column, and its files.
func (s *Studio) dataVersion(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	da, err := s.dataAssets()
	if err != nil {
		return err
	}
	ctx := r.Context()
	name, err := assetName(r)
	if err != nil {
		return err
	}
	ref, err := versionRef(name, r.PathValue("version"), "")
	if err != nil {
		return lathe.Errorf(lathe.ENOTFOUND, "there is no version %q of data asset %s", clip(r.PathValue("version"), 80), name)
	}
	q := r.URL.Query()
	after := q.Get("files")
	if after != "" && lathe.ValidateDataPath(after) != nil {
		return lathe.Errorf(lathe.EINVALID, "the files page link is not valid; start again from the first page")
	}
	v, files, err := da.Files(ctx, rc.ws.ID, ref, after, filePageSize+1)
	if err != nil {
		return err
	}
	ref = lathe.AssetRef{Name: v.Name, Version: v.Version}
	b := versionBody{V: v, AssetURL: assetURL(rc.ws.Name, v.Name), Tags: tagChips(v.Tags, 0),
		CompareURL: diffURL(rc.ws.Name, v.Name, "", v.Version)}
	if latest, err := da.Version(ctx, rc.ws.ID, lathe.AssetRef{Name: v.Name, Latest: true}); err == nil {
		b.Latest = latest.Version == v.Version
	} else if !lathe.IsCode(err, lathe.ENOTFOUND) {
		return err
	}
	b.Facts = versionFacts(v, b.Latest)
	if v.Type == lathe.DataURIFile && len(files) == 1 && after == "" {
		b.Download = dataFileURL(rc.ws.Name, v.Name, v.Version, files[0].Path)
	}

	_, raw, err := da.Profile(ctx, rc.ws.ID, ref)
	switch {
	case lathe.IsCode(err, lathe.ENOTFOUND):
		b.NoProfile = "Only tables are profiled: a CSV, TSV or Parquet uri_file, or an mltable of them. This " + v.Type + " has no profile."
	case err != nil:
		return err
	default:
		var p profile.Profile
		if err := json.Unmarshal(raw, &p); err != nil {
			s.log.WarnContext(ctx, "studio could not read a stored profile", "request_id", rc.rid, "asset", v.Name, "version", v.Version, "error", err.Error())
			b.NoProfile = "The stored profile of this version could not be read (layout version unknown to this studio)."
		} else if b.Profile, err = newProfileView(r.URL, &p); err != nil {
			return err
		}
	}

	self := versionURL(rc.ws.Name, v.Name, v.Version)
	ft := NewTable(r.URL, "files", []Column{{Label: "Path"}, {Label: "Size", Numeric: true}, {Label: "Digest"}, {Label: "Mode"}}, "", false)
	ft.Caption = "Files of " + ref.String()
	ft.Empty = Empty{Title: "No more files", Text: "This page of the file list is past the last file."}
	if len(files) > filePageSize {
		files = files[:filePageSize]
		ft.Pager.Next = withQuery(r.URL, url.Values{"files": {files[len(files)-1].Path}}) + "#files"
	}
	if after != "" {
		ft.Pager.First = withQuery(r.URL, url.Values{"files": nil}) + "#files"
	}
	for _, e := range files {
		ft.Rows = append(ft.Rows, []Cell{
			{Text: e.Path, Href: dataFileURL(rc.ws.Name, v.Name, v.Version, e.Path), Mono: true, Title: "Download " + e.Path},
			{Text: lathe.FormatBytes(e.Size), Title: fmtCount(e.Size) + " bytes"},
			{Text: shorten(string(e.Digest), 12), Title: string(e.Digest), Mono: true},
			{Text: fmt.Sprintf("%04o", e.Mode), Mono: true},
		})
	}
	b.Files = ft
	b.FilesNote = plural(int(min(v.Files, 1<<30)), "file") + ", " + lathe.FormatBytes(v.Size) + " in all, in path order."
	if b.Profile != nil {
		b.Profile.Self = self
	}
	return s.render(w, r, rc, http.StatusOK, "dataversion", &page{Title: v.Name + ":" + v.Version, Section: "data", Body: b})
}

// versionFacts is a version's overview.
func versionFacts(v *lathe.DataVersion, latest bool) []fact {
	out := []fact{{Label: "Type", Value: v.Type, Mono: true}}
	switch {
	case v.Archived:
		out = append(out, fact{Label: "State", Value: "archived", Badge: "warn"})
	case latest:
		out = append(out, fact{Label: "State", Value: "latest", Badge: "info"})
	}
	out = append(out,
		fact{Label: "Files", Value: fmtCount(v.Files)},
		fact{Label: "Size", Value: lathe.FormatBytes(v.Size), Title: fmtCount(v.Size) + " bytes"},
		fact{Label: "Digest", Value: shorten(string(v.Digest), 16), Title: string(v.Digest) + " (the digest of the whole file tree)", Mono: true},
		fact{Label: "Datastore", Value: v.Datastore, Mono: true},
		fact{Label: "Created", Value: fmtTime(v.CreatedAt) + byWhom(v.CreatedBy)},
	)
	if v.UpdatedAt != nil {
		out = append(out, fact{Label: "Updated", Value: fmtTime(*v.UpdatedAt)})
	}
	out = append(out, fact{Label: "Path", Value: v.Path, Mono: true, Wide: true})
	return out
}

// byWhom is " by user", or "" without one.
func byWhom(user string) string {
	if user == "" {
		return ""
	}
	return " by " + user
}

// newProfileView lays a profile out for the page: a summary, the problems
// lenient reading recorded, and one card per column of the chosen page
// (?col= filters the columns by name, ?cpage= pages them).
func newProfileView(u *url.URL, p *profile.Profile) (*profileView, error) {
	q := u.Query()
	pv := &profileView{Filter: clip(strings.TrimSpace(q.Get("col")), 200), Keep: keepQuery(q, "files")}
	pv.Summary = []fact{
		{Label: "Rows", Value: fmtCount(p.Rows)},
		{Label: "Columns", Value: fmtCount(int64(len(p.Columns)))},
		{Label: "Format", Value: p.Format},
	}
	if p.Format == profile.FormatCSV {
		pv.Summary = append(pv.Summary, fact{Label: "Delimiter", Value: delimiterName(p.Delimiter)})
		h := "none: columns are named column_1, column_2, …"
		if p.Header {
			h = "first row"
		}
		pv.Summary = append(pv.Summary, fact{Label: "Header", Value: h})
	}
	if p.RaggedRows > 0 {
		pv.Issues = append(pv.Issues, fmt.Sprintf("%s had more or fewer fields than the header: missing cells count as nulls, extra cells were dropped.",
			rowsText(p.RaggedRows)))
	}
	if p.InvalidUTF8Rows > 0 {
		pv.Issues = append(pv.Issues, fmt.Sprintf("%s held bytes that are not UTF-8; they were read as U+FFFD (�).", rowsText(p.InvalidUTF8Rows)))
	}
	if len(p.Problems) > 0 {
		pt := NewTable(u, "problems", []Column{{Label: "Line", Numeric: true}, {Label: "Problem"}}, "", false)
		pt.Caption = "Problems found while reading, by line"
		pt.Class = "table-compact"
		for _, pr := range p.Problems {
			line := Cell{Text: "—"}
			if pr.Line > 0 {
				line = Cell{Text: fmtCount(pr.Line)}
			}
			pt.Rows = append(pt.Rows, []Cell{line, {Text: pr.Message}})
		}
		if p.Truncated || p.ProblemCount > int64(len(p.Problems)) {
			pt.Note = fmt.Sprintf("The first %s of %s problems are listed.", fmtCount(int64(len(p.Problems))), fmtCount(p.ProblemCount))
		}
		pv.Problems = pt
	}

	idx := make([]int, 0, len(p.Columns))
	f := strings.ToLower(pv.Filter)
	for i, c := range p.Columns {
		if f == "" || strings.Contains(strings.ToLower(c.Name), f) {
			idx = append(idx, i)
		}
	}
	pv.NoMatch = len(idx) == 0 && len(p.Columns) > 0
	lo, hi := pageBounds(u, "cpage", len(idx), columnPageSize, &pv.Pager, "#profile")
	if len(idx) > columnPageSize {
		pv.Shown = fmt.Sprintf("Columns %s–%s of %s", fmtCount(int64(lo+1)), fmtCount(int64(hi)), fmtCount(int64(len(idx))))
	}
	for _, i := range idx[lo:hi] {
		card, err := newColumnCard(i, &p.Columns[i])
		if err != nil {
			return nil, err
		}
		pv.Cards = append(pv.Cards, card)
	}
	return pv, nil
}

// pageBounds reads the page number in ?key= for n items, size per page,
// links the pages around it (each link ending in anchor) and returns the
// page's bounds.
func pageBounds(u *url.URL, key string, n, size int, p *Pager, anchor string) (lo, hi int) {
	pages := max(1, (n+size-1)/size)
	cur, err := strconv.Atoi(u.Query().Get(key))
	if err != nil || cur < 1 {
		cur = 1
	}
	cur = min(cur, pages)
	if cur > 1 {
		p.First = withQuery(u, url.Values{key: nil}) + anchor
		if cur > 2 {
			p.Prev = withQuery(u, url.Values{key: {strconv.Itoa(cur - 1)}}) + anchor
		} else {
			p.Prev, p.First = p.First, ""
		}
	}
	if cur < pages {
		p.Next = withQuery(u, url.Values{key: {strconv.Itoa(cur + 1)}}) + anchor
	}
	return (cur - 1) * size, min(cur*size, n)
}

// rowsText is "1 row" or "12 rows".
func rowsText(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmtCount(n) + " rows"
}

// delimiterName names a CSV delimiter so it can be read.
func delimiterName(d string) string {
	switch d {
	case ",":
		return "comma (,)"
	case ";":
		return "semicolon (;)"
	case "\t":
		return "tab"
	case "|":
		return "pipe (|)"
	case "":
		return "—"
	}
	return strconv.Quote(d)
}

// typeTone is the badge tone of a column type.
func typeTone(t profile.Type) string {
	switch t {
	case profile.TypeInt, profile.TypeFloat:
		return "num"
	case profile.TypeBool:
		return "bool"
	case profile.TypeDatetime:
		return "time"
	}
	return "text"
}

// newColumnCard lays out one column: its null rate, distinct count and
// numeric summary, quantiles, and a histogram (numbers) or its top values
// (text and bools).
func newColumnCard(i int, c *profile.ColumnProfile) (columnCard, error) {
	card := columnCard{ID: fmt.Sprintf("col-%d", i), Name: c.Name, Type: string(c.Type), Tone: typeTone(c.Type), Categorical: c.Categorical,
		NullRate: fmtPercent(c.NullRate), NullTitle: fmtCount(c.Nulls) + " of " + fmtCount(c.Count+c.Nulls) + " values are null"}
	tone := ""
	switch {
	case c.NullRate > 0.5:
		tone = "bad"
	case c.NullRate > 0.05:
		tone = "warn"
	}
	card.NullBar = meterSVG(c.NullRate, tone)
	integer := c.Type == profile.TypeInt
	distinct := stat{Label: "Distinct", Value: fmtCount(c.Distinct)}
	if c.DistinctApproximate {
		distinct.Value = "≈" + distinct.Value
		distinct.Title = "Estimated (HyperLogLog): within about ±2.5%"
	}
	card.Stats = append(card.Stats, stat{Label: "Values", Value: fmtCount(c.Count)}, distinct)
	card.Unique = c.Count > 1 && c.Distinct == c.Count && !c.DistinctApproximate
	for _, f := range []struct {
		label string
		v     *float64
	}{{"Min", c.Min}, {"Max", c.Max}, {"Mean", c.Mean}, {"Std", c.Std}} {
		if f.v != nil {
			card.Stats = append(card.Stats, stat{Label: f.label, Value: fmtNum(*f.v, integer && f.label != "Mean" && f.label != "Std"), Title: fmtValue(*f.v)})
		}
	}
	if c.Infinite > 0 {
		card.Stats = append(card.Stats, stat{Label: "Infinite", Value: fmtCount(c.Infinite), Title: "±Inf values, left out of the other figures"})
	}
	if c.DatetimeMin != "" {
		card.Stats = append(card.Stats, stat{Label: "Earliest", Value: fmtInstant(c.DatetimeMin), Title: c.DatetimeMin},
			stat{Label: "Latest", Value: fmtInstant(c.DatetimeMax), Title: c.DatetimeMax})
	}
	if qs := c.Quantiles; qs != nil {
		card.QApprox = qs.Approximate
		for _, qv := range []struct {
			l string
			v float64
		}{{"p1", qs.P01}, {"p5", qs.P05}, {"p25", qs.P25}, {"p50", qs.P50}, {"p75", qs.P75}, {"p95", qs.P95}, {"p99", qs.P99}} {
			card.Quantiles = append(card.Quantiles, stat{Label: qv.l, Value: fmtCompact(qv.v), Title: fmtValue(qv.v)})
		}
	}
	var err error
	switch {
	case c.Histogram != nil:
		card.ChartKind = "hist"
		card.Chart, err = HistogramSVG(HistogramChart{ID: card.ID + "-hist", Title: "Histogram of " + c.Name, Edges: c.Histogram.Edges, Counts: c.Histogram.Counts,
			Integer: integer, Approximate: c.Histogram.Approximate})
		if c.Histogram.Approximate {
			card.ChartNote = "Bin counts are estimates, within about 1% of the rows."
		}
	case len(c.TopK) > 0:
		card.ChartKind = "rank"
		card.Chart, card.ChartNote, err = topValues(card.ID, c)
	}
	return card, err
}

// topValues draws a column's most frequent values, with the rest as one
// grey bar when the counts are exact. A column whose values never repeat
// gets a note instead.
func topValues(id string, c *profile.ColumnProfile) (template.HTML, string, error) {
	if !c.TopKApproximate && c.TopK[0].Count == 1 {
		return "", "No value occurs twice, so there are no frequent values to show.", nil
	}
	rc := RankChart{ID: id + "-top", Title: "Most frequent values of " + c.Name, Total: c.Count, Approximate: c.TopKApproximate}
	var sum int64
	for _, v := range c.TopK {
		rc.Bars = append(rc.Bars, RankBar{Label: v.Value, Count: v.Count})
		sum += v.Count
	}
	note := ""
	switch {
	case c.TopKApproximate:
		note = "Counts are upper bounds from a sketch; ranks among rare values are rough."
	case c.Count > sum:
		others := c.Distinct - int64(len(c.TopK))
		rc.Bars = append(rc.Bars, RankBar{Label: fmt.Sprintf("(%s other)", fmtCount(others)), Count: c.Count - sum, Muted: true})
	}
	svg, err := RankSVG(rc)
	return svg, note, err
}

// fmtNum shows a statistic: whole numbers with thousands separators when
// integer, others with four significant digits (separators from 1,000 on,
// an exponent when very large or small).
func fmtNum(v float64, integer bool) string {
	a := math.Abs(v)
	switch {
	case !finite(v):
		return fmtValue(v)
	case a >= 1e15 || (a < 1e-4 && a != 0):
		return strconv.FormatFloat(v, 'g', 4, 64)
	case integer || (a >= 1000 && v == math.Trunc(v)) || a >= 10000:
		return fmtCount(int64(math.Round(v)))
	case a >= 1000:
		whole, frac, _ := strings.Cut(strconv.FormatFloat(v, 'f', 1, 64), ".")
		n, _ := strconv.ParseInt(whole, 10, 64)
		return fmtCount(n) + "." + frac
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// fmtCompact shows a number in at most about six characters, for the
// quantiles row: three significant digits, and k, M, G or T from 1,000 on.
func fmtCompact(v float64) string {
	a := math.Abs(v)
	switch {
	case !finite(v):
		return fmtValue(v)
	case a >= 1e15 || (a < 1e-3 && a != 0):
		return strconv.FormatFloat(v, 'g', 2, 64)
	case a < 1000:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	div, suffix := 1e3, "k"
	for _, u := range []struct {
		d float64
		s string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}} {
		if a >= u.d {
			div, suffix = u.d, u.s
			break
		}
	}
	x, _ := strconv.ParseFloat(strconv.FormatFloat(v/div, 'g', 3, 64), 64)
	if math.Abs(x) >= 1000 && suffix != "T" { // 999.96k rounds up to 1M
		return fmtCompact(math.Copysign(1000*div, v))
	}
	return strconv.FormatFloat(x, 'f', -1, 64) + suffix
}

// fmtInstant shows a profile's RFC 3339 instant: the date alone at
// midnight, else the date and the time in UTC.
func fmtInstant(s string) string {
	if d, ok := strings.CutSuffix(s, "T00:00:00Z"); ok {
		return d
	}
	if len(s) >= 16 && s[10] == 'T' {
		return s[:10] + " " + s[11:16]
	}
	return s
}

// dataFile serves one file of a data version: images as themselves, text as
// plain text, the rest as a download; sandboxed and never sniffed, like
// artifacts.
func (s *Studio) dataFile(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	da, err := s.dataAssets()
	if err != nil {
		return err
	}
	name, err := assetName(r)
	if err != nil {
		return err
	}
	ref, err := versionRef(name, r.PathValue("version"), "")
	if err != nil {
		return lathe.Errorf(lathe.ENOTFOUND, "there is no version %q of data asset %s", clip(r.PathValue("version"), 80), name)
	}
	p := r.URL.Query().Get("path")
	if p == "" {
		return lathe.Errorf(lathe.EINVALID, "name a file with ?path=; the version's page lists them")
	}
	if err := lathe.ValidateDataPath(p); err != nil {
		return err
	}
	e, rd, err := da.OpenFile(r.Context(), rc.ws.ID, ref, p)
	if err != nil {
		return err
	}
	defer rd.Close()
	h := w.Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	ctype := artifactType(p)
	h.Set("Content-Type", ctype)
	disp := "inline"
	if r.URL.Query().Get("download") == "1" || !strings.HasPrefix(ctype, "image/") && !strings.HasPrefix(ctype, "text/") {
		disp = "attachment"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": path.Base(p)}))
	etag := `"` + string(e.Digest) + `"`
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.FormatInt(e.Size, 10))
	if _, err := io.Copy(w, rd); err != nil {
		panic(http.ErrAbortHandler) // a short body, never a complete-looking bad one
	}
	return nil
}
