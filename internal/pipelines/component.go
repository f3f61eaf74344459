package pipelines

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/builtin"
	"github.com/latheml/lathe/internal/spec"
)

// BuiltinPrefix starts the names of Lathe's built-in components
// (lathe.train_tabular ...), which no workspace can register.
const BuiltinPrefix = "lathe."

// ComponentRequest registers a component version.
type ComponentRequest struct {
	// Name and Version override the YAML's; a version left out everywhere
	// is the next number.
	Name    string              `json:"name,omitempty"`
	Version string              `json:"version,omitempty"`
	Spec    lathe.ComponentSpec `json:"spec"`
	// Anonymous registers the component by content digest (a pipeline's
	// component: ./file.yml); registering the same content again returns
	// the same component.
	Anonymous bool `json:"anonymous,omitempty"`
}

// parseComponent parses a component's YAML.
func parseComponent(sp lathe.ComponentSpec) (*spec.CommandComponent, error) {
	file := sp.File
	if file == "" {
		file = "component.yml"
	}
	if spec.ComponentKind(file, []byte(sp.YAML)) == spec.KindPipelineComponent {
		return nil, lathe.Errorf(lathe.EINVALID, "%s is a pipeline component; run it from a step with type: pipeline", file)
	}
	doc, err := spec.ParseKind(spec.KindCommandComponent, file, []byte(sp.YAML))
	if err != nil {
		return nil, err
	}
	if err := spec.CheckSupported(doc); err != nil {
		return nil, err
	}
	return doc.(*spec.CommandComponent), nil
}

// componentMeta is what CreateComponent stores about a component besides
// its YAML: of a command component, or of a pipeline component (checked to
// name no local files, and its steps' registered components to exist).
type componentMeta struct {
	Name, Version, DisplayName, Description string
	Tags                                    map[string]string
	IsDeterministic                         bool
}

// parseAnyComponent parses a component to register: a command component,
// or a pipeline component (type: pipeline) whose steps name registered
// components only.
func (s *Service) parseAnyComponent(ctx context.Context, ws string, sp lathe.ComponentSpec) (*componentMeta, error) {
	file := firstOf(sp.File, "component.yml")
	if spec.ComponentKind(file, []byte(sp.YAML)) != spec.KindPipelineComponent {
		cc, err := parseComponent(sp)
		if err != nil {
			return nil, err
		}
		return &componentMeta{cc.Name, cc.Version, cc.DisplayName, cc.Description, cc.Tags, cc.IsDeterministic}, nil
	}
	if sp.Code != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "%s: a pipeline component has no code folder; code belongs to the command components its steps run", file)
	}
	doc, err := spec.ParseKind(spec.KindPipelineComponent, file, []byte(sp.YAML))
	if err != nil {
		return nil, err
	}
	pc := doc.(*spec.PipelineComponent)
	if err := spec.CheckRegistrable(pc); err != nil {
		return nil, err
	}
	if err := s.checkStepComponents(ctx, ws, pc); err != nil {
		return nil, err
	}
	return &componentMeta{pc.Name, pc.Version, pc.DisplayName, pc.Description, pc.Tags, false}, nil
}

// checkStepComponents checks that the registered components a pipeline
// component's steps name exist, and are pipeline components exactly for
// type: pipeline steps.
func (s *Service) checkStepComponents(ctx context.Context, ws string, pc *spec.PipelineComponent) error {
	for _, name := range sortedKeys(pc.Jobs) {
		st := pc.Jobs[name]
		if st.Pipeline != nil && st.ComponentRef == nil {
			if err := s.checkStepComponents(ctx, ws, st.Pipeline); err != nil {
				return err
			}
		}
		r := st.ComponentRef
		if r == nil || r.Kind != spec.RefAsset {
			continue
		}
		ref := r.Raw
		if r.Version == "" && r.Label == "" {
			ref = "azureml:" + r.Name + "@latest"
		}
		c, err := s.Component(ctx, ws, ref)
		if err != nil {
			return fmt.Errorf("%s: jobs.%s: component %s: %w", st.Pos, name, r.Raw, err)
		}
		if isPipe := ComponentKind(c) == "pipeline"; isPipe != st.IsNested() {
			return lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: component %s is a %s component; a step with type: pipeline runs a pipeline component, any other step a command component", st.Pos, name, r.Raw, ComponentKind(c))
		}
	}
	return nil
}

// anonVersion is an anonymous component's version: the first 32 hex
// digits of its digest.
func anonVersion(d lathe.Digest) string {
	h := d.Hex()
	if len(h) > 32 {
		h = h[:32]
	}
	return h
}

// CreateComponent registers a component version. A version that exists
// with the same content is returned as it is; with other content it is
// lathe.ECONFLICT (versions are immutable).
func (s *Service) CreateComponent(ctx context.Context, ws, actor string, req ComponentRequest) (*lathe.Component, error) {
	if err := req.Spec.Validate(); err != nil {
		return nil, err
	}
	cc, err := s.parseAnyComponent(ctx, ws, req.Spec)
	if err != nil {
		return nil, err
	}
	c := &lathe.Component{WorkspaceID: ws, DisplayName: cc.DisplayName, Description: cc.Description, Tags: cc.Tags,
		IsDeterministic: cc.IsDeterministic, Digest: req.Spec.Digest(), Spec: req.Spec, CreatedAt: s.now(), CreatedBy: actor}
	if req.Anonymous {
		c.Name, c.Version, c.Anonymous = lathe.AnonymousComponent, anonVersion(c.Digest), true
	} else {
		c.Name, c.Version = firstOf(req.Name, cc.Name), firstOf(req.Version, cc.Version)
		if c.Name == "" {
			return nil, lathe.Errorf(lathe.EINVALID, "%s: the component has no name; add name: to the YAML or give --name", req.Spec.File)
		}
		if err := lathe.ValidateName("component", c.Name); err != nil {
			return nil, err
		}
		if strings.HasPrefix(c.Name, BuiltinPrefix) || c.Name == lathe.AnonymousComponent {
			return nil, lathe.Errorf(lathe.EINVALID, "component name %q is reserved for Lathe's own components; choose another name", c.Name)
		}
		if c.Version == "" {
			n, err := s.o.Store.NextComponentVersion(ctx, ws, c.Name)
			if err != nil {
				return nil, err
			}
			c.Version = strconv.FormatInt(n, 10)
		}
		if err := lathe.ValidateDataVersion(c.Version); err != nil {
			return nil, fmt.Errorf("component %s: %w", c.Name, err)
		}
	}
	if err := validateTags(c.Tags); err != nil {
		return nil, err
	}
	err = s.o.Store.CreateComponent(ctx, c)
	if lathe.IsCode(err, lathe.ECONFLICT) {
		old, gerr := s.o.Store.Component(ctx, ws, c.Name, c.Version)
		if gerr == nil && old.Digest == c.Digest {
			return old, nil
		}
	}
	if err != nil {
		return nil, err
	}
	s.o.Logger.Info("component registered", "component", c.Name+":"+c.Version, "by", actor)
	return c, nil
}

func validateTags(tags map[string]string) error {
	for k, v := range tags {
		if k == "" || len(k) > 250 || len(v) > 5000 {
			return lathe.Errorf(lathe.EINVALID, "tag %q: keys have 1-250 characters and values at most 5000", k)
		}
	}
	return nil
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Builtins returns Lathe's built-in components, by name.
func Builtins() []*lathe.Component {
	var out []*lathe.Component
	for _, b := range builtin.Components() {
		sp := lathe.ComponentSpec{File: "builtin/" + b.Name + ".yml", YAML: b.Spec}
		c := &lathe.Component{Name: BuiltinPrefix + b.Name, Version: "1", Builtin: true, Description: b.Summary, IsDeterministic: true,
			Digest: sp.Digest(), Spec: sp, CreatedBy: "lathe"}
		if cc, err := parseComponent(sp); err == nil {
			c.Name, c.Version, c.DisplayName, c.IsDeterministic = firstOf(cc.Name, c.Name), firstOf(cc.Version, "1"), cc.DisplayName, cc.IsDeterministic
			if cc.Description != "" {
				c.Description = cc.Description
			}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Component returns a component by reference: name:version, name@latest
// or a bare name (latest), with or without azureml:; built-in lathe.*
// components need no registration.
func (s *Service) Component(ctx context.Context, ws, ref string) (*lathe.Component, error) {
	r, err := lathe.ParseAssetRef(ref, true)
	if err != nil {
		return nil, fmt.Errorf("component reference: %w", err)
	}
	if strings.HasPrefix(r.Name, BuiltinPrefix) {
		for _, b := range Builtins() {
			if b.Name == r.Name && (r.Latest || r.Version == b.Version) {
				return b, nil
			}
		}
		return nil, lathe.Errorf(lathe.ENOTFOUND, "there is no built-in component %s; the built-ins are %s", r, strings.Join(builtinNames(), ", "))
	}
	if r.Latest {
		return s.o.Store.LatestComponent(ctx, ws, r.Name)
	}
	return s.o.Store.Component(ctx, ws, r.Name, r.Version)
}

func builtinNames() []string {
	var out []string
	for _, b := range Builtins() {
		out = append(out, b.Name+"@latest")
	}
	return out
}

// Components lists the newest version of each registered component by
// name (after the given name), with the built-in ones first on the first
// page.
func (s *Service) Components(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.Component, error) {
	list, err := s.o.Store.ListComponents(ctx, ws, archived, after, limit)
	if err != nil {
		return nil, err
	}
	if after == "" {
		list = append(Builtins(), list...)
	}
	return list, nil
}

// ComponentVersions lists a component's versions, newest first.
func (s *Service) ComponentVersions(ctx context.Context, ws, name string, offset, limit int) ([]*lathe.Component, error) {
	if strings.HasPrefix(name, BuiltinPrefix) {
		c, err := s.Component(ctx, ws, name)
		if err != nil {
			return nil, err
		}
		return []*lathe.Component{c}, nil
	}
	list, err := s.o.Store.ListComponentVersions(ctx, ws, name, offset, limit)
	if err == nil && len(list) == 0 && offset == 0 {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "component %q not found; `lathe component list` shows the workspace's components", name)
	}
	return list, err
}

// ArchiveComponent archives (or restores) a version: an archived version
// is not @latest any more but pipelines can still name it by version.
func (s *Service) ArchiveComponent(ctx context.Context, ws, name, version string, archived bool) (*lathe.Component, error) {
	if strings.HasPrefix(name, BuiltinPrefix) {
		return nil, lathe.Errorf(lathe.EINVALID, "%s is a built-in component; built-ins cannot be archived", name)
	}
	return s.o.Store.ArchiveComponent(ctx, ws, name, version, archived)
}
