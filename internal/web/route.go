package web

import (
	"net/http"
)

// Access says who may use a route.
type Access int

const (
	// Public routes need no session: the sign-in form, static files and the
	// root redirect.
	Public Access = iota
	// SignedIn routes need a session but no permission from the policy
	// table: signing out and the workspace picker.
	SignedIn
	// Policy routes need a session and Authorizer.Authorize(Action).
	Policy
)

// String names the access level.
func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case SignedIn:
		return "signed-in"
	default:
		return "policy"
	}
}

// Scope says which workspace a route's Action is checked in.
type Scope int

const (
	// ScopeNone checks the action workspace-less (workspace "").
	ScopeNone Scope = iota
	// ScopePath checks it in the {workspace} of the path.
	ScopePath
	// ScopeQuery checks it in the workspace named by ?workspace=.
	ScopeQuery
)

// Route is one entry of the studio's route table.
type Route struct {
	Method string // GET or POST
	// Path is a net/http pattern path from the server root, e.g.
	// /ui/w/{workspace}/audit.
	Path   string
	Access Access
	// Action is the policy action Authorizer.Authorize is asked for before
	// the handler runs (Policy routes only), in the workspace Scope names.
	// Routes whose path has a {workspace} are also checked for
	// "workspace.read" there when Action is checked elsewhere.
	Action string
	Scope  Scope
	// Event is the audit action a mutating route records, with its outcome,
	// whether it succeeded, failed or was refused.
	Event   string
	Summary string
	h       handlerFunc
	// event, when set, names the audit action from the request instead of
	// Event (one route, two actions).
	event func(r *http.Request) string
}

// handlerFunc serves one route. Errors it returns are mapped to a page or a
// redirect in one place (fail).
type handlerFunc func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error

// Policy actions the studio asks the Authorizer about.
const (
	ActionWorkspaceRead = "workspace.read"
	ActionDataRead      = "data.read"
	ActionRoleRead      = "role.read"
	ActionRoleWrite     = "role.write"
	ActionAuditRead     = "audit.read"
	ActionAuditReadAll  = "audit.read.all"
	ActionUserWrite     = "user.write"
	ActionTrackingRead  = "tracking.read"
	ActionJobRead       = "job.read"
	ActionScheduleRead  = "schedule.read"
)

// table is the studio's route table: every route in one place.
func (s *Studio) table() []Route {
	ws := "/ui/w/{workspace}"
	sec := func(path, title string) Route {
		return Route{Method: "GET", Path: ws + "/" + path, Access: Policy, Action: ActionWorkspaceRead, Scope: ScopePath,
			Summary: title + ": what will appear here and how to fill it.", h: s.section(path)}
	}
	return []Route{
		{Method: "GET", Path: "/{$}", Access: Public, Summary: "Redirect the bare root to the studio.", h: s.rootRedirect},
		{Method: "GET", Path: "/ui/static/{file}", Access: Public, Summary: "The embedded CSS and JavaScript.", h: s.static},
		{Method: "GET", Path: "/ui/signin", Access: Public, Summary: "The sign-in form (token, or ?code= of a one-time link).", h: s.signinForm},
		{Method: "POST", Path: "/ui/signin", Access: Public, Event: "session.create", Summary: "Sign in with a token or a one-time link code.", h: s.signin},
		{Method: "POST", Path: "/ui/signout", Access: SignedIn, Event: "session.delete", Summary: "Sign out.", h: s.signout},
		{Method: "GET", Path: "/ui/{$}", Access: SignedIn, Summary: "Open the first workspace (or explain there is none).", h: s.index},
		{Method: "GET", Path: "/ui/switch", Access: Policy, Action: ActionWorkspaceRead, Scope: ScopeQuery, Summary: "The workspace switcher's target.", h: s.switchWorkspace},
		{Method: "GET", Path: ws, Access: Policy, Action: ActionWorkspaceRead, Scope: ScopePath, Summary: "Add the trailing slash of a workspace's home.",
			h: func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
				http.Redirect(w, r, wsURL(rc.ws.Name, ""), http.StatusMovedPermanently)
				return nil
			}},
		{Method: "GET", Path: ws + "/{$}", Access: Policy, Action: ActionWorkspaceRead, Scope: ScopePath, Summary: "Home: counts and recent activity.", h: s.home},
		{Method: "GET", Path: ws + "/data", Access: Policy, Action: ActionDataRead, Scope: ScopePath,
			Summary: "Data assets: search by name, include archived ones (the blobs when the server has no data assets).", h: s.data},
		{Method: "GET", Path: ws + "/blobs", Access: Policy, Action: ActionDataRead, Scope: ScopePath, Summary: "The workspace's blobs.", h: s.blobs},
		{Method: "GET", Path: ws + "/data/{name}", Access: Policy, Action: ActionDataRead, Scope: ScopePath,
			Summary: "A data asset's versions, and a form to compare two of them.", h: s.asset},
		{Method: "GET", Path: ws + "/data/{name}/versions/{version}", Access: Policy, Action: ActionDataRead, Scope: ScopePath,
			Summary: "A data version ('latest' for the newest): its metadata, its profile as one card per column, and its files.", h: s.dataVersion},
		{Method: "GET", Path: ws + "/data/{name}/versions/{version}/file", Access: Policy, Action: ActionDataRead, Scope: ScopePath,
			Summary: "One file of a data version (?path=), sandboxed, as a download.", h: s.dataFile},
		{Method: "GET", Path: ws + "/data/{name}/diff", Access: Policy, Action: ActionDataRead, Scope: ScopePath,
			Summary: "Compare two versions (?from=&to=): files, rows, schema and each common column's statistics.", h: s.dataDiff},
		{Method: "GET", Path: ws + "/jobs", Access: Policy, Action: ActionJobRead, Scope: ScopePath,
			Summary: "Jobs: filter by status, page by cursor (how to submit one when the server runs no jobs).", h: s.jobList},
		{Method: "GET", Path: ws + "/jobs/{name}", Access: Policy, Action: ActionJobRead, Scope: ScopePath,
			Summary: "A job: status and failure reason, spec, inputs and outputs, its run's params and metrics, events and the log.", h: s.job},
		{Method: "GET", Path: ws + "/jobs/{name}/logs/stream", Access: Policy, Action: ActionJobRead, Scope: ScopePath,
			Summary: "A job's log as Server-Sent Events (?after=, Last-Event-ID): line, status and end events.", h: s.jobLogStream},
		{Method: "GET", Path: ws + "/jobs/{name}/dag", Access: Policy, Action: ActionJobRead, Scope: ScopePath,
			Summary: "A pipeline job's steps as an HTML fragment (the DAG and the steps table), which its page fetches while it runs.", h: s.pipelineDAG},
		{Method: "GET", Path: ws + "/schedules", Access: Policy, Action: ActionScheduleRead, Scope: ScopePath,
			Summary: "Schedules: trigger, enabled, next fire times and the last job each submitted.", h: s.scheduleList},
		{Method: "GET", Path: ws + "/experiments", Access: Policy, Action: ActionTrackingRead, Scope: ScopePath,
			Summary: "Experiments: search by name, include deleted ones.", h: s.experiments},
		{Method: "GET", Path: ws + "/experiments/{id}", Access: Policy, Action: ActionTrackingRead, Scope: ScopePath,
			Summary: "An experiment's runs: filter (MLflow grammar), sort, choose metric and param columns, page.", h: s.experiment},
		{Method: "GET", Path: ws + "/runs/{run}", Access: Policy, Action: ActionTrackingRead, Scope: ScopePath,
			Summary: "A run: info, params, tags, metric charts and the artifacts browser.", h: s.run},
		{Method: "GET", Path: ws + "/runs/{run}/artifact", Access: Policy, Action: ActionTrackingRead, Scope: ScopePath,
			Summary: "One artifact file of a run (?path=), sandboxed, for image previews and downloads.", h: s.artifact},
		{Method: "GET", Path: ws + "/compare", Access: Policy, Action: ActionTrackingRead, Scope: ScopePath,
			Summary: "Compare up to 10 runs (?runs=a,b): overlaid metric charts and a param diff.", h: s.compare},
		sec("models", "Models"),
		sec("endpoints", "Endpoints"),
		sec("monitors", "Monitors"),
		{Method: "GET", Path: ws + "/audit", Access: Policy, Action: ActionAuditRead, Scope: ScopePath, Summary: "The audit log with filters and the chain check.", h: s.audit},
		{Method: "GET", Path: ws + "/settings", Access: Policy, Action: ActionRoleRead, Scope: ScopePath, Summary: "Tokens, roles and (for admins) users.", h: s.settings},
		{Method: "POST", Path: ws + "/settings/tokens", Access: Policy, Action: ActionWorkspaceRead, Scope: ScopePath, Event: "token.create",
			Summary: "Create one of your own tokens (Accounts enforces own-or-admin).", h: s.createToken},
		{Method: "POST", Path: ws + "/settings/tokens/{id}/revoke", Access: Policy, Action: ActionWorkspaceRead, Scope: ScopePath, Event: "token.revoke",
			Summary: "Revoke one of your own tokens (Accounts enforces own-or-admin).", h: s.revokeToken},
		{Method: "POST", Path: ws + "/settings/roles", Access: Policy, Action: ActionRoleWrite, Scope: ScopePath, Event: "role.assign",
			Summary: "Assign a role in the workspace.", h: s.assignRole},
		{Method: "POST", Path: ws + "/settings/roles/{user}/revoke", Access: Policy, Action: ActionRoleWrite, Scope: ScopePath, Event: "role.revoke",
			Summary: "Remove a user's role in the workspace.", h: s.revokeRole},
		{Method: "POST", Path: ws + "/settings/users", Access: Policy, Action: ActionUserWrite, Scope: ScopeNone, Event: "user.create",
			Summary: "Create a user (server admins).", h: s.createUser},
		{Method: "POST", Path: ws + "/settings/users/{user}/disabled", Access: Policy, Action: ActionUserWrite, Scope: ScopeNone, Event: "user.disable",
			Summary: "Disable or re-enable a user (server admins); records user.enable when re-enabling.", h: s.setUserDisabled,
			event: func(r *http.Request) string {
				if r.PostForm.Get("disabled") == "false" {
					return "user.enable"
				}
				return "user.disable"
			}},
	}
}
