package lathe

// Actions name what a request does, for authorization and the audit log. The
// API's route table and the studio's pages each name one per route; the
// policy below says who may do it. It is the one place authorization is
// decided.
const (
	ActHealth          = "server.health"
	ActInfo            = "server.info"
	ActWorkspaceList   = "workspace.list"
	ActWorkspaceCreate = "workspace.create"
	ActWorkspaceRead   = "workspace.read"
	ActWorkspaceDelete = "workspace.delete"
	ActUserList        = "user.list"
	ActUserWrite       = "user.write"
	ActTokenSelf       = "token.self"
	ActSignInLink      = "signin-link.create"
	ActSession         = "session"
	ActRoleRead        = "role.read"
	ActRoleWrite       = "role.write"
	ActAuditRead       = "audit.read"
	ActAuditReadAll    = "audit.read.all"
	ActAuditVerify     = "audit.verify"
	ActDataRead        = "data.read"
	ActDataWrite       = "data.write"
	ActDatastoreWrite  = "datastore.write"
	ActDatastoreLocal  = "datastore.local"
	ActComputeWrite    = "compute.write"
	ActComputeRead     = "compute.read"
	ActJobRead         = "job.read"
	ActJobWrite        = "job.write"
	// ActJobExec is what a job's wrapper (lathe exec) does with the job's
	// own token: fetch its plan, report status, ship logs and outputs. The
	// handlers also check that the token is the job's.
	ActJobExec          = "job.exec"
	ActEnvironmentRead  = "environment.read"
	ActEnvironmentWrite = "environment.write"
	ActTrackingRead     = "tracking.read"
	ActTrackingWrite    = "tracking.write"
	ActScheduleRead     = "schedule.read"
	ActScheduleWrite    = "schedule.write"
	// ActSignedUpload is an upload authorised by a signature in its URL
	// (multipart artifact parts), checked by the handler itself.
	ActSignedUpload = "upload.signed"
)

// Need is the kind of requirement a rule sets.
type Need int

// The kinds of requirement.
const (
	NeedPublic        Need = iota + 1 // anyone, no token
	NeedAuthenticated                 // any signed-in user
	NeedAdmin                         // a server administrator
	NeedRole                          // a role of at least Rule.Role in the workspace
)

// Rule is who may do an action.
type Rule struct {
	Need Need
	Role Role // for NeedRole
}

// policy maps every action to its rule. Server administrators pass every
// rule; in a workspace they act as owners.
var policy = map[string]Rule{
	ActHealth:           {Need: NeedPublic},
	ActSession:          {Need: NeedPublic},
	ActSignedUpload:     {Need: NeedPublic},
	ActInfo:             {Need: NeedAuthenticated},
	ActWorkspaceList:    {Need: NeedAuthenticated},
	ActUserList:         {Need: NeedAuthenticated},
	ActTokenSelf:        {Need: NeedAuthenticated},
	ActAuditVerify:      {Need: NeedAuthenticated},
	ActWorkspaceCreate:  {Need: NeedAdmin},
	ActUserWrite:        {Need: NeedAdmin},
	ActSignInLink:       {Need: NeedAdmin},
	ActAuditReadAll:     {Need: NeedAdmin},
	ActWorkspaceRead:    {Need: NeedRole, Role: RoleReader},
	ActRoleRead:         {Need: NeedRole, Role: RoleReader},
	ActAuditRead:        {Need: NeedRole, Role: RoleReader},
	ActDataRead:         {Need: NeedRole, Role: RoleReader},
	ActDataWrite:        {Need: NeedRole, Role: RoleDataScientist},
	ActDatastoreWrite:   {Need: NeedRole, Role: RoleContributor},
	ActDatastoreLocal:   {Need: NeedAdmin},
	ActTrackingRead:     {Need: NeedRole, Role: RoleReader},
	ActTrackingWrite:    {Need: NeedRole, Role: RoleDataScientist},
	ActComputeWrite:     {Need: NeedRole, Role: RoleContributor},
	ActComputeRead:      {Need: NeedRole, Role: RoleReader},
	ActJobRead:          {Need: NeedRole, Role: RoleReader},
	ActJobWrite:         {Need: NeedRole, Role: RoleDataScientist},
	ActJobExec:          {Need: NeedRole, Role: RoleDataScientist},
	ActEnvironmentRead:  {Need: NeedRole, Role: RoleReader},
	ActEnvironmentWrite: {Need: NeedRole, Role: RoleDataScientist},
	ActScheduleRead:     {Need: NeedRole, Role: RoleReader},
	ActScheduleWrite:    {Need: NeedRole, Role: RoleDataScientist},
	ActRoleWrite:        {Need: NeedRole, Role: RoleOwner},
	ActWorkspaceDelete:  {Need: NeedRole, Role: RoleOwner},
}

// PolicyFor returns the rule of an action; ok is false for an action nobody
// declared, which callers must treat as forbidden.
func PolicyFor(action string) (r Rule, ok bool) {
	r, ok = policy[action]
	return r, ok
}

// Actions lists every action that has a rule.
func Actions() []string {
	out := make([]string, 0, len(policy))
	for a := range policy {
		out = append(out, a)
	}
	return out
}
