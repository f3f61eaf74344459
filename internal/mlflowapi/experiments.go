package mlflowapi

import (
	"net/http"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/tracking"
)

func (h *Handlers) createExperiment(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name             string    `json:"name"`
		ArtifactLocation string    `json:"artifact_location"`
		Tags             []tagJSON `json:"tags"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	id, err := h.o.Tracking.CreateExperiment(ctxOf(r), workspaceID(r), req.Name, req.ArtifactLocation, toTags(req.Tags))
	if err != nil {
		return err
	}
	return reply(w, map[string]string{"experiment_id": id})
}

func (h *Handlers) getExperiment(w http.ResponseWriter, r *http.Request) error {
	e, err := h.o.Tracking.Experiment(ctxOf(r), workspaceID(r), r.URL.Query().Get("experiment_id"))
	if err != nil {
		return err
	}
	return reply(w, map[string]experimentJSON{"experiment": toExperimentJSON(e)})
}

func (h *Handlers) getExperimentByName(w http.ResponseWriter, r *http.Request) error {
	e, err := h.o.Tracking.ExperimentByName(ctxOf(r), workspaceID(r), r.URL.Query().Get("experiment_name"))
	if err != nil {
		return err
	}
	return reply(w, map[string]experimentJSON{"experiment": toExperimentJSON(e)})
}

type searchExperimentsReq struct {
	MaxResults *Int64   `json:"max_results"`
	PageToken  string   `json:"page_token"`
	Filter     string   `json:"filter"`
	OrderBy    []string `json:"order_by"`
	ViewType   string   `json:"view_type"`
}

func (h *Handlers) searchExperiments(w http.ResponseWriter, r *http.Request) error {
	var req searchExperimentsReq
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		req = searchExperimentsReq{PageToken: q.Get("page_token"), Filter: q.Get("filter"), OrderBy: q["order_by"], ViewType: q.Get("view_type")}
		if q.Has("max_results") {
			n, err := queryInt(r, "max_results")
			if err != nil {
				return err
			}
			v := Int64(n)
			req.MaxResults = &v
		}
	} else if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	max := lathe.DefaultSearchResults
	if req.MaxResults != nil {
		max = int(*req.MaxResults)
	}
	list, next, err := h.o.Tracking.SearchExperiments(ctxOf(r), workspaceID(r), req.Filter, tracking.ViewType(req.ViewType), max, req.OrderBy, req.PageToken)
	if err != nil {
		return err
	}
	out := struct {
		Experiments   []experimentJSON `json:"experiments,omitempty"`
		NextPageToken string           `json:"next_page_token,omitempty"`
	}{NextPageToken: next}
	for _, e := range list {
		out.Experiments = append(out.Experiments, toExperimentJSON(e))
	}
	return reply(w, out)
}

func (h *Handlers) updateExperiment(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ExperimentID string `json:"experiment_id"`
		NewName      string `json:"new_name"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if err := h.o.Tracking.RenameExperiment(ctxOf(r), workspaceID(r), req.ExperimentID, req.NewName); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) experimentStage(w http.ResponseWriter, r *http.Request, stage string) error {
	var req struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if err := h.o.Tracking.SetExperimentStage(ctxOf(r), workspaceID(r), req.ExperimentID, stage); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) deleteExperiment(w http.ResponseWriter, r *http.Request) error {
	return h.experimentStage(w, r, lathe.StageDeleted)
}

func (h *Handlers) restoreExperiment(w http.ResponseWriter, r *http.Request) error {
	return h.experimentStage(w, r, lathe.StageActive)
}

func (h *Handlers) setExperimentTag(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ExperimentID string `json:"experiment_id"`
		Key          string `json:"key"`
		Value        string `json:"value"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if err := h.o.Tracking.SetExperimentTag(ctxOf(r), workspaceID(r), req.ExperimentID, lathe.Tag{Key: req.Key, Value: req.Value}); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) deleteExperimentTag(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ExperimentID string `json:"experiment_id"`
		Key          string `json:"key"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	if err := h.o.Tracking.DeleteExperimentTag(ctxOf(r), workspaceID(r), req.ExperimentID, req.Key); err != nil {
		return err
	}
	return reply(w, empty)
}

func (h *Handlers) searchDatasets(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ExperimentIDs []string `json:"experiment_ids"`
	}
	if err := decode(r, h.o.MaxJSONBody, &req); err != nil {
		return err
	}
	list, err := h.o.Tracking.SearchDatasets(ctxOf(r), workspaceID(r), req.ExperimentIDs)
	if err != nil {
		return err
	}
	type summary struct {
		ExperimentID string `json:"experiment_id"`
		Name         string `json:"name"`
		Digest       string `json:"digest"`
		Context      string `json:"context,omitempty"`
	}
	out := struct {
		DatasetSummaries []summary `json:"dataset_summaries,omitempty"`
	}{}
	for _, d := range list {
		out.DatasetSummaries = append(out.DatasetSummaries, summary(d))
	}
	return reply(w, out)
}
