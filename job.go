package lathe

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Job statuses: a job is queued until a compute has slots for it, preparing
// while its wrapper stages inputs and builds its environment, running while
// its command runs, and ends completed, failed or canceled.
const (
	JobQueued    = "queued"
	JobPreparing = "preparing"
	JobRunning   = "running"
	JobCompleted = "completed"
	JobFailed    = "failed"
	JobCanceled  = "canceled"
)

// JobStatuses lists the statuses in lifecycle order.
var JobStatuses = []string{JobQueued, JobPreparing, JobRunning, JobCompleted, JobFailed, JobCanceled}

// JobTerminal reports whether a job in status s has ended.
func JobTerminal(s string) bool { return s == JobCompleted || s == JobFailed || s == JobCanceled }

// ValidJobStatus reports whether s is a job status.
func ValidJobStatus(s string) bool {
	for _, x := range JobStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// Failure kinds say whose problem a failed job is. Only infrastructure
// failures are retried.
const (
	FailureUser           = "user"           // the command failed, an input is wrong, the spec cannot run
	FailureInfrastructure = "infrastructure" // the machine, the wrapper or the server failed
	FailureTimeout        = "timeout"        // limits.timeout was reached
)

// Job input types: data (the Azure ML data and model types) and literals.
const (
	InputString  = "string"
	InputInteger = "integer"
	InputNumber  = "number"
	InputBoolean = "boolean"
	ModelMLflow  = "mlflow_model"
	ModelCustom  = "custom_model"
)

// Data modes of job inputs and outputs (Azure's names). Inputs are staged
// as read-only copies in both modes; outputs are folders the command writes
// and are uploaded when it ends.
const (
	ModeDownload = "download"
	ModeROMount  = "ro_mount"
	ModeRWMount  = "rw_mount"
	ModeUpload   = "upload"
)

// Limits on a job spec; every one is checked by JobSpec.Validate.
const (
	MaxJobSpecSize   = 256 << 10 // bytes of a job's YAML file or JSON request
	MaxJobInputs     = 100
	MaxJobOutputs    = 100
	MaxJobEnvVars    = 256
	MaxEnvValueLen   = 32 << 10
	MaxCommandLen    = 64 << 10
	MaxLiteralLen    = 16 << 10
	MaxJobTimeout    = 30 * 24 * time.Hour
	MaxJobCPU        = 1024
	MaxJobLogLineLen = 16 << 10 // a longer line is split
)

// CodeSnapshot is a job's code folder as uploaded at submit: the digest of
// the blob holding its manifest (a JSON array of ManifestEntry), the digest
// of the tree, and the git state of the folder when it is in a repository.
type CodeSnapshot struct {
	Manifest Digest `json:"manifest" doc:"blob holding the JSON manifest of the code files"`
	Digest   Digest `json:"digest" doc:"content address of the whole tree"`
	Files    int64  `json:"files"`
	Size     int64  `json:"size"`
	// GitCommit and GitDirty record the repository state of the folder.
	GitCommit string `json:"git_commit,omitempty"`
	GitDirty  bool   `json:"git_dirty,omitempty"`
	GitBranch string `json:"git_branch,omitempty"`
	GitRemote string `json:"git_remote,omitempty"`
}

// JobInput is one input of a job: a literal value or data.
type JobInput struct {
	Type string `json:"type,omitempty" doc:"uri_file, uri_folder, mltable, mlflow_model, custom_model, or string, integer, number, boolean for literals"`
	// Value is a literal input's value in text form.
	Value *string `json:"value,omitempty"`
	// Path is where data comes from, as written: azureml:<name>:<version>,
	// azureml:<name>@latest, azureml://datastores/<ds>/paths/<p>,
	// azureml://jobs/<job>/outputs/<o>, or an http(s) URL.
	Path     string `json:"path,omitempty"`
	Mode     string `json:"mode,omitempty" doc:"download or ro_mount (both stage a read-only copy)"`
	Optional bool   `json:"optional,omitempty"`
	// Data is the data version the path resolved to at submit
	// (name:version); empty for literals and URLs.
	Data string `json:"data,omitempty" doc:"name:version the path resolved to (set by the server)"`
}

// IsLiteral reports whether the input is a literal rather than data.
func (in JobInput) IsLiteral() bool {
	switch in.Type {
	case InputString, InputInteger, InputNumber, InputBoolean:
		return true
	case "":
		return in.Path == ""
	}
	return false
}

// JobOutput is one output of a job: a folder (or file) the command writes,
// registered as a data version when the job ends.
type JobOutput struct {
	Type string `json:"type,omitempty" doc:"uri_folder (default), uri_file, mltable, mlflow_model or custom_model"`
	Mode string `json:"mode,omitempty" doc:"rw_mount (default) or upload"`
	// Path is the output's folder inside the job's directory (default
	// outputs/<name>); it cannot climb out of it. A path in the workspace's
	// blob store (azureml://datastores/workspaceblobstore/paths/...) is
	// accepted and means the default: outputs are always stored there.
	Path string `json:"path,omitempty" doc:"folder inside the job's directory (default outputs/<name>)"`
	// Name and Version register the output under a chosen asset name;
	// by default it is azureml_<job>_output_<output>, version 1.
	Name        string `json:"name,omitempty"`
	Version     string `json:"version,omitempty"`
	Description string `json:"description,omitempty"`
	// Data is the data version the output was registered as
	// (name:version), set when the job ends.
	Data string `json:"data,omitempty" doc:"name:version registered when the job ended (set by the server)"`
}

// JobResources are what a job asks of its compute.
type JobResources struct {
	CPU    float64 `json:"cpu,omitempty" doc:"CPUs to reserve (default 1; fractions allowed)"`
	Memory int64   `json:"memory,omitempty" doc:"bytes of memory to reserve (default 0: none reserved)"`
}

// JobSpec is a command job as submitted: Azure's commandJob fields, with
// local paths already uploaded (code as a snapshot, local inputs as data
// versions).
type JobSpec struct {
	Command string        `json:"command"`
	Code    *CodeSnapshot `json:"code,omitempty"`
	// Environment references an environment: host (the default),
	// azureml:<name>:<version>, azureml:<name>@latest or an
	// azureml://registries/... name that the server maps.
	Environment string `json:"environment,omitempty"`
	// InlineEnvironment is an environment written in the job itself.
	InlineEnvironment    *EnvironmentSpec     `json:"inline_environment,omitempty"`
	EnvironmentVariables map[string]string    `json:"environment_variables,omitempty"`
	Inputs               map[string]JobInput  `json:"inputs,omitempty"`
	Outputs              map[string]JobOutput `json:"outputs,omitempty"`
	Compute              string               `json:"compute,omitempty" doc:"compute name (default local)"`
	// Timeout is limits.timeout in seconds (0: none).
	Timeout        int64             `json:"timeout,omitempty" doc:"limits.timeout in seconds (0: no limit)"`
	Resources      JobResources      `json:"resources"`
	ExperimentName string            `json:"experiment_name,omitempty"`
	DisplayName    string            `json:"display_name,omitempty"`
	Description    string            `json:"description,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// Validate checks what needs no lookups: names, sizes, types and modes,
// and that every ${{inputs.x}} and ${{outputs.y}} of the command names a
// declared input or output.
func (s *JobSpec) Validate() error {
	if strings.TrimSpace(s.Command) == "" {
		return Errorf(EINVALID, "command is empty; a command job runs a shell command, e.g. command: python train.py")
	}
	if len(s.Command) > MaxCommandLen {
		return Errorf(ETOOLARGE, "command is %d bytes; the limit is %d (put long scripts in the code folder)", len(s.Command), MaxCommandLen)
	}
	if len(s.Inputs) > MaxJobInputs {
		return Errorf(ETOOLARGE, "the job has %d inputs; the limit is %d", len(s.Inputs), MaxJobInputs)
	}
	if len(s.Outputs) > MaxJobOutputs {
		return Errorf(ETOOLARGE, "the job has %d outputs; the limit is %d", len(s.Outputs), MaxJobOutputs)
	}
	if len(s.EnvironmentVariables) > MaxJobEnvVars {
		return Errorf(ETOOLARGE, "the job sets %d environment variables; the limit is %d", len(s.EnvironmentVariables), MaxJobEnvVars)
	}
	for k, v := range s.EnvironmentVariables {
		if err := validEnvName(k); err != nil {
			return err
		}
		if len(v) > MaxEnvValueLen || strings.IndexByte(v, 0) >= 0 {
			return Errorf(EINVALID, "environment_variables.%s is over %d bytes or holds a NUL byte", k, MaxEnvValueLen)
		}
	}
	for _, k := range sortedKeys(s.Inputs) {
		if err := validPort("inputs", k); err != nil {
			return err
		}
		if err := s.Inputs[k].validate(k); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(s.Outputs) {
		if err := validPort("outputs", k); err != nil {
			return err
		}
		if err := s.Outputs[k].validate(k); err != nil {
			return err
		}
	}
	if s.Compute != "" {
		if err := ValidateName("compute", ComputeName(s.Compute)); err != nil {
			return fmt.Errorf("compute: %w", err)
		}
	}
	if s.Timeout < 0 || time.Duration(s.Timeout)*time.Second > MaxJobTimeout {
		return Errorf(EINVALID, "limits.timeout %d is out of range; give seconds from 1 to %d, or leave it out", s.Timeout, int64(MaxJobTimeout/time.Second))
	}
	if r := s.Resources; r.CPU < 0 || r.CPU > MaxJobCPU || r.Memory < 0 {
		return Errorf(EINVALID, "resources: cpu %g and memory %d must not be negative (cpu at most %d)", r.CPU, r.Memory, MaxJobCPU)
	}
	if s.InlineEnvironment != nil {
		if err := s.InlineEnvironment.Validate(); err != nil {
			return fmt.Errorf("environment: %w", err)
		}
	}
	if len(s.ExperimentName) > MaxExperimentNameLen {
		return Errorf(EINVALID, "experiment_name is %d characters; the limit is %d", len(s.ExperimentName), MaxExperimentNameLen)
	}
	if len(s.DisplayName) > MaxNameLen {
		return Errorf(EINVALID, "display_name is %d characters; the limit is %d", len(s.DisplayName), MaxNameLen)
	}
	if err := validateMeta("job", s.Description, s.Tags); err != nil {
		return err
	}
	return s.checkReferences()
}

// checkReferences makes sure every ${{inputs.x}} / ${{outputs.y}} in the
// command is declared, and that nothing else is bound.
func (s *JobSpec) checkReferences() error {
	for _, ref := range CommandReferences(s.Command) {
		kind, name, _ := strings.Cut(ref, ".")
		switch kind {
		case "inputs":
			if _, ok := s.Inputs[name]; !ok {
				return Errorf(EINVALID, "command uses ${{%s}}, but the job has no input %q; declare it under inputs (declared: %s)", ref, name, listKeys(s.Inputs))
			}
		case "outputs":
			if _, ok := s.Outputs[name]; !ok {
				return Errorf(EINVALID, "command uses ${{%s}}, but the job has no output %q; declare it under outputs (declared: %s)", ref, name, listKeys(s.Outputs))
			}
		default:
			return Errorf(EINVALID, "command uses ${{%s}}; a command job binds only ${{inputs.<name>}} and ${{outputs.<name>}}", ref)
		}
	}
	return nil
}

// CommandReferences returns the bindings ${{...}} of a command, trimmed,
// in order of appearance (for instance "inputs.lr").
func CommandReferences(cmd string) []string {
	var out []string
	for {
		i := strings.Index(cmd, "${{")
		if i < 0 {
			return out
		}
		cmd = cmd[i+3:]
		j := strings.Index(cmd, "}}")
		if j < 0 {
			return append(out, strings.TrimSpace(cmd))
		}
		out = append(out, strings.TrimSpace(cmd[:j]))
		cmd = cmd[j+2:]
	}
}

func (in JobInput) validate(name string) error {
	where := "inputs." + name
	if in.IsLiteral() {
		if in.Path != "" {
			return Errorf(EINVALID, "%s: a %s input takes a value, not a path", where, in.Type)
		}
		if in.Value == nil && !in.Optional {
			return Errorf(EINVALID, "%s has no value; give one (or --set %s=...), or mark it optional: true", where, where)
		}
		if in.Value != nil && len(*in.Value) > MaxLiteralLen {
			return Errorf(ETOOLARGE, "%s is %d bytes; literal inputs are at most %d", where, len(*in.Value), MaxLiteralLen)
		}
		if in.Mode != "" {
			return Errorf(EINVALID, "%s: mode is for data inputs, not %s values", where, in.Type)
		}
		return nil
	}
	switch in.Type {
	case DataURIFile, DataURIFolder, DataMLTable, ModelMLflow, ModelCustom:
	default:
		return Errorf(EINVALID, "%s: type %q is not one of uri_file, uri_folder, mltable, mlflow_model, custom_model, string, integer, number, boolean", where, truncate(in.Type, 40))
	}
	if in.Path == "" && !in.Optional {
		return Errorf(EINVALID, "%s (%s) has no path; give azureml:<name>:<version>, azureml:<name>@latest, azureml://datastores/<ds>/paths/<p>, an http(s) URL or a local path", where, in.Type)
	}
	if len(in.Path) > MaxDataPathLen+200 {
		return Errorf(ETOOLARGE, "%s: path is %d bytes long", where, len(in.Path))
	}
	switch in.Mode {
	case "", ModeDownload, ModeROMount:
	default:
		return Errorf(EINVALID, "%s: mode %q is not supported for inputs; use download or ro_mount", where, truncate(in.Mode, 40))
	}
	return nil
}

func (o JobOutput) validate(name string) error {
	where := "outputs." + name
	switch o.Type {
	case "", DataURIFolder, DataURIFile, DataMLTable, ModelMLflow, ModelCustom:
	default:
		return Errorf(EINVALID, "%s: type %q is not one of uri_folder, uri_file, mltable, mlflow_model, custom_model", where, truncate(o.Type, 40))
	}
	switch o.Mode {
	case "", ModeRWMount, ModeUpload:
	default:
		return Errorf(EINVALID, "%s: mode %q is not supported for outputs; use rw_mount or upload", where, truncate(o.Mode, 40))
	}
	if err := checkOutputPath(where, o.Path); err != nil {
		return err
	}
	if o.Name != "" {
		if err := ValidateName("data asset", o.Name); err != nil {
			return fmt.Errorf("%s.name: %w", where, err)
		}
	}
	if o.Version != "" {
		if err := ValidateDataVersion(o.Version); err != nil {
			return fmt.Errorf("%s.version: %w", where, err)
		}
	}
	if len(o.Description) > MaxDescriptionLen {
		return Errorf(EINVALID, "%s.description is over %d characters", where, MaxDescriptionLen)
	}
	return nil
}

// checkOutputPath checks an output's local folder: relative, inside the
// job's directory.
func checkOutputPath(where, p string) error {
	if p == "" {
		return nil
	}
	if ds, _, ok, err := ParseDatastoreURI(p); ok {
		if err != nil {
			return fmt.Errorf("%s.path: %w", where, err)
		}
		if ds != WorkspaceBlobStore {
			return Errorf(EUNSUPPORTED, "%s.path %q: outputs are stored in the workspace's blob store (%s); leave path out", where, truncate(p, 200), WorkspaceBlobStore)
		}
		return nil
	}
	if strings.Contains(p, "://") {
		return Errorf(EUNSUPPORTED, "%s.path %q: outputs are stored in the workspace's blob store; leave path out, or give a folder inside the job's directory", where, truncate(p, 200))
	}
	c := path.Clean(strings.TrimPrefix(p, "./"))
	if path.IsAbs(p) || c == ".." || strings.HasPrefix(c, "../") || c == "." {
		return Errorf(EINVALID, "%s.path %q escapes the job's directory; give a relative folder inside it, such as outputs/model", where, truncate(p, 200))
	}
	if err := ValidateDataPath(c); err != nil {
		return fmt.Errorf("%s.path: %w", where, err)
	}
	return nil
}

// OutputDir is an output's folder relative to the job's directory.
func (o JobOutput) OutputDir(name string) string {
	if o.Path == "" || strings.Contains(o.Path, "://") {
		return "outputs/" + name
	}
	return path.Clean(strings.TrimPrefix(o.Path, "./"))
}

// validPort checks an input or output name: a letter or '_' first, then
// letters, digits and '_' (so it can be an environment variable).
func validPort(kind, name string) error {
	if name == "" || len(name) > 255 {
		return Errorf(EINVALID, "%s: a name must have 1-255 characters", kind)
	}
	for i, c := range name {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return Errorf(EINVALID, "%s.%s: names use letters, digits and '_', starting with a letter or '_'", kind, truncate(name, 60))
		}
	}
	return nil
}

func validEnvName(k string) error {
	if k == "" || len(k) > 255 || strings.ContainsAny(k, "=\x00") || !utf8.ValidString(k) {
		return Errorf(EINVALID, "environment_variables: %q is not a valid variable name", truncate(k, 60))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func listKeys[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(sortedKeys(m), ", ")
}

// DefaultOutputName is the anonymous data asset an output is registered
// as when it names none: azureml_<job>_output_<output>, Azure's convention.
func DefaultOutputName(job, output string) string {
	return "azureml_" + job + "_output_" + output
}

// JobOutputURI is the address of a job's output: azureml://jobs/<job>/outputs/<o>.
func JobOutputURI(job, output string) string {
	return "azureml://jobs/" + job + "/outputs/" + output
}

// ParseJobOutputURI splits azureml://jobs/<job>/outputs/<o> (or lathe://);
// ok is false for another form.
func ParseJobOutputURI(s string) (job, output string, ok bool, err error) {
	rest, found := strings.CutPrefix(s, "azureml://jobs/")
	if !found {
		if rest, found = strings.CutPrefix(s, "lathe://jobs/"); !found {
			return "", "", false, nil
		}
	}
	job, output, found = strings.Cut(strings.TrimSuffix(rest, "/"), "/outputs/")
	if !found || strings.Contains(output, "/") {
		return "", "", true, Errorf(EINVALID, "job output URI %q must look like azureml://jobs/<job>/outputs/<output>", truncate(s, 200))
	}
	if err := ValidateName("job", job); err != nil {
		return "", "", true, fmt.Errorf("job output URI %q: %w", truncate(s, 200), err)
	}
	if err := validPort("outputs", output); err != nil {
		return "", "", true, fmt.Errorf("job output URI %q: %w", truncate(s, 200), err)
	}
	return job, output, true, nil
}

// Job is a submitted command job and where it is in its lifecycle.
type Job struct {
	WorkspaceID string `json:"-"`
	Workspace   string `json:"workspace"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type" doc:"command"`
	Status      string `json:"status" doc:"queued, preparing, running, completed, failed or canceled"`
	// Reason says why a job failed or was canceled, in words a person can
	// act on.
	Reason string `json:"reason,omitempty"`
	// Failure classifies a failure: user, infrastructure or timeout.
	Failure     string  `json:"failure,omitempty"`
	ExitCode    *int    `json:"exit_code,omitempty"`
	Compute     string  `json:"compute"`
	Environment string  `json:"environment" doc:"the environment it runs in: host, name:version, or inline"`
	Spec        JobSpec `json:"spec"`
	// ExperimentID and RunID are the job's MLflow run.
	ExperimentID string `json:"experiment_id,omitempty"`
	RunID        string `json:"run_id,omitempty"`
	// Attempt counts starts (1 for the first); infrastructure failures
	// are retried up to the server's limit.
	Attempt         int        `json:"attempt"`
	CancelRequested bool       `json:"cancel_requested,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	CreatedBy       string     `json:"created_by"`
	CreatedByID     string     `json:"-"`
	StartedAt       *time.Time `json:"started_at,omitempty" doc:"when the command started"`
	EndedAt         *time.Time `json:"ended_at,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
	// TokenID is the job's own API token, revoked when it ends.
	TokenID  string `json:"-"`
	LogLines int64  `json:"log_lines"`
	LogBytes int64  `json:"log_bytes"`
}

// ComputeName strips the azureml: prefix Azure YAML writes before a
// compute name; "" is the default compute.
func ComputeName(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "azureml:"), "lathe:")
	if s == "" {
		return DefaultCompute
	}
	return s
}

// JobEvent is one step of a job's life: a status change or a note.
type JobEvent struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Status  string    `json:"status"`
	Message string    `json:"message,omitempty"`
}

// Log streams.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
	StreamSystem = "system" // lines from Lathe itself (staging, environment builds)
)

// LogLine is one line of a job's output.
type LogLine struct {
	N      int64  `json:"n" doc:"line number, from 1"`
	Stream string `json:"stream" doc:"stdout, stderr or system"`
	Time   int64  `json:"time" doc:"Unix milliseconds"`
	Text   string `json:"line"`
}

// JobLineage links a job to a data version it read or wrote.
type JobLineage struct {
	Job         string `json:"job"`
	Direction   string `json:"direction" doc:"input or output"`
	Port        string `json:"port" doc:"the input or output name"`
	DataName    string `json:"data_name"`
	DataVersion string `json:"data_version"`
}

// JobPlan is what a job's wrapper needs to run one attempt of it, fetched
// with the job's own token: the job (with its inputs resolved to data
// versions), the environment to run in and the server's settings for it.
type JobPlan struct {
	Job              Job             `json:"job"`
	Environment      EnvironmentSpec `json:"environment"`
	ContainerRuntime string          `json:"container_runtime,omitempty"`
	// KillGrace is how long the command has between SIGTERM and SIGKILL
	// when it is stopped (milliseconds).
	KillGrace int64 `json:"kill_grace_ms"`
}
