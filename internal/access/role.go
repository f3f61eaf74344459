package access

import (
	"context"

	"github.com/latheml/lathe"
)

// ListRoles returns the workspace's role assignments (members may see them).
func (s *Service) ListRoles(ctx context.Context, p lathe.Principal, workspace string) ([]*lathe.RoleAssignment, error) {
	w, _, err := s.Authorize(ctx, p, workspace, lathe.ActRoleRead)
	if err != nil {
		return nil, err
	}
	return s.o.Store.ListRoles(ctx, w.ID)
}

// AssignRole gives a user a role in the workspace (owners only), replacing
// the role they had. Demoting the last owner is lathe.ECONFLICT.
func (s *Service) AssignRole(ctx context.Context, p lathe.Principal, workspace, user string, role lathe.Role) (*lathe.RoleAssignment, error) {
	w, _, err := s.Authorize(ctx, p, workspace, lathe.ActRoleWrite)
	if err != nil {
		return nil, err
	}
	if role.Rank() == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "role %q: use reader, data-scientist, contributor or owner", role)
	}
	u, err := s.user(ctx, p, user)
	if err != nil {
		return nil, err
	}
	a := &lathe.RoleAssignment{WorkspaceID: w.ID, Workspace: w.Name, UserID: u.ID, User: u.Name, Role: role, CreatedAt: s.o.Now(), CreatedBy: p.UserName}
	defer s.forget()
	if err := s.o.Store.AssignRole(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// RevokeRole removes a user's role in the workspace (owners only); the last
// owner cannot be removed.
func (s *Service) RevokeRole(ctx context.Context, p lathe.Principal, workspace, user string) error {
	w, _, err := s.Authorize(ctx, p, workspace, lathe.ActRoleWrite)
	if err != nil {
		return err
	}
	u, err := s.user(ctx, p, user)
	if err != nil {
		return err
	}
	defer s.forget()
	return s.o.Store.RevokeRole(ctx, w.ID, w.Name, u.ID)
}
