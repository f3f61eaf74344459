package spec

import (
	"strings"

	"github.com/latheml/lathe"
)

// MaxImageLen bounds a container image reference.
const MaxImageLen = 512

// Environment is Azure's environment: how a command runs. Lathe offers
// three ways: the host as it is (host: true), a Python virtual environment
// built from a conda file's pip list or from a requirements file, or a
// container image (optionally with a conda file's pip list installed into
// it). Azure's Docker build contexts are refused.
type Environment struct {
	Meta
	Pos         Pos
	Name        string
	Version     string
	Description string
	Tags        map[string]string
	Properties  map[string]string
	// Host runs commands on the compute's host with its own python3 and
	// tools (a Lathe extension).
	Host bool
	// Image is a container image reference.
	Image string
	// CondaFile is a conda YAML on the submitting machine, relative to the
	// YAML file; Conda is an inline one. Lathe installs their pip lists.
	CondaFile *Ref
	Conda     *Conda
	// RequirementsFile is a pip requirements file on the submitting
	// machine, relative to the YAML file (a Lathe extension).
	RequirementsFile *Ref
	// OSType is "linux" or "".
	OSType string
}

// Kind implements Document.
func (*Environment) Kind() Kind { return KindEnvironment }

var environmentSchema = schema{
	name: "environment",
	fields: []string{"$schema", "name", "version", "description", "tags", "properties",
		"host", "image", "conda_file", "requirements_file", "os_type"},
	rejected: withRefused(map[string]string{
		"build":            "image builds are not supported; build and push the image, then give image: <reference>",
		"inference_config": "custom serving containers are not supported yet",
		"datastore":        "environment files are read by the CLI and stored with the environment; there is nothing to upload to a datastore",
		"channels":         "channels belongs in the conda file; give conda_file: <file> or an inline conda_file mapping",
		"dependencies":     "dependencies belongs in the conda file; give conda_file: <file> or an inline conda_file mapping",
		"latest_version":   "it is set by the server; remove it",
	}),
}

// decodeEnvironment reads an environment document or an inline one (path
// is the field's path, "" for a document).
func decodeEnvironment(d *dec, n *node, m Meta, path string) *Environment {
	env := &Environment{Meta: m, Pos: n.pos}
	where := path
	if where == "" {
		where = "environment"
	}
	d.fields(n, &environmentSchema, where, func(c *entry) {
		p := join(path, c.key)
		switch c.key {
		case "name":
			env.Name = d.name(c, p, "environment")
		case "version":
			env.Version = d.version(c, p)
		case "description":
			env.Description = d.text(c, p, lathe.MaxDescriptionLen)
		case "tags":
			env.Tags = d.tags(c, p)
		case "properties":
			env.Properties = d.tags(c, p)
		case "host":
			env.Host = d.boolean(c, p)
		case "image":
			env.Image = d.reqStr(c, p)
			if len(env.Image) > MaxImageLen || strings.ContainsAny(env.Image, " \t\n") {
				d.errf(c.val.pos, "%s %q is not an image reference like python:3.12-slim or registry/name:tag", p, clip(env.Image, 80))
			}
		case "conda_file":
			if c.val.kind == nMap {
				env.Conda = decodeConda(d, c.val, p)
			} else {
				env.CondaFile = d.localFile(c, p)
			}
		case "requirements_file":
			env.RequirementsFile = d.localFile(c, p)
		case "os_type":
			if s := strings.ToLower(d.str(c, p)); s != "linux" {
				d.errf(c.val.pos, "%s %q is not supported; Lathe runs Linux environments", p, clip(s, 40))
			} else {
				env.OSType = s
			}
		}
	})
	python := env.CondaFile != nil || env.Conda != nil
	switch {
	case env.Host && (env.Image != "" || python || env.RequirementsFile != nil):
		d.errf(n.pos, "%s: host: true runs on the host as it is; remove image, conda_file and requirements_file, or host", where)
	case python && env.RequirementsFile != nil:
		d.errf(n.pos, "%s has both conda_file and requirements_file; give one", where)
	case !env.Host && env.Image == "" && !python && env.RequirementsFile == nil:
		d.errf(n.pos, "%s defines nothing to run in; give image, conda_file, requirements_file, or host: true", where)
	}
	return env
}

// localFile reads a file path on the submitting machine.
func (d *dec) localFile(c *entry, p string) *Ref {
	s := d.reqStr(c, p)
	if s == "" {
		return nil
	}
	r, err := ParseRef(s)
	if err != nil {
		d.errf(c.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
		return nil
	}
	if r.Kind != RefLocal {
		d.errf(c.val.pos, "%s must be a file next to this YAML (a local path), not a %s reference", p, r.Kind)
		return nil
	}
	return &r
}

// Conda is what Lathe takes from a conda environment file.
type Conda struct {
	Name     string
	Channels []string
	// Python is the python dependency's version constraint ("3.10" from
	// python=3.10), or "".
	Python string
	// Pip lists the pip requirements, in order.
	Pip []string
	// Packages lists the other conda packages. A virtual environment cannot
	// provide them; the builder reports them.
	Packages  []string
	Variables map[string]string
}

var condaSchema = schema{
	name:   "conda file",
	fields: []string{"name", "channels", "dependencies", "prefix", "variables"},
}

// ParseConda parses a conda environment file (environment.yml).
func ParseConda(filename string, src []byte) (*Conda, error) {
	if len(src) > MaxFileSize {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s is %d bytes; a conda file is at most %d bytes", filename, len(src), MaxFileSize)
	}
	p := &problems{}
	root := load(filename, src, p)
	if root == nil {
		return nil, p.err()
	}
	c := decodeConda(&dec{p: p}, root, "")
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func decodeConda(d *dec, n *node, path string) *Conda {
	c := &Conda{}
	where := path
	if where == "" {
		where = "conda file"
	}
	d.fields(n, &condaSchema, where, func(e *entry) {
		p := join(path, e.key)
		switch e.key {
		case "name":
			c.Name = d.str(e, p)
		case "channels":
			c.Channels = d.strList(e, p)
		case "variables":
			c.Variables = d.strMap(e, p, MaxEnvVars)
		case "dependencies":
			d.condaDeps(c, e, p)
		}
	})
	if n.kind != nMap {
		return c
	}
	return c
}

// condaDeps reads a conda dependency list: strings and one {pip: [...]}.
func (d *dec) condaDeps(c *Conda, e *entry, p string) {
	if e.val.kind != nSeq {
		if e.val.kind != nNull {
			d.errf(e.keyPos, "%s must be a list, not %s", p, describe(e.val))
		}
		return
	}
	for _, it := range e.val.items {
		switch it.kind {
		case nScalar:
			dep := strings.TrimSpace(it.text)
			name := dep
			if i := strings.IndexAny(dep, "=<>!~ "); i >= 0 {
				name = dep[:i]
			}
			switch strings.ToLower(name) {
			case "python":
				c.Python = strings.TrimLeft(strings.TrimSpace(dep[len(name):]), "=")
			case "pip":
			default:
				c.Packages = append(c.Packages, dep)
			}
		case nMap:
			for i := range it.entries {
				x := &it.entries[i]
				if x.key != "pip" {
					d.errf(x.keyPos, "%s: %q is not a dependency group; only pip: [...] is", p, clip(x.key, 60))
					continue
				}
				c.Pip = append(c.Pip, d.strList(x, p+".pip")...)
			}
		default:
			d.errf(it.pos, "%s: a dependency is a package spec or pip: [...], not %s", p, describe(it))
		}
	}
}
