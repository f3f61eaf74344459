package api

import (
	"net/http"

	"github.com/latheml/lathe"
)

// table is the route table: every route the server serves, in one place,
// each with the action the access policy decides on.
func (a *API) table() []Route {
	ws := "/api/v1/workspaces/{workspace}"
	return append([]Route{
		{Method: "GET", Path: "/healthz", ID: "health", Tag: "ops", Action: lathe.ActHealth,
			Summary: "Liveness: the process serves HTTP.", Response: Health{}, Handler: a.health},
		{Method: "GET", Path: "/readyz", ID: "ready", Tag: "ops", Action: lathe.ActHealth,
			Summary: "Readiness: the metadata and blob stores answer (503 if not).", Response: Health{}, Handler: a.ready},
		{Method: "GET", Path: "/metrics", ID: "metrics", Tag: "ops", Action: lathe.ActHealth,
			Summary: "Prometheus metrics in the text exposition format.", RawResponse: true, Handler: a.promMetrics},
		{Method: "GET", Path: "/api/v1/openapi.json", ID: "openapi", Tag: "server", Action: lathe.ActInfo,
			Summary: "This document.", Response: map[string]any{}, Handler: a.openapi},
		{Method: "GET", Path: "/api/v1/info", ID: "getInfo", Tag: "server", Action: lathe.ActInfo,
			Summary: "The server's version, backends, limits and who you are.", Response: Info{}, Handler: a.info},

		// Workspaces.
		{Method: "POST", Path: "/api/v1/workspaces", ID: "createWorkspace", Tag: "workspaces", Action: lathe.ActWorkspaceCreate, Status: http.StatusCreated,
			Summary: "Create a workspace (server administrators); the creator becomes its owner.",
			Body:    CreateWorkspaceRequest{}, Response: lathe.WorkspaceRole{}, Handler: a.createWorkspace},
		{Method: "GET", Path: "/api/v1/workspaces", ID: "listWorkspaces", Tag: "workspaces", Action: lathe.ActWorkspaceList,
			Summary: "The workspaces you hold a role in, with your role.", Response: Page[lathe.WorkspaceRole]{}, Handler: a.listWorkspaces},
		{Method: "GET", Path: ws, ID: "getWorkspace", Tag: "workspaces", Action: lathe.ActWorkspaceRead,
			Summary: "One workspace, your role in it and what it holds.", Response: WorkspaceDetail{}, Handler: a.getWorkspace},
		{Method: "DELETE", Path: ws, ID: "deleteWorkspace", Tag: "workspaces", Action: lathe.ActWorkspaceDelete, Status: http.StatusNoContent,
			Summary: "Delete a workspace (owners). A workspace that holds anything is refused unless force=true.",
			Query:   []Param{{"force", "boolean", "delete the workspace's contents too"}}, Handler: a.deleteWorkspace},

		// Roles.
		{Method: "GET", Path: ws + "/roles", ID: "listRoles", Tag: "roles", Action: lathe.ActRoleRead,
			Summary: "Who holds which role in the workspace.", Response: Page[lathe.RoleAssignment]{}, Handler: a.listRoles},
		{Method: "PUT", Path: ws + "/roles/{user}", ID: "assignRole", Tag: "roles", Action: lathe.ActRoleWrite,
			Summary: "Give a user a role in the workspace (owners), replacing the one they had. A workspace always keeps an owner.",
			Body:    AssignRoleRequest{}, Response: lathe.RoleAssignment{}, Handler: a.assignRole},
		{Method: "DELETE", Path: ws + "/roles/{user}", ID: "revokeRole", Tag: "roles", Action: lathe.ActRoleWrite, Status: http.StatusNoContent,
			Summary: "Remove a user's role in the workspace (owners); the last owner cannot be removed.", Handler: a.revokeRole},

		// Users and tokens.
		{Method: "GET", Path: "/api/v1/users", ID: "listUsers", Tag: "users", Action: lathe.ActUserList,
			Summary: "Every user.", Response: Page[lathe.User]{}, Handler: a.listUsers},
		{Method: "POST", Path: "/api/v1/users", ID: "createUser", Tag: "users", Action: lathe.ActUserWrite, Status: http.StatusCreated,
			Summary: "Create a user (server administrators).", Body: CreateUserRequest{}, Response: lathe.User{}, Handler: a.createUser},
		{Method: "PATCH", Path: "/api/v1/users/{user}", ID: "updateUser", Tag: "users", Action: lathe.ActUserWrite,
			Summary: "Disable or re-enable a user (server administrators). A disabled user's tokens stop working at once.",
			Body:    UpdateUserRequest{}, Response: lathe.User{}, Handler: a.updateUser},
		{Method: "GET", Path: "/api/v1/users/{user}/tokens", ID: "listTokens", Tag: "users", Action: lathe.ActTokenSelf,
			Summary:  "A user's API tokens, without secrets (yours, or anyone's for administrators; `me` is you).",
			Response: Page[lathe.Token]{}, Handler: a.listTokens},
		{Method: "POST", Path: "/api/v1/users/{user}/tokens", ID: "createToken", Tag: "users", Action: lathe.ActTokenSelf, Status: http.StatusCreated,
			Summary: "Create an API token; its secret is in this response only.", Body: CreateTokenRequest{}, Response: CreatedToken{}, Handler: a.createToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", ID: "revokeToken", Tag: "users", Action: lathe.ActTokenSelf, Status: http.StatusNoContent,
			Summary: "Revoke a token (yours, or anyone's for administrators); it stops working at once.", Handler: a.revokeToken},
		{Method: "POST", Path: "/api/v1/users/{user}/signin-links", ID: "createSignInLink", Tag: "users", Action: lathe.ActSignInLink, Status: http.StatusCreated,
			Summary: "A one-time studio sign-in link for a user (server administrators).", Response: SignInLink{}, Handler: a.createSignInLink},

		// Audit.
		{Method: "GET", Path: "/api/v1/audit", ID: "listAudit", Tag: "audit", Action: lathe.ActAuditReadAll,
			Summary: "The whole audit log, newest first (server administrators).", Query: auditParams, Response: Page[lathe.AuditEvent]{}, Handler: a.listAudit},
		{Method: "GET", Path: ws + "/audit", ID: "listWorkspaceAudit", Tag: "audit", Action: lathe.ActAuditRead,
			Summary: "The workspace's audit events, newest first.", Query: auditParams, Response: Page[lathe.AuditEvent]{}, Handler: a.listAudit},
		{Method: "GET", Path: "/api/v1/audit/verify", ID: "verifyAudit", Tag: "audit", Action: lathe.ActAuditVerify,
			Summary:  "Check the audit log's hash chain and name the first row that was edited, deleted or reordered.",
			Response: lathe.AuditVerdict{}, Handler: a.verifyAudit},

		// Tracking (the rest of it is served by the MLflow API).
		{Method: "GET", Path: ws + "/runs/{run}/metric-history", ID: "metricHistory", Tag: "tracking", Action: lathe.ActTrackingRead,
			Summary: "A metric's history downsampled to at most `points` buckets (default 1000), each with min, max, mean and its first and last values, so a chart of a million points keeps its spikes.",
			Query: []Param{{"key", "string", "metric key"}, {"points", "integer", "most buckets, 1-10000 (default 1000)"},
				{"start_step", "integer", "first step to include"}, {"end_step", "integer", "last step to include"}},
			Response: MetricSeries{}, Handler: a.metricHistory},

		// Blobs.
		{Method: "POST", Path: ws + "/blobs", ID: "putBlob", Tag: "blobs", Action: lathe.ActDataWrite, Status: http.StatusCreated,
			Summary: "Upload bytes (streamed). The server computes the sha256 digest; send the one you expect to have it checked.",
			RawBody: true, Response: Blob{},
			Query:   []Param{{"digest", "string", "expected sha256:<hex> digest; a mismatch is refused and nothing is stored"}},
			Headers: []Param{{"X-Lathe-Digest", "string", "same as the digest query parameter"}},
			Handler: a.putBlob},
		{Method: "GET", Path: ws + "/blobs", ID: "listBlobs", Tag: "blobs", Action: lathe.ActDataRead,
			Summary: "List the workspace's blobs, newest first.", Response: Page[Blob]{},
			Query: pageParams, Handler: a.listBlobs},
		{Method: "GET", Path: ws + "/blobs/{digest}", ID: "getBlob", Tag: "blobs", Action: lathe.ActDataRead, RawResponse: true,
			Summary: "Download a blob. Supports a single Range (206) and HEAD; whole downloads are verified against the digest.",
			Headers: []Param{{"Range", "string", "bytes=start-end, bytes=start- or bytes=-suffix"}},
			Handler: a.getBlob},
		{Method: "POST", Path: ws + "/blobs/exists", ID: "blobsExist", Tag: "blobs", Action: lathe.ActDataRead,
			Summary: "Which of up to 1000 digests the workspace holds, in order.", ReadOnly: true,
			Body: ExistsRequest{}, Response: ExistsResponse{}, Handler: a.blobsExist},
	}, append(append(append(append(append(a.dataRoutes(), a.jobRoutes()...), a.environmentRoutes()...), a.computeRoutes()...), a.pipelineRoutes()...), a.scheduleRoutes()...)...)
}

var pageParams = []Param{
	{"limit", "integer", "items per page, 1-1000 (default 100)"},
	{"cursor", "string", "next_cursor of the previous page"},
}

var auditParams = []Param{
	{"actor", "string", "only events by this user"},
	{"action", "string", "only this action (route id, e.g. assignRole), or a prefix ending in *"},
	{"outcome", "string", "success, failure or denied"},
	{"since", "string", "RFC 3339 time or a duration back from now (e.g. 24h)"},
	{"until", "string", "RFC 3339 time"},
	{"limit", "integer", "events per page, 1-1000 (default 100)"},
	{"cursor", "string", "next_cursor of the previous page"},
}
