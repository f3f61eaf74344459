package api

import (
	"net/http"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
)

func (a *API) computeRoutes() []Route {
	ws := "/api/v1/workspaces/{workspace}"
	return []Route{
		{Method: "GET", Path: ws + "/computes", ID: "listComputes", Tag: "computes", Action: lathe.ActComputeRead,
			Summary:  "The workspace's compute targets, the built-in local first, with the slots their jobs hold now.",
			Response: Page[jobs.ComputeInfo]{}, Handler: a.listComputes},
		{Method: "POST", Path: ws + "/computes", ID: "createCompute", Tag: "computes", Action: lathe.ActComputeWrite, Status: http.StatusCreated,
			Summary: "Create a compute target (type local: a share of the server's machine, capped by cpu and memory).",
			Body:    ComputeRequest{}, Response: lathe.Compute{}, Handler: a.createCompute},
		{Method: "GET", Path: ws + "/computes/{compute}", ID: "getCompute", Tag: "computes", Action: lathe.ActComputeRead,
			Summary: "One compute target with the slots its jobs hold now.", Response: jobs.ComputeInfo{}, Handler: a.getCompute},
	}
}

func (a *API) listComputes(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	list, err := a.opts.Jobs.Computes(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[*jobs.ComputeInfo]{Items: nonNil(list)})
	return nil
}

func (a *API) createCompute(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req ComputeRequest
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &req); err != nil {
		return err
	}
	c, err := a.opts.Jobs.CreateCompute(r.Context(), ws.ID, principal(r).UserName, lathe.Compute{Name: req.Name, Type: req.Type,
		Description: req.Description, Tags: req.Tags, CPU: req.CPU, Memory: req.Memory})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) getCompute(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	c, err := a.opts.Jobs.Compute(r.Context(), ws.ID, r.PathValue("compute"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
