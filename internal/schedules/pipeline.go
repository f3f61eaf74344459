package schedules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/pipelines"
	"github.com/latheml/lathe/internal/spec"
)

// PipelineSubmitter submits pipeline jobs (the pipelines service).
type PipelineSubmitter interface {
	Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req pipelines.SubmitRequest) (*lathe.Job, error)
}

// Pipelines submits the pipeline jobs of schedules of kind pipeline: the
// schedule's PipelineSpec (YAML, registered components and uploads, as
// lathe job create -f pipeline.yml prepares them), with a data trigger's
// pipeline input set to the new version by one more --set.
type Pipelines struct {
	Pipelines PipelineSubmitter
}

var _ Submitter = Pipelines{}

func decodePipeline(raw json.RawMessage) (lathe.PipelineSpec, error) {
	var ps lathe.PipelineSpec
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&ps); err != nil {
		return ps, lathe.Errorf(lathe.EINVALID, "the schedule's job is not a pipeline job spec: %v", err)
	}
	return ps, nil
}

// dataSet returns the --set assignment that points a pipeline input at a
// data version: inputs.<x>.path=... when the input is written as a
// mapping, inputs.<x>=... when it is written as a bare reference.
func dataSet(ps lathe.PipelineSpec, input, ref string) (string, error) {
	doc, err := spec.ParseKind(spec.KindPipelineJob, ps.File, []byte(ps.YAML))
	if err != nil {
		return "", err
	}
	if len(ps.Set) > 0 {
		if doc, err = spec.Set(doc, ps.Set...); err != nil {
			return "", err
		}
	}
	p := doc.(*spec.PipelineJob)
	if _, ok := p.Inputs[input]; !ok {
		names := make([]string, 0, len(p.Inputs))
		for k := range p.Inputs {
			names = append(names, k)
		}
		sort.Strings(names)
		return "", lathe.Errorf(lathe.EINVALID, "data trigger input %q is not an input of the pipeline (its inputs: %s); declare it under the pipeline's inputs", input, strings.Join(names, ", "))
	}
	for _, a := range []string{"inputs." + input + ".path=" + ref, "inputs." + input + "=" + ref} {
		if _, err := spec.Set(doc, a); err == nil {
			return a, nil
		}
	}
	return "", lathe.Errorf(lathe.EINVALID, "data trigger input %q of the pipeline cannot take a data version; make it a data input (type uri_folder, uri_file or mltable)", input)
}

// Check implements Submitter: the spec is a pipeline whose YAML parses,
// and a data trigger's input is one of the pipeline's inputs.
func (Pipelines) Check(raw json.RawMessage, t lathe.ScheduleTrigger) error {
	ps, err := decodePipeline(raw)
	if err != nil {
		return err
	}
	if err := ps.Validate(); err != nil {
		return err
	}
	if t.Type == lathe.TriggerData {
		_, err := dataSet(ps, t.Input, "azureml:"+t.Data+":1")
		return err
	}
	doc, err := spec.ParseKind(spec.KindPipelineJob, ps.File, []byte(ps.YAML))
	if err == nil && len(ps.Set) > 0 {
		_, err = spec.Set(doc, ps.Set...)
	}
	return err
}

// Submit implements Submitter.
func (c Pipelines) Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, f Firing) (string, error) {
	raw, err := json.Marshal(f.Schedule.Spec)
	if err != nil {
		return "", fmt.Errorf("encode the job of schedule %s: %w", f.Schedule.Name, err)
	}
	ps, err := decodePipeline(raw)
	if err != nil {
		return "", err
	}
	if f.DataVersion != "" {
		a, err := dataSet(ps, f.Schedule.Trigger.Input, "azureml:"+f.Schedule.Trigger.Data+":"+f.DataVersion)
		if err != nil {
			return "", err
		}
		ps.Set = append(append([]string(nil), ps.Set...), a)
	}
	j, err := c.Pipelines.Submit(ctx, ws, p, pipelines.SubmitRequest{Spec: ps, Tags: map[string]string{TagSchedule: f.Schedule.Name}})
	if err != nil {
		return "", fmt.Errorf("submit the pipeline of schedule %s: %w", f.Schedule.Name, err)
	}
	return j.Name, nil
}
