package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/spec"
)

// SubmitRequest submits a command job. Local paths (the code folder, local
// inputs) have been uploaded by the client: the code as a snapshot, local
// inputs as data versions.
type SubmitRequest struct {
	// Name is the job's name (default: a generated one).
	Name string        `json:"name,omitempty" doc:"unique in the workspace; generated when left out"`
	Spec lathe.JobSpec `json:"spec"`
}

// Blobs checks that a workspace holds a blob (the code snapshot's
// manifest).
type Blobs interface {
	Stat(ctx context.Context, workspaceID string, d lathe.Digest) (*lathe.Blob, error)
}

// reserved folders of a job's directory that outputs cannot use.
var reserved = []string{"wd", "inputs", "logs", "exec.log", "tmp"}

// Submit validates a job, resolves its compute, environment and inputs,
// creates its MLflow run and queues it.
func (s *Service) Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req SubmitRequest) (*lathe.Job, error) {
	sp := req.Spec
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	if _, err := spec.References(sp.Command); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	name := req.Name
	if name != "" {
		if err := lathe.ValidateName("job", name); err != nil {
			return nil, err
		}
		if _, err := s.o.Store.Job(ctx, ws.ID, name); err == nil {
			return nil, lathe.Errorf(lathe.ECONFLICT, "job %q exists already in workspace %s; job names are unique: choose another --name or leave it out", name, ws.Name)
		} else if !lathe.IsCode(err, lathe.ENOTFOUND) {
			return nil, err
		}
	}

	// Compute: it must exist, run here, and be big enough for the job.
	compute := lathe.ComputeName(sp.Compute)
	pool, err := s.pool(ctx, ws.ID, compute)
	if err != nil {
		return nil, fmt.Errorf("compute %q: %w", compute, err)
	}
	if err := checkFits(compute, pool, need(sp.Resources)); err != nil {
		return nil, err
	}
	sp.Compute = compute

	env, err := s.resolveEnvironment(ctx, ws.ID, sp.Environment, sp.InlineEnvironment)
	if err != nil {
		return nil, err
	}
	if env.spec.Kind() == lathe.EnvImage && s.o.ContainerRuntime == "" {
		return nil, lathe.Errorf(lathe.EUNSUPPORTED, "environment %s runs in the container image %s, but compute %s has no container runtime configured (podman or docker); run the job on host or in a python environment, or ask the administrator to configure one",
			env.label, env.spec.Image, compute)
	}

	if sp.Code != nil {
		if err := sp.Code.Manifest.Validate(); err != nil {
			return nil, fmt.Errorf("code: %w", err)
		}
		if s.o.Blobs != nil {
			if _, err := s.o.Blobs.Stat(ctx, ws.ID, sp.Code.Manifest); err != nil {
				return nil, fmt.Errorf("code snapshot: %w (upload the code first; `lathe job create` does it)", err)
			}
		}
	}
	if err := normalizeOutputs(sp.Outputs); err != nil {
		return nil, err
	}
	lineage, err := s.resolveInputs(ctx, ws, p.UserName, sp.Inputs)
	if err != nil {
		return nil, err
	}

	if name == "" {
		name = newJobName()
	}
	now := s.now()
	j := &lathe.Job{WorkspaceID: ws.ID, Workspace: ws.Name, ID: lathe.NewID(), Name: name, Type: "command", Status: lathe.JobQueued,
		Compute: compute, Environment: env.label, Spec: sp, CreatedAt: now, UpdatedAt: now, CreatedBy: p.UserName, CreatedByID: p.UserID}
	if s.o.Tracker != nil {
		j.ExperimentID, j.RunID, err = s.o.Tracker.StartRun(ctx, ws.ID, runStart(j))
		if err != nil {
			return nil, fmt.Errorf("create the job's MLflow run: %w", err)
		}
	}
	msg := "submitted by " + p.UserName
	if env.note != "" {
		msg += "; " + env.note
	}
	for try := 0; ; try++ {
		err = s.o.Store.CreateJob(ctx, j, lathe.JobEvent{At: now, Status: lathe.JobQueued, Message: msg}, lineage)
		if lathe.IsCode(err, lathe.ECONFLICT) && req.Name == "" && try < 3 {
			j.Name = newJobName()
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	s.o.Logger.Info("job submitted", "workspace", ws.Name, "job", j.Name, "compute", compute, "environment", env.label, "by", p.UserName)
	s.enqueue(j, pool)
	return j, nil
}

// runStart describes a job's MLflow run: named after the job, with its
// literal inputs as params.
func runStart(j *lathe.Job) RunStart {
	sp := j.Spec
	r := RunStart{Experiment: sp.ExperimentName, Name: sp.DisplayName, User: j.CreatedBy, Start: j.CreatedAt}
	if r.Name == "" {
		r.Name = j.Name
	}
	r.Tags = []lathe.Tag{{Key: "lathe.job", Value: j.Name}, {Key: "mlflow.user", Value: j.CreatedBy},
		{Key: "mlflow.source.type", Value: "JOB"}, {Key: "mlflow.source.name", Value: j.Name}}
	if sp.Description != "" {
		r.Tags = append(r.Tags, lathe.Tag{Key: "mlflow.note.content", Value: sp.Description})
	}
	if sp.Code != nil && sp.Code.GitCommit != "" {
		r.Tags = append(r.Tags, lathe.Tag{Key: "mlflow.source.git.commit", Value: sp.Code.GitCommit})
	}
	keys := make([]string, 0, len(sp.Tags))
	for k := range sp.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.Tags = append(r.Tags, lathe.Tag{Key: k, Value: sp.Tags[k]})
	}
	names := make([]string, 0, len(sp.Inputs))
	for k := range sp.Inputs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if in := sp.Inputs[k]; in.IsLiteral() && in.Value != nil {
			r.Params = append(r.Params, lathe.Tag{Key: k, Value: *in.Value})
		}
	}
	return r
}

// normalizeOutputs fills in defaults and checks that output folders stay
// apart from each other and from the job's own folders.
func normalizeOutputs(outs map[string]lathe.JobOutput) error {
	dirs := map[string]string{}
	for name, o := range outs {
		if o.Type == "" {
			o.Type = lathe.DataURIFolder
		}
		if o.Mode == "" {
			o.Mode = lathe.ModeRWMount
		}
		outs[name] = o
		d := o.OutputDir(name)
		for _, r := range reserved {
			if d == r || strings.HasPrefix(d, r+"/") {
				return lathe.Errorf(lathe.EINVALID, "outputs.%s.path %q is inside the job's %s folder, which Lathe uses; choose another folder such as outputs/%s", name, d, r, name)
			}
		}
		dirs[name] = d
	}
	for a, da := range dirs {
		for b, db := range dirs {
			if a < b && (da == db || strings.HasPrefix(da, db+"/") || strings.HasPrefix(db, da+"/")) {
				return lathe.Errorf(lathe.EINVALID, "outputs %s and %s share the folder %s; give each output its own folder", a, b, min(da, db))
			}
		}
	}
	return nil
}

// resolveInputs checks literal inputs and resolves data inputs to data
// versions of the workspace, returning the lineage rows.
func (s *Service) resolveInputs(ctx context.Context, ws *lathe.Workspace, actor string, ins map[string]lathe.JobInput) ([]lathe.JobLineage, error) {
	names := make([]string, 0, len(ins))
	for k := range ins {
		names = append(names, k)
	}
	sort.Strings(names)
	var lineage []lathe.JobLineage
	for _, name := range names {
		in := ins[name]
		if in.IsLiteral() {
			if in.Type == "" {
				in.Type = lathe.InputString
			}
			if err := checkLiteral(name, in); err != nil {
				return nil, err
			}
			ins[name] = in
			continue
		}
		if in.Mode == "" {
			in.Mode = lathe.ModeROMount
		}
		if in.Path == "" { // an optional input left unset
			ins[name] = in
			continue
		}
		v, err := s.resolveData(ctx, ws, actor, name, in)
		if err != nil {
			return nil, fmt.Errorf("inputs.%s: %w", name, err)
		}
		if v != nil {
			if err := checkDataType(name, in.Type, v); err != nil {
				return nil, err
			}
			in.Data = v.Name + ":" + v.Version
			lineage = append(lineage, lathe.JobLineage{Direction: "input", Port: name, DataName: v.Name, DataVersion: v.Version})
		}
		ins[name] = in
	}
	return lineage, nil
}

func checkLiteral(name string, in lathe.JobInput) error {
	if in.Value == nil {
		return nil
	}
	v := *in.Value
	var err error
	switch in.Type {
	case lathe.InputInteger:
		_, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	case lathe.InputNumber:
		_, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
	case lathe.InputBoolean:
		if l := strings.ToLower(v); l != "true" && l != "false" {
			err = fmt.Errorf("not true or false")
		}
	}
	if err != nil {
		return lathe.Errorf(lathe.EINVALID, "inputs.%s is of type %s, but its value %q is not one", name, in.Type, v)
	}
	return nil
}

// checkDataType makes sure a data version suits the input's type.
func checkDataType(name, want string, v *lathe.DataVersion) error {
	ok := false
	switch want {
	case lathe.DataURIFile:
		ok = v.Type == lathe.DataURIFile
	case lathe.DataURIFolder:
		// A single file is staged as a folder holding it.
		ok = v.Type == lathe.DataURIFolder || v.Type == lathe.DataMLTable || v.Type == lathe.DataURIFile
	case lathe.ModelMLflow:
		ok = v.Type == lathe.DataURIFolder || v.Type == lathe.DataMLTable
	case lathe.DataMLTable:
		ok = v.Type == lathe.DataMLTable
	case lathe.ModelCustom:
		ok = true
	}
	if !ok {
		return lathe.Errorf(lathe.EINVALID, "inputs.%s is a %s, but %s:%s is a %s; change the input's type or point it at a %s", name, want, v.Name, v.Version, v.Type, want)
	}
	return nil
}

// resolveData finds the data version an input's path names; it returns
// nil for a URL (the wrapper downloads it).
func (s *Service) resolveData(ctx context.Context, ws *lathe.Workspace, actor, name string, in lathe.JobInput) (*lathe.DataVersion, error) {
	p := in.Path
	if s.o.Data == nil {
		return nil, lathe.Errorf(lathe.EUNAVAILABLE, "the data service is not available")
	}
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			return nil, lathe.Errorf(lathe.EINVALID, "URL %q is not valid", p)
		}
		return nil, nil
	}
	if job, out, ok, err := lathe.ParseJobOutputURI(p); ok {
		if err != nil {
			return nil, err
		}
		j, err := s.o.Store.Job(ctx, ws.ID, job)
		if err != nil {
			return nil, err
		}
		o, found := j.Spec.Outputs[out]
		if !found {
			return nil, lathe.Errorf(lathe.ENOTFOUND, "job %s has no output %q (its outputs: %s)", job, out, strings.Join(keys(j.Spec.Outputs), ", "))
		}
		if o.Data == "" {
			return nil, lathe.Errorf(lathe.ECONFLICT, "job %s is %s and has not registered output %s; wait for it to complete", job, j.Status, out)
		}
		ref, err := lathe.ParseAssetRef(o.Data, false)
		if err != nil {
			return nil, err
		}
		return s.o.Data.Version(ctx, ws.ID, ref)
	}
	if other, rest, ok := workspaceDataRef(p); ok {
		if other != ws.Name {
			return nil, lathe.Errorf(lathe.EFORBIDDEN, "%s is data of workspace %s; a job reads data of its own workspace (%s) only: copy it into this workspace with `lathe data create`", p, other, ws.Name)
		}
		p = rest
	}
	if _, _, ok, err := lathe.ParseDatastoreURI(p); ok {
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(p))
		anon := "azureml_anon_" + hex.EncodeToString(sum[:8])
		return s.o.Data.CreateVersion(ctx, ws.ID, actor, anon, data.VersionSpec{Type: dataType(in.Type), Path: p,
			Description: "data of " + p + ", as read by a job"})
	}
	if strings.HasPrefix(p, "azureml:") || strings.HasPrefix(p, "lathe:") {
		ref, err := lathe.ParseAssetRef(p, true)
		if err != nil {
			return nil, err
		}
		return s.o.Data.Version(ctx, ws.ID, ref)
	}
	if strings.Contains(p, "://") {
		return nil, lathe.Errorf(lathe.EUNSUPPORTED, "path %q: use azureml:<name>:<version>, azureml:<name>@latest, azureml://datastores/<ds>/paths/<p>, azureml://jobs/<job>/outputs/<o> or an http(s) URL", p)
	}
	return nil, lathe.Errorf(lathe.EINVALID, "path %q is a local path; `lathe job create` uploads local paths as data versions at submit (or create a data asset first and give azureml:<name>:<version>)", p)
}

// workspaceDataRef reads Azure's long data references, which name a
// workspace: azureml://subscriptions/<s>/resourcegroups/<g>/workspaces/<w>/data/<n>/versions/<v>
// or azureml://workspaces/<w>/data/<n>/versions/<v>. It returns the
// workspace and the short form azureml:<n>:<v>.
func workspaceDataRef(p string) (ws, short string, ok bool) {
	rest, found := strings.CutPrefix(p, "azureml://")
	if !found {
		return "", "", false
	}
	i := strings.Index(rest, "workspaces/")
	if i < 0 || (i > 0 && !strings.HasPrefix(rest, "subscriptions/")) {
		return "", "", false
	}
	parts := strings.Split(rest[i:], "/")
	// workspaces/<w>/data/<n>/versions/<v>
	if len(parts) != 6 || parts[2] != "data" || parts[4] != "versions" {
		return "", "", false
	}
	return parts[1], "azureml:" + parts[3] + ":" + parts[5], true
}

// dataType is the data asset type of an input or output type.
func dataType(t string) string {
	switch t {
	case lathe.DataURIFile:
		return lathe.DataURIFile
	case lathe.DataMLTable:
		return lathe.DataMLTable
	}
	return lathe.DataURIFolder
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
