package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/tracking"
)

// Limits of the artifacts browser.
const (
	previewRead    = 256 << 10 // bytes read of a file to preview it
	previewText    = 64 << 10  // bytes of text shown
	previewCSVRows = 20        // rows of a CSV head
	previewCSVCols = 50        // columns of a CSV head
	maxDirEntries  = 500       // entries of one directory listed
)

// artifactView is the artifacts browser of a run page.
type artifactView struct {
	Crumbs    []crumb
	Entries   []artifactEntry
	More      int // entries of the directory not listed
	File      *artifactPreview
	Error     string
	Elsewhere string // the run's artifacts are not stored by Lathe
}

// crumb is one step of the path to the listed directory.
type crumb struct{ Name, Href string }

// artifactEntry is one file or directory in the listing.
type artifactEntry struct {
	Name, Href string
	Dir        bool
	Size       int64
	Current    bool
}

// artifactPreview is the preview of one file.
type artifactPreview struct {
	Path, Name  string
	Size        int64
	Kind        string // image, json, csv, text or none
	Src         string // the image's address
	Download    string
	Text        string
	Header      []string
	Rows        [][]string
	Note        string
	ContentType string
}

// artifactRoot is where a run's artifacts live in the workspace's artifact
// tree, or "" when its artifact URI points somewhere Lathe does not store.
func artifactRoot(run *lathe.Run) string {
	uri := run.Info.ArtifactURI
	if !strings.HasPrefix(uri, "mlflow-artifacts:") {
		return ""
	}
	return strings.Trim(strings.TrimPrefix(uri, "mlflow-artifacts:"), "/")
}

// artifactPath checks a path relative to a run's artifact root and returns
// it cleaned and joined to the root; rel "" is the root itself.
func artifactPath(root, rel string) (clean, full string, err error) {
	rel = strings.Trim(rel, "/")
	if rel == "" {
		return "", root, nil
	}
	if _, err := tracking.CleanArtifactPath(rel, false); err != nil {
		return "", "", err
	}
	full = rel
	if root != "" {
		full = root + "/" + rel
	}
	if _, err := tracking.CleanArtifactPath(full, false); err != nil {
		return "", "", err
	}
	return rel, full, nil
}

// artifactBrowser lists the directory ?path= names, or the directory of the
// file it names with a preview of the file. The status is 404 when the
// path names nothing and 400 when it is malformed; the rest of the run page
// still shows.
func (s *Studio) artifactBrowser(ctx context.Context, tr Tracking, rc *reqCtx, u *url.URL, run *lathe.Run) (*artifactView, int, error) {
	v := &artifactView{}
	root := artifactRoot(run)
	if root == "" {
		v.Elsewhere = run.Info.ArtifactURI
		return v, http.StatusOK, nil
	}
	link := func(rel string) string { return withQuery(u, url.Values{"path": {rel}}) + "#artifacts" }
	rel, full, err := artifactPath(root, u.Query().Get("path"))
	if err != nil {
		v.Error = lathe.ErrorMessage(err)
		rel, full = "", root
	}
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusBadRequest
	}
	dir, dirFull := rel, full
	var file *store.ArtifactEntry
	if rel != "" {
		// Is it a file? Look in its parent directory.
		parent, parentFull := path.Dir(rel), path.Dir(full)
		if parent == "." {
			parent, parentFull = "", root
		}
		list, err := tr.ListArtifacts(ctx, rc.ws.ID, parentFull)
		if err != nil {
			return nil, 0, err
		}
		found := false
		for i := range list {
			if list[i].Path == full {
				found = true
				if !list[i].IsDir {
					file = &list[i]
					dir, dirFull = parent, parentFull
				}
			}
		}
		if !found {
			v.Error = "There is no artifact " + rel + " in this run."
			status = http.StatusNotFound
			dir, dirFull = "", root
		}
	}
	entries, err := tr.ListArtifacts(ctx, rc.ws.ID, dirFull)
	if err != nil {
		return nil, 0, err
	}
	v.Crumbs = []crumb{{Name: "artifacts", Href: link("")}}
	if dir != "" {
		acc := ""
		for _, seg := range strings.Split(dir, "/") {
			acc = path.Join(acc, seg)
			v.Crumbs = append(v.Crumbs, crumb{Name: seg, Href: link(acc)})
		}
	}
	for i, e := range entries {
		if i == maxDirEntries {
			v.More = len(entries) - i
			break
		}
		name := path.Base(e.Path)
		erel := strings.TrimPrefix(strings.TrimPrefix(e.Path, root), "/")
		v.Entries = append(v.Entries, artifactEntry{Name: name, Href: link(erel), Dir: e.IsDir, Size: e.Size, Current: file != nil && e.Path == file.Path})
	}
	if file != nil {
		p, err := s.preview(ctx, tr, rc, run, rel, full, file.Size)
		if err != nil {
			return nil, 0, err
		}
		v.File = p
	}
	return v, status, nil
}

// preview reads the head of a file and shows it by kind: images inline,
// JSON pretty-printed, a CSV's first rows as a table, text as it is.
func (s *Studio) preview(ctx context.Context, tr Tracking, rc *reqCtx, run *lathe.Run, rel, full string, size int64) (*artifactPreview, error) {
	p := &artifactPreview{Path: rel, Name: path.Base(rel), Size: size, Kind: fileKind(rel),
		Download: artifactURL(rc.ws.Name, run.Info.RunID, rel, true), ContentType: artifactType(rel)}
	if p.Kind == "image" {
		p.Src = artifactURL(rc.ws.Name, run.Info.RunID, rel, false)
		return p, nil
	}
	rd, _, err := tr.OpenArtifact(ctx, rc.ws.ID, full)
	if err != nil {
		if lathe.IsCode(err, lathe.ENOTFOUND) {
			p.Kind, p.Note = "none", "The file's content could not be found; it may have been deleted just now."
			return p, nil
		}
		return nil, err
	}
	defer rd.Close()
	head, err := io.ReadAll(io.LimitReader(rd, previewRead+1))
	if err != nil {
		return nil, err
	}
	whole := len(head) <= previewRead
	if !whole {
		head = head[:previewRead]
	}
	if p.Kind == "" {
		p.Kind = "none"
		if looksText(head) {
			p.Kind = "text"
		}
	}
	switch p.Kind {
	case "json":
		var out bytes.Buffer
		if whole && json.Indent(&out, bytes.TrimSpace(head), "", "  ") == nil {
			p.Text = clipText(out.String(), previewText*2)
			if len(p.Text) < out.Len() {
				p.Note = "The start of the file, pretty-printed."
			}
			return p, nil
		}
		p.Kind = "text"
		if whole {
			p.Note = "This file is not valid JSON, so it is shown as it is."
		}
	case "csv":
		if p.csvHead(head, strings.HasSuffix(strings.ToLower(rel), ".tsv")) {
			return p, nil
		}
		p.Kind = "text"
		p.Note = "This file could not be read as CSV, so it is shown as text."
	case "none":
		p.Note = "There is no preview for this kind of file; download it to open it."
		return p, nil
	}
	p.Text = clipText(string(head), previewText)
	if len(p.Text) < len(head) || !whole {
		p.Note = strings.TrimSpace(p.Note + " The first " + lathe.FormatBytes(int64(len(p.Text))) + " of " + lathe.FormatBytes(size) + " are shown.")
	}
	return p, nil
}

// csvHead parses the header and first rows of a CSV (or TSV) into the
// preview; false if it is not CSV.
func (p *artifactPreview) csvHead(head []byte, tab bool) bool {
	r := csv.NewReader(bytes.NewReader(head))
	if tab {
		r.Comma = '\t'
	}
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	rows := 0
	for rows <= previewCSVRows {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if rows > 1 {
				break // a row cut short where the read stopped
			}
			return false
		}
		for i := range rec {
			rec[i] = clip(rec[i], 200)
		}
		if len(rec) > previewCSVCols {
			rec = rec[:previewCSVCols]
		}
		if rows == 0 {
			p.Header = rec
		} else {
			p.Rows = append(p.Rows, rec)
		}
		rows++
	}
	if p.Header == nil {
		return false
	}
	// Pad short rows so every row has the header's cells.
	for i, row := range p.Rows {
		for len(row) < len(p.Header) {
			row = append(row, "")
		}
		p.Rows[i] = row
	}
	p.Note = "The header and the first " + strconv.Itoa(len(p.Rows)) + " rows."
	if len(p.Rows) < previewCSVRows {
		p.Note = "The whole file: the header and " + strconv.Itoa(len(p.Rows)) + " rows."
	}
	return true
}

// fileKind is how a file is previewed, from its name: image, json, csv,
// text, or "" to decide from its content.
func fileKind(name string) string {
	base := strings.ToLower(path.Base(name))
	switch path.Ext(base) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp":
		return "image"
	case ".json":
		return "json"
	case ".csv", ".tsv":
		return "csv"
	case ".txt", ".log", ".md", ".yaml", ".yml", ".py", ".toml", ".ini", ".cfg", ".sh", ".r", ".sql", ".xml", ".html", ".htm",
		".js", ".css", ".go", ".java", ".c", ".h", ".cpp", ".rs", ".jsonl", ".ndjson", ".rst", ".tex", ".properties", ".env":
		return "text"
	case ".pkl", ".pickle", ".pt", ".pth", ".onnx", ".bin", ".h5", ".npy", ".npz", ".parquet", ".zip", ".gz", ".tar", ".safetensors", ".joblib":
		return "none"
	}
	switch base {
	case "mlmodel", "mlproject", "dockerfile", "license", "readme", "requirements.txt", "makefile":
		return "text"
	}
	return ""
}

// artifactType is the Content-Type an artifact is served with: images as
// themselves, text as plain text, the rest as bytes to download.
func artifactType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".svg":
		return "image/svg+xml"
	case ".bmp":
		return "image/bmp"
	}
	switch fileKind(name) {
	case "json", "csv", "text":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// looksText reports whether the head of a file is UTF-8 text.
func looksText(b []byte) bool {
	if len(b) > 8192 {
		b = b[:8192]
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	// A rune cut at the end of the head is fine.
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// clipText shortens text to at most n bytes on a line or rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = clip(s, n)
	if i := strings.LastIndexByte(s, '\n'); i > n/2 {
		s = s[:i+1]
	}
	return s
}

// artifact serves one file of a run's artifacts: with its type for images
// (the page's previews), as plain text for text, as bytes otherwise; always
// sandboxed and never sniffed, so an artifact cannot run script in the
// studio's origin.
func (s *Studio) artifact(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
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
	root := artifactRoot(run)
	if root == "" {
		return lathe.Errorf(lathe.ENOTFOUND, "this run's artifacts are stored at %s, outside Lathe", clip(run.Info.ArtifactURI, 200))
	}
	rel, full, err := artifactPath(root, r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	if rel == "" {
		return lathe.Errorf(lathe.EINVALID, "name a file with ?path=; the artifacts browser on the run page lists them")
	}
	rd, a, err := tr.OpenArtifact(ctx, rc.ws.ID, full)
	if err != nil {
		return err
	}
	defer rd.Close()
	h := w.Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Content-Type", artifactType(rel))
	disp := "inline"
	if r.URL.Query().Get("download") == "1" || !strings.HasPrefix(artifactType(rel), "image/") && !strings.HasPrefix(artifactType(rel), "text/") {
		disp = "attachment"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": path.Base(rel)}))
	etag := `"` + string(a.Digest) + `"`
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	if _, err := io.Copy(w, rd); err != nil {
		panic(http.ErrAbortHandler) // a short body, never a complete-looking bad one
	}
	return nil
}
