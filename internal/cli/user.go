package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/spf13/cobra"
)

func (a *app) userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Create, list, disable and enable users (administrators), and make sign-in links",
	}
	cmd.AddCommand(a.userCreateCmd(), a.userListCmd(), a.userDisableCmd(true), a.userDisableCmd(false), a.userLinkCmd())
	return cmd
}

func (a *app) userCreateCmd() *cobra.Command {
	var email string
	var withToken bool
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user (server administrators)",
		Example: `  lathe user create ann --email ann@example.org
  lathe user create ci-bot --with-token -o json   # also issue a first API token`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), argv[0], email)
			if err != nil {
				return err
			}
			out := struct {
				*lathe.User
				Token string `json:"token,omitempty"`
			}{User: u}
			if withToken {
				t, err := c.CreateToken(cmd.Context(), u.Name, "first token", nil)
				if err != nil {
					return fmt.Errorf("user %s was created, but issuing its token failed: %w", u.Name, err)
				}
				out.Token = t.Token
			}
			return a.print(out, func() table {
				t := kv("name", u.Name, "id", u.ID, "email", u.Email)
				if out.Token != "" {
					t.rows = append(t.rows, []string{"token", out.Token + "   (shown once: store it now)"})
				}
				return t
			})
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the user's email address")
	cmd.Flags().BoolVar(&withToken, "with-token", false, "also create an API token for the user and print it once")
	return cmd
}

func (a *app) userListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List users",
		Example: "  lathe user list -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			list, err := c.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			return a.print(list, func() table {
				t := table{header: []string{"NAME", "EMAIL", "ADMIN", "STATUS", "CREATED"}}
				for _, u := range list {
					st := "active"
					if u.Disabled {
						st = "disabled"
					}
					t.rows = append(t.rows, []string{u.Name, u.Email, yesNo(u.Admin), st, when(u.CreatedAt)})
				}
				return t
			})
		},
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (a *app) userDisableCmd(disable bool) *cobra.Command {
	verb, short := "disable", "Disable a user: their tokens and sessions stop working at once"
	if !disable {
		verb, short = "enable", "Re-enable a disabled user"
	}
	return &cobra.Command{
		Use:     verb + " NAME",
		Short:   short + " (server administrators)",
		Example: "  lathe user " + verb + " ann",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			u, err := c.SetUserDisabled(cmd.Context(), argv[0], disable)
			if err != nil {
				return err
			}
			return a.print(u, func() table { return kv("name", u.Name, "disabled", yesNo(u.Disabled)) })
		},
	}
}

func (a *app) userLinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "signin-link NAME",
		Short:   "Print a one-time studio sign-in link for a user (server administrators)",
		Example: "  lathe user signin-link ann",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			l, err := c.CreateSignInLink(cmd.Context(), argv[0])
			if err != nil {
				return err
			}
			out := map[string]any{"url": c.URL() + l.Path, "expires_at": l.ExpiresAt}
			return a.print(out, func() table {
				return kv("url", c.URL()+l.Path, "expires", when(l.ExpiresAt)+" (works once)")
			})
		},
	}
}

func (a *app) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (yours; anyone's for administrators)",
	}
	cmd.AddCommand(a.tokenCreateCmd(), a.tokenListCmd(), a.tokenRevokeCmd())
	return cmd
}

func (a *app) tokenCreateCmd() *cobra.Command {
	var user, expires string
	cmd := &cobra.Command{
		Use:   "create [NAME]",
		Short: "Create an API token; its secret is printed once",
		Example: `  lathe token create laptop --expires 90d
  lathe token create ci --user ci-bot -o json     # administrators, for another user`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			var exp *time.Time
			if expires != "" {
				t, err := parseExpiry(expires, time.Now())
				if err != nil {
					return &usageError{err}
				}
				exp = &t
			}
			name := ""
			if len(argv) == 1 {
				name = argv[0]
			}
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			t, err := c.CreateToken(cmd.Context(), user, name, exp)
			if err != nil {
				return err
			}
			return a.print(t, func() table {
				exp := "never"
				if t.Record.ExpiresAt != nil {
					exp = when(*t.Record.ExpiresAt)
				}
				return kv("token", t.Token, "id", t.Record.ID, "name", t.Record.Name, "expires", exp, "note", "the token is shown once: store it now")
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "me", "whose token (administrators may name any user)")
	cmd.Flags().StringVar(&expires, "expires", "", "lifetime (e.g. 12h, 30d) or an RFC 3339 time; default: never")
	return cmd
}

// parseExpiry reads 12h, 30d or an RFC 3339 time.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n > 0 && fmt.Sprint(n) == d {
			return now.Add(time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, lathe.Errorf(lathe.EINVALID, "--expires %q: use a lifetime such as 12h or 30d, or an RFC 3339 time", s)
}

func (a *app) tokenListCmd() *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List API tokens (never their secrets)",
		Example: "  lathe token list\n  lathe token list --user ann",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			list, err := c.ListTokens(cmd.Context(), user)
			if err != nil {
				return err
			}
			return a.print(list, func() table {
				t := table{header: []string{"ID", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "STATUS"}}
				now := time.Now()
				for _, k := range list {
					st := "active"
					switch {
					case k.RevokedAt != nil:
						st = "revoked"
					case !k.Active(now):
						st = "expired"
					}
					t.rows = append(t.rows, []string{k.ID, k.Name, k.Prefix + "…", when(k.CreatedAt), whenPtr(k.ExpiresAt, "never"), whenPtr(k.LastUsedAt, "-"), st})
				}
				return t
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "me", "whose tokens")
	return cmd
}

func whenPtr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return when(*t)
}

func (a *app) tokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke a token; it stops working at once",
		Example: "  lathe token revoke 3f2a9c...",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), argv[0]); err != nil {
				return err
			}
			return a.print(map[string]string{"revoked": argv[0]}, func() table { return table{rows: [][]string{{"revoked token " + argv[0]}}} })
		},
	}
}
