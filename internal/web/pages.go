package web

import (
	"cmp"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// Page sizes.
const (
	dataPageSize  = 50 // blobs
	auditPageSize = 50
	maxSortScan   = 5000 // blobs read to sort by something other than newest first
)

// homeBody is the home page's content.
type homeBody struct {
	O         *lathe.Overview
	Chart     template.HTML
	ChartNote string
	Recent    *Table
}

// home shows the workspace's counts and recent activity.
func (s *Studio) home(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	o, err := s.opts.Workspaces.Overview(r.Context(), rc.p, rc.ws.Name)
	if err != nil {
		return err
	}
	b := homeBody{O: o}
	now := s.now().UTC()
	b.Chart, err = LineChart(activityChart(now, o.Recent))
	if err != nil {
		return err
	}
	b.ChartNote = "Events per hour over the last 24 hours, counted from the " + fmtCount(int64(len(o.Recent))) + " most recent events."
	t := NewTable(r.URL, "recent", []Column{{Label: "When"}, {Label: "Who"}, {Label: "Action"}, {Label: "Target"}, {Label: "Outcome"}}, "", false)
	t.Caption = "Recent activity"
	t.Empty = Empty{Title: "No activity yet", Text: "Sign-ins, uploads, role changes and every other change in this workspace will be listed here as they happen."}
	for _, e := range o.Recent {
		t.Rows = append(t.Rows, []Cell{
			{Time: e.Time, Text: ago(now, e.Time), Title: fmtTime(e.Time)},
			{Text: e.Actor}, {Text: e.Action, Mono: true}, {Text: e.Target, Mono: true, Title: e.Target},
			{Text: e.Outcome, Badge: BadgeTone(e.Outcome)},
		})
	}
	b.Recent = t
	return s.render(w, r, rc, http.StatusOK, "home", &page{Title: "Home", Section: "home", Body: b})
}

// activityChart counts events per hour over the 24 hours before now, one
// series per outcome seen (success always).
func activityChart(now time.Time, events []*lathe.AuditEvent) Chart {
	end := now.Truncate(time.Hour)
	start := end.Add(-23 * time.Hour)
	outcomes := []string{lathe.OutcomeSuccess, lathe.OutcomeDenied, lathe.OutcomeFailure}
	counts := map[string][]float64{}
	for _, o := range outcomes {
		counts[o] = make([]float64, 24)
	}
	seen := map[string]bool{lathe.OutcomeSuccess: true}
	for _, e := range events {
		i := int(e.Time.Sub(start) / time.Hour)
		if e.Time.Before(start) || i >= 24 || counts[e.Outcome] == nil {
			continue
		}
		counts[e.Outcome][i]++
		seen[e.Outcome] = true
	}
	c := Chart{ID: "activity", Title: "Activity in the last 24 hours", XLabel: "Hour (UTC)", YLabel: "Events", XTime: true, YZero: true, YInteger: true, Width: 1000, Height: 240}
	for _, o := range outcomes {
		if !seen[o] {
			continue
		}
		sr := Series{Name: o}
		for i, n := range counts[o] {
			sr.Points = append(sr.Points, Point{X: float64(start.Add(time.Duration(i) * time.Hour).Unix()), Y: n})
		}
		c.Series = append(c.Series, sr)
	}
	return c
}

// sectionBody is a section page's content while the section is empty.
type sectionBody struct {
	Heading string
	Lead    string
	Empty   Empty
}

// section serves the pages whose services come later with an empty state
// that says what will appear and what fills it.
func (s *Studio) section(key string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
		b := sectionContent(key, rc.ws.Name, s.baseURL(r))
		return s.render(w, r, rc, http.StatusOK, "section", &page{Title: b.Heading, Section: key, Body: b})
	}
}

// sectionContent is the text of each section page.
func sectionContent(key, ws, base string) sectionBody {
	w := " -w " + ws
	switch key {
	case "jobs":
		return sectionBody{Heading: "Jobs", Lead: "Command and pipeline jobs that train, evaluate and prepare data.",
			Empty: Empty{Title: "No jobs in this workspace yet",
				Text:     "Jobs submitted to this workspace will be listed here with their status, compute target and duration; each opens to its logs, metrics and outputs. Jobs are written in Azure ML's command and pipeline job YAML.",
				Commands: []string{"lathe job create -f job.yml --stream" + w}}}
	case "experiments":
		return sectionBody{Heading: "Experiments", Lead: "Runs tracked with MLflow: parameters, metrics and artifacts.",
			Empty: Empty{Title: "No experiments yet",
				Text:     "Runs logged by jobs or by any MLflow client pointed at this server will appear here, grouped by experiment, with their parameters and metric charts.",
				Commands: trackingCommands(base, ws)}}
	case "models":
		return sectionBody{Heading: "Models", Lead: "Registered models, their versions, aliases and lineage.",
			Empty: Empty{Title: "No models registered yet",
				Text:     "Models registered here will be listed with their versions and aliases, and the lineage back to the job, data and environment that produced them.",
				Commands: []string{"lathe model create -n my-model --path azureml://jobs/<job>/outputs/model" + w}}}
	case "endpoints":
		return sectionBody{Heading: "Endpoints", Lead: "Online endpoints that serve models, and the deployments behind them.",
			Empty: Empty{Title: "No endpoints yet",
				Text: "Online endpoints will be listed here with their URL, their deployments and how traffic is split between them.",
				Commands: []string{"lathe online-endpoint create -f endpoint.yml" + w,
					"lathe online-deployment create -f deployment.yml --all-traffic" + w}}}
	case "monitors":
		return sectionBody{Heading: "Monitors", Lead: "Scheduled checks of deployed models: drift, data quality and performance.",
			Empty: Empty{Title: "No monitors yet",
				Text:     "Monitors will be listed here with their signals (data drift, prediction drift, data quality, model performance), their last results and any alerts they raised.",
				Commands: []string{"lathe schedule create -f monitor.yml" + w}}}
	}
	return sectionBody{Heading: key}
}

// baseURL is the server's address as the browser reached it.
func (s *Studio) baseURL(r *http.Request) string {
	scheme := "http"
	if s.opts.Secure || r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// blobsBody is the blobs page's content.
type blobsBody struct {
	Table *Table
	// Tabs link the data assets and the blobs, when the server has data
	// assets.
	Tabs []dataTab
}

// blobs lists the workspace's blobs. Newest first pages through the store
// with its cursor; any other order sorts the newest maxSortScan blobs.
func (s *Studio) blobs(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ctx := r.Context()
	cols := []Column{{Key: "digest", Label: "Digest"}, {Key: "size", Label: "Size", Numeric: true},
		{Key: "created", Label: "Created"}, {Key: "created_by", Label: "Created by"}}
	t := NewTable(r.URL, "blobs", cols, "created", true)
	t.Caption = "Blobs in " + rc.ws.Name
	t.Empty = Empty{Title: "No data in this workspace yet",
		Text:     "Files stored in the workspace's content store appear here by digest, size and who stored them. Bytes are stored once, however often they are uploaded; data assets (name:version) built on them will be listed here too.",
		Commands: []string{"lathe blob put train.csv -w " + rc.ws.Name}}
	var tabs []dataTab
	if s.opts.DataAssets != nil {
		tabs = dataTabs(rc.ws.Name, "blobs")
		t.Empty.Title = "No blobs in this workspace yet"
		t.Empty.Text = "Files stored in the workspace's content store appear here by digest, size and who stored them. Bytes are stored once, however often they are uploaded, and every data asset version uploaded from local files is built on them."
	}
	var blobs []*lathe.Blob
	if t.Sort == "created" && t.Desc {
		cursor := r.URL.Query().Get("cursor")
		if len(cursor) > 512 {
			return lathe.Errorf(lathe.EINVALID, "the page cursor is too long; start again from the first page")
		}
		var next string
		var err error
		blobs, next, err = s.opts.Data.ListBlobs(ctx, rc.p, rc.ws.Name, cursor, dataPageSize)
		if err != nil {
			return err
		}
		t.CursorPager(cursor, next)
	} else {
		var cursor string
		for len(blobs) < maxSortScan {
			page, next, err := s.opts.Data.ListBlobs(ctx, rc.p, rc.ws.Name, cursor, min(1000, maxSortScan-len(blobs)))
			if err != nil {
				return err
			}
			blobs = append(blobs, page...)
			if next == "" {
				break
			}
			cursor = next
			if len(blobs) >= maxSortScan {
				t.Note = "Sorted among the newest " + fmtCount(maxSortScan) + " blobs; the workspace holds more. Sort by Created, newest first, to page through all of them."
			}
		}
		Sort(t, blobs, func(key string, a, b *lathe.Blob) int {
			switch key {
			case "digest":
				return strings.Compare(string(a.Digest), string(b.Digest))
			case "size":
				return cmp.Compare(a.Size, b.Size)
			case "created_by":
				return strings.Compare(a.CreatedBy, b.CreatedBy)
			default:
				return a.CreatedAt.Compare(b.CreatedAt)
			}
		})
		blobs = Paginate(t, blobs, dataPageSize)
	}
	for _, b := range blobs {
		t.Rows = append(t.Rows, []Cell{
			{Text: shorten(string(b.Digest), 16), Title: string(b.Digest), Mono: true},
			{Text: lathe.FormatBytes(b.Size), Title: fmtCount(b.Size) + " bytes"},
			{Time: b.CreatedAt, Text: fmtTime(b.CreatedAt)},
			{Text: b.CreatedBy},
		})
	}
	return s.render(w, r, rc, http.StatusOK, "blobs", &page{Title: "Blobs", Section: "data", Body: blobsBody{Table: t, Tabs: tabs}})
}
