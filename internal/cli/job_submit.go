package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/spec"
)

// readJobFile reads and parses a command job YAML, applying --set
// assignments. Errors from the parser name file:line and are returned as
// they are.
func readJobFile(file string, sets []string) (*spec.CommandJob, error) {
	src, err := readLimited(file, lathe.MaxJobSpecSize, "a job spec")
	if err != nil {
		return nil, err
	}
	doc, err := spec.Parse(file, src)
	if err != nil {
		return nil, err
	}
	if err := spec.CheckSupported(doc); err != nil {
		return nil, err
	}
	switch d := doc.(type) {
	case *spec.CommandJob:
	case *spec.CommandComponent:
		if d.Schema != "" {
			return nil, lathe.Errorf(lathe.EINVALID, "%s is a command component ($schema says so), not a command job; register components with lathe component create, or use the commandJob schema", file)
		}
		// Without $schema, version or is_deterministic made it look like
		// a component: read it as the job it was meant to be, so those
		// fields are reported with their lines.
		if doc, err = spec.ParseKind(spec.KindCommandJob, file, src); err != nil {
			return nil, err
		}
	case *spec.PipelineJob:
		return nil, lathe.Errorf(lathe.EINVALID, "%s is a pipeline job, not a command job; submit it with lathe job create -f %s (a pipeline file has type: pipeline and jobs:)", file, file)
	default:
		return nil, lathe.Errorf(lathe.EINVALID, "%s is a %s document, not a command job; lathe job create takes a commandJob (command, code, environment, inputs, outputs)", file, doc.Kind())
	}
	if len(sets) > 0 {
		if doc, err = spec.Set(doc, sets...); err != nil {
			return nil, err
		}
	}
	return doc.(*spec.CommandJob), nil
}

// readLimited reads a file of at most limit bytes, refusing a larger one
// before reading it.
func readLimited(file string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &usageError{lathe.Errorf(lathe.EINVALID, "-f %s: %v", file, err)}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s is %d bytes; %s is at most %d bytes (put scripts in the code folder and data in data assets)", file, fi.Size(), what, limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if int64(len(b)) > limit {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s is over %d bytes; %s is at most that", file, limit, what)
	}
	return b, nil
}

// localInput is a data input on this machine, uploaded at submit.
type localInput struct {
	Input string // the input's name
	Path  string // the local path, relative to the YAML file's folder already applied
	Type  string // uri_file, uri_folder or mltable
}

// jobPlan is a command job converted to a submit request, with what must
// be uploaded before it is sent.
type jobPlan struct {
	Name    string // the YAML's name, if any
	Spec    lathe.JobSpec
	CodeDir string       // the local code folder, or ""
	Locals  []localInput // local data inputs, by input name
}

// readFunc reads a file named in the YAML (a conda or requirements file).
type readFunc func(path string) ([]byte, error)

// jobSpecOf converts a parsed command job into a submit request. Relative
// local paths are resolved against dir, the YAML file's folder; files the
// environment names are read with read. It does no other I/O.
func jobSpecOf(j *spec.CommandJob, dir string, read readFunc) (*jobPlan, error) {
	p := &jobPlan{Name: j.Name}
	s := &p.Spec
	s.Command = j.Command.Text
	s.Compute = j.Compute
	s.ExperimentName = j.ExperimentName
	s.DisplayName = j.DisplayName
	s.Description = j.Description
	s.Tags = j.Tags
	s.EnvironmentVariables = j.EnvironmentVariables
	s.Timeout = int64(j.Limits.Timeout.Seconds())
	if r := j.Resources; r != nil {
		s.Resources = lathe.JobResources{CPU: float64(r.CPUMilli) / 1000, Memory: r.Memory}
	}
	if j.Code != nil {
		p.CodeDir = localPath(dir, j.Code.Path)
	}
	if e := j.Environment; e != nil {
		switch {
		case e.Ref != nil:
			s.Environment = e.Ref.Raw
		case e.Inline != nil && e.Inline.Host:
			s.Environment = lathe.HostEnvironment
		case e.Inline != nil:
			es, err := environmentSpecOf(e.Inline, dir, read)
			if err != nil {
				return nil, fmt.Errorf("%s: environment: %w", e.Pos, err)
			}
			s.InlineEnvironment = &es
		}
	}
	fragOnly := fragmentOnlyInputs(j.Command.Text, j.EnvironmentVariables)
	if len(j.Inputs) > 0 {
		s.Inputs = map[string]lathe.JobInput{}
	}
	for _, name := range sortedNames(j.Inputs) {
		in := j.Inputs[name]
		switch {
		case in.Value != nil:
			v := in.Value.Text
			ji := lathe.JobInput{Type: in.Value.Type, Value: &v}
			if v == "" && in.Value.Type == spec.TypeString && fragOnly[name] {
				// An empty value of an input used only inside $[[ ... ]]
				// leaves it unset: its fragments are dropped.
				ji.Value, ji.Optional = nil, true
			}
			s.Inputs[name] = ji
		case in.Path != nil:
			ji := lathe.JobInput{Type: in.Type, Mode: in.Mode}
			switch in.Path.Kind {
			case spec.RefLocal:
				p.Locals = append(p.Locals, localInput{Input: name, Path: localPath(dir, in.Path.Path), Type: localDataType(in.Type)})
			case spec.RefAsset, spec.RefRegistry, spec.RefDatastore, spec.RefJobOutput:
				ji.Path = in.Path.String()
			default:
				ji.Path = in.Path.Raw
			}
			s.Inputs[name] = ji
		default:
			return nil, lathe.Errorf(lathe.EINVALID, "%s: inputs.%s has neither a value nor a path", in.Pos, name)
		}
	}
	if len(j.Outputs) > 0 {
		s.Outputs = map[string]lathe.JobOutput{}
	}
	for _, name := range sortedNames(j.Outputs) {
		o := j.Outputs[name]
		jo := lathe.JobOutput{Type: o.Type, Mode: o.Mode, Name: o.AssetName, Version: o.AssetVersion, Description: o.Description}
		switch {
		case o.PathTemplate != "":
			jo.Path = o.PathTemplate
		case o.Path != nil && o.Path.Kind == spec.RefLocal:
			jo.Path = o.Path.Path
		case o.Path != nil:
			jo.Path = o.Path.String()
		}
		s.Outputs[name] = jo
	}
	return p, nil
}

// localPath resolves a path written in a YAML file against its folder.
func localPath(dir, p string) string {
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// localDataType is the data type a local input is uploaded as: models are
// folders.
func localDataType(t string) string {
	switch t {
	case lathe.DataURIFile, lathe.DataMLTable:
		return t
	}
	return lathe.DataURIFolder
}

// fragmentOnlyInputs returns the inputs that the command (and the
// environment variables) name only inside $[[ ... ]] fragments.
func fragmentOnlyInputs(command string, vars map[string]string) map[string]bool {
	out := map[string]bool{}
	outside := map[string]bool{}
	texts := []string{command}
	for _, v := range vars {
		texts = append(texts, v)
	}
	for _, t := range texts {
		exprs, err := spec.References(t)
		if err != nil {
			continue
		}
		for _, x := range exprs {
			if len(x.Path) != 2 || x.Path[0] != "inputs" {
				continue
			}
			if x.Optional {
				out[x.Path[1]] = true
			} else {
				outside[x.Path[1]] = true
			}
		}
	}
	for k := range outside {
		delete(out, k)
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// environmentSpecOf builds what an environment YAML (a document or an
// inline environment) asks for: the image, and the packages of its conda
// file (a file next to the YAML, or inline) or requirements file.
func environmentSpecOf(e *spec.Environment, dir string, read readFunc) (lathe.EnvironmentSpec, error) {
	conda, reqs, err := environmentFiles(e, dir, read)
	if err != nil {
		return lathe.EnvironmentSpec{}, err
	}
	return jobs.EnvironmentSpecOf(e.Image, conda, reqs)
}

// environmentFiles returns the text of an environment's conda file and
// requirements file ("" when it has none). An inline conda mapping is
// written out as conda YAML.
func environmentFiles(e *spec.Environment, dir string, read readFunc) (conda, reqs string, err error) {
	if e.CondaFile != nil {
		b, err := read(localPath(dir, e.CondaFile.Path))
		if err != nil {
			return "", "", fmt.Errorf("conda_file: %w", err)
		}
		conda = string(b)
	}
	if e.Conda != nil {
		if conda, err = condaYAML(e.Conda); err != nil {
			return "", "", err
		}
	}
	if e.RequirementsFile != nil {
		b, err := read(localPath(dir, e.RequirementsFile.Path))
		if err != nil {
			return "", "", fmt.Errorf("requirements_file: %w", err)
		}
		reqs = string(b)
	}
	return conda, reqs, nil
}

// condaYAML writes an inline conda mapping as a conda environment file.
func condaYAML(c *spec.Conda) (string, error) {
	deps := []any{}
	if c.Python != "" {
		deps = append(deps, "python="+c.Python)
	}
	for _, p := range c.Packages {
		deps = append(deps, p)
	}
	if len(c.Pip) > 0 {
		deps = append(deps, "pip", map[string]any{"pip": c.Pip})
	}
	doc := map[string]any{"dependencies": deps}
	if c.Name != "" {
		doc["name"] = c.Name
	}
	if len(c.Channels) > 0 {
		doc["channels"] = c.Channels
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode the inline conda file: %w", err)
	}
	return string(b), nil
}

// readSpecFile reads a file an environment names, bounded by the
// environment file limit.
func readSpecFile(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "%v (paths are relative to the YAML file)", err)
	}
	if len(b) > lathe.MaxEnvFileSize {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s is %d bytes; the limit is %d", p, len(b), lathe.MaxEnvFileSize)
	}
	return b, nil
}

// anonDataName is the anonymous data asset a local input is uploaded as:
// named after its contents, so the same files submitted again are found
// instead of stored twice.
func anonDataName(d lathe.Digest) string {
	h := d.Hex()
	if len(h) > 12 {
		h = h[:12]
	}
	return "azureml_anon_" + h
}

// SubmitResult is a created job with what its submit uploaded.
type SubmitResult struct {
	lathe.Job
	URL    string            `json:"url"`
	Code   *CodeResult       `json:"code,omitempty"`
	Inputs map[string]string `json:"uploaded_inputs,omitempty" doc:"local inputs and the data versions they became"`
}

// submit uploads a plan's code and local inputs and creates the job.
func (a *app) submit(ctx context.Context, c *client.Client, ws string, p *jobPlan, name string, parallel int) (*SubmitResult, error) {
	res := &SubmitResult{}
	if p.CodeDir != "" {
		cr, err := a.snapshotCode(ctx, c, ws, p.CodeDir, parallel)
		if err != nil {
			return nil, err
		}
		p.Spec.Code, res.Code = &cr.Snapshot, cr
	}
	for _, l := range p.Locals {
		ref, err := a.uploadInput(ctx, c, ws, l, parallel)
		if err != nil {
			return nil, fmt.Errorf("inputs.%s (%s): %w", l.Input, l.Path, err)
		}
		in := p.Spec.Inputs[l.Input]
		in.Path = ref
		p.Spec.Inputs[l.Input] = in
		if res.Inputs == nil {
			res.Inputs = map[string]string{}
		}
		res.Inputs[l.Input] = ref
	}
	if name == "" {
		name = p.Name
	}
	j, err := c.CreateJob(ctx, ws, client.SubmitRequest{Name: name, Spec: p.Spec})
	if err != nil {
		return nil, err
	}
	res.Job, res.URL = *j, jobURL(c, ws, j.Name)
	return res, nil
}

// uploadInput uploads a local input as an anonymous data version (or
// finds the one made from the same files before) and returns its
// azureml:<name>:<version> reference.
func (a *app) uploadInput(ctx context.Context, c *client.Client, ws string, l localInput, parallel int) (string, error) {
	_, m, err := a.uploadTree(ctx, c, ws, l.Path, l.Type, false, parallel)
	if err != nil {
		return "", err
	}
	d := lathe.ManifestDigest(m)
	name := anonDataName(d)
	if v, err := c.DataVersion(ctx, ws, name, "latest"); err == nil && v.Digest == d && v.Type == l.Type {
		return "azureml:" + v.Name + ":" + v.Version, nil
	} else if err != nil && !lathe.IsCode(err, lathe.ENOTFOUND) {
		return "", err
	}
	v, err := c.CreateDataVersion(ctx, ws, name, client.VersionSpec{Type: l.Type, Manifest: m,
		Description: "uploaded by lathe job create from " + filepath.Base(l.Path), Tags: map[string]string{"lathe.anonymous": "true"}})
	if err != nil {
		return "", err
	}
	return "azureml:" + v.Name + ":" + v.Version, nil
}

// jobURL is a job's page in the studio.
func jobURL(c *client.Client, ws, name string) string {
	return strings.TrimRight(c.URL(), "/") + "/ui/w/" + ws + "/jobs/" + name
}
