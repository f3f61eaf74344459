package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/latheml/lathe"
)

// EnvironmentRequest creates an environment version: Azure's
// environment.schema.json fields, with the files it names (conda_file, or
// a requirements file) sent as their contents.
type EnvironmentRequest struct {
	Version     string            `json:"version,omitempty" doc:"omit to get one more than the largest numeric version"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Image       string            `json:"image,omitempty" doc:"container image (needs a container runtime on the compute)"`
	CondaFile   string            `json:"conda_file,omitempty" doc:"contents of a conda environment YAML; its pip list (and other dependencies) are installed with pip"`
	// Requirements is the contents of a pip requirements file.
	Requirements string `json:"requirements,omitempty" doc:"contents of a pip requirements file"`
}

// EnvironmentSpecOf builds an environment spec from an image, a conda YAML
// and a requirements file (each may be empty).
func EnvironmentSpecOf(image, conda, requirements string) (lathe.EnvironmentSpec, error) {
	spec := lathe.EnvironmentSpec{Image: image, CondaFile: conda}
	if len(conda) > lathe.MaxEnvFileSize || len(requirements) > lathe.MaxEnvFileSize {
		return spec, lathe.Errorf(lathe.ETOOLARGE, "a conda or requirements file is over %d bytes", lathe.MaxEnvFileSize)
	}
	if conda != "" {
		py, pkgs, err := parseConda(conda)
		if err != nil {
			return spec, err
		}
		spec.Python, spec.Packages = py, pkgs
	}
	for _, line := range strings.Split(requirements, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		spec.Packages = append(spec.Packages, line)
	}
	return spec, spec.Validate()
}

// condaFile is the part of a conda environment YAML that matters here.
type condaFile struct {
	Name         string   `yaml:"name"`
	Channels     []string `yaml:"channels"`
	Dependencies []any    `yaml:"dependencies"`
	Prefix       string   `yaml:"prefix"`
	Variables    any      `yaml:"variables"`
}

// parseConda reads a conda YAML's dependencies: python=X is the Python
// version asked for, pip and setuptools come with every environment, the
// pip: list is taken as it is, and other conda packages are installed with
// pip under the same name (name=1.2 becomes name==1.2).
func parseConda(text string) (python string, pkgs []string, err error) {
	var c condaFile
	if err := yaml.NewDecoder(bytes.NewReader([]byte(text)), yaml.DisallowUnknownField()).Decode(&c); err != nil {
		return "", nil, lathe.Errorf(lathe.EINVALID, "conda_file: %s", yaml.FormatError(err, false, true))
	}
	for i, d := range c.Dependencies {
		switch v := d.(type) {
		case string:
			name, ver := condaPackage(v)
			switch strings.ToLower(name) {
			case "python":
				python = ver
			case "pip", "setuptools", "wheel":
			case "":
				return "", nil, lathe.Errorf(lathe.EINVALID, "conda_file: dependencies[%d] %q is not a package", i, v)
			default:
				if ver != "" {
					pkgs = append(pkgs, name+"=="+ver)
				} else {
					pkgs = append(pkgs, name)
				}
			}
		case map[string]any:
			list, ok := v["pip"].([]any)
			if !ok || len(v) != 1 {
				return "", nil, lathe.Errorf(lathe.EINVALID, "conda_file: dependencies[%d] must be a package or pip: [list of pip requirements]", i)
			}
			for j, p := range list {
				s, ok := p.(string)
				if !ok {
					return "", nil, lathe.Errorf(lathe.EINVALID, "conda_file: dependencies[%d].pip[%d] must be a requirement string", i, j)
				}
				pkgs = append(pkgs, strings.TrimSpace(s))
			}
		default:
			return "", nil, lathe.Errorf(lathe.EINVALID, "conda_file: dependencies[%d] must be a package name or a pip list", i)
		}
	}
	return python, pkgs, nil
}

// condaPackage splits a conda match spec "name=1.2", "name==1.2",
// "name>=1", "channel::name=1.2=build" into name and version (empty for
// none or a range, which pip reads as it is).
func condaPackage(s string) (name, version string) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "::"); i >= 0 {
		s = s[i+2:]
	}
	i := strings.IndexAny(s, "=<>!~ ")
	if i < 0 {
		return s, ""
	}
	name, rest := s[:i], strings.TrimSpace(s[i:])
	if strings.HasPrefix(rest, "==") {
		rest = rest[2:]
	} else if strings.HasPrefix(rest, "=") {
		rest = rest[1:]
	} else {
		return s, "" // a range: pip reads it as written
	}
	version, _, _ = strings.Cut(rest, "=") // drop a build string
	return name, strings.TrimSuffix(version, "*")
}

// CreateEnvironment creates an environment version.
func (s *Service) CreateEnvironment(ctx context.Context, ws, actor, name string, req EnvironmentRequest) (*lathe.Environment, error) {
	if err := lathe.ValidateName("environment", name); err != nil {
		return nil, err
	}
	spec, err := EnvironmentSpecOf(req.Image, req.CondaFile, req.Requirements)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", name, err)
	}
	e := &lathe.Environment{WorkspaceID: ws, Name: name, Version: req.Version, Kind: spec.Kind(), Description: req.Description,
		Tags: req.Tags, Spec: spec, Digest: spec.Digest(), CreatedBy: actor}
	check := *e
	if check.Version == "" {
		check.Version = "1"
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		if req.Version == "" {
			n, err := s.o.Store.NextEnvironmentVersion(ctx, ws, name)
			if err != nil {
				return nil, err
			}
			e.Version = strconv.FormatInt(n, 10)
		}
		e.CreatedAt = s.now()
		err := s.o.Store.CreateEnvironment(ctx, e)
		if req.Version == "" && lathe.IsCode(err, lathe.ECONFLICT) && try < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return e, nil
	}
}

// Environment returns an environment version; version "latest" (or "")
// is the newest.
func (s *Service) Environment(ctx context.Context, ws, name, version string) (*lathe.Environment, error) {
	if version == "" || version == "latest" {
		return s.o.Store.LatestEnvironment(ctx, ws, name)
	}
	return s.o.Store.Environment(ctx, ws, name, version)
}

// Environments lists the newest version of each environment by name.
func (s *Service) Environments(ctx context.Context, ws, after string, limit int) ([]*lathe.Environment, error) {
	return s.o.Store.ListEnvironments(ctx, ws, after, limit)
}

// EnvironmentVersions lists an environment's versions, newest first.
func (s *Service) EnvironmentVersions(ctx context.Context, ws, name string, offset, limit int) ([]*lathe.Environment, error) {
	return s.o.Store.ListEnvironmentVersions(ctx, ws, name, offset, limit)
}

// resolvedEnv is the environment a job runs in.
type resolvedEnv struct {
	label string // host, name:version, or inline
	spec  lathe.EnvironmentSpec
	note  string // how a mapped name was resolved, for the job's events
}

// resolveEnvironment turns a job's environment reference into the
// environment it runs in: host by default; a workspace environment by
// azureml:<name>:<version> or @latest; an Azure registry or curated name
// through the configured map (host when the map has no entry).
func (s *Service) resolveEnvironment(ctx context.Context, ws string, ref string, inline *lathe.EnvironmentSpec) (resolvedEnv, error) {
	if inline != nil {
		return resolvedEnv{label: "inline", spec: *inline}, nil
	}
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.EqualFold(ref, lathe.HostEnvironment) {
		return resolvedEnv{label: lathe.HostEnvironment}, nil
	}
	if strings.HasPrefix(ref, "azureml://registries/") || strings.HasPrefix(ref, "lathe://registries/") {
		return s.mapped(ctx, ws, ref, registryEnvName(ref))
	}
	e, name, err := s.workspaceEnv(ctx, ws, ref)
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		// lathe-builtin is the environment of the built-in components: the
		// lathe binary itself, which every compute has.
		if _, ok := s.o.EnvironmentMap[name]; ok || strings.HasPrefix(strings.ToLower(name), "azureml-") || name == BuiltinEnvironment {
			return s.mapped(ctx, ws, ref, name)
		}
		return resolvedEnv{}, lathe.Errorf(lathe.ENOTFOUND, "environment %q not found in this workspace; create it with `lathe environment create -f env.yml`, or use environment: host", ref)
	}
	if err != nil {
		return resolvedEnv{}, err
	}
	return resolvedEnv{label: e.Name + ":" + e.Version, spec: e.Spec}, nil
}

// EnvironmentDigest is the content address of the environment a job with
// this reference (or inline environment) would run in now: a reference
// such as azureml:sk@latest digests the spec of the version it resolves
// to, so a new version with other contents changes it.
func (s *Service) EnvironmentDigest(ctx context.Context, ws, ref string, inline *lathe.EnvironmentSpec) (lathe.Digest, error) {
	env, err := s.resolveEnvironment(ctx, ws, ref, inline)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(env.spec) // what it is, not what it is called
	if err != nil {
		return "", fmt.Errorf("environment digest: %w", err)
	}
	sum := sha256.Sum256(b)
	return lathe.NewDigest(sum[:]), nil
}

// workspaceEnv looks up azureml:<name>:<version>, azureml:<name>@latest or
// a bare name (the newest version); it returns the name either way.
func (s *Service) workspaceEnv(ctx context.Context, ws, ref string) (*lathe.Environment, string, error) {
	bare := strings.TrimPrefix(strings.TrimPrefix(ref, "azureml:"), "lathe:")
	name, version := bare, ""
	if n, label, ok := strings.Cut(bare, "@"); ok {
		if label != "latest" {
			return nil, n, lathe.Errorf(lathe.EINVALID, "environment %q: the only label is @latest", ref)
		}
		name = n
	} else if n, v, ok := strings.Cut(bare, ":"); ok {
		name, version = n, v
	}
	if err := lathe.ValidateName("environment", name); err != nil {
		return nil, name, fmt.Errorf("environment %q: %w", ref, err)
	}
	e, err := s.Environment(ctx, ws, name, version)
	return e, name, err
}

// mapped resolves an Azure environment name through the configured map:
// to host, or to an environment of the workspace.
func (s *Service) mapped(ctx context.Context, ws, ref, name string) (resolvedEnv, error) {
	target, ok := s.o.EnvironmentMap[ref]
	if !ok {
		target, ok = s.o.EnvironmentMap[name]
	}
	if !ok || target == "" || strings.EqualFold(target, lathe.HostEnvironment) {
		return resolvedEnv{label: lathe.HostEnvironment, note: fmt.Sprintf("environment %s runs on the compute's host environment (no mapping is configured for %s)", ref, name)}, nil
	}
	e, _, err := s.workspaceEnv(ctx, ws, target)
	if err != nil {
		return resolvedEnv{}, fmt.Errorf("environment %s is mapped to %s by the server's environment map: %w", ref, target, err)
	}
	label := e.Name + ":" + e.Version
	return resolvedEnv{label: label, spec: e.Spec, note: fmt.Sprintf("environment %s is mapped to %s", ref, label)}, nil
}

// BuiltinEnvironment is the environment the built-in components name
// (azureml:lathe-builtin@latest); unless a workspace defines or the server
// maps it, it runs on the host.
const BuiltinEnvironment = "lathe-builtin"

// registryEnvName is the environment name in an azureml://registries/<r>/environments/<name>/... reference.
func registryEnvName(ref string) string {
	parts := strings.Split(ref, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "environments" {
			return parts[i+1]
		}
	}
	return ref
}
