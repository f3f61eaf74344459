package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/demo"
	"github.com/latheml/lathe/internal/server"
	"github.com/spf13/cobra"
)

func (a *app) demoCmd() *cobra.Command {
	var dataDir, addr string
	var exit, keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start an embedded server and walk the ML lifecycle on a real data set",
		Long: `Start a Lathe server with embedded storage in its own data directory, run
every lifecycle stage that exists against it through the public API (on the
UCI bank-marketing data set built into the binary), print what each stage did
and the URL, and keep serving until Ctrl-C. No Python and no services needed.

Without --data-dir the demo uses a fresh temporary directory and removes it
when it stops (unless --keep).`,
		Example: `  lathe demo
  lathe demo --exit            # stop when the stages are done (CI)
  lathe demo --data-dir ./demo-data --addr 127.0.0.1:9090`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd.Context(), dataDir, addr, exit, keep)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "data directory (default: a new temporary one)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "host:port; if taken, a free port is used instead")
	cmd.Flags().BoolVar(&exit, "exit", false, "stop when the stages are done instead of serving until Ctrl-C")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary data directory")
	return cmd
}

func (a *app) runDemo(ctx context.Context, dataDir, addr string, exit, keep bool) error {
	if dataDir == "" {
		d, err := os.MkdirTemp("", "lathe-demo-")
		if err != nil {
			return fmt.Errorf("create demo data dir: %w", err)
		}
		dataDir = d
		if !keep {
			defer os.RemoveAll(d)
		}
	}
	cfg := config.Default(dataDir)
	cfg.Addr = addr
	cfg.LogLevel = "warn"
	if err := cfg.Validate(); err != nil {
		return &usageError{err}
	}
	log := newLogger(a.io.Err, cfg)
	srv, err := server.New(ctx, cfg, log)
	if lathe.IsCode(err, lathe.EUNAVAILABLE) && portTaken(addr) {
		fmt.Fprintf(a.io.Out, "%s is taken; using a free port\n", addr)
		cfg.Addr = "127.0.0.1:0"
		srv, err = server.New(ctx, cfg, log)
	}
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()

	fmt.Fprintf(a.io.Out, "Lathe %s demo: server at %s, data in %s\n\n", lathe.Version, srv.URL(), dataDir)
	c, err := client.New(srv.URL(), srv.AdminToken(), nil)
	if err != nil {
		return err
	}
	env := &demo.Env{Admin: c, Client: c, URL: srv.URL(), Workspace: lathe.DefaultWorkspace, Out: a.io.Out, Facts: map[string]string{}}
	runErr := demo.Run(sctx, env)
	if runErr == nil && !exit {
		fmt.Fprintf(a.io.Out, "\nAll stages done. Lathe is serving on %s\n", srv.URL())
		fmt.Fprintf(a.io.Out, "  studio:   %s  (sign in as %s, once)\n", env.Facts["signin"], demo.DemoUser)
		fmt.Fprintf(a.io.Out, "            then the training pipeline: %s\n", env.Facts["job_page"])
		fmt.Fprintf(a.io.Out, "            and its tracked run:  %s\n", env.Facts["run_page"])
		fmt.Fprintf(a.io.Out, "  MLflow:   MLFLOW_TRACKING_URI=%s/w/%s MLFLOW_TRACKING_TOKEN=$(cat %s) python train.py\n", srv.URL(), demo.DemoWorkspace, srv.AdminTokenPath())
		fmt.Fprintf(a.io.Out, "  CLI:      export LATHE_URL=%s LATHE_TOKEN=$(cat %s)\n", srv.URL(), srv.AdminTokenPath())
		fmt.Fprintf(a.io.Out, "            lathe blob list -w %s; lathe audit list -w %s; lathe audit verify\n", demo.DemoWorkspace, demo.DemoWorkspace)
	}
	if runErr != nil || exit {
		stop()
		return errors.Join(runErr, <-done)
	}
	fmt.Fprintln(a.io.Out, "Press Ctrl-C to stop.")
	wctx, wstop := signal.NotifyContext(ctx, os.Interrupt)
	defer wstop()
	select {
	case <-wctx.Done():
	case err := <-done:
		return err
	}
	stop()
	return <-done
}

func portTaken(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return true
	}
	_ = l.Close()
	return false
}
