package lathe

import (
	"fmt"
	"strings"
	"time"
)

// Job types.
const (
	JobTypeCommand  = "command"
	JobTypePipeline = "pipeline"
)

// Limits on a pipeline as submitted.
const (
	MaxPipelineYAML  = 256 << 10
	MaxPipelineSteps = 1000
	// MaxPipelineComponents bounds the pipeline component files sent with
	// a pipeline.
	MaxPipelineComponents = 100
)

// PipelineSpec is a pipeline job as submitted: the pipelineJob YAML as
// written (the server parses it again, so errors keep their file and line)
// with what the client uploaded for it. Steps that name a component file
// (component: ./train.yml) find it in Components, registered anonymously
// beforehand; inline steps with a code folder find its snapshot in Code;
// local data inputs were uploaded as data versions listed in Uploads.
type PipelineSpec struct {
	File string   `json:"file" doc:"file name the YAML came from (for error positions)"`
	YAML string   `json:"yaml" doc:"the pipelineJob YAML text"`
	Set  []string `json:"set,omitempty" doc:"--set key=value overrides applied to the YAML"`
	// Components maps a step's component: value as written to the
	// component it runs (name:version): a local file to the anonymous
	// component the client registered it as, and (set by the server at
	// submit) a registered pipeline component reference such as
	// azureml:sub@latest to the version it was pinned to.
	Components map[string]string `json:"components,omitempty" doc:"component: value as written → registered name:version"`
	// Pipelines holds the pipeline component files (not registered ones,
	// which the server loads itself) that type: pipeline steps name (at any
	// depth), by path relative to the pipeline's file
	// (spec.LocalKey): their YAML text, which the server parses. Component
	// files and code of their steps are in Components and Code like the
	// pipeline's own, keyed by path relative to the pipeline's file and by
	// the inlined step name (<step>_<inner step>).
	Pipelines map[string]string `json:"pipelines,omitempty" doc:"pipeline component files of type: pipeline steps → their YAML text"`
	// Code holds the code snapshots of inline steps, by step name.
	Code map[string]CodeSnapshot `json:"code,omitempty" doc:"code snapshots of inline steps, by step name"`
	// Uploads maps local data inputs to the data versions they were
	// uploaded as: "inputs.<x>" for a pipeline input, "jobs.<step>.inputs.<x>"
	// for a step's.
	Uploads map[string]string `json:"uploads,omitempty" doc:"inputs.<x> or jobs.<step>.inputs.<x> → azureml:<name>:<version> of uploaded local data"`
	// ForceRerun runs every step even when an earlier run could be reused
	// (lathe job create --force-rerun); ForceSteps does so for some steps.
	ForceRerun bool     `json:"force_rerun,omitempty"`
	ForceSteps []string `json:"force_steps,omitempty"`
}

// Validate checks sizes and names; the YAML is checked by the parser.
func (s *PipelineSpec) Validate() error {
	if strings.TrimSpace(s.YAML) == "" {
		return Errorf(EINVALID, "the pipeline's YAML is empty; give a pipelineJob document with jobs:")
	}
	if len(s.YAML) > MaxPipelineYAML {
		return Errorf(ETOOLARGE, "the pipeline's YAML is %d bytes; the limit is %d", len(s.YAML), MaxPipelineYAML)
	}
	if len(s.Components) > MaxPipelineSteps || len(s.Code) > MaxPipelineSteps || len(s.Uploads) > MaxPipelineSteps*MaxJobInputs {
		return Errorf(ETOOLARGE, "the pipeline names more components, code folders or uploads than it can have steps (%d)", MaxPipelineSteps)
	}
	if len(s.Pipelines) > MaxPipelineComponents {
		return Errorf(ETOOLARGE, "the pipeline names %d pipeline component files; the limit is %d", len(s.Pipelines), MaxPipelineComponents)
	}
	for k, y := range s.Pipelines {
		if len(y) > MaxPipelineYAML {
			return Errorf(ETOOLARGE, "pipeline component %s is %d bytes; the limit is %d", k, len(y), MaxPipelineYAML)
		}
	}
	for k, c := range s.Code {
		if err := c.Manifest.Validate(); err != nil {
			return fmt.Errorf("code of step %s: %w", k, err)
		}
	}
	return nil
}

// PipelineStep is one step of a pipeline job as it runs: its state
// (pending, ready, queued, running, completed, failed, canceled, skipped,
// reused) and the command job that ran it, or the earlier job whose
// outputs it reused.
type PipelineStep struct {
	Step  string `json:"step"`
	Index int    `json:"index" doc:"position in run order"`
	State string `json:"state" doc:"pending, queued, running, completed, failed, canceled, skipped or reused"`
	// Job is the step's command job; for a reused step, the earlier job
	// whose outputs it took.
	Job    string `json:"job,omitempty"`
	JobID  string `json:"-"`
	Reused bool   `json:"reused,omitempty"`
	// Component is the component the step ran (name:version), "" for an
	// inline command.
	Component string   `json:"component,omitempty"`
	CacheKey  Digest   `json:"cache_key,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Deps      []string `json:"deps,omitempty" doc:"the steps it reads from"`
	// StartedAt and EndedAt are the step job's (filled in when read).
	StartedAt *time.Time `json:"started_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// StepCacheEntry says which completed job's outputs a step with a given
// cache key may reuse.
type StepCacheEntry struct {
	WorkspaceID string    `json:"-"`
	Key         Digest    `json:"key"`
	JobID       string    `json:"-"`
	Job         string    `json:"job"`
	Step        string    `json:"step"`
	CreatedAt   time.Time `json:"created_at"`
}
