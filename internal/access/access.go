// Package access owns who may do what: workspaces, users, API tokens, roles
// and studio sessions, and Authorize, which applies the one policy table
// (lathe.PolicyFor) for the API and the studio alike.
package access

import (
	"context"
	"fmt"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/cache"
)

// Store is what the service needs from the metadata store.
type Store interface {
	WorkspaceStore
	AccountStore
	RoleStore
	SessionStore
}

// WorkspaceStore keeps workspaces.
type WorkspaceStore interface {
	CreateWorkspace(ctx context.Context, w *lathe.Workspace) error
	WorkspaceByName(ctx context.Context, name string) (*lathe.Workspace, error)
	ListWorkspaces(ctx context.Context, after string, limit int) ([]*lathe.Workspace, error)
	DeleteWorkspace(ctx context.Context, workspaceID, name string, force bool) error
	WorkspaceUsage(ctx context.Context, workspaceID string) (map[string]int64, error)
	CountBlobs(ctx context.Context, workspaceID string) (n, bytes int64, err error)
	CountMembers(ctx context.Context, workspaceID string) (int64, error)
}

// AccountStore keeps users and tokens.
type AccountStore interface {
	CreateUser(ctx context.Context, u *lathe.User) error
	UserByName(ctx context.Context, name string) (*lathe.User, error)
	UserByID(ctx context.Context, id string) (*lathe.User, error)
	ListUsers(ctx context.Context) ([]*lathe.User, error)
	SetUserDisabled(ctx context.Context, userID string, disabled bool) error
	Token(ctx context.Context, id string) (*lathe.Token, error)
	ListTokens(ctx context.Context, userID string) ([]*lathe.Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time) error
}

// RoleStore keeps role assignments.
type RoleStore interface {
	AssignRole(ctx context.Context, a *lathe.RoleAssignment) error
	RevokeRole(ctx context.Context, workspaceID, workspace, userID string) error
	Role(ctx context.Context, workspaceID, userID string) (*lathe.RoleAssignment, error)
	ListRoles(ctx context.Context, workspaceID string) ([]*lathe.RoleAssignment, error)
	ListUserRoles(ctx context.Context, userID string) ([]*lathe.RoleAssignment, error)
}

// SessionStore keeps studio sessions and sign-in links.
type SessionStore interface {
	CreateSession(ctx context.Context, s *lathe.Session, hash string) error
	SessionByHash(ctx context.Context, hash string) (*lathe.Session, *lathe.User, error)
	DeleteSession(ctx context.Context, hash string) error
	CreateSignInLink(ctx context.Context, hash, userID string, created, expires time.Time) error
	UseSignInLink(ctx context.Context, hash string, at time.Time) (*lathe.User, error)
}

// Tokens authenticates and issues API tokens (internal/auth).
type Tokens interface {
	Authenticate(ctx context.Context, secret string) (lathe.Principal, error)
	Issue(ctx context.Context, userID, name string, expires *time.Time) (string, *lathe.Token, error)
	Hash(secret string) string
	// Invalidate forgets cached token lookups.
	Invalidate()
}

// AuditTail lists recent audit events for overviews.
type AuditTail interface {
	ListAudit(ctx context.Context, f lathe.AuditFilter) ([]*lathe.AuditEvent, error)
	CountAudit(ctx context.Context, workspaceID string, since time.Time) (int64, error)
}

// Options configure the service.
type Options struct {
	Store  Store
	Tokens Tokens
	Audit  AuditTail
	Now    func() time.Time
	// SessionTTL is how long a studio session lasts (default 12h);
	// LinkTTL how long a one-time sign-in link works (default 15m).
	SessionTTL time.Duration
	LinkTTL    time.Duration
}

// Service applies the access rules.
type Service struct {
	o Options
	// Workspaces and roles are looked up on every request; they are reused
	// for a moment and cleared by every change made through this server.
	workspaces *cache.Map[string, *lathe.Workspace]
	roles      *cache.Map[[2]string, lathe.Role]
}

// CacheTTL is how long a workspace or role lookup is reused.
const CacheTTL = 2 * time.Second

// forget clears the workspace and role caches after a change.
func (s *Service) forget() {
	s.workspaces.Clear()
	s.roles.Clear()
}

// New returns a Service.
func New(o Options) *Service {
	if o.SessionTTL == 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.LinkTTL == 0 {
		o.LinkTTL = 15 * time.Minute
	}
	return &Service{o: o,
		workspaces: &cache.Map[string, *lathe.Workspace]{TTL: CacheTTL, Max: 10000, Now: o.Now},
		roles:      &cache.Map[[2]string, lathe.Role]{TTL: CacheTTL, Max: 100000, Now: o.Now}}
}

// Authorize decides whether p may do action, in the named workspace for
// workspace-scoped actions ("" otherwise), from the policy table. It returns
// the workspace and p's role in it. A user who holds no role in a workspace
// gets lathe.ENOTFOUND, exactly as if it did not exist, so existence does not
// leak; a role that is too low gets lathe.EFORBIDDEN.
func (s *Service) Authorize(ctx context.Context, p lathe.Principal, workspace, action string) (*lathe.Workspace, lathe.Role, error) {
	rule, ok := lathe.PolicyFor(action)
	if !ok {
		return nil, "", lathe.Errorf(lathe.EFORBIDDEN, "action %q has no access rule, so nobody may do it", action)
	}
	if rule.Need != lathe.NeedPublic && p.UserID == "" {
		return nil, "", lathe.Errorf(lathe.EUNAUTHORIZED, "sign in first")
	}
	switch rule.Need {
	case lathe.NeedPublic, lathe.NeedAuthenticated:
		return nil, "", nil
	case lathe.NeedAdmin:
		if !p.Admin {
			return nil, "", lathe.Errorf(lathe.EFORBIDDEN, "%s needs a server administrator; %s is not one", action, p.UserName)
		}
		return nil, "", nil
	}
	if workspace == "" {
		return nil, "", lathe.Errorf(lathe.EINVALID, "%s needs a workspace", action)
	}
	if err := lathe.ValidateName("workspace", workspace); err != nil {
		return nil, "", err
	}
	w, role, err := s.membership(ctx, p, workspace)
	if err != nil {
		return nil, "", err
	}
	if !role.AtLeast(rule.Role) {
		return w, role, lathe.Errorf(lathe.EFORBIDDEN, "%s in workspace %q needs the %s role or above; %s is %s there (an owner can run `lathe role assign`)",
			action, workspace, rule.Role, p.UserName, role)
	}
	return w, role, nil
}

// membership returns the workspace and p's role, or lathe.ENOTFOUND when the
// workspace does not exist or p has no role in it.
func (s *Service) membership(ctx context.Context, p lathe.Principal, workspace string) (*lathe.Workspace, lathe.Role, error) {
	notFound := lathe.Errorf(lathe.ENOTFOUND, "workspace %q not found; `lathe workspace list` shows the ones you can use", workspace)
	w, ok := s.workspaces.Get(workspace)
	if !ok {
		var err error
		w, err = s.o.Store.WorkspaceByName(ctx, workspace)
		if lathe.IsCode(err, lathe.ENOTFOUND) {
			return nil, "", notFound
		}
		if err != nil {
			return nil, "", err
		}
		s.workspaces.Put(workspace, w)
	}
	if p.Admin {
		return w, lathe.RoleOwner, nil
	}
	key := [2]string{w.ID, p.UserID}
	if r, ok := s.roles.Get(key); ok {
		return w, r, nil
	}
	a, err := s.o.Store.Role(ctx, w.ID, p.UserID)
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		return nil, "", notFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("look up role: %w", err)
	}
	s.roles.Put(key, a.Role)
	return w, a.Role, nil
}
