package client

import (
	"context"
	"net/url"

	"github.com/latheml/lathe"
)

// CreateScheduleRequest creates a schedule (see the createSchedule
// operation).
type CreateScheduleRequest struct {
	Name        string                `json:"name"`
	DisplayName string                `json:"display_name,omitempty"`
	Description string                `json:"description,omitempty"`
	Tags        map[string]string     `json:"tags,omitempty"`
	Kind        string                `json:"kind,omitempty"`
	Spec        any                   `json:"spec"`
	Trigger     lathe.ScheduleTrigger `json:"trigger"`
	Disabled    bool                  `json:"disabled,omitempty"`
}

func schedulePath(ws, name string) string { return wsPath(ws) + "/schedules/" + url.PathEscape(name) }

// CreateSchedule creates a schedule.
func (c *Client) CreateSchedule(ctx context.Context, ws string, req CreateScheduleRequest) (*lathe.Schedule, error) {
	var out lathe.Schedule
	if err := c.doJSON(ctx, "POST", wsPath(ws)+"/schedules", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Schedules returns the workspace's schedules by name.
func (c *Client) Schedules(ctx context.Context, ws string) ([]lathe.Schedule, error) {
	var out struct {
		Items []lathe.Schedule `json:"items"`
	}
	if err := c.doJSON(ctx, "GET", wsPath(ws)+"/schedules", nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// Schedule returns one schedule with its next fire times.
func (c *Client) Schedule(ctx context.Context, ws, name string) (*lathe.Schedule, error) {
	var out lathe.Schedule
	if err := c.doJSON(ctx, "GET", schedulePath(ws, name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetScheduleEnabled enables or disables a schedule.
func (c *Client) SetScheduleEnabled(ctx context.Context, ws, name string, enabled bool) (*lathe.Schedule, error) {
	verb := "/disable"
	if enabled {
		verb = "/enable"
	}
	var out lathe.Schedule
	if err := c.doJSON(ctx, "POST", schedulePath(ws, name)+verb, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteSchedule deletes a schedule.
func (c *Client) DeleteSchedule(ctx context.Context, ws, name string) error {
	return c.doJSON(ctx, "DELETE", schedulePath(ws, name), nil, nil)
}
