// Package cli is the lathe command line: one file per verb group. Client verbs
// talk to a server only through internal/client; `up` and `demo` start one
// through internal/server.
//
// Conventions every verb follows: -o json|yaml|table, --help with examples,
// exit codes 0 (ok), 1 (error), 2 (usage), 3 (a gate said no), and progress
// bars on stderr for long transfers when stderr is a terminal.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/latheml/lathe"
	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	ExitGate  = 3
)

// usageError marks a mistake in how the command was called.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// GateError means a check ran and said no (a promotion gate, a failed
// validation): the command worked, the answer is negative.
type GateError struct{ Reason string }

func (e *GateError) Error() string { return e.Reason }

// ExitCode maps an error from Run to the process exit code.
func ExitCode(err error) int {
	var u *usageError
	var g *GateError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u):
		return ExitUsage
	case errors.As(err, &g):
		return ExitGate
	default:
		return ExitError
	}
}

// IO is where a command reads and writes, and its environment.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
}

// app holds what every command shares.
type app struct {
	io        IO
	output    string // json, yaml or table
	url       string
	token     string
	workspace string
}

// Run runs the lathe command line with args (without the program name).
func Run(ctx context.Context, args []string, stdio IO) error {
	if stdio.Getenv == nil {
		stdio.Getenv = os.Getenv
	}
	a := &app{io: stdio}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	if err != nil && isCobraUsage(err) {
		err = &usageError{err}
	}
	return err
}

// isCobraUsage recognises the errors cobra itself returns for a bad command
// line; cobra has no typed errors for them.
func isCobraUsage(err error) bool {
	var u *usageError
	if errors.As(err, &u) {
		return false
	}
	if lathe.ErrorCode(err) != lathe.EINTERNAL {
		return false // one of ours
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "lathe",
		Short: "Lathe: the ML lifecycle on your own machines",
		Long: `Lathe is a self-hosted MLOps platform in one binary: versioned data, training
jobs and pipelines, experiment tracking (MLflow-compatible), a model registry,
online and batch serving, monitoring and governance.

Start a server with 'lathe up', or see the whole lifecycle with 'lathe demo'.
Client commands read the server URL and token from 'lathe login', or from
LATHE_URL and LATHE_TOKEN.`,
		Example: `  lathe demo                 # the whole lifecycle on a real data set
  lathe up                   # serve on 127.0.0.1:8080
  lathe login --url http://127.0.0.1:8080 --token "$(cat ~/.lathe/admin.token)"
  lathe blob put data.csv -o json`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			switch a.output {
			case "json", "yaml", "table":
				return nil
			}
			return &usageError{fmt.Errorf("-o %q: use json, yaml or table", a.output)}
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&a.output, "output", "o", "table", "output format: json, yaml or table")
	pf.StringVar(&a.url, "url", "", "server URL (default: from 'lathe login', LATHE_URL, or http://127.0.0.1:8080)")
	pf.StringVar(&a.token, "token", "", "API token (default: from 'lathe login' or LATHE_TOKEN)")
	pf.StringVarP(&a.workspace, "workspace", "w", "", "workspace (default: from 'lathe login', LATHE_WORKSPACE, or default)")
	root.AddCommand(a.componentCmd())
	root.AddCommand(a.versionCmd(), a.upCmd(), a.demoCmd(), a.loginCmd(), a.infoCmd(), a.blobCmd(),
		a.workspaceCmd(), a.userCmd(), a.tokenCmd(), a.roleCmd(), a.auditCmd(), a.experimentCmd(), a.runCmd(), a.dataCmd(), a.datastoreCmd(), a.execCmd(),
		a.jobCmd(), a.environmentCmd(), a.computeCmd())
	root.AddCommand(a.scheduleCmd())
	return root
}

// args wraps a cobra positional-argument check so a mismatch is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{fmt.Errorf("%s: %w (see --help)", cmd.CommandPath(), err)}
		}
		return nil
	}
}
