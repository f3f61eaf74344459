package spec

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/latheml/lathe"
)

// RefKind classifies a reference.
type RefKind string

// Reference kinds.
const (
	RefAsset     RefKind = "asset"      // azureml:<name>:<version>, azureml:<name>@<label> or azureml:<name>
	RefRegistry  RefKind = "registry"   // azureml://registries/<r>/<type>/<name>/versions/<v> or /labels/<l>
	RefDatastore RefKind = "datastore"  // azureml://datastores/<ds>/paths/<p>
	RefJobOutput RefKind = "job_output" // azureml://jobs/<job>/outputs/<o>[/paths/<p>]
	RefURL       RefKind = "url"        // http:// or https://
	RefLocal     RefKind = "local"      // a path on the submitting machine
)

// Registry asset types in azureml://registries/<r>/<type>/... references.
var registryTypes = []string{"environments", "models", "components", "data"}

// MaxRefLen bounds a reference string.
const MaxRefLen = 4096

// Ref is a parsed reference to an asset, a place in a datastore, a job's
// output, a URL or a local path. Raw is the string as written.
type Ref struct {
	Kind RefKind
	Raw  string
	// Name, Version and Label name an asset (RefAsset) or a registry asset
	// (RefRegistry). An asset with neither Version nor Label was written
	// without one (azureml:name); callers decide whether that means latest.
	Name    string
	Version string
	Label   string
	// Registry and AssetType ("environments", "models", "components",
	// "data") locate a registry asset.
	Registry  string
	AssetType string
	// Datastore and Path locate data in a datastore; Path is also the path
	// inside a job output, and the path itself for RefLocal (as written,
	// relative to the YAML file's directory unless absolute).
	Datastore string
	Path      string
	// Job and Output name a job output.
	Job    string
	Output string
}

// String returns the reference in canonical form: the azureml: prefix, a
// local path as written.
func (r Ref) String() string {
	switch r.Kind {
	case RefAsset:
		switch {
		case r.Version != "":
			return "azureml:" + r.Name + ":" + r.Version
		case r.Label != "":
			return "azureml:" + r.Name + "@" + r.Label
		}
		return "azureml:" + r.Name
	case RefRegistry:
		s := "azureml://registries/" + r.Registry + "/" + r.AssetType + "/" + r.Name
		if r.Version != "" {
			return s + "/versions/" + r.Version
		}
		return s + "/labels/" + r.Label
	case RefDatastore:
		return lathe.DatastoreURI(r.Datastore, r.Path)
	case RefJobOutput:
		s := "azureml://jobs/" + r.Job + "/outputs/" + r.Output
		if r.Path != "" {
			s += "/paths/" + r.Path
		}
		return s
	}
	return r.Raw
}

// IsLatest reports whether an asset reference asks for the newest version:
// @latest, or no version at all.
func (r Ref) IsLatest() bool {
	return (r.Kind == RefAsset || r.Kind == RefRegistry) && r.Version == "" && (r.Label == "" || r.Label == "latest")
}

// refErr is the error of a malformed reference.
func refErr(s, format string, args ...any) error {
	return lathe.Errorf(lathe.EINVALID, "reference %q %s", clip(s, 200), fmt.Sprintf(format, args...))
}

// ParseRef parses and classifies a reference. Names are checked with
// lathe.ValidateName and paths inside datastores and job outputs with
// lathe.ValidateDataPath, so neither can climb out of where it points. A
// string with no scheme is a local path; http(s) URLs may not carry
// credentials; other schemes (wasbs, abfss, s3, runs, ...) are refused.
func ParseRef(s string) (Ref, error) {
	r := Ref{Raw: s}
	if s == "" {
		return r, lathe.Errorf(lathe.EINVALID, "reference is empty")
	}
	if len(s) > MaxRefLen {
		return r, lathe.Errorf(lathe.EINVALID, "reference %q is %d bytes long; the limit is %d", clip(s, 80), len(s), MaxRefLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return r, refErr(s, "has the control character %q at byte %d", rune(c), i)
		}
	}
	for _, p := range []string{"azureml://", "lathe://"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return parseURIRef(s, rest)
		}
	}
	for _, p := range []string{"azureml:", "lathe:"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return parseAssetRef(s, rest)
		}
	}
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return r, refErr(s, "is not a valid URL; write https://host/path")
		}
		if u.User != nil {
			return r, refErr(s, "carries credentials; Lathe refuses URLs with user:password because they end up in logs")
		}
		r.Kind = RefURL
		return r, nil
	}
	if rest, ok := strings.CutPrefix(s, "file:"); ok {
		if strings.HasPrefix(rest, "//") {
			rest = strings.TrimPrefix(rest, "//")
			if !strings.HasPrefix(rest, "/") {
				return r, refErr(s, "names a host; write file:///absolute/path or a relative path")
			}
		}
		if rest == "" {
			return r, refErr(s, "has no path after file:")
		}
		r.Kind, r.Path = RefLocal, rest
		return r, nil
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok && isScheme(scheme) {
		return r, refErr(s, "uses the scheme %s:, which Lathe cannot read; use azureml://datastores/<ds>/paths/<p> (register the storage as a datastore), an http(s) URL or a local path", scheme)
	}
	for _, p := range []string{"runs:/", "models:/"} {
		if strings.HasPrefix(s, p) {
			return r, refErr(s, "is an MLflow URI; use azureml://jobs/<job>/outputs/<output> or azureml:<model>:<version>")
		}
	}
	r.Kind, r.Path = RefLocal, s
	return r, nil
}

func isScheme(s string) bool {
	if len(s) < 2 {
		return false // a Windows drive letter, part of a local path
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// parseAssetRef parses what follows azureml: (not azureml://).
func parseAssetRef(s, rest string) (Ref, error) {
	r := Ref{Raw: s, Kind: RefAsset}
	if strings.HasPrefix(rest, "/") {
		return r, refErr(s, "looks like an Azure resource id; write azureml:<name>:<version> or azureml:<name>@latest")
	}
	name := rest
	if n, label, ok := strings.Cut(rest, "@"); ok {
		name, r.Label = n, label
		if err := lathe.ValidateName("label", label); err != nil {
			return r, fmt.Errorf("reference %q: %w", clip(s, 200), err)
		}
	} else if n, ver, ok := strings.Cut(rest, ":"); ok {
		name, r.Version = n, ver
		if strings.EqualFold(ver, "latest") {
			return r, refErr(s, "names version %q; write azureml:%s@latest for the newest version", ver, clip(n, 80))
		}
		if err := checkVersion(ver); err != nil {
			return r, fmt.Errorf("reference %q: %w", clip(s, 200), err)
		}
	}
	if err := lathe.ValidateName("asset", name); err != nil {
		return r, fmt.Errorf("reference %q: %w", clip(s, 200), err)
	}
	r.Name = name
	return r, nil
}

// parseURIRef parses what follows azureml:// (or lathe://).
func parseURIRef(s, rest string) (Ref, error) {
	r := Ref{Raw: s}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch seg[0] {
	case "datastores":
		ds, p, _, err := lathe.ParseDatastoreURI("azureml://" + rest)
		if err != nil {
			return r, err
		}
		r.Kind, r.Datastore, r.Path = RefDatastore, ds, p
		return r, nil
	case "jobs":
		if len(seg) < 4 || seg[2] != "outputs" || (len(seg) > 4 && (len(seg) < 6 || seg[4] != "paths")) {
			return r, refErr(s, "must look like azureml://jobs/<job>/outputs/<output> or azureml://jobs/<job>/outputs/<output>/paths/<path>")
		}
		if err := lathe.ValidateName("job", seg[1]); err != nil {
			return r, fmt.Errorf("reference %q: %w", clip(s, 200), err)
		}
		if !isIdent(seg[3]) {
			return r, refErr(s, "names the output %q; output names are letters, digits and _", clip(seg[3], 80))
		}
		r.Kind, r.Job, r.Output = RefJobOutput, seg[1], seg[3]
		if len(seg) > 4 {
			p := strings.TrimSuffix(strings.Join(seg[5:], "/"), "/")
			if p != "" {
				if err := lathe.ValidateDataPath(p); err != nil {
					return r, fmt.Errorf("reference %q: %w", clip(s, 200), err)
				}
			}
			r.Path = p
		}
		return r, nil
	case "registries":
		if len(seg) != 6 || (seg[4] != "versions" && seg[4] != "labels") {
			return r, refErr(s, "must look like azureml://registries/<registry>/<type>/<name>/versions/<version> or .../labels/<label>")
		}
		ok := false
		for _, t := range registryTypes {
			ok = ok || seg[2] == t
		}
		if !ok {
			return r, refErr(s, "names the registry asset type %q; use one of %s", clip(seg[2], 40), strings.Join(registryTypes, ", "))
		}
		for _, c := range []struct{ kind, v string }{{"registry", seg[1]}, {"asset", seg[3]}} {
			if err := lathe.ValidateName(c.kind, c.v); err != nil {
				return r, fmt.Errorf("reference %q: %w", clip(s, 200), err)
			}
		}
		r.Kind, r.Registry, r.AssetType, r.Name = RefRegistry, seg[1], seg[2], seg[3]
		if seg[4] == "versions" {
			if err := checkVersion(seg[5]); err != nil {
				return r, fmt.Errorf("reference %q: %w", clip(s, 200), err)
			}
			r.Version = seg[5]
		} else {
			if err := lathe.ValidateName("label", seg[5]); err != nil {
				return r, fmt.Errorf("reference %q: %w", clip(s, 200), err)
			}
			r.Label = seg[5]
		}
		return r, nil
	case "subscriptions":
		return r, refErr(s, "is an Azure resource id; write azureml:<name>:<version>")
	}
	return r, refErr(s, "is not a form Lathe knows; use azureml://datastores/<ds>/paths/<p>, azureml://jobs/<job>/outputs/<o> or azureml://registries/<r>/<type>/<name>/versions/<v>")
}

// ParseComputeName reads a compute reference: azureml:<name>, lathe:<name>
// or a bare name.
func ParseComputeName(s string) (string, error) {
	name := s
	for _, p := range []string{"azureml:", "lathe:"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			name = rest
			break
		}
	}
	if err := lathe.ValidateName("compute", name); err != nil {
		return "", fmt.Errorf("compute %q: %w", clip(s, 120), err)
	}
	return name, nil
}

// CheckOutputPath checks a local output path: it must stay inside the job's
// directory (relative, and no .. that climbs out of it).
func CheckOutputPath(p string) error {
	bad := func(why string) error {
		return lathe.Errorf(lathe.EINVALID, "output path %q %s; give a path inside the job directory such as outputs/model, or azureml://datastores/<ds>/paths/<p>", clip(p, 200), why)
	}
	if p == "" {
		return bad("is empty")
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || len(p) > 1 && p[1] == ':' {
		return bad("is absolute")
	}
	depth := 0
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		switch seg {
		case ".":
		case "..":
			depth--
			if depth < 0 {
				return bad("climbs out of the job directory")
			}
		default:
			depth++
		}
	}
	return nil
}
