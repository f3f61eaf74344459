package mlflowapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
)

type fileInfoJSON struct {
	Path     string `json:"path"`
	IsDir    bool   `json:"is_dir"`
	FileSize *int64 `json:"file_size,omitempty"`
}

// listArtifacts serves the artifact proxy's listing: the direct children of
// ?path=, with paths relative to it, as MLflow's proxy answers.
func (h *Handlers) listArtifacts(w http.ResponseWriter, r *http.Request) error {
	dir := r.URL.Query().Get("path")
	entries, err := h.o.Tracking.ListArtifacts(ctxOf(r), workspaceID(r), dir)
	if err != nil {
		return err
	}
	out := struct {
		Files []fileInfoJSON `json:"files,omitempty"`
	}{}
	prefix := strings.TrimSuffix(dir, "/")
	for _, e := range entries {
		rel := strings.TrimPrefix(strings.TrimPrefix(e.Path, prefix), "/")
		f := fileInfoJSON{Path: rel, IsDir: e.IsDir}
		if !e.IsDir {
			size := e.Size
			f.FileSize = &size
		}
		out.Files = append(out.Files, f)
	}
	return reply(w, out)
}

// listRunArtifacts serves the older artifacts/list, relative to a run's
// artifact root.
func (h *Handlers) listRunArtifacts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	run, err := h.o.Tracking.Run(ctxOf(r), workspaceID(r), runIDOf(q.Get("run_id"), q.Get("run_uuid")))
	if err != nil {
		return err
	}
	root := strings.TrimPrefix(strings.TrimPrefix(run.Info.ArtifactURI, "mlflow-artifacts:"), "/")
	sub := strings.Trim(q.Get("path"), "/")
	dir := root
	if sub != "" {
		dir = root + "/" + sub
	}
	entries, err := h.o.Tracking.ListArtifacts(ctxOf(r), workspaceID(r), dir)
	if err != nil {
		return err
	}
	out := struct {
		RootURI string         `json:"root_uri"`
		Files   []fileInfoJSON `json:"files,omitempty"`
	}{RootURI: run.Info.ArtifactURI}
	for _, e := range entries {
		f := fileInfoJSON{Path: strings.TrimPrefix(e.Path, root+"/"), IsDir: e.IsDir}
		if !e.IsDir {
			size := e.Size
			f.FileSize = &size
		}
		out.Files = append(out.Files, f)
	}
	return reply(w, out)
}

// contentType guesses a download's type from its name, as MLflow does.
func contentType(name string) string {
	base := path.Base(name)
	if base == "MLmodel" || base == "MLproject" {
		return "text/plain"
	}
	switch path.Ext(base) {
	case ".txt", ".log", ".json", ".yaml", ".yml", ".csv", ".md", ".py":
		return "text/plain"
	}
	if t := mime.TypeByExtension(path.Ext(base)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (h *Handlers) getArtifact(w http.ResponseWriter, r *http.Request) error {
	p := r.PathValue("path")
	rc, a, err := h.o.Tracking.OpenArtifact(ctxOf(r), workspaceID(r), p)
	if err != nil {
		return err
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", contentType(p))
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(p)}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	hd.Set("ETag", `"`+string(a.Digest)+`"`)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(w, rc); err != nil {
		panic(http.ErrAbortHandler) // a short body, never a complete-looking bad one
	}
	return nil
}

func (h *Handlers) putArtifact(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > h.o.MaxBlobSize {
		return lathe.Errorf(lathe.ETOOLARGE, "artifact of %d bytes is over the server's limit of %d bytes", r.ContentLength, h.o.MaxBlobSize)
	}
	if err := h.o.Tracking.PutArtifact(ctxOf(r), workspaceID(r), principal(r).UserName, r.PathValue("path"), r.Body, r.ContentLength, h.o.MaxBlobSize); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) deleteArtifact(w http.ResponseWriter, r *http.Request) error {
	if err := h.o.Tracking.DeleteArtifacts(ctxOf(r), workspaceID(r), r.PathValue("path")); err != nil {
		return err
	}
	return reply(w, empty)
}

// partSig signs a part-upload URL so the client can PUT to it without a
// token, as it would to a presigned S3 URL.
func (h *Handlers) partSig(ws, upload string, part int) string {
	m := hmac.New(sha256.New, h.o.Secret)
	fmt.Fprintf(m, "mpu-part\x00%s\x00%s\x00%d", ws, upload, part)
	return hex.EncodeToString(m.Sum(nil))
}

// baseURL is how the client reached this server, for absolute part URLs.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// prefixOf returns the API prefix the request came in under, so part URLs
// go back through the same workspace.
func prefixOf(r *http.Request) string {
	p := r.URL.Path
	if i := strings.Index(p, "/mlflow-artifacts/"); i >= 0 {
		return p[:i]
	}
	return "/api/2.0"
}

func (h *Handlers) createMultipart(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Path     string `json:"path"`
		NumParts Int64  `json:"num_parts"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if req.Path == "" {
		return missingParam("path")
	}
	// As in MLflow, the URL names the directory and the body's path the
	// client's local file, of which only the name is kept.
	name := req.Path
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	p := strings.TrimSuffix(r.PathValue("path"), "/") + "/" + name
	ws := workspaceID(r)
	id, err := h.o.Tracking.CreateUpload(ctxOf(r), ws, p, int(req.NumParts))
	if err != nil {
		return err
	}
	type cred struct {
		URL        string            `json:"url"`
		PartNumber int               `json:"part_number"`
		Headers    map[string]string `json:"headers"`
	}
	out := struct {
		UploadID    string `json:"upload_id"`
		Credentials []cred `json:"credentials"`
	}{UploadID: id}
	base := baseURL(r) + prefixOf(r) + "/mlflow-artifacts/mpu/part/" + id + "/"
	for i := 1; i <= int(req.NumParts); i++ {
		out.Credentials = append(out.Credentials, cred{URL: base + strconv.Itoa(i) + "?sig=" + h.partSig(ws, id, i), PartNumber: i, Headers: map[string]string{}})
	}
	return reply(w, out)
}

// uploadPart takes one part of a multipart upload. It needs no token: the
// signature in its URL, made by createMultipart for this workspace, upload
// and part, is the permission.
func (h *Handlers) uploadPart(w http.ResponseWriter, r *http.Request) error {
	upload := r.PathValue("upload")
	part, err := strconv.Atoi(r.PathValue("part"))
	if err != nil {
		return lathe.Errorf(lathe.EINVALID, "part number %q is not a number", r.PathValue("part"))
	}
	name := r.PathValue("workspace")
	if name == "" {
		name = lathe.DefaultWorkspace
	}
	ws, err := h.o.Workspaces.WorkspaceByName(ctxOf(r), name)
	if err != nil {
		return lathe.Errorf(lathe.EFORBIDDEN, "this part URL is not valid")
	}
	want := h.partSig(ws.ID, upload, part)
	if !hmac.Equal([]byte(want), []byte(r.URL.Query().Get("sig"))) {
		return lathe.Errorf(lathe.EFORBIDDEN, "this part URL's signature does not match; use the URLs mpu/create returned")
	}
	etag, err := h.o.Tracking.PutUploadPart(ctxOf(r), ws.ID, "mpu", upload, part, r.Body, r.ContentLength, h.o.MaxBlobSize)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"`+etag+`"`)
	return reply(w, empty)
}

func (h *Handlers) completeMultipart(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		UploadID string `json:"upload_id"`
		Parts    []struct {
			PartNumber Int64  `json:"part_number"`
			ETag       string `json:"etag"`
		} `json:"parts"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	etags := map[int]string{}
	for _, p := range req.Parts {
		etags[int(p.PartNumber)] = p.ETag
	}
	if err := h.o.Tracking.CompleteUpload(ctxOf(r), workspaceID(r), principal(r).UserName, req.UploadID, etags); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) abortMultipart(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		UploadID string `json:"upload_id"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if err := h.o.Tracking.AbortUpload(ctxOf(r), workspaceID(r), req.UploadID); err != nil {
		return err
	}
	return reply(w, empty)
}
