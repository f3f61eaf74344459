package cli

import (
	"fmt"
	"strconv"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/spf13/cobra"
)

func (a *app) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read and verify the tamper-evident audit log",
		Long: `Every mutating call and every denied call is appended to the audit log with
its time, actor, workspace, action, target, outcome and request id. Rows are
hash-chained: each carries the hash of the row before it, so 'lathe audit
verify' finds a row that was edited, deleted or reordered behind Lathe's back.`,
	}
	cmd.AddCommand(a.auditListCmd(), a.auditVerifyCmd())
	return cmd
}

func (a *app) auditListCmd() *cobra.Command {
	var q client.AuditQuery
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Long: `List audit events, newest first. With -w (or a current workspace from
'lathe login') it lists that workspace's events; with --all the whole log
(server administrators).`,
		Example: `  lathe audit list --since 24h
  lathe audit list --actor ann --action assignRole
  lathe audit list --all --outcome denied -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			if !all {
				q.Workspace = ws
			}
			page, err := c.ListAudit(cmd.Context(), q)
			if err != nil {
				return err
			}
			if page.Items == nil {
				page.Items = []lathe.AuditEvent{}
			}
			return a.print(page, func() table {
				t := table{header: []string{"SEQ", "TIME", "ACTOR", "WORKSPACE", "ACTION", "OUTCOME", "STATUS", "TARGET"}}
				for _, e := range page.Items {
					t.rows = append(t.rows, []string{strconv.FormatInt(e.Seq, 10), when(e.Time), e.Actor, e.Workspace, e.Action, e.Outcome, strconv.Itoa(e.Status), e.Target})
				}
				if page.NextCursor != "" {
					t.rows = append(t.rows, []string{"(more: --cursor " + page.NextCursor + ")"})
				}
				return t
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Actor, "actor", "", "only events by this user")
	f.StringVar(&q.Action, "action", "", "only this action (e.g. assignRole), or a prefix ending in *")
	f.StringVar(&q.Outcome, "outcome", "", "success, failure or denied")
	f.StringVar(&q.Since, "since", "", "RFC 3339 time or a duration back from now (e.g. 24h)")
	f.IntVar(&q.Limit, "limit", 100, "events per page (1-1000)")
	f.StringVar(&q.Cursor, "cursor", "", "continue after a previous page")
	f.BoolVar(&all, "all", false, "the whole log, every workspace (server administrators)")
	return cmd
}

func (a *app) auditVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain; exit code 3 names the first broken row",
		Example: `  lathe audit verify
  lathe audit verify -o json || echo "audit log was tampered with"`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			v, err := c.VerifyAudit(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.print(v, func() table {
				if v.OK {
					return kv("result", "ok: the chain is whole", "rows checked", strconv.FormatInt(v.Checked, 10), "last row", strconv.FormatInt(v.LastSeq, 10), "head hash", v.Head)
				}
				return kv("result", "BROKEN", "first bad row", strconv.FormatInt(v.BadSeq, 10), "problem", v.Problem, "rows intact before it", strconv.FormatInt(v.Checked, 10))
			}); err != nil {
				return err
			}
			if !v.OK {
				return &GateError{Reason: fmt.Sprintf("audit log broken at row %d: %s", v.BadSeq, v.Problem)}
			}
			return nil
		},
	}
}
