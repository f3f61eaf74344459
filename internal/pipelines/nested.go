package pipelines

import (
	"context"
	"fmt"
	"path"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

// findComponent finds a registered component by reference (name:version,
// name@latest, with or without azureml:); Service.Component is one.
type findComponent func(ref string) (*lathe.Component, error)

// flattenNested loads the pipeline components of a pipeline's
// type: pipeline steps and inlines their steps (spec.Flatten), so that
// everything after sees a pipeline of command steps named
// <step>_<inner step>. A component file comes from the spec
// (PipelineSpec.Pipelines, by its path relative to the pipeline's file); a
// registered one (azureml:sub:1 or azureml:sub@latest) from find, pinned
// in PipelineSpec.Components (reference as written → name:version) the
// first time, so that the pipeline loads the same version again after a
// restart even if @latest moved.
func flattenNested(file string, ps *lathe.PipelineSpec, p *spec.PipelineJob, find findComponent) (*spec.PipelineJob, error) {
	err := spec.ResolveNested(p, func(key string, st *spec.PipelineStep) (*spec.PipelineComponent, error) {
		if st.ComponentRef.Kind == spec.RefAsset {
			return registeredPipeline(ps, st, find)
		}
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

// registeredPipeline loads the registered pipeline component a step names,
// at the version pinned in ps.Components, else the one the reference
// names now (which it pins).
func registeredPipeline(ps *lathe.PipelineSpec, st *spec.PipelineStep, find findComponent) (*spec.PipelineComponent, error) {
	r := st.ComponentRef
	ref := ps.Components[r.Raw]
	if ref == "" {
		ref = r.Raw
		if r.Version == "" && r.Label == "" {
			ref = "azureml:" + r.Name + "@latest"
		}
	}
	if find == nil {
		return nil, lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: component %s: registered components cannot be loaded here", st.Pos, st.Name, r.Raw)
	}
	c, err := find(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: jobs.%s: component %s: %w", st.Pos, st.Name, r.Raw, err)
	}
	pc, err := parsePipelineComponent(c)
	if err != nil {
		return nil, fmt.Errorf("%s: jobs.%s: %w", st.Pos, st.Name, err)
	}
	if ps.Components[r.Raw] == "" {
		pins := make(map[string]string, len(ps.Components)+1)
		for k, v := range ps.Components {
			pins[k] = v
		}
		pins[r.Raw] = c.Name + ":" + c.Version
		ps.Components = pins
	}
	return pc, nil
}

// parsePipelineComponent parses a registered component that a
// type: pipeline step runs; a command component is an error saying so.
func parsePipelineComponent(c *lathe.Component) (*spec.PipelineComponent, error) {
	file := firstOf(c.Spec.File, c.Name+".yml")
	if spec.ComponentKind(file, []byte(c.Spec.YAML)) != spec.KindPipelineComponent {
		return nil, lathe.Errorf(lathe.EINVALID, "component %s:%s is a command component, not a pipeline component; run it from a step without type: pipeline", c.Name, c.Version)
	}
	doc, err := spec.ParseKind(spec.KindPipelineComponent, file, []byte(c.Spec.YAML))
	if err != nil {
		return nil, fmt.Errorf("component %s:%s: %w", c.Name, c.Version, err)
	}
	return doc.(*spec.PipelineComponent), nil
}

// ComponentKind is what a registered component runs: "pipeline" for a
// pipeline component, "command" otherwise (read from its YAML).
func ComponentKind(c *lathe.Component) string {
	if spec.ComponentKind(c.Spec.File, []byte(c.Spec.YAML)) == spec.KindPipelineComponent {
		return "pipeline"
	}
	return "command"
}

// pipelineFinder is Service.Component in a workspace, for flattenNested.
func (s *Service) pipelineFinder(ctx context.Context, ws string) findComponent {
	return func(ref string) (*lathe.Component, error) { return s.Component(ctx, ws, ref) }
}
