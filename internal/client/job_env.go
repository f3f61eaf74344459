package client

import (
	"context"
	"net/url"

	"github.com/latheml/lathe"
)

// EnvironmentRequest creates an environment version (see the
// createEnvironment operation).
type EnvironmentRequest struct {
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	Image        string            `json:"image,omitempty"`
	CondaFile    string            `json:"conda_file,omitempty"`
	Requirements string            `json:"requirements,omitempty"`
}

// ComputeRequest creates a compute target (see the createCompute
// operation).
type ComputeRequest struct {
	Name        string            `json:"name"`
	Type        string            `json:"type"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	CPU         float64           `json:"cpu,omitempty"`
	Memory      int64             `json:"memory,omitempty"`
}

// ComputeInfo is a compute target with what its jobs hold now.
type ComputeInfo struct {
	lathe.Compute
	Usage lathe.ComputeUsage `json:"usage"`
}

func envPath(ws, name string) string { return wsPath(ws) + "/environments/" + url.PathEscape(name) }

// CreateEnvironment creates an environment version.
func (c *Client) CreateEnvironment(ctx context.Context, ws, name string, req EnvironmentRequest) (*lathe.Environment, error) {
	var out lathe.Environment
	if err := c.doJSON(ctx, "POST", envPath(ws, name)+"/versions", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Environment returns an environment version ("latest" for the newest).
func (c *Client) Environment(ctx context.Context, ws, name, version string) (*lathe.Environment, error) {
	var out lathe.Environment
	if err := c.doJSON(ctx, "GET", envPath(ws, name)+"/versions/"+url.PathEscape(version), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Environments returns a page of the workspace's environments.
func (c *Client) Environments(ctx context.Context, ws, cursor string, limit int) ([]lathe.Environment, string, error) {
	var out struct {
		Items      []lathe.Environment `json:"items"`
		NextCursor string              `json:"next_cursor"`
	}
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/environments"+listQuery(false, cursor, limit), nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// EnvironmentVersions returns a page of an environment's versions.
func (c *Client) EnvironmentVersions(ctx context.Context, ws, name, cursor string, limit int) ([]lathe.Environment, string, error) {
	var out struct {
		Items      []lathe.Environment `json:"items"`
		NextCursor string              `json:"next_cursor"`
	}
	if err := c.doJSON(ctx, "GET", envPath(ws, name)+"/versions"+listQuery(false, cursor, limit), nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// CreateCompute creates a compute target.
func (c *Client) CreateCompute(ctx context.Context, ws string, req ComputeRequest) (*lathe.Compute, error) {
	var out lathe.Compute
	if err := c.doJSON(ctx, "POST", wsPath(ws)+"/computes", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Compute returns a compute target with its usage.
func (c *Client) Compute(ctx context.Context, ws, name string) (*ComputeInfo, error) {
	var out ComputeInfo
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/computes/"+url.PathEscape(name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Computes lists the workspace's compute targets.
func (c *Client) Computes(ctx context.Context, ws string) ([]ComputeInfo, error) {
	var out struct {
		Items []ComputeInfo `json:"items"`
	}
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/computes", nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}
