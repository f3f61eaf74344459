package api

import (
	"context"
	"net/http"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/pipelines"
)

// Pipelines is the pipelines service: pipeline jobs, their steps, the
// step reuse cache and command components.
type Pipelines interface {
	Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req pipelines.SubmitRequest) (*lathe.Job, error)
	Steps(ctx context.Context, ws, name string) (*lathe.Job, []lathe.PipelineStep, error)
	Invalidate(ctx context.Context, ws string, req pipelines.InvalidateRequest) (*pipelines.InvalidateResult, error)

	CreateComponent(ctx context.Context, ws, actor string, req pipelines.ComponentRequest) (*lathe.Component, error)
	Component(ctx context.Context, ws, ref string) (*lathe.Component, error)
	Components(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.Component, error)
	ComponentVersions(ctx context.Context, ws, name string, offset, limit int) ([]*lathe.Component, error)
	ArchiveComponent(ctx context.Context, ws, name, version string, archived bool) (*lathe.Component, error)
}

// PipelineSteps is a pipeline job with its steps in run order.
type PipelineSteps struct {
	Job   lathe.Job            `json:"job"`
	Items []lathe.PipelineStep `json:"items"`
}

// MaxComponentBody bounds a component registration.
const MaxComponentBody = 2 * lathe.MaxComponentYAML

func (a *API) pipelineRoutes() []Route {
	ws := "/api/v1/workspaces/{workspace}"
	comp := ws + "/components/{name}"
	read, write := lathe.ActJobRead, lathe.ActJobWrite
	return []Route{
		{Method: "POST", Path: ws + "/pipeline-jobs", ID: "createPipelineJob", Tag: "pipelines", Action: write, Status: http.StatusCreated,
			Summary: "Submit a pipeline job (Azure's pipelineJob YAML as written, with its component files registered and local code and data uploaded). The YAML, components, DAG and every step's inputs are checked before anything runs; errors name file:line.",
			Body:    pipelines.SubmitRequest{}, Response: lathe.Job{}, Handler: a.createPipelineJob},
		{Method: "GET", Path: ws + "/jobs/{job}/steps", ID: "listPipelineSteps", Tag: "pipelines", Action: read,
			Summary:  "A pipeline job's steps in run order: state, the command job that ran each (or the earlier job it reused), cache key and reason.",
			Response: PipelineSteps{}, Handler: a.listPipelineSteps},
		{Method: "POST", Path: ws + "/step-cache/invalidate", ID: "invalidateStepCache", Tag: "pipelines", Action: write,
			Summary: "Forget cached step outputs, by cache key or by job (a step job, or a pipeline job for all its steps), so the next run of those steps runs them again.",
			Body:    pipelines.InvalidateRequest{}, Response: pipelines.InvalidateResult{}, Handler: a.invalidateStepCache},

		{Method: "POST", Path: ws + "/components", ID: "createComponent", Tag: "components", Action: write, Status: http.StatusCreated,
			Summary: "Register a command component version (Azure's commandComponent YAML with its code snapshot); anonymous=true registers it by content digest. The same content registered again returns the existing version.",
			Body:    pipelines.ComponentRequest{}, Response: lathe.Component{}, Handler: a.createComponent},
		{Method: "GET", Path: ws + "/components", ID: "listComponents", Tag: "components", Action: read,
			Summary:  "The newest version of each component, by name; the built-in lathe.* ones first.",
			Query:    []Param{{"archived", "boolean", "count archived versions too"}, {"after", "string", "names after this one"}, {"limit", "integer", "at most this many (default 100)"}},
			Response: Page[lathe.Component]{}, Handler: a.listComponents},
		{Method: "GET", Path: comp, ID: "listComponentVersions", Tag: "components", Action: read,
			Summary: "A component's versions, newest first.", Response: Page[lathe.Component]{}, Handler: a.listComponentVersions},
		{Method: "GET", Path: comp + "/versions/{version}", ID: "getComponent", Tag: "components", Action: read,
			Summary: "One component version (version latest: the newest not archived).", Response: lathe.Component{}, Handler: a.getComponent},
		{Method: "POST", Path: comp + "/versions/{version}/archive", ID: "archiveComponent", Tag: "components", Action: write,
			Summary:  "Archive a component version (restore=true undoes it): it is no longer @latest, but pipelines can still name it by version.",
			Query:    []Param{{"restore", "boolean", "restore an archived version"}},
			Response: lathe.Component{}, Handler: a.archiveComponent},
	}
}

func (a *API) createPipelineJob(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req pipelines.SubmitRequest
	if err := decodeJSON(w, r, 4*lathe.MaxPipelineYAML, &req); err != nil {
		return err
	}
	j, err := a.opts.Pipelines.Submit(r.Context(), ws, principal(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, j)
	return nil
}

func (a *API) listPipelineSteps(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	j, steps, err := a.opts.Pipelines.Steps(r.Context(), ws.ID, r.PathValue("job"))
	if err != nil {
		return err
	}
	if steps == nil {
		steps = []lathe.PipelineStep{}
	}
	writeJSON(w, http.StatusOK, PipelineSteps{Job: *j, Items: steps})
	return nil
}

func (a *API) invalidateStepCache(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req pipelines.InvalidateRequest
	if err := decodeJSON(w, r, 64<<10, &req); err != nil {
		return err
	}
	res, err := a.opts.Pipelines.Invalidate(r.Context(), ws.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (a *API) createComponent(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req pipelines.ComponentRequest
	if err := decodeJSON(w, r, MaxComponentBody, &req); err != nil {
		return err
	}
	c, err := a.opts.Pipelines.CreateComponent(r.Context(), ws.ID, principal(r).UserName, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) listComponents(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	limit, err := intArg(r, "limit", DefaultPageSize, MaxPageSize)
	if err != nil {
		return err
	}
	list, err := a.opts.Pipelines.Components(r.Context(), ws.ID, r.URL.Query().Get("archived") == "true", r.URL.Query().Get("after"), int(max(limit, 1)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, componentPage(list))
	return nil
}

func componentPage(list []*lathe.Component) Page[lathe.Component] {
	p := Page[lathe.Component]{Items: []lathe.Component{}}
	for _, c := range list {
		p.Items = append(p.Items, *c)
	}
	return p
}

func (a *API) listComponentVersions(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	list, err := a.opts.Pipelines.ComponentVersions(r.Context(), ws.ID, r.PathValue("name"), 0, MaxPageSize)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, componentPage(list))
	return nil
}

func (a *API) getComponent(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	ref := r.PathValue("name") + ":" + r.PathValue("version")
	if r.PathValue("version") == "latest" {
		ref = r.PathValue("name") + "@latest"
	}
	c, err := a.opts.Pipelines.Component(r.Context(), ws.ID, ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) archiveComponent(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	c, err := a.opts.Pipelines.ArchiveComponent(r.Context(), ws.ID, r.PathValue("name"), r.PathValue("version"), r.URL.Query().Get("restore") != "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
