package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

const bindPipeline = `type: pipeline
inputs:
  raw:
    type: uri_folder
    path: azureml:raw:1
  epochs: 5
  tag: nightly
outputs:
  final:
jobs:
  prep:
    command: prep ${{inputs.raw}} ${{outputs.clean}} ${{outputs.table}}
    inputs:
      raw: ${{parent.inputs.raw}}
    outputs:
      clean:
      table:
        type: mltable
  train:
    component:
      inputs:
        data: {type: uri_folder}
        table: {type: uri_folder}
        epochs: {type: integer, default: 3}
        lr: {type: number}
        note: {type: string, optional: true}
      outputs:
        model: {type: uri_folder}
      command: train ${{inputs.data}} ${{inputs.table}} ${{inputs.epochs}} ${{inputs.lr}} $[[--note ${{inputs.note}}]] ${{outputs.model}}
    inputs:
      data: ${{parent.jobs.prep.outputs.clean}}
      table: ${{parent.jobs.prep.outputs.table}}
      epochs: ${{parent.inputs.epochs}}
      lr: 0.1
      note: ${{parent.inputs.tag}}
    outputs:
      model: ${{parent.outputs.final}}
  score:
    component:
      inputs:
        model: {type: uri_file}
      command: score ${{inputs.model}}
    inputs:
      model: ${{parent.jobs.train.outputs.model}}
  check:
    command: check ${{inputs.raw}} ${{inputs.mode}}
    inputs:
      raw: ${{parent.jobs.prep.inputs.raw}}
      mode: strict
`

func str(s string) *string { return &s }

func TestStepInputs(t *testing.T) {
	t.Parallel()
	p := parsePipeline(t, bindPipeline)
	raw := lathe.JobInput{Type: "uri_folder", Path: "azureml:raw:1", Data: "raw:1"}
	params := map[string]lathe.JobInput{
		"raw":    raw,
		"epochs": {Type: "integer", Value: str("5")},
		"tag":    {Type: "string", Value: str("nightly")},
	}
	prepDone := Upstream{
		Inputs: map[string]lathe.JobInput{"raw": raw},
		Outputs: map[string]lathe.JobOutput{
			"clean": {Type: "uri_folder", Data: "azureml_p1_output_clean:1"},
			"table": {Type: "mltable", Data: "azureml_p1_output_table:1"},
		},
	}
	trainDone := Upstream{Outputs: map[string]lathe.JobOutput{"model": {Type: "uri_folder", Data: "azureml_p2_output_model:1"}}}
	without := func(m map[string]lathe.JobInput, keys ...string) map[string]lathe.JobInput {
		out := map[string]lathe.JobInput{}
		for k, v := range m {
			out[k] = v
		}
		for _, k := range keys {
			delete(out, k)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		step    string
		params  map[string]lathe.JobInput
		done    map[string]Upstream
		want    map[string]lathe.JobInput
		code    string
		message []string
	}{
		{name: "pipeline input", step: "prep", params: params,
			want: map[string]lathe.JobInput{"raw": raw}},
		{name: "upstream outputs, literals and pipeline literals", step: "train", params: params, done: map[string]Upstream{"prep": prepDone},
			want: map[string]lathe.JobInput{
				"data":   {Type: "uri_folder", Path: "azureml:azureml_p1_output_clean:1", Data: "azureml_p1_output_clean:1"},
				"table":  {Type: "uri_folder", Path: "azureml:azureml_p1_output_table:1", Data: "azureml_p1_output_table:1"},
				"epochs": {Type: "integer", Value: str("5")},
				"lr":     {Type: "number", Value: str("0.1")},
				"note":   {Type: "string", Value: str("nightly")},
			}},
		{name: "defaults and optional inputs without values", step: "train", params: without(params, "epochs", "tag"), done: map[string]Upstream{"prep": prepDone},
			want: map[string]lathe.JobInput{
				"data":   {Type: "uri_folder", Path: "azureml:azureml_p1_output_clean:1", Data: "azureml_p1_output_clean:1"},
				"table":  {Type: "uri_folder", Path: "azureml:azureml_p1_output_table:1", Data: "azureml_p1_output_table:1"},
				"epochs": {Type: "integer", Value: str("3")},
				"lr":     {Type: "number", Value: str("0.1")},
			}},
		{name: "an upstream step's input", step: "check", params: params, done: map[string]Upstream{"prep": prepDone},
			want: map[string]lathe.JobInput{"raw": raw, "mode": {Type: "string", Value: str("strict")}}},
		{name: "uri_folder output into a uri_file input", step: "score", done: map[string]Upstream{"train": trainDone},
			code: lathe.EINVALID, message: []string{`step "score" input "model"`, "uri_file", "${{parent.jobs.train.outputs.model}} is a uri_folder"}},
		{name: "data into a literal input", step: "train", params: map[string]lathe.JobInput{"epochs": raw}, done: map[string]Upstream{"prep": prepDone},
			code: lathe.EINVALID, message: []string{`step "train" input "epochs" is an integer input`, "${{parent.inputs.epochs}} is a uri_folder"}},
		{name: "upstream not done", step: "score", code: lathe.ECONFLICT, message: []string{`step "train" has not completed`}},
		{name: "upstream output without a data version", step: "score", done: map[string]Upstream{"train": {}},
			code: lathe.ECONFLICT, message: []string{`no data version for output "model"`}},
		{name: "pipeline input without a value", step: "prep", code: lathe.EINVALID, message: []string{`step "prep" input "raw"`, "${{parent.inputs.raw}}", "no value"}},
		{name: "unknown step", step: "nope", code: lathe.EINVALID, message: []string{`no step "nope"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := StepInputs(p, tc.step, tc.params, tc.done)
			if tc.code != "" {
				if lathe.ErrorCode(err) != tc.code {
					t.Fatalf("err = %v, want %s", err, tc.code)
				}
				for _, m := range tc.message {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("error %q does not mention %q", err, m)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("inputs\n got %s\nwant %s", show(got), show(tc.want))
			}
		})
	}
	outs := PipelineOutputs(p, map[string]Upstream{"train": trainDone})
	if !reflect.DeepEqual(outs, map[string]lathe.JobOutput{"final": trainDone.Outputs["model"]}) {
		t.Errorf("pipeline outputs = %v", outs)
	}
}

func show(m map[string]lathe.JobInput) string {
	var sb strings.Builder
	for _, k := range sortedKeys(m) {
		v := m[k]
		val := "<nil>"
		if v.Value != nil {
			val = *v.Value
		}
		sb.WriteString(k + "={" + v.Type + " " + val + " " + v.Path + " " + v.Data + " " + v.Mode + "} ")
	}
	return sb.String()
}

func TestCompatible(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"uri_folder", "uri_folder", true},
		{"uri_folder", "uri_file", false},
		{"uri_file", "uri_folder", true},
		{"mltable", "uri_folder", true},
		{"mlflow_model", "uri_folder", true},
		{"uri_folder", "mltable", false},
		{"integer", "number", true},
		{"number", "integer", false},
		{"boolean", "string", true},
		{"string", "uri_file", false},
		{"uri_file", "string", false},
		{"uri_file", "", true},
	} {
		if got := compatible(tc.from, tc.to); got != tc.want {
			t.Errorf("compatible(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}
