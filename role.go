package lathe

import (
	"strings"
	"time"
)

// Role is a user's standing in one workspace. Roles are ordered: each can do
// everything the ones below it can, with the meanings of Azure ML's built-in
// roles.
type Role string

// The workspace roles, lowest first.
const (
	// RoleReader reads everything in the workspace except secrets.
	RoleReader Role = "reader"
	// RoleDataScientist does everything in the workspace except managing
	// compute and changing workspace settings: create and edit assets,
	// submit jobs, deploy.
	RoleDataScientist Role = "data-scientist"
	// RoleContributor also manages compute and workspace settings.
	RoleContributor Role = "contributor"
	// RoleOwner also assigns roles and deletes the workspace.
	RoleOwner Role = "owner"
)

// Roles lists the roles, lowest first.
var Roles = []Role{RoleReader, RoleDataScientist, RoleContributor, RoleOwner}

// Rank orders roles: 0 for an unknown role, then 1 (reader) to 4 (owner).
func (r Role) Rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// AtLeast reports whether r grants everything min grants.
func (r Role) AtLeast(min Role) bool { return r.Rank() >= min.Rank() && min.Rank() > 0 }

// ParseRole accepts a role name in any case, with '-', '_' or a space.
func ParseRole(s string) (Role, error) {
	n := strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(strings.TrimSpace(s)))
	if n == "datascientist" {
		n = string(RoleDataScientist)
	}
	r := Role(n)
	if r.Rank() == 0 {
		return "", Errorf(EINVALID, "role %q: use reader, data-scientist, contributor or owner", s)
	}
	return r, nil
}

// RoleAssignment gives a user a role in a workspace.
type RoleAssignment struct {
	WorkspaceID string    `json:"-"`
	Workspace   string    `json:"workspace"`
	UserID      string    `json:"-"`
	User        string    `json:"user"`
	Role        Role      `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}
