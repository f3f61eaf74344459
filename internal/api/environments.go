package api

import (
	"net/http"
	"strconv"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
)

func (a *API) environmentRoutes() []Route {
	ws := "/api/v1/workspaces/{workspace}"
	env := ws + "/environments/{name}"
	read, write := lathe.ActEnvironmentRead, lathe.ActEnvironmentWrite
	return []Route{
		{Method: "GET", Path: ws + "/environments", ID: "listEnvironments", Tag: "environments", Action: read,
			Summary: "The workspace's environments by name, each with its newest version. The built-in host environment is not listed.",
			Query:   pageParams, Response: Page[lathe.Environment]{}, Handler: a.listEnvironments},
		{Method: "GET", Path: env + "/versions", ID: "listEnvironmentVersions", Tag: "environments", Action: read,
			Summary: "An environment's versions, newest first.", Query: pageParams, Response: Page[lathe.Environment]{}, Handler: a.listEnvironmentVersions},
		{Method: "POST", Path: env + "/versions", ID: "createEnvironment", Tag: "environments", Action: write, Status: http.StatusCreated,
			Summary: "Create an immutable environment version (Azure's environment.schema.json: image, or a conda file / requirements whose packages are installed with pip into a virtual environment built once per digest on each compute).",
			Body:    jobs.EnvironmentRequest{}, Response: lathe.Environment{}, Handler: a.createEnvironment},
		{Method: "GET", Path: env + "/versions/{version}", ID: "getEnvironment", Tag: "environments", Action: read,
			Summary: "One environment version; `latest` is the newest.", Response: lathe.Environment{}, Handler: a.getEnvironment},
	}
}

func (a *API) listEnvironments(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	limit, cursor, err := pageArgs(r)
	if err != nil {
		return err
	}
	list, err := a.opts.Jobs.Environments(r.Context(), ws.ID, cursor, limit+1)
	if err != nil {
		return err
	}
	page := Page[*lathe.Environment]{Items: nonNil(list)}
	if len(list) > limit {
		page.Items = list[:limit]
		page.NextCursor = list[limit-1].Name
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (a *API) listEnvironmentVersions(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	limit, cursor, err := pageArgs(r)
	if err != nil {
		return err
	}
	offset := 0
	if cursor != "" {
		if offset, err = strconv.Atoi(cursor); err != nil || offset < 0 {
			return lathe.Errorf(lathe.EINVALID, "cursor %q is not one this server issued; start again without a cursor", cursor)
		}
	}
	list, err := a.opts.Jobs.EnvironmentVersions(r.Context(), ws.ID, r.PathValue("name"), offset, limit+1)
	if err != nil {
		return err
	}
	if len(list) == 0 && offset == 0 {
		if _, err := a.opts.Jobs.Environment(r.Context(), ws.ID, r.PathValue("name"), "latest"); err != nil {
			return err
		}
	}
	page := Page[*lathe.Environment]{Items: nonNil(list)}
	if len(list) > limit {
		page.Items = list[:limit]
		page.NextCursor = strconv.Itoa(offset + limit)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (a *API) createEnvironment(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req jobs.EnvironmentRequest
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &req); err != nil {
		return err
	}
	e, err := a.opts.Jobs.CreateEnvironment(r.Context(), ws.ID, principal(r).UserName, r.PathValue("name"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (a *API) getEnvironment(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	e, err := a.opts.Jobs.Environment(r.Context(), ws.ID, r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}
