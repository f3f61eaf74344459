package data

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

// VersionSpec is what a client sends to create a data version: the fields
// of Azure's data.schema.json (name comes from the URL), and either the
// manifest of files it uploaded or a datastore path to refer to.
type VersionSpec struct {
	Version     string            `json:"version,omitempty" doc:"omit to get one more than the largest numeric version"`
	Type        string            `json:"type" doc:"uri_file, uri_folder or mltable"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Path refers to data where it is: azureml://datastores/<ds>/paths/<p>.
	Path string `json:"path,omitempty" doc:"azureml://datastores/<datastore>/paths/<path>; leave empty when sending a manifest"`
	// Manifest lists uploaded files; every digest must be in the
	// workspace's blob store already.
	Manifest []lathe.ManifestEntry `json:"manifest,omitempty" doc:"files uploaded to the workspace's blobs, at most 100000"`
	// Strict refuses tabular data with problems (ragged rows, bad UTF-8)
	// instead of recording them in the profile.
	Strict bool `json:"strict,omitempty"`
}

// maxAutoRetries bounds the retries of an auto-numbered version that
// another client took at the same moment.
const maxAutoRetries = 5

// CreateVersion creates an immutable data version and computes its profile
// if the data is tabular.
func (s *Service) CreateVersion(ctx context.Context, ws, actor, name string, spec VersionSpec) (*lathe.DataVersion, error) {
	if err := lathe.ValidateName("data asset", name); err != nil {
		return nil, err
	}
	v := &lathe.DataVersion{WorkspaceID: ws, Name: name, Version: spec.Version, Type: spec.Type, Description: spec.Description,
		Tags: spec.Tags, CreatedBy: actor}
	check := *v
	if check.Version == "" {
		check.Version = "1"
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	var m []lathe.ManifestEntry
	var err error
	switch {
	case spec.Path != "" && spec.Manifest != nil:
		return nil, lathe.Errorf(lathe.EINVALID, "send a manifest of uploaded files or a datastore path, not both")
	case spec.Manifest != nil:
		m, err = s.uploaded(ctx, v, spec.Manifest)
	case spec.Path != "":
		m, err = s.referenced(ctx, v, spec.Path)
	default:
		return nil, lathe.Errorf(lathe.EINVALID, "data asset %s: give a path (azureml://datastores/<ds>/paths/<p>) or upload files and send their manifest", name)
	}
	if err != nil {
		return nil, err
	}
	if v.Type == lathe.DataURIFile && len(m) != 1 {
		return nil, lathe.Errorf(lathe.EINVALID, "a uri_file is one file; this manifest lists %d (use uri_folder)", len(m))
	}
	v.Digest, v.Files = lathe.ManifestDigest(m), int64(len(m))
	for _, e := range m {
		v.Size += e.Size
	}
	if v.Datastore == lathe.WorkspaceBlobStore {
		v.DatastorePath = "LocalUpload/" + v.Digest.Hex()
		if v.Type == lathe.DataURIFile {
			v.DatastorePath += "/" + m[0].Path
		}
	}
	v.Path = lathe.DatastoreURI(v.Datastore, v.DatastorePath)
	if v.Type != lathe.DataURIFile && !strings.HasSuffix(v.Path, "/") {
		v.Path += "/"
	}

	r, err := s.readerOf(ctx, v)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if v.Type == lathe.DataMLTable {
		if _, _, err := s.table(ctx, r, m); err != nil {
			return nil, err
		}
	}
	prof, err := s.profileOf(ctx, r, v, m, spec.Strict)
	if err != nil {
		return nil, err
	}
	pb, err := encodeProfile(prof)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		if spec.Version == "" {
			n, err := s.o.Store.NextDataVersion(ctx, ws, name)
			if err != nil {
				return nil, err
			}
			v.Version = strconv.FormatInt(n, 10)
		}
		v.CreatedAt = s.now()
		err = s.o.Store.CreateDataVersion(ctx, v, m, pb)
		if spec.Version == "" && lathe.IsCode(err, lathe.ECONFLICT) && try < maxAutoRetries {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	s.o.Logger.Info("data version created", "workspace", ws, "asset", name, "version", v.Version, "type", v.Type,
		"files", v.Files, "bytes", v.Size, "path", v.Path, "by", actor)
	return v, nil
}

// uploaded checks the manifest of uploaded files: valid, and every digest
// held by the workspace with the declared size.
func (s *Service) uploaded(ctx context.Context, v *lathe.DataVersion, m []lathe.ManifestEntry) ([]lathe.ManifestEntry, error) {
	if err := lathe.ValidateManifest(m); err != nil {
		return nil, err
	}
	v.Datastore = lathe.WorkspaceBlobStore
	var missing []string
	nMissing := 0
	for start := 0; start < len(m); start += store.MaxBatch {
		part := m[start:min(start+store.MaxBatch, len(m))]
		ds := make([]lathe.Digest, len(part))
		for i, e := range part {
			ds[i] = e.Digest
		}
		sizes, err := s.o.Store.BlobSizes(ctx, v.WorkspaceID, ds)
		if err != nil {
			return nil, err
		}
		for _, e := range part {
			size, ok := sizes[e.Digest]
			switch {
			case !ok:
				nMissing++
				if len(missing) < 3 {
					missing = append(missing, fmt.Sprintf("%s (%s)", e.Path, e.Digest))
				}
			case size != e.Size:
				return nil, lathe.Errorf(lathe.EINVALID, "manifest entry %s says %d bytes, but its content %s has %d", e.Path, e.Size, e.Digest, size)
			}
		}
	}
	if nMissing > 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "the manifest names %d files whose content this workspace does not hold, such as %s; upload them first (POST .../blobs), then send the manifest again",
			nMissing, strings.Join(missing, ", "))
	}
	return m, nil
}

// referenced lists the files at a datastore path and records their
// digests. A path in the workspace's blob store names an earlier upload
// (LocalUpload/<digest>[/<sub-path>]), whose files are reused.
func (s *Service) referenced(ctx context.Context, v *lathe.DataVersion, uri string) ([]lathe.ManifestEntry, error) {
	ds, p, ok, err := lathe.ParseDatastoreURI(uri)
	if err != nil {
		return nil, err
	}
	if !ok {
		switch {
		case strings.HasPrefix(uri, "azureml://jobs/"):
			return nil, lathe.Errorf(lathe.EUNSUPPORTED, "path %q: job outputs become data assets once jobs exist in Lathe; for now upload the files or use a datastore path", uri)
		case strings.Contains(uri, "://"):
			return nil, lathe.Errorf(lathe.EUNSUPPORTED, "path %q: only azureml://datastores/<ds>/paths/<p> (or local files, uploaded by the CLI) are supported; download the data and create the asset from a local path", uri)
		}
		return nil, lathe.Errorf(lathe.EINVALID, "path %q is a local path: the server cannot read the client's files; create the asset with the CLI, which uploads them", uri)
	}
	file := v.Type == lathe.DataURIFile
	if ds == lathe.WorkspaceBlobStore {
		return s.reuse(ctx, v, p, file)
	}
	src, d, err := s.sourceOf(ctx, v.WorkspaceID, ds)
	if err != nil {
		return nil, err
	}
	defer src.close()
	v.Datastore, v.DatastorePath = d.Name, p
	m, err := src.list(ctx, p, file)
	if err != nil {
		return nil, err
	}
	if err := s.hashAll(ctx, src, p, file, m); err != nil {
		return nil, err
	}
	if err := lathe.ValidateManifest(m); err != nil {
		return nil, err
	}
	return m, nil
}

// reuse takes files of an earlier upload: LocalUpload/<hex>[/<sub>].
func (s *Service) reuse(ctx context.Context, v *lathe.DataVersion, p string, file bool) ([]lathe.ManifestEntry, error) {
	uri := lathe.DatastoreURI(lathe.WorkspaceBlobStore, p)
	rest, ok := strings.CutPrefix(p, "LocalUpload/")
	hexd, sub, _ := strings.Cut(rest, "/")
	d := lathe.Digest(lathe.DigestPrefix + hexd)
	if !ok || d.Validate() != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "%s: paths in %s are LocalUpload/<digest>/..., as `lathe data show` prints them", uri, lathe.WorkspaceBlobStore)
	}
	src, err := s.o.Store.DataVersionByDigest(ctx, v.WorkspaceID, lathe.WorkspaceBlobStore, d)
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		return nil, lathe.Errorf(lathe.EINVALID, "%s: no upload of this workspace has that digest", uri)
	}
	if err != nil {
		return nil, err
	}
	all, err := s.manifest(ctx, src)
	if err != nil {
		return nil, err
	}
	if src.Type == lathe.DataURIFile && sub == all[0].Path {
		sub = "" // the file itself
	}
	var m []lathe.ManifestEntry
	for _, e := range all {
		switch {
		case sub == "":
			m = append(m, e)
		case e.Path == sub && file:
			e.Path = path.Base(e.Path)
			m = append(m, e)
		case strings.HasPrefix(e.Path, sub+"/") && !file:
			e.Path = strings.TrimPrefix(e.Path, sub+"/")
			m = append(m, e)
		}
	}
	if len(m) == 0 || (file && len(m) != 1) {
		kind := "folder"
		if file {
			kind = "file"
		}
		return nil, lathe.Errorf(lathe.EINVALID, "%s names no %s of that upload", uri, kind)
	}
	v.Datastore = lathe.WorkspaceBlobStore
	return m, lathe.ValidateManifest(m)
}

// manifest loads a version's whole manifest, in path order.
func (s *Service) manifest(ctx context.Context, v *lathe.DataVersion) ([]lathe.ManifestEntry, error) {
	var out []lathe.ManifestEntry
	after := ""
	const page = 10_000
	for {
		part, err := s.o.Store.DataFiles(ctx, v.WorkspaceID, v.Name, v.Version, after, page)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
		if len(part) < page {
			return out, nil
		}
		after = part[len(part)-1].Path
	}
}

// Version returns a data version; ref.Latest picks the newest active one.
func (s *Service) Version(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, error) {
	if err := lathe.ValidateName("data asset", ref.Name); err != nil {
		return nil, err
	}
	if ref.Latest {
		return s.o.Store.LatestDataVersion(ctx, ws, ref.Name)
	}
	if err := lathe.ValidateDataVersion(ref.Version); err != nil {
		return nil, err
	}
	return s.o.Store.DataVersion(ctx, ws, ref.Name, ref.Version)
}

// Asset returns a data asset's summary.
func (s *Service) Asset(ctx context.Context, ws, name string) (*lathe.DataAsset, error) {
	if err := lathe.ValidateName("data asset", name); err != nil {
		return nil, err
	}
	return s.o.Store.DataAsset(ctx, ws, name)
}

// Assets lists data assets by name after `after`.
func (s *Service) Assets(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.DataAsset, error) {
	return s.o.Store.ListDataAssets(ctx, ws, archived, after, limit)
}

// Versions lists an asset's versions, newest first. An asset without
// versions (or one that does not exist) is lathe.ENOTFOUND.
func (s *Service) Versions(ctx context.Context, ws, name string, archived bool, offset, limit int) ([]*lathe.DataVersion, error) {
	if _, err := s.Asset(ctx, ws, name); err != nil {
		return nil, err
	}
	return s.o.Store.ListDataVersions(ctx, ws, name, archived, offset, limit)
}

// VersionUpdate is what may change on a version.
type VersionUpdate struct {
	Description *string           `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty" doc:"replaces every tag; send {} to clear them"`
}

// UpdateVersion edits a version's description and tags.
func (s *Service) UpdateVersion(ctx context.Context, ws string, ref lathe.AssetRef, u VersionUpdate) (*lathe.DataVersion, error) {
	v, err := s.Version(ctx, ws, ref)
	if err != nil {
		return nil, err
	}
	check := *v
	if u.Description != nil {
		check.Description = *u.Description
	}
	if u.Tags != nil {
		check.Tags = u.Tags
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	return s.o.Store.UpdateDataVersion(ctx, ws, v.Name, v.Version, store.DataVersionUpdate{Description: u.Description, Tags: u.Tags, At: s.now()})
}

// SetArchived archives (or restores) one version, or with version "" the
// whole asset.
func (s *Service) SetArchived(ctx context.Context, ws, name, version string, archived bool) error {
	if err := lathe.ValidateName("data asset", name); err != nil {
		return err
	}
	if version == "" {
		var at = new(s.now())
		if !archived {
			at = nil
		}
		return s.o.Store.SetDataAssetArchived(ctx, ws, name, at)
	}
	if err := lathe.ValidateDataVersion(version); err != nil {
		return err
	}
	_, err := s.o.Store.UpdateDataVersion(ctx, ws, name, version, store.DataVersionUpdate{Archived: &archived, At: s.now()})
	return err
}

// Files returns one page of a version's manifest, in path order after the
// path `after`.
func (s *Service) Files(ctx context.Context, ws string, ref lathe.AssetRef, after string, limit int) (*lathe.DataVersion, []lathe.ManifestEntry, error) {
	v, err := s.Version(ctx, ws, ref)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.o.Store.DataFiles(ctx, ws, v.Name, v.Version, after, limit)
	return v, m, err
}

// OpenFile opens one file of a version for reading, verified: the final
// Read fails with lathe.ECORRUPT if the bytes do not match the digest.
func (s *Service) OpenFile(ctx context.Context, ws string, ref lathe.AssetRef, p string) (*lathe.ManifestEntry, io.ReadCloser, error) {
	if err := lathe.ValidateDataPath(p); err != nil {
		return nil, nil, err
	}
	v, err := s.Version(ctx, ws, ref)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.o.Store.DataFile(ctx, ws, v.Name, v.Version, p)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.readerOf(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	rc, err := r.open(ctx, *e)
	if err != nil {
		r.close()
		return nil, nil, err
	}
	return e, &closeBoth{rc, r}, nil
}

type closeBoth struct {
	io.ReadCloser
	r *reader
}

func (c *closeBoth) Close() error {
	err := c.ReadCloser.Close()
	c.r.close()
	return err
}

// Profile returns a version's stored profile (JSON), or lathe.ENOTFOUND for
// data that is not tabular.
func (s *Service) Profile(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, json.RawMessage, error) {
	v, err := s.Version(ctx, ws, ref)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.o.Store.DataProfile(ctx, ws, v.Name, v.Version)
	return v, b, err
}
