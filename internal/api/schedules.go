package api

import (
	"context"
	"net/http"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/schedules"
)

// Schedules is the schedules service: cron, recurrence and data triggers
// that submit jobs.
type Schedules interface {
	Create(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req schedules.ScheduleRequest) (*lathe.Schedule, error)
	List(ctx context.Context, ws string) ([]*lathe.Schedule, error)
	Get(ctx context.Context, ws, name string) (*lathe.Schedule, error)
	SetEnabled(ctx context.Context, ws, name string, enabled bool) (*lathe.Schedule, error)
	Delete(ctx context.Context, ws, name string) error
}

func (a *API) scheduleRoutes() []Route {
	ws := "/api/v1/workspaces/{workspace}"
	sc := ws + "/schedules/{schedule}"
	read, write := lathe.ActScheduleRead, lathe.ActScheduleWrite
	return []Route{
		{Method: "POST", Path: ws + "/schedules", ID: "createSchedule", Tag: "schedules", Action: write, Status: http.StatusCreated,
			Summary: "Create a schedule: a cron, recurrence (Azure's schedule.schema.json) or data trigger and the job each firing submits, as you. A data trigger passes each new version of its data asset as the named input.",
			Body:    schedules.ScheduleRequest{}, Response: lathe.Schedule{}, Handler: a.createSchedule},
		{Method: "GET", Path: ws + "/schedules", ID: "listSchedules", Tag: "schedules", Action: read,
			Summary: "The workspace's schedules by name, each with its next fire times.", Response: Page[lathe.Schedule]{}, Handler: a.listSchedules},
		{Method: "GET", Path: sc, ID: "getSchedule", Tag: "schedules", Action: read,
			Summary: "One schedule: its trigger, job, next fire times and the job its last firing submitted (or why it could not).", Response: lathe.Schedule{}, Handler: a.getSchedule},
		{Method: "POST", Path: sc + "/enable", ID: "enableSchedule", Tag: "schedules", Action: write,
			Summary: "Enable a schedule from now: times and data versions that passed while it was disabled do not fire.", Response: lathe.Schedule{}, Handler: a.enableSchedule},
		{Method: "POST", Path: sc + "/disable", ID: "disableSchedule", Tag: "schedules", Action: write,
			Summary: "Disable a schedule; jobs it submitted carry on.", Response: lathe.Schedule{}, Handler: a.disableSchedule},
		{Method: "DELETE", Path: sc, ID: "deleteSchedule", Tag: "schedules", Action: write, Status: http.StatusNoContent,
			Summary: "Delete a schedule; the jobs it submitted stay.", Handler: a.deleteSchedule},
	}
}

func (a *API) schedules() (Schedules, error) {
	if a.opts.Schedules == nil {
		return nil, lathe.Errorf(lathe.EUNSUPPORTED, "this server does not run schedules")
	}
	return a.opts.Schedules, nil
}

func (a *API) createSchedule(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.schedules()
	if err != nil {
		return err
	}
	ws, _ := WorkspaceFrom(r.Context())
	var req schedules.ScheduleRequest
	if err := decodeJSON(w, r, lathe.MaxJobSpecSize+64<<10, &req); err != nil {
		return err
	}
	sc, err := svc.Create(r.Context(), ws, principal(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sc)
	return nil
}

func (a *API) listSchedules(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.schedules()
	if err != nil {
		return err
	}
	ws, _ := WorkspaceFrom(r.Context())
	list, err := svc.List(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Page[*lathe.Schedule]{Items: nonNil(list)})
	return nil
}

func (a *API) getSchedule(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.schedules()
	if err != nil {
		return err
	}
	ws, _ := WorkspaceFrom(r.Context())
	sc, err := svc.Get(r.Context(), ws.ID, r.PathValue("schedule"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (a *API) enableSchedule(w http.ResponseWriter, r *http.Request) error {
	return a.setScheduleEnabled(w, r, true)
}

func (a *API) disableSchedule(w http.ResponseWriter, r *http.Request) error {
	return a.setScheduleEnabled(w, r, false)
}

func (a *API) setScheduleEnabled(w http.ResponseWriter, r *http.Request, on bool) error {
	svc, err := a.schedules()
	if err != nil {
		return err
	}
	ws, _ := WorkspaceFrom(r.Context())
	sc, err := svc.SetEnabled(r.Context(), ws.ID, r.PathValue("schedule"), on)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (a *API) deleteSchedule(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.schedules()
	if err != nil {
		return err
	}
	ws, _ := WorkspaceFrom(r.Context())
	if err := svc.Delete(r.Context(), ws.ID, r.PathValue("schedule")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
