package api

import "net/http"

// table is the route table: every route the server serves, in one place.
func (a *API) table() []Route {
	ws := "/api/v1/workspaces/{workspace}"
	return []Route{
		{Method: "GET", Path: "/healthz", ID: "health", Tag: "ops", Public: true,
			Summary: "Liveness: the process serves HTTP.", Response: Health{}, Handler: a.health},
		{Method: "GET", Path: "/readyz", ID: "ready", Tag: "ops", Public: true,
			Summary: "Readiness: the metadata and blob stores answer (503 if not).", Response: Health{}, Handler: a.ready},
		{Method: "GET", Path: "/metrics", ID: "metrics", Tag: "ops", Public: true,
			Summary: "Prometheus metrics in the text exposition format.", RawResponse: true, Handler: a.promMetrics},
		{Method: "GET", Path: "/api/v1/openapi.json", ID: "openapi", Tag: "server",
			Summary: "This document.", Response: map[string]any{}, Handler: a.openapi},
		{Method: "GET", Path: "/api/v1/info", ID: "getInfo", Tag: "server",
			Summary: "The server's version, backends, limits and who you are.", Response: Info{}, Handler: a.info},
		{Method: "POST", Path: ws + "/blobs", ID: "putBlob", Tag: "blobs", Status: http.StatusCreated,
			Summary: "Upload bytes (streamed). The server computes the sha256 digest; send the one you expect to have it checked.",
			RawBody: true, Response: Blob{},
			Query:   []Param{{"digest", "string", "expected sha256:<hex> digest; a mismatch is refused and nothing is stored"}},
			Headers: []Param{{"X-Lathe-Digest", "string", "same as the digest query parameter"}},
			Handler: a.putBlob},
		{Method: "GET", Path: ws + "/blobs", ID: "listBlobs", Tag: "blobs",
			Summary: "List the workspace's blobs, newest first.", Response: Page[Blob]{},
			Query: pageParams, Handler: a.listBlobs},
		{Method: "GET", Path: ws + "/blobs/{digest}", ID: "getBlob", Tag: "blobs", RawResponse: true,
			Summary: "Download a blob. Supports a single Range (206) and HEAD; whole downloads are verified against the digest.",
			Headers: []Param{{"Range", "string", "bytes=start-end, bytes=start- or bytes=-suffix"}},
			Handler: a.getBlob},
		{Method: "POST", Path: ws + "/blobs/exists", ID: "blobsExist", Tag: "blobs",
			Summary: "Which of up to 1000 digests the workspace holds, in order.",
			Body:    ExistsRequest{}, Response: ExistsResponse{}, Handler: a.blobsExist},
	}
}

var pageParams = []Param{
	{"limit", "integer", "items per page, 1-1000 (default 100)"},
	{"cursor", "string", "next_cursor of the previous page"},
}
