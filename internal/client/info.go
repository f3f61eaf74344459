package client

import (
	"context"

	"github.com/latheml/lathe"
)

// Info is the server's description of itself.
type Info struct {
	Version       string          `json:"version"`
	Store         string          `json:"store"`
	Blob          string          `json:"blob"`
	SchemaVersion int             `json:"schema_version"`
	StartedAt     string          `json:"started_at"`
	Principal     lathe.Principal `json:"principal"`
	Limits        struct {
		MaxJSONBody int64 `json:"max_json_body"`
		MaxBlobSize int64 `json:"max_blob_size"`
		MaxPageSize int   `json:"max_page_size"`
		MaxBatch    int   `json:"max_batch"`
	} `json:"limits"`
}

// Info returns the server's info, and checks the token works.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	var out Info
	if err := c.doJSON(ctx, "GET", "/api/v1/info", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
