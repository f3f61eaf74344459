package access

import (
	"context"
	"fmt"
	"time"

	"github.com/latheml/lathe"
)

// CreateWorkspace creates a workspace (server administrators only) and makes
// its creator its owner.
func (s *Service) CreateWorkspace(ctx context.Context, p lathe.Principal, name, description string) (*lathe.WorkspaceRole, error) {
	if _, _, err := s.Authorize(ctx, p, "", lathe.ActWorkspaceCreate); err != nil {
		return nil, err
	}
	if err := lathe.ValidateName("workspace", name); err != nil {
		return nil, err
	}
	if len(description) > 4096 {
		return nil, lathe.Errorf(lathe.EINVALID, "description is %d characters; the limit is 4096", len(description))
	}
	now := s.o.Now()
	w := &lathe.Workspace{ID: lathe.NewID(), Name: name, Description: description, CreatedAt: now, CreatedBy: p.UserName}
	if err := s.o.Store.CreateWorkspace(ctx, w); err != nil {
		return nil, err
	}
	defer s.forget()
	if err := s.o.Store.AssignRole(ctx, &lathe.RoleAssignment{WorkspaceID: w.ID, Workspace: w.Name, UserID: p.UserID, Role: lathe.RoleOwner, CreatedAt: now, CreatedBy: p.UserName}); err != nil {
		return nil, fmt.Errorf("make %s owner of %s: %w", p.UserName, name, err)
	}
	return &lathe.WorkspaceRole{Workspace: *w, Role: lathe.RoleOwner}, nil
}

// ListWorkspaces returns the workspaces p can see with p's role in each:
// every workspace for administrators (as owner), else those p has a role in.
func (s *Service) ListWorkspaces(ctx context.Context, p lathe.Principal) ([]*lathe.WorkspaceRole, error) {
	if _, _, err := s.Authorize(ctx, p, "", lathe.ActWorkspaceList); err != nil {
		return nil, err
	}
	var out []*lathe.WorkspaceRole
	if p.Admin {
		after := ""
		for {
			page, err := s.o.Store.ListWorkspaces(ctx, after, 500)
			if err != nil {
				return nil, err
			}
			for _, w := range page {
				out = append(out, &lathe.WorkspaceRole{Workspace: *w, Role: lathe.RoleOwner})
			}
			if len(page) < 500 {
				return out, nil
			}
			after = page[len(page)-1].Name
		}
	}
	roles, err := s.o.Store.ListUserRoles(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	for _, a := range roles {
		w, err := s.o.Store.WorkspaceByName(ctx, a.Workspace)
		if err != nil {
			return nil, err
		}
		out = append(out, &lathe.WorkspaceRole{Workspace: *w, Role: a.Role})
	}
	return out, nil
}

// WorkspaceDetail is a workspace with the caller's role and what it holds.
type WorkspaceDetail struct {
	lathe.WorkspaceRole
	Usage map[string]int64 `json:"usage" doc:"rows the workspace owns, by kind"`
}

// Workspace returns one workspace the caller can see.
func (s *Service) Workspace(ctx context.Context, p lathe.Principal, name string) (*WorkspaceDetail, error) {
	w, role, err := s.Authorize(ctx, p, name, lathe.ActWorkspaceRead)
	if err != nil {
		return nil, err
	}
	usage, err := s.o.Store.WorkspaceUsage(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	return &WorkspaceDetail{WorkspaceRole: lathe.WorkspaceRole{Workspace: *w, Role: role}, Usage: usage}, nil
}

// DeleteWorkspace deletes a workspace (owners only). A workspace that still
// holds anything is refused unless force is set.
func (s *Service) DeleteWorkspace(ctx context.Context, p lathe.Principal, name string, force bool) error {
	w, _, err := s.Authorize(ctx, p, name, lathe.ActWorkspaceDelete)
	if err != nil {
		return err
	}
	if name == lathe.DefaultWorkspace && !force {
		return lathe.Errorf(lathe.ECONFLICT, "workspace %q is the default one; pass --force to delete it anyway", name)
	}
	defer s.forget()
	return s.o.Store.DeleteWorkspace(ctx, w.ID, w.Name, force)
}

// Overview returns what a workspace's home page shows.
func (s *Service) Overview(ctx context.Context, p lathe.Principal, name string) (*lathe.Overview, error) {
	w, role, err := s.Authorize(ctx, p, name, lathe.ActWorkspaceRead)
	if err != nil {
		return nil, err
	}
	o := &lathe.Overview{Workspace: *w, Role: role}
	if o.Blobs, o.BlobBytes, err = s.o.Store.CountBlobs(ctx, w.ID); err != nil {
		return nil, err
	}
	if o.Members, err = s.o.Store.CountMembers(ctx, w.ID); err != nil {
		return nil, err
	}
	if o.AuditEvents, err = s.o.Audit.CountAudit(ctx, w.ID, s.o.Now().Add(-24*time.Hour)); err != nil {
		return nil, err
	}
	if o.Recent, err = s.o.Audit.ListAudit(ctx, lathe.AuditFilter{WorkspaceID: w.ID, Limit: 10}); err != nil {
		return nil, err
	}
	return o, nil
}
