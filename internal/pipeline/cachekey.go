package pipeline

import (
	"crypto/sha256"
	"sort"
	"strconv"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

// KeyParts are what a step's outputs depend on; CacheKey digests them.
// Two runs of a deterministic step with equal parts produce equal outputs,
// so the later one may reuse the earlier one's.
type KeyParts struct {
	// Component is the step's component as name:version, "" for an inline
	// command step; ComponentDigest is the digest of the component's
	// definition (the content address of an anonymous component).
	Component       string
	ComponentDigest lathe.Digest
	// Command is the command template as written, before binding.
	Command string
	// Code is the digest of the code snapshot ("" without code).
	Code lathe.Digest
	// Environment is the digest of the environment's definition.
	Environment lathe.Digest
	// EnvironmentVariables are the step's environment_variables.
	EnvironmentVariables map[string]string
	// Inputs are the step's concrete inputs by name; an optional input left
	// unset is absent.
	Inputs map[string]KeyInput
	// Outputs maps each output's name to its type.
	Outputs map[string]string
	// Deterministic is the component's is_deterministic.
	Deterministic bool
}

// KeyInput is one input as the cache key sees it: data by the digest of
// the data version it resolved to, a literal by its type and text.
type KeyInput struct {
	Type  string
	Data  lathe.Digest
	Value string
}

// keyVersion starts every encoding; a change to the encoding changes it,
// so keys of different encodings never collide.
const keyVersion = "lathe step cache key v1"

// CacheKey returns the sha256 digest of the canonical encoding of p.
//
// The encoding is a sequence of netstrings (the string's length in decimal
// bytes, ':', the bytes, ','), so no two different sequences encode alike:
//
//	key      = ns(keyVersion) ns(Component) ns(ComponentDigest) ns(Command)
//	           ns(Code) ns(Environment)
//	           ns(count) { ns(name) ns(value) }               environment variables
//	           ns(count) { ns(name) ns(type) ns(data) ns(value) }  inputs
//	           ns(count) { ns(name) ns(type) }                outputs
//	           ns("true" | "false")                           deterministic
//
// Map entries are written in ascending byte order of their names, so the
// key does not depend on map order, and a nil map encodes like an empty
// one.
func CacheKey(p KeyParts) lathe.Digest {
	h := sha256.New()
	var buf []byte
	ns := func(s string) {
		buf = strconv.AppendInt(buf[:0], int64(len(s)), 10)
		buf = append(buf, ':')
		buf = append(buf, s...)
		buf = append(buf, ',')
		h.Write(buf)
	}
	ns(keyVersion)
	ns(p.Component)
	ns(string(p.ComponentDigest))
	ns(p.Command)
	ns(string(p.Code))
	ns(string(p.Environment))
	ns(strconv.Itoa(len(p.EnvironmentVariables)))
	for _, k := range sortedKeys(p.EnvironmentVariables) {
		ns(k)
		ns(p.EnvironmentVariables[k])
	}
	ns(strconv.Itoa(len(p.Inputs)))
	for _, k := range sortedKeys(p.Inputs) {
		in := p.Inputs[k]
		ns(k)
		ns(in.Type)
		ns(string(in.Data))
		ns(in.Value)
	}
	ns(strconv.Itoa(len(p.Outputs)))
	for _, k := range sortedKeys(p.Outputs) {
		ns(k)
		ns(p.Outputs[k])
	}
	ns(strconv.FormatBool(p.Deterministic))
	return lathe.NewDigest(h.Sum(nil))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Reuse is what decides whether a step may reuse an earlier run.
type Reuse struct {
	// Deterministic is the component's is_deterministic (true for inline
	// command steps, as in Azure ML).
	Deterministic bool
	// ForceStep, ForcePipeline and ForceSubmit are force_rerun set on the
	// step, in the pipeline's settings, or by lathe job create --force-rerun.
	ForceStep, ForcePipeline, ForceSubmit bool
}

// Reusable reports whether a step may take an earlier run's outputs: it is
// deterministic and nobody forced it to rerun.
func Reusable(r Reuse) bool {
	return r.Deterministic && !r.ForceStep && !r.ForcePipeline && !r.ForceSubmit
}

// StepReuse returns the Reuse of a pipeline's step: deterministic unless
// its component says is_deterministic: false, or its component has not
// been loaded (then it is never reused); forced by the pipeline's
// settings.force_rerun or by forceSubmit. Steps have no force_rerun of
// their own in the YAML; the caller sets ForceStep when its API has one.
func StepReuse(p *spec.PipelineJob, step string, forceSubmit bool) Reuse {
	r := Reuse{ForcePipeline: p.Settings.ForceRerun, ForceSubmit: forceSubmit}
	if s := p.Jobs[step]; s != nil {
		r.ForceStep = s.ForceRerun
		switch {
		case s.Component != nil:
			r.Deterministic = s.Component.IsDeterministic
		case s.ComponentRef == nil:
			r.Deterministic = true
		}
	}
	return r
}
