package cli

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/spf13/cobra"
)

func (a *app) workspaceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "workspace",
		Aliases: []string{"ws"},
		Short:   "Create, list, show and delete workspaces",
		Long: `A workspace is the tenant: every asset, job, endpoint and permission lives in
exactly one. Server administrators create workspaces and become their owners;
other users see the workspaces they hold a role in.`,
	}
	cmd.AddCommand(a.wsCreateCmd(), a.wsListCmd(), a.wsShowCmd(), a.wsDeleteCmd())
	return cmd
}

func (a *app) wsCreateCmd() *cobra.Command {
	var desc string
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a workspace (server administrators); you become its owner",
		Example: "  lathe workspace create churn-team --description 'Churn models'",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			w, err := c.CreateWorkspace(cmd.Context(), argv[0], desc)
			if err != nil {
				return err
			}
			return a.print(w, func() table {
				return kv("name", w.Name, "id", w.ID, "your role", string(w.Role), "created", when(w.CreatedAt))
			})
		},
	}
	cmd.Flags().StringVar(&desc, "description", "", "what the workspace is for")
	return cmd
}

func (a *app) wsListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the workspaces you hold a role in",
		Example: "  lathe workspace list\n  lathe workspace list -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			list, err := c.ListWorkspaces(cmd.Context())
			if err != nil {
				return err
			}
			return a.print(list, func() table {
				t := table{header: []string{"NAME", "ROLE", "CREATED", "DESCRIPTION"}}
				for _, w := range list {
					t.rows = append(t.rows, []string{w.Name, string(w.Role), when(w.CreatedAt), w.Description})
				}
				return t
			})
		},
	}
}

func (a *app) wsShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show [NAME]",
		Short:   "Show a workspace, your role in it and what it holds (default: the current workspace)",
		Example: "  lathe workspace show churn-team",
		Args:    args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			if len(argv) == 1 {
				ws = argv[0]
			}
			d, err := c.Workspace(cmd.Context(), ws)
			if err != nil {
				return err
			}
			return a.print(d, func() table {
				t := kv("name", d.Name, "id", d.ID, "description", d.Description, "your role", string(d.Role), "created", when(d.CreatedAt), "created by", d.CreatedBy)
				keys := make([]string, 0, len(d.Usage))
				for k := range d.Usage {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					t.rows = append(t.rows, []string{k, strconv.FormatInt(d.Usage[k], 10)})
				}
				return t
			})
		},
	}
}

func (a *app) wsDeleteCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a workspace (owners); refuses one that holds anything unless --force",
		Long: `Delete a workspace and its role assignments. A workspace that still holds
anything (blobs, and later data assets, runs, models ...) is refused unless
--force, which deletes its records too. The audit log keeps its events.`,
		Example: "  lathe workspace delete scratch\n  lathe workspace delete old-team --force",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			if err := c.DeleteWorkspace(cmd.Context(), argv[0], force); err != nil {
				return err
			}
			out := map[string]any{"deleted": argv[0], "force": force}
			return a.print(out, func() table { return table{rows: [][]string{{fmt.Sprintf("deleted workspace %s", argv[0])}}} })
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete the workspace's contents too")
	return cmd
}
