package mlflowapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/server"
)

// harness is a real Lathe server (server.New) on a free port over a
// temporary data dir, spoken to over HTTP as the MLflow client does.
type harness struct {
	t     *testing.T
	url   string
	token string
	c     *http.Client
}

// start runs a server; mutate may change its configuration first.
func start(t *testing.T, mutate func(*config.Config)) *harness {
	t.Helper()
	cfg := config.Default(t.TempDir())
	cfg.Addr = "127.0.0.1:0"
	if mutate != nil {
		mutate(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		cancel()
		t.Fatalf("server.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	// Redirects are answers to check, not to follow.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &harness{t: t, url: srv.URL(), token: srv.AdminToken(), c: c}
}

// reply is an answer: status, body and headers.
type reply struct {
	status int
	body   []byte
	header http.Header
}

// mlflowError is MLflow's error body.
type mlflowError struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

func (r reply) err() mlflowError {
	var e mlflowError
	_ = json.Unmarshal(r.body, &e)
	return e
}

// do sends a request under /api/2.0; body is JSON-encoded unless it is
// []byte or nil. hdr are header name/value pairs.
func (h *harness) do(method, path string, body any, hdr ...string) reply {
	h.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, h.url+"/api/2.0"+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, body: b, header: resp.Header}
}

// ok sends a request that must succeed and decodes its answer into out.
func (h *harness) ok(method, path string, body, out any) {
	h.t.Helper()
	r := h.do(method, path, body)
	if r.status != http.StatusOK {
		h.t.Fatalf("%s %s: status %d: %s", method, path, r.status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			h.t.Fatalf("%s %s: %v in %s", method, path, err, r.body)
		}
	}
}

// experiment creates an experiment and returns its id.
func (h *harness) experiment(name string) string {
	h.t.Helper()
	var out struct {
		ExperimentID string `json:"experiment_id"`
	}
	h.ok("POST", "/mlflow/experiments/create", map[string]any{"name": name}, &out)
	return out.ExperimentID
}

// run starts a run in an experiment and returns its id.
func (h *harness) run(exp string) string {
	h.t.Helper()
	var out struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	h.ok("POST", "/mlflow/runs/create", map[string]any{"experiment_id": exp, "start_time": 1}, &out)
	return out.Run.Info.RunID
}

// fixture is the state the validation cases run against.
type fixture struct {
	exp, deletedExp, run, deletedRun string
}

func setup(h *harness) fixture {
	var f fixture
	f.exp = h.experiment("validation")
	f.deletedExp = h.experiment("gone")
	f.run = h.run(f.exp)
	f.deletedRun = h.run(f.exp)
	h.ok("POST", "/mlflow/experiments/delete", map[string]any{"experiment_id": f.deletedExp}, nil)
	h.ok("POST", "/mlflow/runs/delete", map[string]any{"run_id": f.deletedRun}, nil)
	h.ok("POST", "/mlflow/runs/log-parameter", map[string]any{"run_id": f.run, "key": "alpha", "value": "0.5"}, nil)
	h.ok("POST", "/mlflow/runs/set-tag", map[string]any{"run_id": f.run, "key": "kept", "value": "v"}, nil)
	return f
}

// rule is one bad (or boundary) input and MLflow's answer to it.
type rule struct {
	name         string
	method, path string
	body         func(f fixture) any
	status       int
	code         string // MLflow error_code; "" for a 200
	msg          string // start of the message
}

func metrics(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"key": "m", "value": i, "timestamp": 1700000000000 + i, "step": i}
	}
	return out
}

func kvs(n int, prefix string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"key": fmt.Sprintf("%s%d", prefix, i), "value": "v"}
	}
	return out
}

const (
	bad     = http.StatusBadRequest
	missing = http.StatusNotFound
	inv     = "INVALID_PARAMETER_VALUE"
	dne     = "RESOURCE_DOES_NOT_EXIST"
)

// rules lists MLflow's validation rules with the error code and message
// start an MLflow 2.7 server answers.
var rules = []rule{
	// Experiments.
	{"create/no name", "POST", "/mlflow/experiments/create", func(fixture) any { return map[string]any{} }, bad, inv, "Missing value for required parameter 'name'."},
	{"create/long name", "POST", "/mlflow/experiments/create", func(fixture) any { return map[string]any{"name": strings.Repeat("n", 501)} }, bad, inv, "Experiment name 'nnn"},
	{"create/duplicate", "POST", "/mlflow/experiments/create", func(fixture) any { return map[string]any{"name": "validation"} }, bad, "RESOURCE_ALREADY_EXISTS", "Experiment(name=validation) already exists."},
	{"create/deleted name still taken", "POST", "/mlflow/experiments/create", func(fixture) any { return map[string]any{"name": "gone"} }, bad, "RESOURCE_ALREADY_EXISTS", "Experiment(name=gone) already exists."},
	{"create/bad tag", "POST", "/mlflow/experiments/create", func(fixture) any {
		return map[string]any{"name": "t", "tags": []map[string]any{{"key": "../x", "value": "v"}}}
	}, bad, inv, "Invalid tag name: '../x'. Names may be treated as files"},
	{"create/name of wrong type", "POST", "/mlflow/experiments/create", func(fixture) any { return map[string]any{"name": 12} }, bad, inv, "Invalid value 12 for parameter 'name' supplied. Hint: Value was of type 'int'."},
	{"get/no id", "GET", "/mlflow/experiments/get", nil, bad, inv, "Missing value for required parameter 'experiment_id'."},
	{"get/unknown id", "GET", "/mlflow/experiments/get?experiment_id=9999", nil, missing, dne, "No Experiment with id=9999 exists"},
	{"get-by-name/unknown", "GET", "/mlflow/experiments/get-by-name?experiment_name=nope", nil, missing, dne, "Could not find experiment with name 'nope'"},
	{"update/no new name", "POST", "/mlflow/experiments/update", func(f fixture) any { return map[string]any{"experiment_id": f.exp} }, bad, inv, "Missing value for required parameter 'new_name'."},
	{"update/deleted", "POST", "/mlflow/experiments/update", func(f fixture) any { return map[string]any{"experiment_id": f.deletedExp, "new_name": "x"} }, bad, inv, "Cannot rename a non-active experiment."},
	{"delete/already deleted", "POST", "/mlflow/experiments/delete", func(f fixture) any { return map[string]any{"experiment_id": f.deletedExp} }, missing, dne, "No Experiment with id="},
	{"restore/active", "POST", "/mlflow/experiments/restore", func(f fixture) any { return map[string]any{"experiment_id": f.exp} }, missing, dne, "No Experiment with id="},
	{"delete/default", "POST", "/mlflow/experiments/delete", func(fixture) any { return map[string]any{"experiment_id": "0"} }, bad, inv, "Cannot delete the default experiment '0'."},
	{"set-experiment-tag/deleted", "POST", "/mlflow/experiments/set-experiment-tag", func(f fixture) any {
		return map[string]any{"experiment_id": f.deletedExp, "key": "k", "value": "v"}
	}, bad, inv, "The experiment "},
	{"set-experiment-tag/long value", "POST", "/mlflow/experiments/set-experiment-tag", func(f fixture) any {
		return map[string]any{"experiment_id": f.exp, "key": "k", "value": strings.Repeat("v", 5001)}
	}, bad, inv, "Tag value 'vvv"},
	{"search-experiments/max 0", "POST", "/mlflow/experiments/search", func(fixture) any { return map[string]any{"max_results": 0} }, bad, inv, "Invalid value for request parameter max_results. It must be a positive integer"},
	{"search-experiments/max 50001", "POST", "/mlflow/experiments/search", func(fixture) any { return map[string]any{"max_results": 50001} }, bad, inv, "Invalid value for request parameter max_results. It must be at most 50000"},
	{"search-experiments/bad attribute", "POST", "/mlflow/experiments/search", func(fixture) any { return map[string]any{"filter": "owner = 'x'"} }, bad, inv, "Invalid attribute key 'owner' specified."},
	// Runs.
	{"create-run/unknown experiment", "POST", "/mlflow/runs/create", func(fixture) any { return map[string]any{"experiment_id": "9999"} }, missing, dne, "No Experiment with id=9999 exists"},
	{"create-run/deleted experiment", "POST", "/mlflow/runs/create", func(f fixture) any { return map[string]any{"experiment_id": f.deletedExp} }, bad, inv, "The experiment "},
	{"create-run/name clash", "POST", "/mlflow/runs/create", func(f fixture) any {
		return map[string]any{"experiment_id": f.exp, "run_name": "a", "tags": []map[string]any{{"key": "mlflow.runName", "value": "b"}}}
	}, bad, inv, "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values"},
	{"get-run/no id", "GET", "/mlflow/runs/get", nil, bad, inv, "Missing value for required parameter 'run_id'."},
	{"get-run/unknown", "GET", "/mlflow/runs/get?run_id=0123456789abcdef0123456789abcdef", nil, missing, dne, "Run with id=0123456789abcdef0123456789abcdef not found"},
	{"update-run/deleted", "POST", "/mlflow/runs/update", func(f fixture) any { return map[string]any{"run_id": f.deletedRun, "status": "FINISHED"} }, bad, inv, "The run "},
	{"delete-run/unknown", "POST", "/mlflow/runs/delete", func(fixture) any { return map[string]any{"run_id": "nope"} }, missing, dne, "Run with id=nope not found"},
	// Params.
	{"log-param/no key", "POST", "/mlflow/runs/log-parameter", func(f fixture) any { return map[string]any{"run_id": f.run, "value": "v"} }, bad, inv, "Missing value for required parameter 'key'."},
	{"log-param/bad characters", "POST", "/mlflow/runs/log-parameter", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "a*b", "value": "v"} }, bad, inv, "Invalid parameter name: 'a*b'. Names may only contain alphanumerics"},
	{"log-param/dotdot", "POST", "/mlflow/runs/log-parameter", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "../x", "value": "v"} }, bad, inv, "Invalid parameter name: '../x'. Names may be treated as files"},
	{"log-param/absolute", "POST", "/mlflow/runs/log-parameter", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "/x", "value": "v"} }, bad, inv, "Invalid parameter name: '/x'. Names may be treated as files"},
	{"log-param/key 251", "POST", "/mlflow/runs/log-parameter", func(f fixture) any {
		return map[string]any{"run_id": f.run, "key": strings.Repeat("k", 251), "value": "v"}
	}, bad, inv, "Param key 'kkk"},
	{"log-param/value 6001", "POST", "/mlflow/runs/log-parameter", func(f fixture) any {
		return map[string]any{"run_id": f.run, "key": "long", "value": strings.Repeat("x", 6001)}
	}, bad, inv, "Param value 'xxx"},
	{"log-param/value 6000", "POST", "/mlflow/runs/log-parameter", func(f fixture) any {
		return map[string]any{"run_id": f.run, "key": "fits", "value": strings.Repeat("x", 6000)}
	}, http.StatusOK, "", ""},
	{"log-param/overwrite", "POST", "/mlflow/runs/log-parameter", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "alpha", "value": "0.7"} }, bad, inv, "Changing param values is not allowed. Param with key='alpha' was already logged with value='0.5'"},
	{"log-param/same value again", "POST", "/mlflow/runs/log-parameter", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "alpha", "value": "0.5"} }, http.StatusOK, "", ""},
	{"log-param/unknown run", "POST", "/mlflow/runs/log-parameter", func(fixture) any {
		return map[string]any{"run_id": "0123456789abcdef0123456789abcdef", "key": "k", "value": "v"}
	}, missing, dne, "Run with id=0123456789abcdef0123456789abcdef not found"},
	{"log-param/deleted run", "POST", "/mlflow/runs/log-parameter", func(f fixture) any { return map[string]any{"run_id": f.deletedRun, "key": "k", "value": "v"} }, bad, inv, "The run "},
	// Metrics.
	{"log-metric/no value", "POST", "/mlflow/runs/log-metric", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "m", "timestamp": 1} }, bad, inv, "Missing value for required parameter 'value'."},
	{"log-metric/no timestamp", "POST", "/mlflow/runs/log-metric", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "m", "value": 1} }, bad, inv, "Missing value for required parameter 'timestamp'."},
	{"log-metric/value not a number", "POST", "/mlflow/runs/log-metric", func(f fixture) any {
		return map[string]any{"run_id": f.run, "key": "m", "value": "abc", "timestamp": 1}
	}, bad, inv, "Invalid value abc for parameter 'value' supplied. Hint: Value was of type 'str'."},
	{"log-metric/dotdot", "POST", "/mlflow/runs/log-metric", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "../x", "value": 1, "timestamp": 1} }, bad, inv, "Invalid metric name: '../x'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '../x'"},
	{"log-metric/negative timestamp", "POST", "/mlflow/runs/log-metric", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "m", "value": 1, "timestamp": -1} }, bad, inv, "Got invalid timestamp -1 for metric 'm' (value=1.0)."},
	{"log-metric/key 251", "POST", "/mlflow/runs/log-metric", func(f fixture) any {
		return map[string]any{"run_id": f.run, "key": strings.Repeat("k", 251), "value": 1, "timestamp": 1}
	}, bad, inv, "Metric name 'kkk"},
	{"log-metric/NaN", "POST", "/mlflow/runs/log-metric", func(f fixture) any {
		return map[string]any{"run_id": f.run, "key": "nan", "value": "NaN", "timestamp": 1}
	}, http.StatusOK, "", ""},
	// Tags.
	{"set-tag/bad characters", "POST", "/mlflow/runs/set-tag", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "a;b", "value": "v"} }, bad, inv, "Invalid tag name: 'a;b'."},
	{"set-tag/value 5001", "POST", "/mlflow/runs/set-tag", func(f fixture) any {
		return map[string]any{"run_id": f.run, "key": "t", "value": strings.Repeat("v", 5001)}
	}, bad, inv, "Tag value 'vvv"},
	{"delete-tag/unknown tag", "POST", "/mlflow/runs/delete-tag", func(f fixture) any { return map[string]any{"run_id": f.run, "key": "nope"} }, missing, dne, "No tag with name: nope in run with id "},
	// Batches.
	{"log-batch/no run", "POST", "/mlflow/runs/log-batch", func(fixture) any { return map[string]any{"metrics": metrics(1)} }, bad, inv, "Missing value for required parameter 'run_id'."},
	{"log-batch/bad run id", "POST", "/mlflow/runs/log-batch", func(fixture) any { return map[string]any{"run_id": "bad/id", "metrics": metrics(1)} }, bad, inv, "Invalid run ID: 'bad/id'"},
	{"log-batch/1001 metrics", "POST", "/mlflow/runs/log-batch", func(f fixture) any { return map[string]any{"run_id": f.run, "metrics": metrics(1001)} }, bad, inv, "A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again."},
	{"log-batch/101 params", "POST", "/mlflow/runs/log-batch", func(f fixture) any { return map[string]any{"run_id": f.run, "params": kvs(101, "p")} }, bad, inv, "A batch logging request can contain at most 100 params. Got 101 params."},
	{"log-batch/101 tags", "POST", "/mlflow/runs/log-batch", func(f fixture) any { return map[string]any{"run_id": f.run, "tags": kvs(101, "t")} }, bad, inv, "A batch logging request can contain at most 100 tags. Got 101 tags."},
	{"log-batch/1001 entities", "POST", "/mlflow/runs/log-batch", func(f fixture) any {
		return map[string]any{"run_id": f.run, "metrics": metrics(901), "params": kvs(100, "p")}
	}, bad, inv, "A batch logging request can contain at most 1000 metrics, params, and tags. Got 1001 metrics, params, and tags."},
	{"log-batch/duplicate param keys", "POST", "/mlflow/runs/log-batch", func(f fixture) any {
		return map[string]any{"run_id": f.run, "params": []map[string]any{{"key": "d", "value": "1"}, {"key": "d", "value": "1"}}}
	}, bad, inv, "Duplicate parameter keys have been submitted: ['d']."},
	{"log-batch/param overwrite", "POST", "/mlflow/runs/log-batch", func(f fixture) any {
		return map[string]any{"run_id": f.run, "params": []map[string]any{{"key": "alpha", "value": "9"}}}
	}, bad, inv, "Changing param values is not allowed."},
	{"log-batch/metric without value", "POST", "/mlflow/runs/log-batch", func(f fixture) any {
		return map[string]any{"run_id": f.run, "metrics": []map[string]any{{"key": "m", "timestamp": 1}}}
	}, bad, inv, "Invalid value "},
	{"log-batch/bad metric key", "POST", "/mlflow/runs/log-batch", func(f fixture) any {
		return map[string]any{"run_id": f.run, "metrics": []map[string]any{{"key": "x y?", "value": 1, "timestamp": 1}}}
	}, bad, inv, "Invalid metric name: 'x y?'."},
	{"log-batch/unknown run", "POST", "/mlflow/runs/log-batch", func(fixture) any { return map[string]any{"run_id": "abc", "metrics": metrics(1)} }, missing, dne, "Run with id=abc not found"},
	{"log-batch/1000 metrics", "POST", "/mlflow/runs/log-batch", func(f fixture) any { return map[string]any{"run_id": f.run, "metrics": metrics(1000)} }, http.StatusOK, "", ""},
	// Search and history.
	{"search-runs/max 50001", "POST", "/mlflow/runs/search", func(f fixture) any { return map[string]any{"experiment_ids": []string{f.exp}, "max_results": 50001} }, bad, inv, "Invalid value 50001 for parameter 'max_results' supplied."},
	{"search-runs/bad comparator", "POST", "/mlflow/runs/search", func(f fixture) any {
		return map[string]any{"experiment_ids": []string{f.exp}, "filter": "metrics.rmse <<< 1"}
	}, bad, inv, "Invalid comparator '<<<' not one of '{'=', '>=', '>', '!=', '<', '<='}"},
	{"search-runs/bad attribute", "POST", "/mlflow/runs/search", func(f fixture) any {
		return map[string]any{"experiment_ids": []string{f.exp}, "filter": "attributes.nope = 'x'"}
	}, bad, inv, "Invalid attribute key 'nope' specified."},
	{"search-runs/bad order_by", "POST", "/mlflow/runs/search", func(f fixture) any {
		return map[string]any{"experiment_ids": []string{f.exp}, "order_by": []string{"metrics.m sideways"}}
	}, bad, inv, "Invalid ordering key in order_by clause 'metrics.m sideways'."},
	{"search-runs/bad page token", "POST", "/mlflow/runs/search", func(f fixture) any {
		return map[string]any{"experiment_ids": []string{f.exp}, "page_token": "%%%"}
	}, bad, inv, "Invalid page token"},
	{"get-history/no key", "GET", "/mlflow/metrics/get-history?run_id=abc", nil, bad, inv, "Missing value for required parameter 'metric_key'."},
	// Models and request shapes.
	{"log-model/not JSON", "POST", "/mlflow/runs/log-model", func(f fixture) any { return map[string]any{"run_id": f.run, "model_json": "{nope"} }, bad, inv, "Malformed model info. \n {nope \n is not a valid JSON."},
	{"log-model/missing fields", "POST", "/mlflow/runs/log-model", func(f fixture) any {
		return map[string]any{"run_id": f.run, "model_json": `{"run_id": "x", "flavors": {}}`}
	}, bad, inv, "Model json is missing mandatory fields: {'artifact_path', 'utc_time_created'}"},
	{"content type/not JSON", "POST", "/mlflow/experiments/create", func(fixture) any { return []byte(`{"name": "ct"}`) }, bad, inv, "Bad Request. Content-Type must be one of ['application/json']."},
}

// TestMLflowValidation sends each rule's bad (or boundary) input and checks
// the status, MLflow's error_code and the start of its message.
func TestMLflowValidation(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	f := setup(h)
	for _, rc := range rules {
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			hh := *h
			hh.t = t
			var body any
			if rc.body != nil {
				body = rc.body(f)
			}
			var r reply
			if b, ok := body.([]byte); ok {
				r = hh.do(rc.method, rc.path, b, "Content-Type", "text/plain")
			} else {
				r = hh.do(rc.method, rc.path, body)
			}
			if r.status != rc.status {
				t.Fatalf("status %d, want %d; body %s", r.status, rc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if rc.code == "" {
				return
			}
			e := r.err()
			if e.ErrorCode != rc.code || !strings.HasPrefix(e.Message, rc.msg) {
				t.Fatalf("error %s %q\nwant  %s %q…", e.ErrorCode, e.Message, rc.code, rc.msg)
			}
		})
	}
}

// TestMLflowBodyLimits sends bodies over the limits: a JSON body over
// max_json_body and a log-batch over MLflow's 1 MB. Both are refused with
// INVALID_PARAMETER_VALUE and change nothing.
func TestMLflowBodyLimits(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *config.Config) { c.MaxJSONBody = 64 << 10 })
	exp := h.experiment("limits")
	run := h.run(exp)
	big := strings.Repeat("x", 70<<10)
	huge := make([]map[string]any, 0, 900)
	for i := 0; i < 900; i++ {
		huge = append(huge, map[string]any{"key": fmt.Sprintf("m%d", i), "value": 1, "timestamp": 1, "step": i, "pad": strings.Repeat("p", 1200)})
	}
	cases := []struct {
		name, path string
		body       any
		msg        string
	}{
		{"json body", "/mlflow/experiments/create", map[string]any{"name": big}, "The request body is"},
		{"log-batch body", "/mlflow/runs/log-batch", map[string]any{"run_id": run, "metrics": huge}, "Batched logging API requests must be at most 1000000 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hh := *h
			hh.t = t
			r := hh.do("POST", c.path, c.body)
			if e := r.err(); r.status != bad || e.ErrorCode != inv || !strings.HasPrefix(e.Message, c.msg) {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	var got struct {
		Run struct {
			Data struct {
				Metrics []any `json:"metrics"`
			} `json:"data"`
		} `json:"run"`
	}
	h.ok("GET", "/mlflow/runs/get?run_id="+run, nil, &got)
	if len(got.Run.Data.Metrics) != 0 {
		t.Fatalf("a refused batch left %d metrics", len(got.Run.Data.Metrics))
	}
	r := h.do("GET", "/mlflow/experiments/get-by-name?experiment_name="+big[:100], nil)
	if r.status != missing {
		t.Fatalf("a refused create made an experiment: %d %s", r.status, r.body)
	}
}

// TestMLflowMalformedFilter checks that filters with syntax errors report
// where the problem is.
func TestMLflowMalformedFilter(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	exp := h.experiment("filters")
	cases := []struct{ filter, pos string }{
		{"params.a = 'unterminated", "at position 11"},
		{"metrics.rmse < 1 AND", "at position 20"},
		{"metrics.rmse < 1 OR params.a = 'b'", "at position 17"},
		{"tags.t =", "at position 8"},
		{"attributes.run_id IN ('a', 'b'", "at position 30"},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			t.Parallel()
			hh := *h
			hh.t = t
			for _, path := range []string{"/mlflow/runs/search", "/mlflow/experiments/search"} {
				body := map[string]any{"experiment_ids": []string{exp}, "filter": c.filter}
				if strings.Contains(path, "experiments") {
					body = map[string]any{"filter": strings.Replace(strings.Replace(c.filter, "metrics.rmse", "creation_time", 1), "params.a", "tags.a", 1)}
					if strings.Contains(c.filter, " IN ") {
						continue // experiments have no list attributes
					}
				}
				r := hh.do("POST", path, body)
				e := r.err()
				if r.status != bad || e.ErrorCode != inv || !strings.Contains(e.Message, "at position") {
					t.Fatalf("%s %q: %d %s; want 400 with the position", path, body["filter"], r.status, r.body)
				}
				if path == "/mlflow/runs/search" && !strings.Contains(e.Message, c.pos) {
					t.Fatalf("message %q does not say %q", e.Message, c.pos)
				}
			}
		})
	}
}
