package mlflowapi

import (
	"encoding/json"
	"net/http"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/tracking"
)

func (h *Handlers) createRun(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ExperimentID string    `json:"experiment_id"`
		UserID       string    `json:"user_id"`
		RunName      string    `json:"run_name"`
		StartTime    Int64     `json:"start_time"`
		Tags         []tagJSON `json:"tags"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	user := req.UserID
	if user == "" {
		user = principal(r).UserName
	}
	run, err := h.o.Tracking.CreateRun(ctxOf(r), workspaceID(r), tracking.CreateRunRequest{
		ExperimentID: req.ExperimentID, UserID: user, Name: req.RunName, StartTime: int64(req.StartTime), Tags: toTags(req.Tags),
	})
	if err != nil {
		return err
	}
	return reply(w, map[string]runJSON{"run": toRunJSON(run, false)})
}

func (h *Handlers) getRun(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	run, err := h.o.Tracking.Run(ctxOf(r), workspaceID(r), runIDOf(q.Get("run_id"), q.Get("run_uuid")))
	if err != nil {
		return err
	}
	return reply(w, map[string]runJSON{"run": toRunJSON(run, true)})
}

func (h *Handlers) updateRun(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RunID   string `json:"run_id"`
		RunUUID string `json:"run_uuid"`
		Status  string `json:"status"`
		EndTime *Int64 `json:"end_time"`
		RunName string `json:"run_name"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	var end *int64
	if req.EndTime != nil {
		v := int64(*req.EndTime)
		end = &v
	}
	info, err := h.o.Tracking.UpdateRun(ctxOf(r), workspaceID(r), runIDOf(req.RunID, req.RunUUID), req.Status, end, req.RunName)
	if err != nil {
		return err
	}
	return reply(w, map[string]runInfoJSON{"run_info": toRunInfoJSON(info)})
}

func (h *Handlers) runStage(w http.ResponseWriter, r *http.Request, stage string) error {
	var req struct {
		RunID string `json:"run_id"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if err := h.o.Tracking.SetRunStage(ctxOf(r), workspaceID(r), req.RunID, stage); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) deleteRun(w http.ResponseWriter, r *http.Request) error {
	return h.runStage(w, r, lathe.StageDeleted)
}

func (h *Handlers) restoreRun(w http.ResponseWriter, r *http.Request) error {
	return h.runStage(w, r, lathe.StageActive)
}

func (h *Handlers) searchRuns(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ExperimentIDs []string `json:"experiment_ids"`
		Filter        string   `json:"filter"`
		RunViewType   string   `json:"run_view_type"`
		MaxResults    *Int64   `json:"max_results"`
		OrderBy       []string `json:"order_by"`
		PageToken     string   `json:"page_token"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	max := lathe.DefaultSearchResults
	if req.MaxResults != nil {
		max = int(*req.MaxResults)
	}
	runs, next, err := h.o.Tracking.SearchRuns(ctxOf(r), workspaceID(r), tracking.SearchRunsRequest{
		ExperimentIDs: req.ExperimentIDs, Filter: req.Filter, View: tracking.ViewType(req.RunViewType),
		MaxResults: max, OrderBy: req.OrderBy, PageToken: req.PageToken,
	})
	if err != nil {
		return err
	}
	out := struct {
		Runs          []runJSON `json:"runs,omitempty"`
		NextPageToken string    `json:"next_page_token,omitempty"`
	}{NextPageToken: next}
	for _, run := range runs {
		out.Runs = append(out.Runs, toRunJSON(run, true))
	}
	return reply(w, out)
}

func (h *Handlers) logMetric(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RunID     string `json:"run_id"`
		RunUUID   string `json:"run_uuid"`
		Key       string `json:"key"`
		Value     *Float `json:"value"`
		Timestamp *Int64 `json:"timestamp"`
		Step      Int64  `json:"step"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	id := runIDOf(req.RunID, req.RunUUID)
	switch {
	case id == "":
		return missingParam("run_id")
	case req.Key == "":
		return missingParam("key")
	case req.Value == nil:
		return missingParam("value")
	case req.Timestamp == nil:
		return missingParam("timestamp")
	}
	m := lathe.Metric{Key: req.Key, Value: float64(*req.Value), Timestamp: int64(*req.Timestamp), Step: int64(req.Step)}
	if err := h.o.Tracking.LogMetric(ctxOf(r), workspaceID(r), id, m); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) logParam(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RunID   string `json:"run_id"`
		RunUUID string `json:"run_uuid"`
		Key     string `json:"key"`
		Value   string `json:"value"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	p := lathe.Tag{Key: req.Key, Value: req.Value}
	if err := h.o.Tracking.LogParam(ctxOf(r), workspaceID(r), runIDOf(req.RunID, req.RunUUID), p); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) setTag(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RunID   string `json:"run_id"`
		RunUUID string `json:"run_uuid"`
		Key     string `json:"key"`
		Value   string `json:"value"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	t := lathe.Tag{Key: req.Key, Value: req.Value}
	if err := h.o.Tracking.SetTag(ctxOf(r), workspaceID(r), runIDOf(req.RunID, req.RunUUID), t); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) deleteTag(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RunID string `json:"run_id"`
		Key   string `json:"key"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if err := h.o.Tracking.DeleteTag(ctxOf(r), workspaceID(r), req.RunID, req.Key); err != nil {
		return err
	}
	return reply(w, empty)
}

// batchMetricJSON is a log-batch metric, with the fields MLflow requires
// told apart from absent ones.
type batchMetricJSON struct {
	Key       *string `json:"key"`
	Value     *Float  `json:"value"`
	Timestamp *Int64  `json:"timestamp"`
	Step      Int64   `json:"step"`
}

// batchTagJSON is a log-batch param or tag.
type batchTagJSON struct {
	Key   *string `json:"key"`
	Value string  `json:"value"`
}

func (h *Handlers) logBatch(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > lathe.MaxBatchBytes {
		return lathe.Errorf(lathe.EINVALID, "Batched logging API requests must be at most %d bytes, got a request of size %d.", lathe.MaxBatchBytes, r.ContentLength)
	}
	var req struct {
		RunID   string            `json:"run_id"`
		Metrics []batchMetricJSON `json:"metrics"`
		Params  []batchTagJSON    `json:"params"`
		Tags    []batchTagJSON    `json:"tags"`
	}
	if err := decode(r, lathe.MaxBatchBytes, &req); err != nil {
		if lathe.IsCode(err, lathe.ETOOLARGE) {
			return lathe.Errorf(lathe.EINVALID, "Batched logging API requests must be at most %d bytes, got a request of a larger size.", lathe.MaxBatchBytes)
		}
		return err
	}
	if req.RunID == "" {
		return missingParam("run_id")
	}
	metrics := make([]lathe.Metric, len(req.Metrics))
	for i, m := range req.Metrics {
		if m.Key == nil || *m.Key == "" || m.Value == nil || m.Timestamp == nil {
			return badParam(req.Metrics, "metrics")
		}
		metrics[i] = lathe.Metric{Key: *m.Key, Value: float64(*m.Value), Timestamp: int64(*m.Timestamp), Step: int64(m.Step)}
	}
	params, ok := batchTags(req.Params)
	if !ok {
		return badParam(req.Params, "params")
	}
	tags, ok := batchTags(req.Tags)
	if !ok {
		return badParam(req.Tags, "tags")
	}
	if err := h.o.Tracking.LogBatch(ctxOf(r), workspaceID(r), req.RunID, metrics, params, tags); err != nil {
		return err
	}
	return reply(w, empty)
}

// batchTags converts log-batch params or tags; false if one has no key.
func batchTags(in []batchTagJSON) ([]lathe.Tag, bool) {
	out := make([]lathe.Tag, len(in))
	for i, t := range in {
		if t.Key == nil || *t.Key == "" {
			return nil, false
		}
		out[i] = lathe.Tag{Key: *t.Key, Value: t.Value}
	}
	return out, true
}

// badParam is MLflow's answer for a request field that fails its checks.
func badParam(v any, field string) error {
	b, _ := json.Marshal(v)
	return lathe.Errorf(lathe.EINVALID, "Invalid value %s for parameter '%s' supplied. Hint: Value was of type 'list'. See the API docs for more information about request parameters.", b, field)
}

// missingParam is MLflow's answer for an absent required field.
func missingParam(field string) error {
	return lathe.Errorf(lathe.EINVALID, "Missing value for required parameter '%s'. See the API docs for more information about request parameters.", field)
}

// logModel appends the model's description to the run's
// mlflow.log-model.history tag, as MLflow's server does.
func (h *Handlers) logModel(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RunID     string `json:"run_id"`
		ModelJSON string `json:"model_json"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if err := h.o.Tracking.LogModel(ctxOf(r), workspaceID(r), req.RunID, req.ModelJSON); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) logInputs(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RunID    string             `json:"run_id"`
		Datasets []datasetInputJSON `json:"datasets"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	inputs := make([]lathe.DatasetInput, len(req.Datasets))
	for i, d := range req.Datasets {
		inputs[i] = lathe.DatasetInput{Name: d.Dataset.Name, Digest: d.Dataset.Digest, SourceType: d.Dataset.SourceType,
			Source: d.Dataset.Source, Schema: d.Dataset.Schema, Profile: d.Dataset.Profile, Tags: toTags(d.Tags)}
	}
	if err := h.o.Tracking.LogInputs(ctxOf(r), workspaceID(r), req.RunID, inputs); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) getMetricHistory(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	max, err := queryInt(r, "max_results")
	if err != nil {
		return err
	}
	list, next, err := h.o.Tracking.MetricHistory(ctxOf(r), workspaceID(r), runIDOf(q.Get("run_id"), q.Get("run_uuid")), q.Get("metric_key"), max, q.Get("page_token"))
	if err != nil {
		return err
	}
	out := struct {
		Metrics       []metricJSON `json:"metrics,omitempty"`
		NextPageToken string       `json:"next_page_token,omitempty"`
	}{Metrics: fromMetrics(list), NextPageToken: next}
	return reply(w, out)
}

// getHistoryBulkInterval serves the MLflow UI's sampled history of one
// metric across runs: at most max_results points per run, spread evenly
// over the steps in [start_step, end_step], always keeping the first and
// last.
func (h *Handlers) getHistoryBulkInterval(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	runs := q["run_ids"]
	if len(runs) == 0 {
		return lathe.Errorf(lathe.EINVALID, "GetMetricHistoryBulkInterval request must specify at least one run_id.")
	}
	if len(runs) > 100 {
		return lathe.Errorf(lathe.EINVALID, "GetMetricHistoryBulkInterval request cannot specify more than 100 run_ids. Received %d run_ids.", len(runs))
	}
	max, err := queryInt(r, "max_results")
	if err != nil {
		return err
	}
	if max == 0 {
		max = 320
	}
	if max < 1 || max > 1000 {
		return lathe.Errorf(lathe.EINVALID, "max_results must be between 1 and 1000.")
	}
	var start, end *int64
	for name, dst := range map[string]**int64{"start_step": &start, "end_step": &end} {
		if q.Get(name) != "" {
			n, err := queryInt(r, name)
			if err != nil {
				return err
			}
			v := int64(n)
			*dst = &v
		}
	}
	type point struct {
		Key       string `json:"key"`
		Value     Float  `json:"value"`
		Timestamp int64  `json:"timestamp"`
		Step      int64  `json:"step"`
		RunID     string `json:"run_id"`
	}
	out := struct {
		Metrics []point `json:"metrics,omitempty"`
	}{}
	for _, id := range runs {
		pts, err := h.o.Tracking.SampledHistory(ctxOf(r), workspaceID(r), id, q.Get("metric_key"), start, end, max)
		if err != nil {
			return err
		}
		for _, m := range pts {
			out.Metrics = append(out.Metrics, point{m.Key, Float(m.Value), m.Timestamp, m.Step, id})
		}
	}
	return reply(w, out)
}
