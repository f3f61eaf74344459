package pipelines

import (
	"path"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

// flattenNested loads the pipeline component files of a pipeline's
// type: pipeline steps from the spec (PipelineSpec.Pipelines, by their
// path relative to the pipeline's file) and inlines their steps
// (spec.Flatten), so that everything after sees a pipeline of command
// steps named <step>_<inner step>. Registered pipeline components are not
// supported: a pipeline component is a file sent with the pipeline.
func flattenNested(file string, ps *lathe.PipelineSpec, p *spec.PipelineJob) (*spec.PipelineJob, error) {
	err := spec.ResolveNested(p, func(key string, st *spec.PipelineStep) (*spec.PipelineComponent, error) {
		src, ok := ps.Pipelines[key]
		if !ok {
			return nil, lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: the pipeline component file %s was not sent with the pipeline; submit with `lathe job create -f`, which sends the pipeline component files its steps name", st.Pos, st.Name, st.ComponentRef.Raw)
		}
		name := path.Clean(key)
		if d := path.Dir(file); d != "." && !path.IsAbs(key) {
			name = path.Join(d, key)
		}
		doc, err := spec.ParseKind(spec.KindPipelineComponent, name, []byte(src))
		if err != nil {
			return nil, err
		}
		return doc.(*spec.PipelineComponent), nil
	})
	if err != nil {
		return nil, err
	}
	return spec.Flatten(p)
}
