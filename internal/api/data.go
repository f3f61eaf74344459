package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data"
)

// Data is the data service: datastores, data assets and their versions.
type Data interface {
	CreateDatastore(ctx context.Context, ws, actor string, spec data.DatastoreSpec) (*lathe.Datastore, error)
	Datastores(ctx context.Context, ws string) ([]*lathe.Datastore, error)
	Datastore(ctx context.Context, ws, name string) (*lathe.Datastore, error)
	DeleteDatastore(ctx context.Context, ws, name string) error

	CreateVersion(ctx context.Context, ws, actor, name string, spec data.VersionSpec) (*lathe.DataVersion, error)
	Version(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, error)
	Asset(ctx context.Context, ws, name string) (*lathe.DataAsset, error)
	Assets(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.DataAsset, error)
	Versions(ctx context.Context, ws, name string, archived bool, offset, limit int) ([]*lathe.DataVersion, error)
	UpdateVersion(ctx context.Context, ws string, ref lathe.AssetRef, u data.VersionUpdate) (*lathe.DataVersion, error)
	SetArchived(ctx context.Context, ws, name, version string, archived bool) error
	Files(ctx context.Context, ws string, ref lathe.AssetRef, after string, limit int) (*lathe.DataVersion, []lathe.ManifestEntry, error)
	OpenFile(ctx context.Context, ws string, ref lathe.AssetRef, path string) (*lathe.ManifestEntry, io.ReadCloser, error)
	Profile(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, json.RawMessage, error)
	DiffVersions(ctx context.Context, ws string, from, to lathe.AssetRef) (*data.Diff, error)
}

// MaxManifestBody bounds the body that creates a data version (its
// manifest lists up to lathe.MaxManifestEntries files).
const MaxManifestBody = 64 << 20

// MaxFilesPage bounds one page of a version's manifest.
const MaxFilesPage = 10_000

// FilesPage is one page of a data version's manifest.
type FilesPage struct {
	Version    lathe.DataVersion     `json:"version"`
	Items      []lathe.ManifestEntry `json:"items"`
	NextCursor string                `json:"next_cursor,omitempty" doc:"pass as ?cursor= to get the next page; absent on the last page"`
}

func (a *API) dataRoutes() []Route {
	ws := "/api/v1/workspaces/{workspace}"
	ver := ws + "/data/{name}/versions/{version}"
	archived := Param{"archived", "boolean", "include archived ones"}
	return []Route{
		{Method: "GET", Path: ws + "/datastores", ID: "listDatastores", Tag: "data", Action: lathe.ActDataRead,
			Summary: "The workspace's datastores, the built-in workspaceblobstore first. Credentials are never returned.", Response: Page[lathe.Datastore]{}, Handler: a.listDatastores},
		{Method: "POST", Path: ws + "/datastores", ID: "createDatastore", Tag: "data", Action: lathe.ActDatastoreWrite, Status: http.StatusCreated,
			Summary: "Create a datastore: s3 (checked now: the bucket must answer a listing with the credentials, which are stored encrypted) or local (a directory on the server; server administrators only).",
			Body:    data.DatastoreSpec{}, Response: lathe.Datastore{}, Handler: a.createDatastore},
		{Method: "GET", Path: ws + "/datastores/{datastore}", ID: "getDatastore", Tag: "data", Action: lathe.ActDataRead,
			Summary: "One datastore, without its credentials.", Response: lathe.Datastore{}, Handler: a.getDatastore},
		{Method: "DELETE", Path: ws + "/datastores/{datastore}", ID: "deleteDatastore", Tag: "data", Action: lathe.ActDatastoreWrite, Status: http.StatusNoContent,
			Summary: "Delete a datastore no data version refers to.", Handler: a.deleteDatastore},

		{Method: "GET", Path: ws + "/data", ID: "listData", Tag: "data", Action: lathe.ActDataRead,
			Summary: "The workspace's data assets by name, with their latest version.", Query: append([]Param{archived}, pageParams...),
			Response: Page[lathe.DataAsset]{}, Handler: a.listData},
		{Method: "GET", Path: ws + "/data/{name}", ID: "getData", Tag: "data", Action: lathe.ActDataRead,
			Summary: "One data asset. `name@latest` redirects to its newest active version.", Response: lathe.DataAsset{}, Handler: a.getData},
		{Method: "POST", Path: ws + "/data/{name}/archive", ID: "archiveData", Tag: "data", Action: lathe.ActDataWrite, Status: http.StatusNoContent,
			Summary: "Archive a data asset: it leaves the default lists; its versions stay readable.", Handler: a.archiveData(true)},
		{Method: "POST", Path: ws + "/data/{name}/restore", ID: "restoreData", Tag: "data", Action: lathe.ActDataWrite, Status: http.StatusNoContent,
			Summary: "Restore an archived data asset.", Handler: a.archiveData(false)},
		{Method: "GET", Path: ws + "/data/{name}/versions", ID: "listDataVersions", Tag: "data", Action: lathe.ActDataRead,
			Summary: "A data asset's versions, newest first.", Query: append([]Param{archived}, pageParams...),
			Response: Page[lathe.DataVersion]{}, Handler: a.listDataVersions},
		{Method: "POST", Path: ws + "/data/{name}/versions", ID: "createDataVersion", Tag: "data", Action: lathe.ActDataWrite, Status: http.StatusCreated,
			Summary: "Create an immutable data version from uploaded files (a manifest whose digests the workspace holds; upload missing ones to /blobs first) or from a datastore path, and profile it if it is tabular.",
			Body:    data.VersionSpec{}, Response: lathe.DataVersion{}, Handler: a.createDataVersion},
		{Method: "GET", Path: ver, ID: "getDataVersion", Tag: "data", Action: lathe.ActDataRead,
			Summary: "One data version; `latest` is the newest active one.", Response: lathe.DataVersion{}, Handler: a.getDataVersion},
		{Method: "PATCH", Path: ver, ID: "updateDataVersion", Tag: "data", Action: lathe.ActDataWrite,
			Summary: "Edit a version's description or tags (its data never changes).", Body: data.VersionUpdate{}, Response: lathe.DataVersion{}, Handler: a.updateDataVersion},
		{Method: "POST", Path: ver + "/archive", ID: "archiveDataVersion", Tag: "data", Action: lathe.ActDataWrite, Status: http.StatusNoContent,
			Summary: "Archive a version: @latest and the default lists skip it; it stays readable.", Handler: a.archiveDataVersion(true)},
		{Method: "POST", Path: ver + "/restore", ID: "restoreDataVersion", Tag: "data", Action: lathe.ActDataWrite, Status: http.StatusNoContent,
			Summary: "Restore an archived version.", Handler: a.archiveDataVersion(false)},
		{Method: "GET", Path: ver + "/files", ID: "listDataFiles", Tag: "data", Action: lathe.ActDataRead,
			Summary:  "A version's manifest in path order: path, digest, size and mode of each file.",
			Query:    []Param{{"limit", "integer", "entries per page, 1-10000 (default 1000)"}, {"cursor", "string", "next_cursor of the previous page"}},
			Response: FilesPage{}, Handler: a.listDataFiles},
		{Method: "GET", Path: ver + "/file", ID: "getDataFile", Tag: "data", Action: lathe.ActDataRead, RawResponse: true,
			Summary: "Download one file of a version, wherever it is stored; the stream is verified against the recorded digest (a mismatch breaks the connection).",
			Query:   []Param{{"path", "string", "the file's path in the manifest"}}, Handler: a.getDataFile},
		{Method: "GET", Path: ver + "/profile", ID: "getDataProfile", Tag: "data", Action: lathe.ActDataRead,
			Summary:  "A tabular version's profile: schema, row count, per-column statistics and the problems found (404 for data that is not tabular).",
			Response: map[string]any{}, Handler: a.getDataProfile},
		{Method: "GET", Path: ws + "/data-diff", ID: "diffData", Tag: "data", Action: lathe.ActDataRead,
			Summary:  "What changed between two data versions: files added, removed and changed, and for tabular data row counts and columns added, removed or retyped.",
			Query:    []Param{{"from", "string", "name:version or name@latest"}, {"to", "string", "name:version or name@latest"}},
			Response: data.Diff{}, Handler: a.diffData},
	}
}

func (a *API) createDatastore(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	p := principal(r)
	var spec data.DatastoreSpec
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &spec); err != nil {
		return err
	}
	if spec.Type == lathe.DatastoreLocal {
		// A local datastore exposes a directory of the server's machine.
		if _, _, err := a.opts.Authorizer.Authorize(r.Context(), p, ws.Name, lathe.ActDatastoreLocal); err != nil {
			return err
		}
	}
	d, err := a.opts.Data.CreateDatastore(r.Context(), ws.ID, p.UserName, spec)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (a *API) listDatastores(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	list, err := a.opts.Data.Datastores(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[*lathe.Datastore]{Items: nonNil(list)})
	return nil
}

func (a *API) getDatastore(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	d, err := a.opts.Data.Datastore(r.Context(), ws.ID, r.PathValue("datastore"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) deleteDatastore(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	if err := a.opts.Data.DeleteDatastore(r.Context(), ws.ID, r.PathValue("datastore")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func boolArg(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, lathe.Errorf(lathe.EINVALID, "%s=%q must be true or false", name, s)
	}
	return v, nil
}

func (a *API) listData(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	archived, err := boolArg(r, "archived")
	if err != nil {
		return err
	}
	limit, cursor, err := pageArgs(r)
	if err != nil {
		return err
	}
	list, err := a.opts.Data.Assets(r.Context(), ws.ID, archived, cursor, limit+1)
	if err != nil {
		return err
	}
	page := Page[*lathe.DataAsset]{Items: nonNil(list)}
	if len(list) > limit {
		page.Items = list[:limit]
		page.NextCursor = list[limit-1].Name
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// versionRef reads {name} and {version} ("latest" for the newest).
func versionRef(r *http.Request) (lathe.AssetRef, error) {
	name, v := r.PathValue("name"), r.PathValue("version")
	if v == "latest" {
		return lathe.AssetRef{Name: name, Latest: true}, nil
	}
	if err := lathe.ValidateDataVersion(v); err != nil {
		return lathe.AssetRef{}, err
	}
	return lathe.AssetRef{Name: name, Version: v}, nil
}

func (a *API) getData(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	name := r.PathValue("name")
	if base, ok := strings.CutSuffix(name, "@latest"); ok {
		if err := lathe.ValidateName("data asset", base); err != nil {
			return err
		}
		http.Redirect(w, r, "/api/v1/workspaces/"+url.PathEscape(ws.Name)+"/data/"+url.PathEscape(base)+"/versions/latest", http.StatusTemporaryRedirect)
		return nil
	}
	d, err := a.opts.Data.Asset(r.Context(), ws.ID, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) archiveData(archived bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		ws, _ := WorkspaceFrom(r.Context())
		if err := a.opts.Data.SetArchived(r.Context(), ws.ID, r.PathValue("name"), "", archived); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (a *API) archiveDataVersion(archived bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		ws, _ := WorkspaceFrom(r.Context())
		ref, err := versionRef(r)
		if err != nil {
			return err
		}
		if ref.Latest {
			return lathe.Errorf(lathe.EINVALID, "name the version to archive or restore; latest moves as versions are archived")
		}
		if err := a.opts.Data.SetArchived(r.Context(), ws.ID, ref.Name, ref.Version, archived); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (a *API) listDataVersions(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	archived, err := boolArg(r, "archived")
	if err != nil {
		return err
	}
	limit, cursor, err := pageArgs(r)
	if err != nil {
		return err
	}
	offset := 0
	if cursor != "" {
		if offset, err = strconv.Atoi(cursor); err != nil || offset < 0 {
			return lathe.Errorf(lathe.EINVALID, "cursor %q is not one this server issued; start again without a cursor", cursor)
		}
	}
	list, err := a.opts.Data.Versions(r.Context(), ws.ID, r.PathValue("name"), archived, offset, limit+1)
	if err != nil {
		return err
	}
	page := Page[*lathe.DataVersion]{Items: nonNil(list)}
	if len(list) > limit {
		page.Items = list[:limit]
		page.NextCursor = strconv.Itoa(offset + limit)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (a *API) createDataVersion(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var spec data.VersionSpec
	if err := decodeJSON(w, r, MaxManifestBody, &spec); err != nil {
		return err
	}
	v, err := a.opts.Data.CreateVersion(r.Context(), ws.ID, principal(r).UserName, r.PathValue("name"), spec)
	if err != nil {
		return err
	}
	w.Header().Set("Location", r.URL.Path+"/"+url.PathEscape(v.Version))
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) getDataVersion(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	v, err := a.opts.Data.Version(r.Context(), ws.ID, ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) updateDataVersion(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	var u data.VersionUpdate
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &u); err != nil {
		return err
	}
	v, err := a.opts.Data.UpdateVersion(r.Context(), ws.ID, ref, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) listDataFiles(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	limit := DefaultPageSize * 10
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxFilesPage {
			return lathe.Errorf(lathe.EINVALID, "limit %q must be a whole number from 1 to %d", s, MaxFilesPage)
		}
		limit = n
	}
	cursor := r.URL.Query().Get("cursor")
	if len(cursor) > lathe.MaxDataPathLen {
		return lathe.Errorf(lathe.EINVALID, "cursor is %d characters; start again without one", len(cursor))
	}
	v, items, err := a.opts.Data.Files(r.Context(), ws.ID, ref, cursor, limit+1)
	if err != nil {
		return err
	}
	page := FilesPage{Version: *v, Items: items}
	if page.Items == nil {
		page.Items = []lathe.ManifestEntry{}
	}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = items[limit-1].Path
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (a *API) getDataFile(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	e, rc, err := a.opts.Data.OpenFile(r.Context(), ws.ID, ref, r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(e.Size, 10))
	h.Set("X-Lathe-Digest", string(e.Digest))
	h.Set("ETag", `"`+string(e.Digest)+`"`)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	// Read the first chunk before answering: a small file is then checked
	// whole, and a mismatch gets a proper error instead of a cut stream.
	buf := make([]byte, 256<<10)
	first, err := io.ReadFull(rc, buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		if int64(first) != e.Size {
			return lathe.Errorf(lathe.ECORRUPT, "%s: read %d bytes, the version records %d; its source changed since the version was created", e.Path, first, e.Size)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf[:first])
		return nil
	case err != nil:
		h.Del("Content-Length")
		return err
	}
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(buf); err != nil {
		panic(http.ErrAbortHandler)
	}
	if n, err := io.CopyBuffer(w, rc, buf); err != nil || int64(first)+n != e.Size {
		// The status is sent; break the connection so the client sees a
		// short body, never a complete download of wrong bytes.
		if err != nil {
			a.log.ErrorContext(r.Context(), "data file read failed", "path", e.Path, "digest", e.Digest, "error", err)
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (a *API) getDataProfile(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	_, p, err := a.opts.Data.Profile(r.Context(), ws.ID, ref)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p)
	return nil
}

func (a *API) diffData(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	q := r.URL.Query()
	from, err := lathe.ParseAssetRef(q.Get("from"), false)
	if err != nil {
		return err
	}
	to, err := lathe.ParseAssetRef(q.Get("to"), false)
	if err != nil {
		return err
	}
	d, err := a.opts.Data.DiffVersions(r.Context(), ws.ID, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
