package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

// Blob is a blob as the API shows it.
type Blob struct {
	Digest    lathe.Digest `json:"digest" doc:"sha256:<64 hex digits>"`
	Size      int64        `json:"size"`
	CreatedAt time.Time    `json:"created_at"`
	CreatedBy string       `json:"created_by"`
}

func toBlob(b *lathe.Blob) Blob {
	return Blob{Digest: b.Digest, Size: b.Size, CreatedAt: b.CreatedAt, CreatedBy: b.CreatedBy}
}

// ExistsRequest asks which digests a workspace holds.
type ExistsRequest struct {
	Digests []lathe.Digest `json:"digests" doc:"up to 1000 digests"`
}

// ExistsResponse answers an ExistsRequest, in the same order.
type ExistsResponse struct {
	Exists []bool `json:"exists"`
}

func (a *API) putBlob(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	p, _ := PrincipalFrom(r.Context())
	opts := blob.PutOptions{MaxSize: a.opts.MaxBlobSize}
	if r.ContentLength > a.opts.MaxBlobSize {
		return lathe.Errorf(lathe.ETOOLARGE, "blob of %d bytes is over the server's limit of %d bytes (max_blob_size)", r.ContentLength, a.opts.MaxBlobSize)
	}
	if r.ContentLength >= 0 {
		opts.Size, opts.HasSize = r.ContentLength, true
	}
	want := r.URL.Query().Get("digest")
	if h := r.Header.Get("X-Lathe-Digest"); h != "" {
		if want != "" && want != h {
			return lathe.Errorf(lathe.EINVALID, "the digest query parameter and the X-Lathe-Digest header differ; send one")
		}
		want = h
	}
	if want != "" {
		d, err := lathe.ParseDigest(want)
		if err != nil {
			return err
		}
		opts.Digest = d
	}
	b, err := a.opts.Content.Put(r.Context(), ws.ID, p.UserName, r.Body, opts)
	if err != nil {
		return err
	}
	w.Header().Set("Location", r.URL.Path+"/"+string(b.Digest))
	writeJSON(w, http.StatusCreated, toBlob(b))
	return nil
}

func (a *API) listBlobs(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	limit, cursor, err := pageArgs(r)
	if err != nil {
		return err
	}
	list, next, err := a.opts.Content.List(r.Context(), ws.ID, cursor, limit)
	if err != nil {
		return err
	}
	page := Page[Blob]{Items: make([]Blob, 0, len(list)), NextCursor: next}
	for _, b := range list {
		page.Items = append(page.Items, toBlob(b))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (a *API) blobsExist(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req ExistsRequest
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &req); err != nil {
		return err
	}
	if len(req.Digests) > MaxBatch {
		return lathe.Errorf(lathe.ETOOLARGE, "%d digests in one request; the limit is %d, split the batch", len(req.Digests), MaxBatch)
	}
	ex, err := a.opts.Content.Exist(r.Context(), ws.ID, req.Digests)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ExistsResponse{Exists: ex})
	return nil
}

func (a *API) getBlob(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	d, err := lathe.ParseDigest(r.PathValue("digest"))
	if err != nil {
		return err
	}
	b, err := a.opts.Content.Stat(r.Context(), ws.ID, d)
	if err != nil {
		return err
	}
	etag := `"` + string(b.Digest) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("X-Lathe-Digest", string(b.Digest))
	if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == etag || inm == "*") {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	offset, length, partial, err := parseRange(r.Header.Get("Range"), b.Size)
	if err != nil {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(b.Size, 10))
		return err
	}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", offset, offset+length-1, b.Size))
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	rl := length
	if !partial {
		rl = -1 // a whole read, so the store verifies the digest
	}
	rc, err := a.opts.Content.Open(r.Context(), ws.ID, d, offset, rl)
	if err != nil {
		h.Del("Content-Length")
		h.Del("Content-Range")
		return err
	}
	defer rc.Close()
	w.WriteHeader(status)
	if _, err := io.Copy(w, rc); err != nil {
		// The status is sent; abort the connection so the client sees a
		// short body instead of a successful download of bad bytes.
		if lathe.IsCode(err, lathe.ECORRUPT) {
			a.log.ErrorContext(r.Context(), "corrupt blob", "digest", d, "error", err)
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// parseRange reads a single-range Range header against a blob of size bytes.
// No header (or a multi-range one, which this server answers in full) gives
// the whole blob.
func parseRange(h string, size int64) (offset, length int64, partial bool, err error) {
	if h == "" {
		return 0, size, false, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return 0, 0, false, lathe.Errorf(lathe.ERANGE, "Range %q: only byte ranges are supported (bytes=start-end)", h)
	}
	if strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	bad := lathe.Errorf(lathe.ERANGE, "Range %q cannot be satisfied for a blob of %d bytes", h, size)
	if !ok {
		return 0, 0, false, bad
	}
	if first == "" { // suffix: the last N bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false, bad
		}
		n = min(n, size)
		if n == 0 {
			return 0, 0, false, bad
		}
		return size - n, n, true, nil
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false, bad
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return 0, 0, false, bad
		}
		end = min(e, size-1)
	}
	return start, end - start + 1, true, nil
}
