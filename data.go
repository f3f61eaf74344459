package lathe

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Datastore types. A workspace's built-in blob store is always there under
// the name WorkspaceBlobStore; the others are created by users.
const (
	DatastoreWorkspaceBlob = "workspace_blob" // the content-addressed blob store
	DatastoreLocal         = "local"          // a directory on the server's machine, read-only
	DatastoreS3            = "s3"             // a bucket (and prefix) of an S3-compatible store
)

// WorkspaceBlobStore is the name of every workspace's built-in datastore, as
// in Azure ML.
const WorkspaceBlobStore = "workspaceblobstore"

// Data asset types (Azure ML's).
const (
	DataURIFile   = "uri_file"   // one file
	DataURIFolder = "uri_folder" // a folder of files
	DataMLTable   = "mltable"    // a folder with an MLTable file describing a table
)

// MLTableFile is the name of the file that makes a folder an mltable.
const MLTableFile = "MLTable"

// Limits on data assets and their manifests.
const (
	MaxManifestEntries = 100_000 // files in one data version
	MaxDataPathLen     = 1024    // bytes in one manifest path
	MaxPathSegmentLen  = 255     // bytes in one segment of a manifest path
	MaxTags            = 50      // tags on one datastore or data version
	MaxTagKeyLen       = 250
	MaxDescriptionLen  = 5000
	MaxVersionLen      = 64
)

// Datastore is where bytes live: the built-in blob store, a directory on the
// server's machine, or an S3 bucket. Credentials are sealed (encrypted) by
// the data service before they reach the store and are never shown again.
type Datastore struct {
	WorkspaceID string            `json:"-"`
	Name        string            `json:"name"`
	Type        string            `json:"type" doc:"workspace_blob, local or s3"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Path is a local datastore's absolute directory on the server.
	Path string `json:"path,omitempty"`
	// Bucket, Prefix, Endpoint (host:port), Region and Secure (https)
	// locate an S3 datastore.
	Bucket   string `json:"bucket,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Region   string `json:"region,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
	// HasCredentials says whether credentials are stored; the credentials
	// themselves never leave the server.
	HasCredentials bool `json:"has_credentials"`
	// Credentials is the sealed credentials blob (nil for none).
	Credentials []byte    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by,omitempty"`
}

// Validate checks the fields every datastore type shares and those of its
// type that need no I/O.
func (d *Datastore) Validate() error {
	if err := ValidateName("datastore", d.Name); err != nil {
		return err
	}
	if err := validateMeta("datastore "+d.Name, d.Description, d.Tags); err != nil {
		return err
	}
	switch d.Type {
	case DatastoreWorkspaceBlob:
		if d.Name != WorkspaceBlobStore {
			return Errorf(EINVALID, "datastore %q: type %s is the built-in %s; create local or s3 datastores", d.Name, d.Type, WorkspaceBlobStore)
		}
	case DatastoreLocal:
		if d.Path == "" || !strings.HasPrefix(d.Path, "/") {
			return Errorf(EINVALID, "local datastore %q: path %q must be an absolute directory on the server, like /srv/data", d.Name, truncate(d.Path, 200))
		}
		if d.Bucket != "" || d.Prefix != "" || d.Endpoint != "" || d.Region != "" || d.HasCredentials {
			return Errorf(EINVALID, "local datastore %q takes only a path; bucket, prefix, endpoint, region and credentials are for s3 datastores", d.Name)
		}
	case DatastoreS3:
		if d.Bucket == "" {
			return Errorf(EINVALID, "s3 datastore %q needs a bucket", d.Name)
		}
		if d.Path != "" {
			return Errorf(EINVALID, "s3 datastore %q: path is for local datastores; use bucket and prefix", d.Name)
		}
	case "":
		return Errorf(EINVALID, "datastore %q has no type; use local or s3", d.Name)
	default:
		return Errorf(EINVALID, "datastore %q: type %q is not supported; use local or s3 (Azure's azure_blob and the like need Azure)", d.Name, truncate(d.Type, 40))
	}
	return nil
}

// ManifestEntry is one file of a data version: its path inside the asset
// (slash-separated, relative), its content digest, its size and its
// permission bits.
type ManifestEntry struct {
	Path   string `json:"path"`
	Digest Digest `json:"digest"`
	Size   int64  `json:"size"`
	Mode   uint32 `json:"mode" doc:"permission bits, e.g. 420 (0644) or 493 (0755)"`
}

// ValidateDataPath checks a path inside a data asset: relative, slash
// separated, valid UTF-8 without control characters or backslashes, no
// empty, "." or ".." segments, and within the length limits. It rules out
// every form of traversal.
func ValidateDataPath(p string) error {
	bad := func(why string) error {
		return Errorf(EINVALID, "file path %q %s; paths inside a data asset are relative, slash-separated names such as train/part-0.csv", truncate(p, 120), why)
	}
	if p == "" {
		return bad("is empty")
	}
	if len(p) > MaxDataPathLen {
		return bad(fmt.Sprintf("is %d bytes long, more than %d", len(p), MaxDataPathLen))
	}
	if !utf8.ValidString(p) {
		return bad("is not valid UTF-8")
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return bad(fmt.Sprintf("has the character %q at byte %d", rune(c), i))
		}
	}
	if strings.HasPrefix(p, "/") {
		return bad("is absolute")
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return bad(fmt.Sprintf("has the segment %q", seg))
		case len(seg) > MaxPathSegmentLen:
			return bad(fmt.Sprintf("has a segment of %d bytes, more than %d", len(seg), MaxPathSegmentLen))
		}
	}
	return nil
}

// Validate checks one entry.
func (e ManifestEntry) Validate() error {
	if err := ValidateDataPath(e.Path); err != nil {
		return err
	}
	if err := e.Digest.Validate(); err != nil {
		return fmt.Errorf("file %q: %w", truncate(e.Path, 120), err)
	}
	if e.Size < 0 {
		return Errorf(EINVALID, "file %q has size %d; sizes are not negative", truncate(e.Path, 120), e.Size)
	}
	if e.Mode&^0o777 != 0 {
		return Errorf(EINVALID, "file %q has mode %#o; give permission bits only (at most 0777)", truncate(e.Path, 120), e.Mode)
	}
	return nil
}

// SortManifest sorts entries by path, the canonical order.
func SortManifest(m []ManifestEntry) {
	sort.Slice(m, func(i, j int) bool { return m[i].Path < m[j].Path })
}

// ValidateManifest checks a whole manifest: between 1 and
// MaxManifestEntries valid entries, no path twice, and no path that is both
// a file and a folder of other files ("a" and "a/b"). It sorts m.
func ValidateManifest(m []ManifestEntry) error {
	if len(m) == 0 {
		return Errorf(EINVALID, "the manifest lists no files; a data version holds at least one")
	}
	if len(m) > MaxManifestEntries {
		return Errorf(ETOOLARGE, "the manifest lists %d files; the limit is %d, split the data into several assets", len(m), MaxManifestEntries)
	}
	for i := range m {
		if err := m[i].Validate(); err != nil {
			return fmt.Errorf("manifest entry %d: %w", i, err)
		}
	}
	SortManifest(m)
	dirs := make(map[string]bool)
	for i, e := range m {
		if i > 0 && m[i-1].Path == e.Path {
			return Errorf(EINVALID, "the manifest lists %q twice", truncate(e.Path, 120))
		}
		for j := strings.LastIndexByte(e.Path, '/'); j > 0; j = strings.LastIndexByte(e.Path[:j], '/') {
			if dirs[e.Path[:j]] {
				break
			}
			dirs[e.Path[:j]] = true
		}
	}
	for _, e := range m {
		if dirs[e.Path] {
			return Errorf(EINVALID, "the manifest has %q both as a file and as a folder of other files", truncate(e.Path, 120))
		}
	}
	return nil
}

// ManifestDigest is the content address of a whole data version: the
// sha256 of its sorted entries, one "<digest> <size> <mode> <path>\n" line
// each. Equal digests mean equal trees.
func ManifestDigest(m []ManifestEntry) Digest {
	h := sha256.New()
	for _, e := range m {
		fmt.Fprintf(h, "%s %d %o %s\n", e.Digest, e.Size, e.Mode, e.Path)
	}
	return NewDigest(h.Sum(nil))
}

// ModeBits returns the permission bits of a file mode for a manifest entry.
func ModeBits(m fs.FileMode) uint32 { return uint32(m.Perm()) }

// DataVersion is one immutable version of a data asset (Azure ML's data
// asset, data.schema.json: name, version, description, tags, type, path).
// Only its description, tags and archived flag change after creation.
type DataVersion struct {
	WorkspaceID string            `json:"-"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Type        string            `json:"type" doc:"uri_file, uri_folder or mltable"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Path is where the data is, as an azureml://datastores/<ds>/paths/<p>
	// URI: uploads live under workspaceblobstore's LocalUpload/<digest>/.
	Path string `json:"path"`
	// Datastore and DatastorePath are Path's parts.
	Datastore     string `json:"datastore"`
	DatastorePath string `json:"datastore_path"`
	// Digest addresses the whole tree (ManifestDigest); Files and Size
	// count its files and bytes.
	Digest    Digest     `json:"digest"`
	Files     int64      `json:"files"`
	Size      int64      `json:"size"`
	Archived  bool       `json:"archived"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// ValidDataType reports whether t is a data asset type.
func ValidDataType(t string) bool {
	return t == DataURIFile || t == DataURIFolder || t == DataMLTable
}

// ValidateDataVersion checks a version label: Azure-style (letters, digits,
// '-', '_', '.', starting with a letter or digit), at most MaxVersionLen
// characters, and not "latest", which names the newest version.
func ValidateDataVersion(v string) error {
	if len(v) > MaxVersionLen {
		return Errorf(EINVALID, "data version %q is %d characters long; the limit is %d", truncate(v, 80), len(v), MaxVersionLen)
	}
	if err := ValidateName("data version", v); err != nil {
		return err
	}
	if strings.EqualFold(v, "latest") {
		return Errorf(EINVALID, "data version %q is reserved: name@latest means the newest version; choose another label or leave it out to auto-increment", v)
	}
	return nil
}

// Validate checks a data version's fields before it is stored.
func (v *DataVersion) Validate() error {
	if err := ValidateName("data asset", v.Name); err != nil {
		return err
	}
	if err := ValidateDataVersion(v.Version); err != nil {
		return err
	}
	if !ValidDataType(v.Type) {
		return Errorf(EINVALID, "data asset %s: type %q is not one of uri_file, uri_folder, mltable", v.Name, truncate(v.Type, 40))
	}
	return validateMeta("data asset "+v.Name, v.Description, v.Tags)
}

// VersionNumber returns the integer value of an auto-incrementable version
// label ("7" gives 7, true); other labels give false.
func VersionNumber(v string) (int64, bool) {
	if v == "" || len(v) > 18 || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 0
}

// DataAsset is a data asset's container: its name and the versions under it.
type DataAsset struct {
	WorkspaceID   string    `json:"-"`
	Name          string    `json:"name"`
	LatestVersion string    `json:"latest_version,omitempty" doc:"newest version that is not archived"`
	Versions      int64     `json:"versions"`
	Archived      bool      `json:"archived"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// validateMeta checks a description and tags.
func validateMeta(what, description string, tags map[string]string) error {
	if len(description) > MaxDescriptionLen {
		return Errorf(EINVALID, "%s: description is %d characters long; the limit is %d", what, len(description), MaxDescriptionLen)
	}
	if len(tags) > MaxTags {
		return Errorf(EINVALID, "%s has %d tags; the limit is %d", what, len(tags), MaxTags)
	}
	for k, val := range tags {
		if k == "" || len(k) > MaxTagKeyLen || !utf8.ValidString(k) {
			return Errorf(EINVALID, "%s: tag key %q must be 1-%d characters of UTF-8", what, truncate(k, 80), MaxTagKeyLen)
		}
		if len(val) > MaxTagValueLen || !utf8.ValidString(val) {
			return Errorf(EINVALID, "%s: tag %q has a value over %d characters or not UTF-8", what, truncate(k, 80), MaxTagValueLen)
		}
	}
	return nil
}

// AssetRef is a reference to a data version as users write it:
// name:version, name@latest, optionally prefixed azureml: or lathe:.
type AssetRef struct {
	Name    string
	Version string // "" with Latest
	Latest  bool
}

// String formats the reference as name:version or name@latest.
func (r AssetRef) String() string {
	if r.Latest {
		return r.Name + "@latest"
	}
	return r.Name + ":" + r.Version
}

// ParseAssetRef parses "name:version", "name@latest", or either with an
// "azureml:" or "lathe:" prefix. A bare name is refused unless bareLatest,
// in which case it means name@latest.
func ParseAssetRef(s string, bareLatest bool) (AssetRef, error) {
	in := s
	for _, p := range []string{"azureml:", "lathe:"} {
		if rest, ok := strings.CutPrefix(s, p); ok && !strings.HasPrefix(rest, "//") {
			s = rest
			break
		}
	}
	var r AssetRef
	if name, label, ok := strings.Cut(s, "@"); ok {
		if label != "latest" {
			return r, Errorf(EINVALID, "asset reference %q: the only label is @latest", truncate(in, 120))
		}
		r = AssetRef{Name: name, Latest: true}
	} else if name, ver, ok := strings.Cut(s, ":"); ok {
		if err := ValidateDataVersion(ver); err != nil {
			return r, fmt.Errorf("asset reference %q: %w", truncate(in, 120), err)
		}
		r = AssetRef{Name: name, Version: ver}
	} else if bareLatest {
		r = AssetRef{Name: s, Latest: true}
	} else {
		return r, Errorf(EINVALID, "asset reference %q needs a version: write name:version or name@latest", truncate(in, 120))
	}
	if err := ValidateName("data asset", r.Name); err != nil {
		return r, fmt.Errorf("asset reference %q: %w", truncate(in, 120), err)
	}
	return r, nil
}

// DatastoreURI builds azureml://datastores/<ds>/paths/<p>.
func DatastoreURI(datastore, path string) string {
	return "azureml://datastores/" + datastore + "/paths/" + path
}

// ParseDatastoreURI splits azureml://datastores/<ds>/paths/<p> (or the
// lathe:// synonym) into the datastore name and the path inside it; ok is
// false for a string of another form. The path is checked like a manifest
// path, so it cannot climb out of the datastore; an empty path (the whole
// datastore) or a trailing slash is allowed.
func ParseDatastoreURI(s string) (datastore, path string, ok bool, err error) {
	rest, found := strings.CutPrefix(s, "azureml://datastores/")
	if !found {
		if rest, found = strings.CutPrefix(s, "lathe://datastores/"); !found {
			return "", "", false, nil
		}
	}
	ds, p, found := strings.Cut(rest, "/paths/")
	if !found {
		if ds, found = strings.CutSuffix(rest, "/paths"); !found {
			return "", "", true, Errorf(EINVALID, "datastore URI %q must look like azureml://datastores/<datastore>/paths/<path>", truncate(s, 200))
		}
	}
	if err := ValidateName("datastore", ds); err != nil {
		return "", "", true, fmt.Errorf("datastore URI %q: %w", truncate(s, 200), err)
	}
	p = strings.TrimSuffix(p, "/")
	if p != "" {
		if err := ValidateDataPath(p); err != nil {
			return "", "", true, fmt.Errorf("datastore URI %q: %w", truncate(s, 200), err)
		}
	}
	return ds, p, true, nil
}
