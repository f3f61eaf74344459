// Package client is the typed Go client of Lathe's native API, used by the
// CLI, the in-job wrapper and end-to-end tests. It maps error responses back
// to *lathe.Error, so callers see the same codes the server produced.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// Client talks to one Lathe server as one token.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client of the server at baseURL. httpClient nil means a
// client with sensible timeouts for API calls (transfers are not bounded by
// a total timeout, only by ctx).
func New(baseURL, token string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, lathe.Errorf(lathe.EINVALID, "server URL %q must look like http://127.0.0.1:8080; set it with `lathe login --url` or LATHE_URL", baseURL)
	}
	if httpClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 5 * time.Minute
		httpClient = &http.Client{Transport: tr}
	}
	return &Client{base: u, token: token, http: httpClient}, nil
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// request is one API call.
type request struct {
	method string
	path   string // under the base URL, with any query
	body   io.Reader
	ctype  string
	header http.Header
	size   int64 // body size if known, else -1
}

// do sends a request and returns the response if its status is 2xx or 3xx,
// or the decoded error.
func (c *Client) do(ctx context.Context, rq request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, rq.method, c.base.String()+rq.path, rq.body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	if rq.ctype != "" {
		req.Header.Set("Content-Type", rq.ctype)
	}
	if rq.body != nil && rq.size >= 0 {
		req.ContentLength = rq.size
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "lathe-client/"+lathe.Version)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, lathe.Errorf(lathe.EUNAVAILABLE, "cannot reach the Lathe server at %s: %v; is `lathe up` running?", c.base, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

// doJSON sends in (if not nil) as JSON and decodes the response into out (if
// not nil).
func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	rq := request{method: method, path: path, size: -1}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rq.body, rq.ctype, rq.size = bytes.NewReader(b), "application/json", int64(len(b))
	}
	resp, err := c.do(ctx, rq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s response: %w", method, path, err)
	}
	return nil
}

// errorBody is the server's error shape.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// decodeError turns an error response into a *lathe.Error.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var eb errorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
		return &lathe.Error{Code: eb.Error.Code, Message: eb.Error.Message}
	}
	var mb struct {
		ErrorCode string `json:"error_code"`
		Message   string `json:"message"`
	}
	if json.Unmarshal(b, &mb) == nil && mb.ErrorCode != "" {
		return &lathe.Error{Code: mlflowCode(mb.ErrorCode, resp.StatusCode), Message: mb.Message}
	}
	msg := strings.TrimSpace(string(b))
	if msg == "" {
		msg = resp.Status
	}
	return &lathe.Error{Code: codeOf(resp.StatusCode), Message: fmt.Sprintf("server answered %s: %s", resp.Status, msg)}
}

// mlflowCode maps an MLflow error_code back to a Lathe error code.
func mlflowCode(code string, status int) string {
	switch code {
	case "RESOURCE_DOES_NOT_EXIST":
		return lathe.ENOTFOUND
	case "RESOURCE_ALREADY_EXISTS":
		return lathe.ECONFLICT
	case "INVALID_PARAMETER_VALUE", "BAD_REQUEST":
		return lathe.EINVALID
	case "UNAUTHENTICATED":
		return lathe.EUNAUTHORIZED
	case "PERMISSION_DENIED":
		return lathe.EFORBIDDEN
	}
	return codeOf(status)
}

// codeOf maps an HTTP status back to an error code, for responses without
// the error shape (a proxy in between, say).
func codeOf(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		return lathe.EINVALID
	case http.StatusUnauthorized:
		return lathe.EUNAUTHORIZED
	case http.StatusForbidden:
		return lathe.EFORBIDDEN
	case http.StatusNotFound:
		return lathe.ENOTFOUND
	case http.StatusConflict:
		return lathe.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return lathe.ETOOLARGE
	case http.StatusRequestedRangeNotSatisfiable:
		return lathe.ERANGE
	case http.StatusUnprocessableEntity:
		return lathe.EUNSUPPORTED
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return lathe.EUNAVAILABLE
	default:
		return lathe.EINTERNAL
	}
}

// decodeBody decodes a JSON response body.
func decodeBody(r io.Reader, out any) error {
	if err := json.NewDecoder(r).Decode(out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}
