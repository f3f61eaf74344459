package demo

import (
	"context"
	"fmt"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// Names the demo creates.
const (
	DemoWorkspace = "bank-marketing"
	DemoUser      = "dana"
)

// governance creates the demo's workspace and a data scientist, switches the
// later stages to act as her, and makes a one-time studio sign-in link.
func governance(ctx context.Context, e *Env) error {
	if _, err := e.Admin.CreateWorkspace(ctx, DemoWorkspace, "Term-deposit marketing: will a client subscribe?"); err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
		return err
	}
	e.Workspace = DemoWorkspace
	e.Say("workspace %s (the admin is its owner)", DemoWorkspace)
	if _, err := e.Admin.CreateUser(ctx, DemoUser, DemoUser+"@example.org"); err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
		return err
	}
	if _, err := e.Admin.AssignRole(ctx, DemoWorkspace, DemoUser, lathe.RoleDataScientist); err != nil {
		return err
	}
	tok, err := e.Admin.CreateToken(ctx, DemoUser, "demo", nil)
	if err != nil {
		return err
	}
	c, err := client.New(e.URL, tok.Token, nil)
	if err != nil {
		return err
	}
	e.Client = c
	e.Say("user %s with the data-scientist role; the next stages act as her", DemoUser)
	// What a data scientist may not do is refused, and audited.
	if _, err := c.CreateWorkspace(ctx, "dana-private", ""); !lathe.IsCode(err, lathe.EFORBIDDEN) {
		return fmt.Errorf("a data scientist could create a workspace (err %v)", err)
	}
	e.Say("her attempt to create a workspace was refused (403) and written to the audit log")
	link, err := e.Admin.CreateSignInLink(ctx, DemoUser)
	if err != nil {
		return err
	}
	e.Facts["signin"] = e.URL + link.Path
	e.Say("studio sign-in link for %s (works once, for 15 minutes): %s", DemoUser, e.URL+link.Path)
	return nil
}
