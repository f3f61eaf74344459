// Package mlflowapi is the MLflow REST API (tracking and the artifact proxy)
// translated onto Lathe's tracking service, so the stock MLflow client works
// with MLFLOW_TRACKING_URI pointing at a Lathe server. Its routes run through
// the native API's middleware (tokens, the policy table, the audit log) and
// answer errors in MLflow's {"error_code","message"} shape.
//
// Workspaces map onto MLflow's flat namespace by URL prefix:
// MLFLOW_TRACKING_URI=http://host:8080/w/<workspace> addresses one
// workspace, and http://host:8080 the default workspace.
package mlflowapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/api"
	"github.com/latheml/lathe/internal/tracking"
)

// Options configure the handlers.
type Options struct {
	Tracking *tracking.Service
	// Workspaces resolves the workspace of a signed part-upload URL, which
	// comes without a token.
	Workspaces interface {
		WorkspaceByName(ctx context.Context, name string) (*lathe.Workspace, error)
	}
	// MaxJSONBody bounds request bodies other than log-batch (which MLflow
	// limits to 1 MB); MaxBlobSize bounds an artifact upload.
	MaxJSONBody int64
	MaxBlobSize int64
	// Secret signs multipart part-upload URLs.
	Secret []byte
	Now    func() time.Time
}

// Handlers serves the MLflow API.
type Handlers struct {
	o Options
}

// New returns the handlers.
func New(o Options) *Handlers { return &Handlers{o: o} }

// prefixes are where every MLflow route is served: MLflow's own two, each
// also under /w/{workspace}.
var prefixes = []string{"/api/2.0", "/ajax-api/2.0", "/w/{workspace}/api/2.0", "/w/{workspace}/ajax-api/2.0"}

type route struct {
	method, path, id, action string
	h                        func(w http.ResponseWriter, r *http.Request) error
}

// Routes returns the MLflow routes for the API's route table.
func (h *Handlers) Routes() []api.Route {
	read, write := lathe.ActTrackingRead, lathe.ActTrackingWrite
	rs := []route{
		{"POST", "/mlflow/experiments/create", "mlflowCreateExperiment", write, h.createExperiment},
		{"GET", "/mlflow/experiments/get", "mlflowGetExperiment", read, h.getExperiment},
		{"GET", "/mlflow/experiments/get-by-name", "mlflowGetExperimentByName", read, h.getExperimentByName},
		{"POST", "/mlflow/experiments/search", "mlflowSearchExperiments", read, h.searchExperiments},
		{"GET", "/mlflow/experiments/search", "mlflowSearchExperimentsGet", read, h.searchExperiments},
		{"POST", "/mlflow/experiments/update", "mlflowUpdateExperiment", write, h.updateExperiment},
		{"POST", "/mlflow/experiments/delete", "mlflowDeleteExperiment", write, h.deleteExperiment},
		{"POST", "/mlflow/experiments/restore", "mlflowRestoreExperiment", write, h.restoreExperiment},
		{"POST", "/mlflow/experiments/set-experiment-tag", "mlflowSetExperimentTag", write, h.setExperimentTag},
		{"POST", "/mlflow/experiments/delete-experiment-tag", "mlflowDeleteExperimentTag", write, h.deleteExperimentTag},
		{"POST", "/mlflow/experiments/search-datasets", "mlflowSearchDatasets", read, h.searchDatasets},
		{"POST", "/mlflow/runs/create", "mlflowCreateRun", write, h.createRun},
		{"GET", "/mlflow/runs/get", "mlflowGetRun", read, h.getRun},
		{"POST", "/mlflow/runs/update", "mlflowUpdateRun", write, h.updateRun},
		{"POST", "/mlflow/runs/delete", "mlflowDeleteRun", write, h.deleteRun},
		{"POST", "/mlflow/runs/restore", "mlflowRestoreRun", write, h.restoreRun},
		{"POST", "/mlflow/runs/search", "mlflowSearchRuns", read, h.searchRuns},
		{"POST", "/mlflow/runs/log-metric", "mlflowLogMetric", write, h.logMetric},
		{"POST", "/mlflow/runs/log-parameter", "mlflowLogParam", write, h.logParam},
		{"POST", "/mlflow/runs/set-tag", "mlflowSetTag", write, h.setTag},
		{"POST", "/mlflow/runs/delete-tag", "mlflowDeleteTag", write, h.deleteTag},
		{"POST", "/mlflow/runs/log-batch", "mlflowLogBatch", write, h.logBatch},
		{"POST", "/mlflow/runs/log-model", "mlflowLogModel", write, h.logModel},
		{"POST", "/mlflow/runs/log-inputs", "mlflowLogInputs", write, h.logInputs},
		{"GET", "/mlflow/metrics/get-history", "mlflowGetMetricHistory", read, h.getMetricHistory},
		{"GET", "/mlflow/metrics/get-history-bulk-interval", "mlflowGetHistoryBulkInterval", read, h.getHistoryBulkInterval},
		{"GET", "/mlflow/artifacts/list", "mlflowListRunArtifacts", read, h.listRunArtifacts},
		{"GET", "/mlflow-artifacts/artifacts", "mlflowListArtifacts", read, h.listArtifacts},
		{"GET", "/mlflow-artifacts/artifacts/{path...}", "mlflowGetArtifact", read, h.getArtifact},
		{"PUT", "/mlflow-artifacts/artifacts/{path...}", "mlflowPutArtifact", write, h.putArtifact},
		{"DELETE", "/mlflow-artifacts/artifacts/{path...}", "mlflowDeleteArtifact", write, h.deleteArtifact},
		{"POST", "/mlflow-artifacts/mpu/create/{path...}", "mlflowCreateMultipart", write, h.createMultipart},
		{"POST", "/mlflow-artifacts/mpu/complete/{path...}", "mlflowCompleteMultipart", write, h.completeMultipart},
		{"POST", "/mlflow-artifacts/mpu/abort/{path...}", "mlflowAbortMultipart", write, h.abortMultipart},
		{"PUT", "/mlflow-artifacts/mpu/part/{upload}/{part}", "mlflowUploadPart", lathe.ActSignedUpload, h.uploadPart},
	}
	var out []api.Route
	for _, p := range prefixes {
		for _, r := range rs {
			out = append(out, api.Route{
				Method: r.method, Path: p + r.path, ID: r.id, Tag: "mlflow", Action: r.action, Compat: true,
				DefaultWorkspace: p[1] != 'w', ReadOnly: r.action == read, Handler: r.h,
			})
		}
	}
	return out
}

// workspaceID is the ID of the workspace the request addresses (resolved
// and authorized by the middleware).
func workspaceID(r *http.Request) string {
	w, _ := api.WorkspaceFrom(r.Context())
	if w == nil {
		return ""
	}
	return w.ID
}

func principal(r *http.Request) lathe.Principal {
	p, _ := api.PrincipalFrom(r.Context())
	return p
}

// decode reads a JSON request body of at most max bytes into v. MLflow's
// protobuf parsing is lenient about fields it does not know, and so is
// this; an empty body is an empty message. A Content-Type other than JSON
// is refused with MLflow's message (a missing one is accepted). A field of
// the wrong type gets MLflow's "Invalid value ... for parameter ..." answer.
func decode(r *http.Request, max int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(strings.ToLower(mt)) != "application/json" {
			return lathe.Errorf(lathe.EINVALID, "Bad Request. Content-Type must be one of ['application/json'].")
		}
	}
	body, err := readBody(r, max)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return decodeError(body, err)
	}
	return nil
}

// readBody reads at most max bytes of the body; more is ETOOLARGE.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "The request body is %d bytes long; the limit is %d bytes.", r.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "read request body: %v", err)
	}
	if int64(len(body)) > max {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "The request body is over the limit of %d bytes.", max)
	}
	return body, nil
}

// decodeError turns a JSON decoding error into MLflow's answer.
func decodeError(body []byte, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field, _, _ := strings.Cut(te.Field, ".")
		var top map[string]json.RawMessage
		_ = json.Unmarshal(body, &top)
		raw := bytes.TrimSpace(top[field])
		shown, typ := string(raw), pyType(raw)
		if typ == "str" {
			_ = json.Unmarshal(raw, &shown)
		}
		return lathe.Errorf(lathe.EINVALID, "Invalid value %s for parameter '%s' supplied. Hint: Value was of type '%s'. See the API docs for more information about request parameters.", shown, field, typ)
	}
	var le *lathe.Error
	if errors.As(err, &le) {
		return le
	}
	return lathe.Errorf(lathe.EINVALID, "Malformed request: the body is not the JSON this endpoint takes (%v)", err)
}

// pyType names the Python type a JSON value decodes to.
func pyType(raw []byte) string {
	if len(raw) == 0 {
		return "NoneType"
	}
	switch raw[0] {
	case '"':
		return "str"
	case '[':
		return "list"
	case '{':
		return "dict"
	case 't', 'f':
		return "bool"
	case 'n':
		return "NoneType"
	}
	if bytes.ContainsAny(raw, ".eE") {
		return "float"
	}
	return "int"
}

// reply writes a 200 JSON answer.
func reply(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

var empty = struct{}{}

// queryInt reads an integer query parameter (0 when absent).
func queryInt(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, lathe.Errorf(lathe.EINVALID, "Invalid value %q for parameter '%s' supplied", s, name)
	}
	return n, nil
}

// runIDOf returns run_id, or the deprecated run_uuid the client also sends.
func runIDOf(runID, runUUID string) string {
	if runID != "" {
		return runID
	}
	return runUUID
}

// ctxOf is a helper to keep handler signatures short.
func ctxOf(r *http.Request) context.Context { return r.Context() }
