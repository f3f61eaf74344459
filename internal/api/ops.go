package api

import (
	"context"
	"net/http"
	"sort"
	"time"
)

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string            `json:"status" doc:"ok or unavailable"`
	Checks map[string]string `json:"checks,omitempty" doc:"each dependency: ok or the error"`
}

func (a *API) health(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
	return nil
}

func (a *API) ready(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	h := Health{Status: "ok", Checks: map[string]string{}}
	names := make([]string, 0, len(a.opts.Ready))
	for n := range a.opts.Ready {
		names = append(names, n)
	}
	sort.Strings(names)
	status := http.StatusOK
	for _, n := range names {
		if err := a.opts.Ready[n](ctx); err != nil {
			h.Checks[n] = err.Error()
			h.Status, status = "unavailable", http.StatusServiceUnavailable
			continue
		}
		h.Checks[n] = "ok"
	}
	writeJSON(w, status, h)
	return nil
}

func (a *API) promMetrics(w http.ResponseWriter, r *http.Request) error {
	if a.prom == nil {
		http.NotFound(w, r)
		return nil
	}
	a.prom.ServeHTTP(w, r)
	return nil
}

func (a *API) info(w http.ResponseWriter, r *http.Request) error {
	info := a.opts.Info
	info.Principal, _ = PrincipalFrom(r.Context())
	info.Limits = Limits{MaxJSONBody: a.opts.MaxJSONBody, MaxBlobSize: a.opts.MaxBlobSize, MaxPageSize: MaxPageSize, MaxBatch: MaxBatch}
	writeJSON(w, http.StatusOK, info)
	return nil
}
