package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/config"
)

// DefaultURL is where client verbs look for a server when nothing says
// otherwise.
const DefaultURL = "http://127.0.0.1:8080"

// conn resolves the server URL, token and workspace: flags, then LATHE_URL /
// LATHE_TOKEN / LATHE_WORKSPACE, then the client config written by `lathe
// login`, then the local defaults (http://127.0.0.1:8080 and the admin token
// a local `lathe up` wrote to its data dir).
func (a *app) conn() (*client.Client, string, error) {
	env := a.io.Getenv
	cfg, err := config.LoadClient(config.ClientPath(env))
	if err != nil {
		return nil, "", err
	}
	url := first(a.url, env("LATHE_URL"), cfg.URL, DefaultURL)
	token := first(a.token, env("LATHE_TOKEN"), cfg.Token)
	ws := first(a.workspace, env("LATHE_WORKSPACE"), cfg.Workspace, lathe.DefaultWorkspace)
	if token == "" && url == DefaultURL {
		home := config.Default(env("LATHE_HOME")).DataDir
		if b, err := os.ReadFile(filepath.Join(home, "admin.token")); err == nil {
			token = strings.TrimSpace(string(b))
		}
	}
	if token == "" {
		return nil, "", lathe.Errorf(lathe.EUNAUTHORIZED, "no token for %s; run `lathe login --url %s --token <token>` or set LATHE_TOKEN", url, url)
	}
	if err := lathe.ValidateName("workspace", ws); err != nil {
		return nil, "", err
	}
	c, err := client.New(url, token, nil)
	return c, ws, err
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
