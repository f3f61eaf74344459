package lathe

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Lifecycle stages of experiments and runs (MLflow's words).
const (
	StageActive  = "active"
	StageDeleted = "deleted"
)

// Run statuses (MLflow's RunStatus).
const (
	RunRunning   = "RUNNING"
	RunScheduled = "SCHEDULED"
	RunFinished  = "FINISHED"
	RunFailed    = "FAILED"
	RunKilled    = "KILLED"
)

// ValidRunStatus reports whether s is one of the run statuses.
func ValidRunStatus(s string) bool {
	switch s {
	case RunRunning, RunScheduled, RunFinished, RunFailed, RunKilled:
		return true
	}
	return false
}

// Tag is a key/value pair on an experiment or a run; params use it too.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Experiment groups runs. IDs are decimal strings, unique per workspace;
// "0" is each workspace's Default experiment, as MLflow clients expect.
type Experiment struct {
	WorkspaceID      string `json:"-"`
	ID               string `json:"experiment_id"`
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location"`
	LifecycleStage   string `json:"lifecycle_stage"`
	CreationTime     int64  `json:"creation_time"`
	LastUpdateTime   int64  `json:"last_update_time"`
	Tags             []Tag  `json:"tags,omitempty"`
}

// RunInfo is a run's metadata. Times are Unix milliseconds.
type RunInfo struct {
	WorkspaceID    string `json:"-"`
	RunID          string `json:"run_id"`
	ExperimentID   string `json:"experiment_id"`
	Name           string `json:"run_name"`
	UserID         string `json:"user_id"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        *int64 `json:"end_time,omitempty"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
	DeletedTime    *int64 `json:"-"`
}

// Metric is one logged value of a metric.
type Metric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
}

// DatasetInput is a dataset a run used, with its input tags.
type DatasetInput struct {
	Name       string `json:"name"`
	Digest     string `json:"digest"`
	SourceType string `json:"source_type"`
	Source     string `json:"source"`
	Schema     string `json:"schema,omitempty"`
	Profile    string `json:"profile,omitempty"`
	Tags       []Tag  `json:"tags,omitempty"`
}

// Run is a run with its latest metrics, params, tags and inputs.
type Run struct {
	Info    RunInfo        `json:"info"`
	Metrics []Metric       `json:"metrics,omitempty"`
	Params  []Tag          `json:"params,omitempty"`
	Tags    []Tag          `json:"tags,omitempty"`
	Inputs  []DatasetInput `json:"inputs,omitempty"`
}

// Limits MLflow enforces on what clients log; Lathe keeps them so clients see
// the same answers.
const (
	MaxEntityKeyLen      = 250
	MaxParamValueLen     = 6000
	MaxTagValueLen       = 5000
	MaxExperimentNameLen = 500
	MaxExpTagValueLen    = 5000
	MaxBatchMetrics      = 1000
	MaxBatchParamsTags   = 100
	MaxBatchEntities     = 1000
	MaxBatchBytes        = 1_000_000
	MaxDatasetsPerBatch  = 1000
	MaxSearchResults     = 50000
	DefaultSearchResults = 1000
	MaxHistoryPage       = 25000
)

var entityNameRE = regexp.MustCompile(`^[/\w.\- ]*$`)

// ValidateEntityName checks a metric, param or tag key as MLflow does: at most
// 250 characters of letters, digits, '_', '-', '.', ' ' and '/', and not a
// name that would resolve to another path ("..", a leading "/"). kind is
// "metric", "param" or "tag".
func ValidateEntityName(kind, name string) error {
	if name == "" {
		return Errorf(EINVALID, "Missing value for required parameter 'key'. See the API docs for more information about request parameters.")
	}
	if !entityNameRE.MatchString(name) {
		return Errorf(EINVALID, "Invalid %s name: '%s'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).", kind, name)
	}
	if pathChanges(name) {
		return Errorf(EINVALID, "Invalid %s name: '%s'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '%s'", kind, name, cleanPath(name))
	}
	if len(name) > MaxEntityKeyLen {
		return Errorf(EINVALID, "'%s' exceeds the maximum length of %d characters", truncate(name, 80), MaxEntityKeyLen)
	}
	return nil
}

// pathChanges reports whether name, taken as a file path, would not stand
// for itself: it normalises to something else, to ".", or escapes upwards
// or to the root.
func pathChanges(name string) bool {
	n := cleanPath(name)
	return n != name || n == "." || strings.HasPrefix(n, "..") || strings.HasPrefix(n, "/")
}

// cleanPath normalises a slash path the way os.path.normpath does for the
// cases that matter here: it removes "." segments, resolves "..", collapses
// repeated slashes and drops a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "."
	}
	abs := strings.HasPrefix(p, "/")
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 && out[len(out)-1] != ".." {
				out = out[:len(out)-1]
			} else if !abs {
				out = append(out, "..")
			}
		default:
			out = append(out, seg)
		}
	}
	s := strings.Join(out, "/")
	if abs {
		return "/" + s
	}
	if s == "" {
		return "."
	}
	return s
}

// FiniteOr returns v, or alt for NaN and infinities (for stores and charts
// that cannot hold them).
func FiniteOr(v, alt float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return alt
	}
	return v
}

// JSONFloat is a float64 that reads MLflow's JSON for non-finite values:
// the strings "NaN", "Infinity" and "-Infinity".
type JSONFloat float64

// UnmarshalJSON accepts a number or one of those strings.
func (f *JSONFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "NaN":
		*f = JSONFloat(math.NaN())
	case "Infinity":
		*f = JSONFloat(math.Inf(1))
	case "-Infinity":
		*f = JSONFloat(math.Inf(-1))
	default:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Errorf(EINVALID, "%q is not a number", s)
		}
		*f = JSONFloat(v)
	}
	return nil
}

// MarshalJSON writes finite values as numbers and the others as the strings
// "NaN", "Infinity" and "-Infinity".
func (f JSONFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}
