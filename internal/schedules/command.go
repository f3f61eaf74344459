package schedules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
)

// JobSubmitter submits command jobs (the jobs service).
type JobSubmitter interface {
	Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req jobs.SubmitRequest) (*lathe.Job, error)
}

// Commands submits the command jobs of schedules of kind command: the
// schedule's JobSpec, tagged with the schedule's name, with a data
// trigger's input set to the new version.
type Commands struct {
	Jobs JobSubmitter
}

var _ Submitter = Commands{}

// TagSchedule is the tag a scheduled job carries: the schedule's name.
const TagSchedule = "lathe.schedule"

func decodeSpec(raw json.RawMessage) (lathe.JobSpec, error) {
	var sp lathe.JobSpec
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&sp); err != nil {
		return sp, lathe.Errorf(lathe.EINVALID, "the schedule's job is not a command job spec: %v", err)
	}
	return sp, nil
}

// Check implements Submitter: the spec is a valid command job and a data
// trigger's input is one of its data inputs.
func (Commands) Check(raw json.RawMessage, t lathe.ScheduleTrigger) error {
	if len(raw) > lathe.MaxJobSpecSize {
		return lathe.Errorf(lathe.ETOOLARGE, "the job spec is over %d KiB", lathe.MaxJobSpecSize>>10)
	}
	sp, err := decodeSpec(raw)
	if err != nil {
		return err
	}
	if t.Type == lathe.TriggerData {
		in, ok := sp.Inputs[t.Input]
		if !ok {
			return lathe.Errorf(lathe.EINVALID, "data trigger input %q is not an input of the job; declare it under inputs (type uri_folder, uri_file or mltable) and use ${{inputs.%s}} in the command", t.Input, t.Input)
		}
		if in.IsLiteral() && in.Type != "" {
			return lathe.Errorf(lathe.EINVALID, "data trigger input %q is a %s literal; the new data version needs a data input (uri_folder, uri_file or mltable)", t.Input, in.Type)
		}
		// The first firing's path is what validation needs to see.
		in.Path = "azureml:" + t.Data + ":1"
		if in.Type == "" {
			in.Type = lathe.DataURIFolder
		}
		sp.Inputs[t.Input] = in
	}
	return sp.Validate()
}

// Submit implements Submitter.
func (c Commands) Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, f Firing) (string, error) {
	raw, err := json.Marshal(f.Schedule.Spec)
	if err != nil {
		return "", fmt.Errorf("encode the job of schedule %s: %w", f.Schedule.Name, err)
	}
	sp, err := decodeSpec(raw)
	if err != nil {
		return "", err
	}
	if f.DataVersion != "" {
		name := f.Schedule.Trigger.Input
		in := sp.Inputs[name]
		in.Path, in.Data, in.Value = "azureml:"+f.Schedule.Trigger.Data+":"+f.DataVersion, "", nil
		if in.Type == "" {
			in.Type = lathe.DataURIFolder
		}
		if sp.Inputs == nil {
			sp.Inputs = map[string]lathe.JobInput{}
		}
		sp.Inputs[name] = in
	}
	tags := make(map[string]string, len(sp.Tags)+1)
	for k, v := range sp.Tags {
		tags[k] = v
	}
	tags[TagSchedule] = f.Schedule.Name
	sp.Tags = tags
	j, err := c.Jobs.Submit(ctx, ws, p, jobs.SubmitRequest{Spec: sp})
	if err != nil {
		return "", fmt.Errorf("submit the job of schedule %s: %w", f.Schedule.Name, err)
	}
	return j.Name, nil
}
