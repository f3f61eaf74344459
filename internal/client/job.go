package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
)

// SubmitRequest submits a command job (see the createJob operation).
type SubmitRequest struct {
	Name string        `json:"name,omitempty"`
	Spec lathe.JobSpec `json:"spec"`
}

// LogPage is a page of a job's log.
type LogPage struct {
	Items  []lathe.LogLine `json:"items"`
	Next   int64           `json:"next"`
	Status string          `json:"status"`
	Done   bool            `json:"done"`
}

// LogAppend says what the server stored of an append.
type LogAppend struct {
	First     int64 `json:"first"`
	Stored    int   `json:"stored"`
	Truncated bool  `json:"truncated"`
}

// Completion is how a job's wrapper reports the end of an attempt.
type Completion struct {
	ExitCode *int   `json:"exit_code,omitempty"`
	Failure  string `json:"failure,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func jobPath(ws, name string) string { return wsPath(ws) + "/jobs/" + url.PathEscape(name) }

// CreateJob submits a job.
func (c *Client) CreateJob(ctx context.Context, ws string, req SubmitRequest) (*lathe.Job, error) {
	var out lathe.Job
	if err := c.doJSON(ctx, "POST", wsPath(ws)+"/jobs", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Job returns a job.
func (c *Client) Job(ctx context.Context, ws, name string) (*lathe.Job, error) {
	var out lathe.Job
	if err := c.doJSON(ctx, "GET", jobPath(ws, name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Jobs returns a page of the workspace's jobs, newest first, optionally
// only those in the given statuses.
func (c *Client) Jobs(ctx context.Context, ws string, statuses []string, cursor string, limit int) ([]lathe.Job, string, error) {
	q := url.Values{}
	if len(statuses) > 0 {
		q.Set("status", strings.Join(statuses, ","))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Items      []lathe.Job `json:"items"`
		NextCursor string      `json:"next_cursor"`
	}
	p := wsPath(ws) + "/jobs"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	if err := c.doJSON(ctx, "GET", p, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// CancelJob cancels a job.
func (c *Client) CancelJob(ctx context.Context, ws, name string) (*lathe.Job, error) {
	var out lathe.Job
	if err := c.doJSON(ctx, "POST", jobPath(ws, name)+"/cancel", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// JobEvents returns a job's lifecycle events.
func (c *Client) JobEvents(ctx context.Context, ws, name string) ([]lathe.JobEvent, error) {
	var all []lathe.JobEvent
	after := int64(0)
	for {
		var out struct {
			Items      []lathe.JobEvent `json:"items"`
			NextCursor string           `json:"next_cursor"`
		}
		if err := c.doJSON(ctx, "GET", fmt.Sprintf("%s/events?after=%d&limit=1000", jobPath(ws, name), after), nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Items...)
		if out.NextCursor == "" || len(out.Items) == 0 {
			return all, nil
		}
		after = out.Items[len(out.Items)-1].Seq
	}
}

// JobLogs returns a page of a job's log after line number after.
func (c *Client) JobLogs(ctx context.Context, ws, name string, after int64, limit int) (*LogPage, error) {
	var out LogPage
	if err := c.doJSON(ctx, "GET", fmt.Sprintf("%s/logs?after=%d&limit=%d", jobPath(ws, name), after, limit), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MaxSSEEvent bounds one Server-Sent Event the client accepts.
const MaxSSEEvent = 1 << 20

// FollowJobLogs streams a job's log from line after on until the job ends,
// calling line for each line and status for each status change, and
// returns the job as it ended. A stream that breaks off is resumed from
// the last line seen.
func (c *Client) FollowJobLogs(ctx context.Context, ws, name string, after int64, line func(lathe.LogLine), status func(*lathe.Job)) (*lathe.Job, error) {
	for tries := 0; ; tries++ {
		j, last, err := c.followOnce(ctx, ws, name, after, line, status)
		if err == nil && j != nil {
			return j, nil
		}
		if last > after {
			after, tries = last, 0
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil && !lathe.IsCode(err, lathe.EUNAVAILABLE) || tries >= 5 {
			if err == nil {
				err = lathe.Errorf(lathe.EUNAVAILABLE, "the log stream of job %s kept ending early", name)
			}
			return nil, err
		}
	}
}

func (c *Client) followOnce(ctx context.Context, ws, name string, after int64, line func(lathe.LogLine), status func(*lathe.Job)) (*lathe.Job, int64, error) {
	h := map[string][]string{"Accept": {"text/event-stream"}}
	resp, err := c.do(ctx, request{method: "GET", path: fmt.Sprintf("%s/logs?follow=1&after=%d", jobPath(ws, name), after), header: h, size: -1})
	if err != nil {
		return nil, after, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), MaxSSEEvent)
	var event, data string
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "":
			if event == "" && data == "" {
				continue
			}
			switch event {
			case "line":
				var ll lathe.LogLine
				if err := json.Unmarshal([]byte(data), &ll); err == nil {
					if ll.N > after {
						after = ll.N
						if line != nil {
							line(ll)
						}
					}
				}
			case "status", "end":
				var j lathe.Job
				if err := json.Unmarshal([]byte(data), &j); err != nil {
					return nil, after, fmt.Errorf("decode job status: %w", err)
				}
				if status != nil {
					status(&j)
				}
				if event == "end" {
					return &j, after, nil
				}
			case "error":
				var e struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				}
				_ = json.Unmarshal([]byte(data), &e)
				return nil, after, &lathe.Error{Code: e.Code, Message: e.Message}
			}
			event, data = "", ""
		case strings.HasPrefix(l, ":"):
		case strings.HasPrefix(l, "event:"):
			event = strings.TrimSpace(l[len("event:"):])
		case strings.HasPrefix(l, "data:"):
			d := strings.TrimPrefix(l[len("data:"):], " ")
			if data != "" {
				data += "\n"
			}
			data += d
		}
	}
	if ctx.Err() != nil {
		return nil, after, ctx.Err()
	}
	return nil, after, lathe.Errorf(lathe.EUNAVAILABLE, "the log stream of job %s ended early: %v", name, sc.Err())
}

// JobLineage returns what a job read and wrote.
func (c *Client) JobLineage(ctx context.Context, ws, name string) ([]lathe.JobLineage, error) {
	var out struct {
		Items []lathe.JobLineage `json:"items"`
	}
	if err := c.doJSON(ctx, "GET", jobPath(ws, name)+"/lineage", nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// JobOutput returns the data version an output was registered as.
func (c *Client) JobOutput(ctx context.Context, ws, name, output string) (*lathe.DataVersion, error) {
	var out lathe.DataVersion
	if err := c.doJSON(ctx, "GET", jobPath(ws, name)+"/outputs/"+url.PathEscape(output), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// JobPlan returns what a job's wrapper needs (the job's own token only).
func (c *Client) JobPlan(ctx context.Context, ws, name string) (*lathe.JobPlan, error) {
	var out lathe.JobPlan
	if err := c.doJSON(ctx, "GET", jobPath(ws, name)+"/plan", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// JobStarted reports that a job's command runs (the job's own token only).
func (c *Client) JobStarted(ctx context.Context, ws, name string) (*lathe.Job, error) {
	var out lathe.Job
	if err := c.doJSON(ctx, "POST", jobPath(ws, name)+"/started", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AppendJobLogs sends lines of a job's output (the job's own token only).
func (c *Client) AppendJobLogs(ctx context.Context, ws, name string, lines []lathe.LogLine) (*LogAppend, error) {
	var out LogAppend
	in := struct {
		Lines []lathe.LogLine `json:"lines"`
	}{lines}
	if err := c.doJSON(ctx, "POST", jobPath(ws, name)+"/logs", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RegisterJobOutput registers an output's uploaded files (the job's own
// token only).
func (c *Client) RegisterJobOutput(ctx context.Context, ws, name, output string, manifest []lathe.ManifestEntry) (*lathe.DataVersion, error) {
	var out lathe.DataVersion
	in := struct {
		Manifest []lathe.ManifestEntry `json:"manifest"`
	}{manifest}
	if err := c.doJSON(ctx, "POST", jobPath(ws, name)+"/outputs/"+url.PathEscape(output), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CompleteJob reports how an attempt ended (the job's own token only).
func (c *Client) CompleteJob(ctx context.Context, ws, name string, comp Completion) (*lathe.Job, error) {
	var out lathe.Job
	if err := c.doJSON(ctx, "POST", jobPath(ws, name)+"/complete", comp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
