package cli

import (
	"github.com/latheml/lathe"
	"github.com/spf13/cobra"
)

func (a *app) roleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "role",
		Short: "Assign, list and revoke workspace roles",
		Long: `Roles, lowest first, with Azure ML's meanings:
  reader          read everything in the workspace except secrets
  data-scientist  also create and edit assets, submit jobs, deploy
  contributor     also manage compute and workspace settings
  owner           also assign roles and delete the workspace
A workspace always keeps at least one owner.`,
	}
	cmd.AddCommand(a.roleAssignCmd(), a.roleListCmd(), a.roleRevokeCmd())
	return cmd
}

func (a *app) roleAssignCmd() *cobra.Command {
	var user, role string
	cmd := &cobra.Command{
		Use:     "assign",
		Short:   "Give a user a role in the workspace (owners), replacing the one they had",
		Example: "  lathe role assign --user ann --role data-scientist -w churn-team",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := lathe.ParseRole(role)
			if err != nil {
				return &usageError{err}
			}
			if user == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "--user is required")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			ra, err := c.AssignRole(cmd.Context(), ws, user, r)
			if err != nil {
				return err
			}
			return a.print(ra, func() table { return kv("workspace", ra.Workspace, "user", ra.User, "role", string(ra.Role)) })
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "user name")
	cmd.Flags().StringVar(&role, "role", "", "reader, data-scientist, contributor or owner")
	return cmd
}

func (a *app) roleListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List who holds which role in the workspace",
		Example: "  lathe role list -w churn-team",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			list, err := c.ListRoles(cmd.Context(), ws)
			if err != nil {
				return err
			}
			return a.print(list, func() table {
				t := table{header: []string{"USER", "ROLE", "SINCE", "BY"}}
				for _, r := range list {
					t.rows = append(t.rows, []string{r.User, string(r.Role), when(r.CreatedAt), r.CreatedBy})
				}
				return t
			})
		},
	}
}

func (a *app) roleRevokeCmd() *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:     "revoke",
		Short:   "Remove a user's role in the workspace (owners); the last owner cannot be removed",
		Example: "  lathe role revoke --user ann -w churn-team",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "--user is required")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			if err := c.RevokeRole(cmd.Context(), ws, user); err != nil {
				return err
			}
			out := map[string]string{"workspace": ws, "user": user, "revoked": "true"}
			return a.print(out, func() table { return table{rows: [][]string{{"revoked " + user + "'s role in " + ws}}} })
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "user name")
	return cmd
}
