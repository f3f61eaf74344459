package mlflowapi

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"

	"github.com/latheml/lathe"
)

// Int64 is an int64 in an MLflow request: proto3 JSON lets clients send it
// as a number or as a string.
type Int64 int64

// UnmarshalJSON accepts 123 and "123" (and 1e3, a whole number).
func (v *Int64) UnmarshalJSON(b []byte) error {
	s := bytes.Trim(b, `"`)
	if string(b) == "null" {
		*v = 0
		return nil
	}
	n, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(s), 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<63 {
			return typeError(b, "int64")
		}
		n = int64(f)
	}
	*v = Int64(n)
	return nil
}

// typeError is the error encoding/json reports (with the field's name
// added) for a value of the wrong type.
func typeError(b []byte, want string) error {
	return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeOf(want)}
}

// Float is a double in MLflow JSON: proto3 JSON writes NaN and the
// infinities as the strings "NaN", "Infinity" and "-Infinity".
type Float float64

// UnmarshalJSON accepts numbers and those strings (and the bare NaN,
// Infinity and -Infinity tokens some JSON writers emit).
func (v *Float) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	switch s {
	case "NaN", "nan":
		*v = Float(math.NaN())
	case "Infinity", "inf", "+Infinity":
		*v = Float(math.Inf(1))
	case "-Infinity", "-inf":
		*v = Float(math.Inf(-1))
	default:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || len(b) > 0 && (b[0] == '[' || b[0] == '{' || b[0] == 't' || b[0] == 'f' || b[0] == 'n') {
			return typeError(b, "float64")
		}
		*v = Float(f)
	}
	return nil
}

// MarshalJSON writes finite values as numbers and the others as strings.
func (v Float) MarshalJSON() ([]byte, error) { return lathe.JSONFloat(v).MarshalJSON() }

// tagJSON is a key/value pair.
type tagJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func toTags(ts []tagJSON) []lathe.Tag {
	out := make([]lathe.Tag, len(ts))
	for i, t := range ts {
		out[i] = lathe.Tag(t)
	}
	return out
}

func fromTags(ts []lathe.Tag) []tagJSON {
	if len(ts) == 0 {
		return nil
	}
	out := make([]tagJSON, len(ts))
	for i, t := range ts {
		out[i] = tagJSON(t)
	}
	return out
}

// experimentJSON is an experiment as MLflow returns it.
type experimentJSON struct {
	ExperimentID     string    `json:"experiment_id"`
	Name             string    `json:"name"`
	ArtifactLocation string    `json:"artifact_location"`
	LifecycleStage   string    `json:"lifecycle_stage"`
	LastUpdateTime   int64     `json:"last_update_time"`
	CreationTime     int64     `json:"creation_time"`
	Tags             []tagJSON `json:"tags,omitempty"`
}

func toExperimentJSON(e *lathe.Experiment) experimentJSON {
	return experimentJSON{ExperimentID: e.ID, Name: e.Name, ArtifactLocation: e.ArtifactLocation, LifecycleStage: e.LifecycleStage,
		LastUpdateTime: e.LastUpdateTime, CreationTime: e.CreationTime, Tags: fromTags(e.Tags)}
}

// runInfoJSON is a run's info as MLflow returns it (run_uuid is the
// deprecated twin of run_id).
type runInfoJSON struct {
	RunUUID        string `json:"run_uuid"`
	ExperimentID   string `json:"experiment_id"`
	RunName        string `json:"run_name"`
	UserID         string `json:"user_id"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        *int64 `json:"end_time,omitempty"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
	RunID          string `json:"run_id"`
}

func toRunInfoJSON(r *lathe.RunInfo) runInfoJSON {
	return runInfoJSON{RunUUID: r.RunID, ExperimentID: r.ExperimentID, RunName: r.Name, UserID: r.UserID, Status: r.Status,
		StartTime: r.StartTime, EndTime: r.EndTime, ArtifactURI: r.ArtifactURI, LifecycleStage: r.LifecycleStage, RunID: r.RunID}
}

// metricJSON is one metric value.
type metricJSON struct {
	Key       string `json:"key"`
	Value     Float  `json:"value"`
	Timestamp Int64  `json:"timestamp"`
	Step      Int64  `json:"step"`
}

func fromMetrics(ms []lathe.Metric) []metricJSON {
	if len(ms) == 0 {
		return nil
	}
	out := make([]metricJSON, len(ms))
	for i, m := range ms {
		out[i] = metricJSON{Key: m.Key, Value: Float(m.Value), Timestamp: Int64(m.Timestamp), Step: Int64(m.Step)}
	}
	return out
}

// MarshalJSON writes timestamp and step as numbers.
func (m metricJSON) MarshalJSON() ([]byte, error) {
	type plain struct {
		Key       string `json:"key"`
		Value     Float  `json:"value"`
		Timestamp int64  `json:"timestamp"`
		Step      int64  `json:"step"`
	}
	return json.Marshal(plain{m.Key, m.Value, int64(m.Timestamp), int64(m.Step)})
}

type runDataJSON struct {
	Metrics []metricJSON `json:"metrics,omitempty"`
	Params  []tagJSON    `json:"params,omitempty"`
	Tags    []tagJSON    `json:"tags,omitempty"`
}

type datasetJSON struct {
	Name       string `json:"name"`
	Digest     string `json:"digest"`
	SourceType string `json:"source_type"`
	Source     string `json:"source"`
	Schema     string `json:"schema,omitempty"`
	Profile    string `json:"profile,omitempty"`
}

type datasetInputJSON struct {
	Tags    []tagJSON   `json:"tags,omitempty"`
	Dataset datasetJSON `json:"dataset"`
}

type runInputsJSON struct {
	DatasetInputs []datasetInputJSON `json:"dataset_inputs,omitempty"`
}

// runJSON is a run as runs/get and runs/search return it.
type runJSON struct {
	Info   runInfoJSON    `json:"info"`
	Data   runDataJSON    `json:"data"`
	Inputs *runInputsJSON `json:"inputs,omitempty"`
}

func toRunJSON(r *lathe.Run, withInputs bool) runJSON {
	out := runJSON{Info: toRunInfoJSON(&r.Info), Data: runDataJSON{Metrics: fromMetrics(r.Metrics), Params: fromTags(r.Params), Tags: fromTags(r.Tags)}}
	if withInputs {
		out.Inputs = &runInputsJSON{}
		for _, d := range r.Inputs {
			out.Inputs.DatasetInputs = append(out.Inputs.DatasetInputs, datasetInputJSON{Tags: fromTags(d.Tags),
				Dataset: datasetJSON{Name: d.Name, Digest: d.Digest, SourceType: d.SourceType, Source: d.Source, Schema: d.Schema, Profile: d.Profile}})
		}
	}
	return out
}
