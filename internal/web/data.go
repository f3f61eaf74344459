package web

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/latheml/lathe"
)

// Limits of the data pages.
const (
	assetPageSize     = 25
	versionPageSize   = 25
	filePageSize      = 50
	columnPageSize    = 24   // column cards on one page of a profile
	maxAssetScan      = 5000 // assets a name search looks through
	assetScanBatch    = 500
	maxDiffFiles      = 200 // files of each kind a diff page lists
	maxDiffColumns    = 500 // common columns a diff page compares
	maxVersionChoices = 100 // versions offered by the compare form
	maxChips          = 6   // tags shown in a table cell
)

// dataAssets returns the data service, or "not found" when the server runs
// without one.
func (s *Studio) dataAssets() (DataAssets, error) {
	if s.opts.DataAssets == nil {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "versioned data assets are not enabled on this server; the Data page lists the workspace's blobs")
	}
	return s.opts.DataAssets, nil
}

// assetURL, versionURL, diffURL and dataFileURL are the addresses of the
// data pages.
func assetURL(ws, name string) string { return wsURL(ws, "data/"+url.PathEscape(name)) }

func versionURL(ws, name, version string) string {
	return assetURL(ws, name) + "/versions/" + url.PathEscape(version)
}

func diffURL(ws, name, from, to string) string {
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	u := assetURL(ws, name) + "/diff"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// dataFileURL is the address that serves one file of a data version.
func dataFileURL(ws, name, version, path string) string {
	return versionURL(ws, name, version) + "/file?path=" + url.QueryEscape(path)
}

// dataTab is one tab of the Data section: data assets or raw blobs.
type dataTab struct {
	Label, Href string
	Current     bool
}

// dataTabs are the Data section's tabs, current marking one ("assets" or
// "blobs").
func dataTabs(ws, current string) []dataTab {
	return []dataTab{
		{Label: "Data assets", Href: wsURL(ws, "data"), Current: current == "assets"},
		{Label: "Blobs", Href: wsURL(ws, "blobs"), Current: current == "blobs"},
	}
}

// dataCommands are the lines that create a data asset in a workspace.
func dataCommands(ws string) []string {
	return []string{
		"lathe data create --name customers --type uri_file --path ./customers.csv -w " + ws,
		"lathe data create --name images --type uri_folder --path ./images -w " + ws,
	}
}

// tagChips formats tags as key=value, sorted by key, at most n (n <= 0:
// all).
func tagChips(tags map[string]string, n int) []string {
	keys := slices.Sorted(maps.Keys(tags))
	var out []string
	for _, k := range keys {
		if n > 0 && len(out) == n {
			out = append(out, "+"+fmtCount(int64(len(keys)-n))+" more")
			break
		}
		v := tags[k]
		if v == "" {
			out = append(out, clip(k, 60))
		} else {
			out = append(out, clip(k, 60)+"="+clip(v, 60))
		}
	}
	return out
}

// assetsBody is the data assets page's content.
type assetsBody struct {
	Tabs     []dataTab
	Q        string
	Archived bool
	Error    string
	Table    *Table
	Commands []string
	Self     string
}

// data lists the workspace's data assets, a page at a time, or its blobs
// when the server has no data assets.
func (s *Studio) data(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	da := s.opts.DataAssets
	if da == nil {
		return s.blobs(w, r, rc)
	}
	ctx := r.Context()
	q := r.URL.Query()
	b := assetsBody{Tabs: dataTabs(rc.ws.Name, "assets"), Archived: q.Get("archived") == "1", Commands: dataCommands(rc.ws.Name), Self: wsURL(rc.ws.Name, "data")}
	cols := []Column{{Label: "Name"}, {Label: "Latest version"}, {Label: "Type"}, {Label: "Versions", Numeric: true},
		{Label: "Size", Numeric: true}, {Label: "Updated"}, {Label: "Tags"}}
	if b.Archived {
		cols = append(cols, Column{Label: "State"})
	}
	t := NewTable(r.URL, "assets", cols, "", false)
	t.Caption = "Data assets in " + rc.ws.Name
	t.Empty = Empty{Title: "No data assets yet",
		Text:     "Data assets are named, versioned files and folders: each version is immutable, addressed by the digests of its files, and tables (CSV, Parquet, mltable) are profiled when they are created. Create one from local files or a datastore path.",
		Commands: b.Commands}
	b.Table = t
	status := http.StatusOK
	var err error
	if b.Q, err = queryText(q, "q", "search"); err != nil {
		b.Error, status, rc.failed = lathe.ErrorMessage(err), http.StatusBadRequest, err
		return s.render(w, r, rc, status, "assets", &page{Title: "Data", Section: "data", Body: b})
	}
	var list []*lathe.DataAsset
	if b.Q == "" {
		cursor := q.Get("cursor")
		if cursor != "" && lathe.ValidateName("data asset", cursor) != nil {
			return lathe.Errorf(lathe.EINVALID, "the page link is not valid; start again from the first page")
		}
		if list, err = da.Assets(ctx, rc.ws.ID, b.Archived, cursor, assetPageSize+1); err != nil {
			return err
		}
		next := ""
		if len(list) > assetPageSize {
			list = list[:assetPageSize]
			next = list[assetPageSize-1].Name
		}
		t.CursorPager(cursor, next)
	} else {
		t.Empty = Empty{Title: "No matching data assets", Text: "No asset's name contains “" + b.Q + "”. Clear the search to see every asset, or include archived ones."}
		var cut bool
		if list, cut, err = searchAssets(ctx, da, rc.ws.ID, b.Archived, b.Q); err != nil {
			return err
		}
		if cut {
			t.Note = "Searched the first " + fmtCount(maxAssetScan) + " assets by name; the workspace holds more. Narrow the search, or page through the whole list without one."
		}
		list = Paginate(t, list, assetPageSize)
	}
	now := s.now()
	for _, a := range list {
		var lv *lathe.DataVersion
		if a.LatestVersion != "" {
			lv, err = da.Version(ctx, rc.ws.ID, lathe.AssetRef{Name: a.Name, Version: a.LatestVersion})
			if err != nil && !lathe.IsCode(err, lathe.ENOTFOUND) {
				return err
			}
		}
		row := []Cell{{Text: a.Name, Href: assetURL(rc.ws.Name, a.Name)}}
		if lv != nil {
			row = append(row, Cell{Text: lv.Version, Href: versionURL(rc.ws.Name, a.Name, lv.Version), Mono: true},
				Cell{Text: lv.Type, Mono: true}, Cell{Text: fmtCount(a.Versions)},
				Cell{Text: lathe.FormatBytes(lv.Size), Title: plural(int(min(lv.Files, 1<<30)), "file") + ", " + fmtCount(lv.Size) + " bytes"})
		} else {
			row = append(row, Cell{Text: "—", Title: "every version is archived"}, Cell{Text: "—"}, Cell{Text: fmtCount(a.Versions)}, Cell{Text: "—"})
		}
		row = append(row, Cell{Time: a.UpdatedAt, Text: ago(now, a.UpdatedAt), Title: fmtTime(a.UpdatedAt)})
		if lv != nil && len(lv.Tags) > 0 {
			row = append(row, Cell{Chips: tagChips(lv.Tags, maxChips)})
		} else {
			row = append(row, Cell{Text: ""})
		}
		if b.Archived {
			if a.Archived {
				row = append(row, Cell{Text: "archived", Badge: "warn"})
			} else {
				row = append(row, Cell{Text: "active", Badge: "ok"})
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return s.render(w, r, rc, status, "assets", &page{Title: "Data", Section: "data", Body: b})
}

// searchAssets returns the assets whose name contains q, ignoring case,
// among the first maxAssetScan by name, and whether the workspace holds
// more than that.
func searchAssets(ctx context.Context, da DataAssets, ws string, archived bool, q string) (matches []*lathe.DataAsset, cut bool, err error) {
	q = strings.ToLower(q)
	after := ""
	for scanned := 0; ; {
		n := min(assetScanBatch, maxAssetScan-scanned)
		if n == 0 {
			// The limit: is there anything past it?
			more, err := da.Assets(ctx, ws, archived, after, 1)
			return matches, len(more) > 0, err
		}
		batch, err := da.Assets(ctx, ws, archived, after, n)
		if err != nil {
			return nil, false, err
		}
		for _, a := range batch {
			if strings.Contains(strings.ToLower(a.Name), q) {
				matches = append(matches, a)
			}
		}
		if len(batch) < n {
			return matches, false, nil
		}
		scanned += len(batch)
		after = batch[len(batch)-1].Name
	}
}

// assetBody is an asset's page: its versions.
type assetBody struct {
	A        *lathe.DataAsset
	Archived bool
	Table    *Table
	// Choices are the versions the compare form offers, newest first;
	// From and To its defaults.
	Choices   []string
	From, To  string
	DiffURL   string
	Self      string
	LatestURL string
	Commands  []string
}

// requestedAsset returns the data service and the asset the request's
// path names.
func (s *Studio) requestedAsset(r *http.Request, rc *reqCtx) (DataAssets, *lathe.DataAsset, error) {
	da, err := s.dataAssets()
	if err != nil {
		return nil, nil, err
	}
	name, err := assetName(r)
	if err != nil {
		return nil, nil, err
	}
	a, err := da.Asset(r.Context(), rc.ws.ID, name)
	if err != nil {
		return nil, nil, err
	}
	return da, a, nil
}

// asset lists a data asset's versions, newest first, a page at a time.
func (s *Studio) asset(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	da, a, err := s.requestedAsset(r, rc)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	b := assetBody{A: a, Archived: q.Get("archived") == "1", DiffURL: assetURL(rc.ws.Name, a.Name) + "/diff", Self: assetURL(rc.ws.Name, a.Name)}
	if a.LatestVersion != "" {
		b.LatestURL = versionURL(rc.ws.Name, a.Name, a.LatestVersion)
	}
	b.Commands = []string{"lathe data show -n " + a.Name + " -w " + rc.ws.Name, "lathe data download -n " + a.Name + " -v <version> -w " + rc.ws.Name}
	pager, err := newTokenPager(q, versionPageSize)
	if err != nil {
		return err
	}
	vs, err := da.Versions(ctx, rc.ws.ID, a.Name, b.Archived, pager.offset, versionPageSize+1)
	if err != nil {
		return err
	}
	cols := []Column{{Label: "Version"}, {Label: "Type"}, {Label: "Files", Numeric: true}, {Label: "Size", Numeric: true},
		{Label: "Digest"}, {Label: "Created"}, {Label: "Created by"}, {Label: "Tags"}, {Label: "State"}}
	t := NewTable(r.URL, "versions", cols, "", false)
	t.Caption = "Versions of " + a.Name
	t.Empty = Empty{Title: "No versions to show", Text: "Every version of this asset is archived. Include archived versions to see them; `lathe data restore` brings one back."}
	b.Table = t
	vs = finish(pager, t, vs, "Versions")
	now := s.now()
	for _, v := range vs {
		state := Cell{}
		switch {
		case v.Archived:
			state = Cell{Text: "archived", Badge: "warn"}
		case v.Version == a.LatestVersion:
			state = Cell{Text: "latest", Badge: "info"}
		}
		t.Rows = append(t.Rows, []Cell{
			{Text: v.Version, Href: versionURL(rc.ws.Name, a.Name, v.Version), Mono: true},
			{Text: v.Type, Mono: true},
			{Text: fmtCount(v.Files)},
			{Text: lathe.FormatBytes(v.Size), Title: fmtCount(v.Size) + " bytes"},
			{Text: shorten(string(v.Digest), 12), Title: string(v.Digest), Mono: true},
			{Time: v.CreatedAt, Text: ago(now, v.CreatedAt), Title: fmtTime(v.CreatedAt)},
			{Text: orDash(v.CreatedBy)},
			{Chips: tagChips(v.Tags, maxChips)},
			state,
		})
		b.Choices = append(b.Choices, v.Version)
	}
	if len(b.Choices) >= 2 {
		b.To, b.From = b.Choices[0], b.Choices[1]
	}
	return s.render(w, r, rc, http.StatusOK, "asset", &page{Title: a.Name, Section: "data", Body: b})
}

// assetName reads the {name} of a data page's path; a malformed one names
// no asset.
func assetName(r *http.Request) (string, error) {
	name := r.PathValue("name")
	if lathe.ValidateName("data asset", name) != nil {
		return "", lathe.Errorf(lathe.ENOTFOUND, "there is no data asset %q; asset names are letters, digits, '-', '_' and '.'", clip(name, 80))
	}
	return name, nil
}

// versionRef reads a version label ("latest" for the newest version that
// is not archived) as a reference to a version of the asset name.
func versionRef(name, version, what string) (lathe.AssetRef, error) {
	if version == "latest" {
		return lathe.AssetRef{Name: name, Latest: true}, nil
	}
	if err := lathe.ValidateDataVersion(version); err != nil {
		return lathe.AssetRef{}, lathe.Errorf(lathe.EINVALID, "the %s version %q is not a version label: %s", what, clip(version, 80), lathe.ErrorMessage(err))
	}
	return lathe.AssetRef{Name: name, Version: version}, nil
}
