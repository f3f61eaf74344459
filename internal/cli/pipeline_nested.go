package cli

import (
	"path"
	"path/filepath"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

// nestedPipelines reads the pipeline component files that a pipeline's
// type: pipeline steps name (at any depth, relative to the file that
// names them), puts their text in ps.Pipelines for the server, and returns
// the pipeline with their steps inlined (spec.Flatten): steps named
// <step>_<inner step> whose Dir says where their own files are. A pipeline
// without nested steps comes back as it is. Errors in a component file
// carry its file:line.
//
// A registered pipeline component (azureml:sub:1 or @latest) is fetched
// with find, to see its steps; the server loads (and pins) it itself.
func nestedPipelines(dir string, ps *lathe.PipelineSpec, p *spec.PipelineJob, find func(*spec.Ref) (*lathe.Component, error)) (*spec.PipelineJob, error) {
	err := spec.ResolveNested(p, func(key string, st *spec.PipelineStep) (*spec.PipelineComponent, error) {
		if r := st.ComponentRef; r.Kind == spec.RefAsset {
			c, err := find(r)
			if err != nil {
				return nil, lathe.Errorf(lathe.ErrorCode(err), "%s: jobs.%s: component %s: %s", st.Pos, st.Name, r.Raw, lathe.ErrorMessage(err))
			}
			file := firstNonEmpty(c.Spec.File, c.Name+".yml")
			if spec.ComponentKind(file, []byte(c.Spec.YAML)) != spec.KindPipelineComponent {
				return nil, lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: component %s is a command component, not a pipeline component; run it from a step without type: pipeline", st.Pos, st.Name, r.Raw)
			}
			doc, err := spec.ParseKind(spec.KindPipelineComponent, file, []byte(c.Spec.YAML))
			if err != nil {
				return nil, err
			}
			return doc.(*spec.PipelineComponent), nil
		}
		file := localPath(dir, key)
		src, err := readLimited(file, lathe.MaxPipelineYAML, "a pipeline component")
		if err != nil {
			return nil, lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: component %s: %s", st.Pos, st.Name, st.ComponentRef.Raw, lathe.ErrorMessage(err))
		}
		doc, err := spec.ParseKind(spec.KindPipelineComponent, file, src)
		if err != nil {
			return nil, err
		}
		if ps.Pipelines == nil {
			ps.Pipelines = map[string]string{}
		}
		ps.Pipelines[key] = string(src)
		return doc.(*spec.PipelineComponent), nil
	})
	if err != nil {
		return nil, err
	}
	return spec.Flatten(p)
}

// stepPath is a step's local path (component:, code:) relative to the
// pipeline's directory: dir is the step's Dir, "" for the pipeline's own.
func stepPath(dir, p string) string {
	if dir == "" || filepath.IsAbs(filepath.FromSlash(p)) {
		return p
	}
	return path.Join(dir, p)
}
