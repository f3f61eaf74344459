package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/latheml/lathe"
)

// PipelineRequest submits a pipeline job (see the createPipelineJob
// operation).
type PipelineRequest struct {
	Name string             `json:"name,omitempty"`
	Spec lathe.PipelineSpec `json:"spec"`
}

// ComponentRequest registers a component version.
type ComponentRequest struct {
	Name      string              `json:"name,omitempty"`
	Version   string              `json:"version,omitempty"`
	Spec      lathe.ComponentSpec `json:"spec"`
	Anonymous bool                `json:"anonymous,omitempty"`
}

// PipelineSteps is a pipeline job with its steps.
type PipelineSteps struct {
	Job   lathe.Job            `json:"job"`
	Items []lathe.PipelineStep `json:"items"`
}

// InvalidateRequest names step cache entries to forget.
type InvalidateRequest struct {
	Key lathe.Digest `json:"key,omitempty"`
	Job string       `json:"job,omitempty"`
}

// InvalidateResult says how many entries went.
type InvalidateResult struct {
	Deleted int64 `json:"deleted"`
}

// CreatePipelineJob submits a pipeline job.
func (c *Client) CreatePipelineJob(ctx context.Context, ws string, req PipelineRequest) (*lathe.Job, error) {
	var out lathe.Job
	if err := c.doJSON(ctx, "POST", wsPath(ws)+"/pipeline-jobs", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PipelineSteps returns a pipeline job and its steps in run order.
func (c *Client) PipelineSteps(ctx context.Context, ws, name string) (*PipelineSteps, error) {
	var out PipelineSteps
	if err := c.doJSON(ctx, "GET", jobPath(ws, name)+"/steps", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// InvalidateStepCache forgets cached step outputs by key or by job.
func (c *Client) InvalidateStepCache(ctx context.Context, ws string, req InvalidateRequest) (*InvalidateResult, error) {
	var out InvalidateResult
	if err := c.doJSON(ctx, "POST", wsPath(ws)+"/step-cache/invalidate", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func componentPath(ws, name string) string { return wsPath(ws) + "/components/" + url.PathEscape(name) }

// CreateComponent registers a component version.
func (c *Client) CreateComponent(ctx context.Context, ws string, req ComponentRequest) (*lathe.Component, error) {
	var out lathe.Component
	if err := c.doJSON(ctx, "POST", wsPath(ws)+"/components", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Component returns a component version ("latest" for the newest).
func (c *Client) Component(ctx context.Context, ws, name, version string) (*lathe.Component, error) {
	var out lathe.Component
	if err := c.doJSON(ctx, "GET", componentPath(ws, name)+"/versions/"+url.PathEscape(version), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Components lists the newest version of each component.
func (c *Client) Components(ctx context.Context, ws string, archived bool) ([]lathe.Component, error) {
	var out struct {
		Items []lathe.Component `json:"items"`
	}
	q := url.Values{"archived": {strconv.FormatBool(archived)}}
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/components?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// ComponentVersions lists a component's versions, newest first.
func (c *Client) ComponentVersions(ctx context.Context, ws, name string) ([]lathe.Component, error) {
	var out struct {
		Items []lathe.Component `json:"items"`
	}
	if err := c.doJSON(ctx, "GET", componentPath(ws, name), nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// ArchiveComponent archives a version (or restores it).
func (c *Client) ArchiveComponent(ctx context.Context, ws, name, version string, restore bool) (*lathe.Component, error) {
	var out lathe.Component
	p := componentPath(ws, name) + "/versions/" + url.PathEscape(version) + "/archive"
	if restore {
		p += "?restore=true"
	}
	if err := c.doJSON(ctx, "POST", p, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
