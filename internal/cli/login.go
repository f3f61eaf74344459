package cli

import (
	"bufio"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/config"
	"github.com/spf13/cobra"
)

func (a *app) loginCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Check a server URL and token and store them for later commands",
		Long: `Check that the token works against the server, then store the URL, token and
workspace in the client config ($LATHE_CONFIG, else $LATHE_HOME/config, else
~/.lathe/config; mode 0600). Every client command reads it; LATHE_URL,
LATHE_TOKEN and LATHE_WORKSPACE override it. With --token - the token is read
from standard input.`,
		Example: `  lathe login --url http://127.0.0.1:8080 --token "$(cat ~/.lathe/admin.token)"
  cat token.txt | lathe login --url https://lathe.example.org --token - -w team-a`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.url == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "--url is required")}
			}
			tok := a.token
			if tok == "-" {
				line, err := bufio.NewReader(a.io.In).ReadString('\n')
				if err != nil && line == "" {
					return &usageError{lathe.Errorf(lathe.EINVALID, "--token -: no token on standard input")}
				}
				tok = strings.TrimSpace(line)
			}
			if tok == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "--token is required (or --token - to read it from standard input)")}
			}
			c, err := client.New(a.url, tok, nil)
			if err != nil {
				return err
			}
			info, err := c.Info(cmd.Context())
			if err != nil {
				return err
			}
			path := config.ClientPath(a.io.Getenv)
			cc := &config.Client{URL: c.URL(), Token: tok, Workspace: a.workspace}
			if err := config.SaveClient(path, cc); err != nil {
				return err
			}
			out := struct {
				URL       string `json:"url"`
				User      string `json:"user"`
				Workspace string `json:"workspace,omitempty"`
				Config    string `json:"config"`
				Version   string `json:"server_version"`
			}{c.URL(), info.Principal.UserName, a.workspace, path, info.Version}
			return a.print(out, func() table {
				return kv("url", out.URL, "user", out.User, "workspace", first(out.Workspace, lathe.DefaultWorkspace), "config", out.Config, "server", out.Version)
			})
		},
	}
	return cmd
}

func (a *app) infoCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "info",
		Short:   "Show the server's version, backends and limits, and who you are",
		Example: "  lathe info\n  lathe info -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.conn()
			if err != nil {
				return err
			}
			info, err := c.Info(cmd.Context())
			if err != nil {
				return err
			}
			return a.print(info, func() table {
				return kv("url", c.URL(), "version", info.Version, "user", info.Principal.UserName,
					"store", info.Store, "blob", info.Blob, "schema", itoa(info.SchemaVersion),
					"max blob", lathe.FormatBytes(info.Limits.MaxBlobSize), "started", info.StartedAt)
			})
		},
	}
}
