package client

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/url"
	"strconv"

	"github.com/latheml/lathe"
)

// DatastoreSpec creates a datastore (see the createDatastore operation).
type DatastoreSpec struct {
	Name        string            `json:"name"`
	Type        string            `json:"type"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Path        string            `json:"path,omitempty"`
	Bucket      string            `json:"bucket,omitempty"`
	Prefix      string            `json:"prefix,omitempty"`
	Endpoint    string            `json:"endpoint,omitempty"`
	Region      string            `json:"region,omitempty"`
	Credentials *S3Credentials    `json:"credentials,omitempty"`
}

// S3Credentials are an S3 access and secret key.
type S3Credentials struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// VersionSpec creates a data version (see the createDataVersion operation).
type VersionSpec struct {
	Version     string                `json:"version,omitempty"`
	Type        string                `json:"type"`
	Description string                `json:"description,omitempty"`
	Tags        map[string]string     `json:"tags,omitempty"`
	Path        string                `json:"path,omitempty"`
	Manifest    []lathe.ManifestEntry `json:"manifest,omitempty"`
	Strict      bool                  `json:"strict,omitempty"`
}

// VersionUpdate edits a data version's description or tags.
type VersionUpdate struct {
	Description *string `json:"description,omitempty"`
	// Tags replaces every tag unless nil; an empty map clears them.
	Tags map[string]string `json:"tags"`
}

// FileChange is a file that differs between two versions.
type FileChange struct {
	Path       string       `json:"path"`
	FromDigest lathe.Digest `json:"from_digest,omitempty"`
	ToDigest   lathe.Digest `json:"to_digest,omitempty"`
	FromSize   int64        `json:"from_size"`
	ToSize     int64        `json:"to_size"`
}

// ColumnChange is a column that differs between two tables.
type ColumnChange struct {
	Name     string `json:"name"`
	FromType string `json:"from_type,omitempty"`
	ToType   string `json:"to_type,omitempty"`
}

// TableDiff compares two tables' profiles.
type TableDiff struct {
	FromRows int64          `json:"from_rows"`
	ToRows   int64          `json:"to_rows"`
	Added    []ColumnChange `json:"columns_added"`
	Removed  []ColumnChange `json:"columns_removed"`
	Retyped  []ColumnChange `json:"columns_retyped"`
}

// DataDiff is what changed between two data versions.
type DataDiff struct {
	From      string       `json:"from"`
	To        string       `json:"to"`
	Same      bool         `json:"same"`
	Added     []FileChange `json:"added"`
	Removed   []FileChange `json:"removed"`
	Changed   []FileChange `json:"changed"`
	Unchanged int64        `json:"unchanged"`
	Table     *TableDiff   `json:"table,omitempty"`
}

// DataFilesPage is one page of a version's manifest.
type DataFilesPage struct {
	Version    lathe.DataVersion     `json:"version"`
	Items      []lathe.ManifestEntry `json:"items"`
	NextCursor string                `json:"next_cursor,omitempty"`
}

func dataPath(ws, name string) string { return wsPath(ws) + "/data/" + url.PathEscape(name) }

func versionPath(ws, name, version string) string {
	return dataPath(ws, name) + "/versions/" + url.PathEscape(version)
}

func listQuery(archived bool, cursor string, limit int) string {
	q := url.Values{}
	if archived {
		q.Set("archived", "true")
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// CreateDatastore creates a datastore; the server checks it first.
func (c *Client) CreateDatastore(ctx context.Context, ws string, spec DatastoreSpec) (*lathe.Datastore, error) {
	var out lathe.Datastore
	if err := c.doJSON(ctx, "POST", wsPath(ws)+"/datastores", spec, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Datastores lists the workspace's datastores.
func (c *Client) Datastores(ctx context.Context, ws string) ([]lathe.Datastore, error) {
	var out struct {
		Items []lathe.Datastore `json:"items"`
	}
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/datastores", nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// Datastore returns one datastore.
func (c *Client) Datastore(ctx context.Context, ws, name string) (*lathe.Datastore, error) {
	var out lathe.Datastore
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/datastores/"+url.PathEscape(name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDatastore deletes a datastore.
func (c *Client) DeleteDatastore(ctx context.Context, ws, name string) error {
	return c.doJSON(ctx, "DELETE", wsPath(ws)+"/datastores/"+url.PathEscape(name), nil, nil)
}

// CreateDataVersion creates a data version.
func (c *Client) CreateDataVersion(ctx context.Context, ws, name string, spec VersionSpec) (*lathe.DataVersion, error) {
	var out lathe.DataVersion
	if err := c.doJSON(ctx, "POST", dataPath(ws, name)+"/versions", spec, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DataVersion returns a data version; version "latest" is the newest
// active one.
func (c *Client) DataVersion(ctx context.Context, ws, name, version string) (*lathe.DataVersion, error) {
	var out lathe.DataVersion
	if err := c.doJSON(ctx, "GET", versionPath(ws, name, version), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DataAsset returns a data asset's summary.
func (c *Client) DataAsset(ctx context.Context, ws, name string) (*lathe.DataAsset, error) {
	var out lathe.DataAsset
	if err := c.doJSON(ctx, "GET", dataPath(ws, name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DataAssets returns one page of the workspace's data assets.
func (c *Client) DataAssets(ctx context.Context, ws string, archived bool, cursor string, limit int) ([]lathe.DataAsset, string, error) {
	var out struct {
		Items      []lathe.DataAsset `json:"items"`
		NextCursor string            `json:"next_cursor"`
	}
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/data"+listQuery(archived, cursor, limit), nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// DataVersions returns one page of an asset's versions, newest first.
func (c *Client) DataVersions(ctx context.Context, ws, name string, archived bool, cursor string, limit int) ([]lathe.DataVersion, string, error) {
	var out struct {
		Items      []lathe.DataVersion `json:"items"`
		NextCursor string              `json:"next_cursor"`
	}
	if err := c.doJSON(ctx, "GET", dataPath(ws, name)+"/versions"+listQuery(archived, cursor, limit), nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// UpdateDataVersion edits a version's description or tags.
func (c *Client) UpdateDataVersion(ctx context.Context, ws, name, version string, u VersionUpdate) (*lathe.DataVersion, error) {
	var out lathe.DataVersion
	if err := c.doJSON(ctx, "PATCH", versionPath(ws, name, version), u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetDataArchived archives (or restores) a version, or the whole asset when
// version is "".
func (c *Client) SetDataArchived(ctx context.Context, ws, name, version string, archived bool) error {
	verb := "/restore"
	if archived {
		verb = "/archive"
	}
	p := dataPath(ws, name) + verb
	if version != "" {
		p = versionPath(ws, name, version) + verb
	}
	return c.doJSON(ctx, "POST", p, nil, nil)
}

// DataFiles returns one page of a version's manifest.
func (c *Client) DataFiles(ctx context.Context, ws, name, version, cursor string, limit int) (*DataFilesPage, error) {
	var out DataFilesPage
	if err := c.doJSON(ctx, "GET", versionPath(ws, name, version)+"/files"+listQuery(false, cursor, limit), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DataManifest returns a version with its whole manifest.
func (c *Client) DataManifest(ctx context.Context, ws, name, version string) (*lathe.DataVersion, []lathe.ManifestEntry, error) {
	var all []lathe.ManifestEntry
	cursor := ""
	for {
		page, err := c.DataFiles(ctx, ws, name, version, cursor, 10_000)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			v := page.Version
			return &v, all, nil
		}
		cursor = page.NextCursor
	}
}

// OpenDataFile streams one file of a version, verified on this side too:
// the final Read fails with lathe.ECORRUPT if the bytes do not hash to the
// entry's digest.
func (c *Client) OpenDataFile(ctx context.Context, ws, name, version string, e lathe.ManifestEntry) (io.ReadCloser, error) {
	resp, err := c.do(ctx, request{method: "GET", path: versionPath(ws, name, version) + "/file?path=" + url.QueryEscape(e.Path), size: -1})
	if err != nil {
		return nil, err
	}
	return &fileVerifier{verifier{rc: resp.Body, h: sha256.New(), want: e.Digest, left: resp.ContentLength}, e.Path}, nil
}

// fileVerifier names the file when a download breaks off.
type fileVerifier struct {
	verifier
	path string
}

func (f *fileVerifier) Read(p []byte) (int, error) {
	n, err := f.verifier.Read(p)
	if lathe.IsCode(err, lathe.EUNAVAILABLE) {
		err = lathe.Errorf(lathe.EUNAVAILABLE, "the server stopped sending %s midway: the file may have changed at its datastore since the version was created (the server log says), or the connection broke; try again", f.path)
	}
	return n, err
}

// DataProfile returns a tabular version's profile as JSON.
func (c *Client) DataProfile(ctx context.Context, ws, name, version string) (json.RawMessage, error) {
	var out json.RawMessage
	if err := c.doJSON(ctx, "GET", versionPath(ws, name, version)+"/profile", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DiffData compares two versions given as name:version or name@latest.
func (c *Client) DiffData(ctx context.Context, ws, from, to string) (*DataDiff, error) {
	var out DataDiff
	q := url.Values{"from": {from}, "to": {to}}
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/data-diff?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
