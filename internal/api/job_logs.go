package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
)

// MaxLogPage bounds the lines of one page of a job's log.
const MaxLogPage = 10_000

// sseBatch is how many lines one read of a followed log takes.
const sseBatch = 1000

func (a *API) getJobLogs(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	after, err := intArg(r, "after", 0, 0)
	if err != nil {
		return err
	}
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		if v, err := strconv.ParseInt(id, 10, 64); err == nil && v > after {
			after = v
		}
	}
	limit, err := intArg(r, "limit", 1000, MaxLogPage)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 1000
	}
	follow, err := boolArg(r, "follow")
	if err != nil {
		return err
	}
	if follow || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		return a.followJobLogs(w, r, ws, after)
	}
	j, lines, err := a.opts.Jobs.Logs(r.Context(), ws.ID, r.PathValue("job"), after, int(limit))
	if err != nil {
		return err
	}
	page := LogPage{Items: nonNil(lines), Next: after, Status: j.Status}
	if len(lines) > 0 {
		page.Next = lines[len(lines)-1].N
	}
	page.Done = lathe.JobTerminal(j.Status) && page.Next >= j.LogLines
	writeJSON(w, http.StatusOK, page)
	return nil
}

// followJobLogs streams a job's log as Server-Sent Events until the job
// has ended and every line was sent, or the client goes away.
func (a *API) followJobLogs(w http.ResponseWriter, r *http.Request, ws *lathe.Workspace, after int64) error {
	ctx := r.Context()
	j, err := a.opts.Jobs.Job(ctx, ws.ID, r.PathValue("job"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(event, id string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if id != "" {
			if _, err := fmt.Fprintf(w, "id: %s\n", id); err != nil {
				return err
			}
		}
		_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
		return err
	}
	status := ""
	lastBeat := time.Now()
	for {
		changed := a.opts.Jobs.Changed(j.ID) // before reading, so no change is missed
		lines, err := a.opts.Jobs.LogsByID(ctx, j.ID, after, sseBatch)
		if err != nil {
			return nil // headers are out; the client sees the stream end
		}
		for _, l := range lines {
			if err := send("line", strconv.FormatInt(l.N, 10), l); err != nil {
				return nil
			}
			after = l.N
		}
		cur, err := a.opts.Jobs.JobByID(ctx, j.ID)
		if err != nil {
			_ = send("error", "", ErrorDetail{Code: lathe.ErrorCode(err), Message: lathe.ErrorMessage(err), RequestID: RequestIDFrom(ctx)})
			return nil
		}
		if cur.Status != status {
			status = cur.Status
			if err := send("status", "", cur); err != nil {
				return nil
			}
		}
		if len(lines) == sseBatch {
			_ = rc.Flush()
			continue
		}
		if lathe.JobTerminal(cur.Status) && after >= cur.LogLines {
			_ = send("end", "", cur)
			_ = rc.Flush()
			return nil
		}
		if time.Since(lastBeat) > 15*time.Second {
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			lastBeat = time.Now()
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		if !a.opts.Jobs.Wait(ctx, j.ID, changed, 2*time.Second) {
			return nil
		}
	}
}

func (a *API) getJobPlan(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	p, err := a.opts.Jobs.Plan(r.Context(), ws, principal(r), r.PathValue("job"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) reportJobStarted(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	j, err := a.opts.Jobs.Started(r.Context(), ws, principal(r), r.PathValue("job"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (a *API) appendJobLogs(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req LogAppendRequest
	if err := decodeJSON(w, r, MaxLogAppendBody, &req); err != nil {
		return err
	}
	res, err := a.opts.Jobs.AppendLogs(r.Context(), ws, principal(r), r.PathValue("job"), req.Lines)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, LogAppendResponse{First: res.First, Stored: res.Stored, Truncated: res.Truncated})
	return nil
}

func (a *API) registerJobOutput(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var req jobs.OutputRequest
	if err := decodeJSON(w, r, MaxManifestBody, &req); err != nil {
		return err
	}
	v, err := a.opts.Jobs.RegisterOutput(r.Context(), ws, principal(r), r.PathValue("job"), r.PathValue("output"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) completeJob(w http.ResponseWriter, r *http.Request) error {
	ws, _ := WorkspaceFrom(r.Context())
	var c jobs.Completion
	if err := decodeJSON(w, r, a.opts.MaxJSONBody, &c); err != nil {
		return err
	}
	j, err := a.opts.Jobs.Complete(r.Context(), ws, principal(r), r.PathValue("job"), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}
