package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/latheml/lathe/internal/builtin"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/exec"
	"github.com/spf13/cobra"
)

// execCmd is the wrapper a compute backend starts for every job attempt.
func (a *app) execCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exec",
		Short: "Run a job's attempt (started by compute; not for people)",
		Long: `exec is what runs inside every job, wherever it runs. A compute backend starts
it with the job's coordinates in the environment:

  LATHE_URL        the server
  LATHE_TOKEN      the job's own token (revoked when the job ends)
  LATHE_WORKSPACE  the job's workspace
  LATHE_JOB        the job's name
  LATHE_JOB_DIR    the job's directory on this machine
  LATHE_CACHE_DIR  the machine's shared cache (default: <LATHE_HOME>/cache)

It fetches the job's plan, stages the code and inputs, builds or finds the
environment, runs the command with MLFLOW_TRACKING_URI, MLFLOW_RUN_ID,
MLFLOW_EXPERIMENT_ID and MLFLOW_TRACKING_TOKEN set, streams its output to the
server line by line, uploads the outputs and reports the exit code.`,
		Example: `  # what local compute runs for a job (you do not run this yourself)
  LATHE_URL=http://127.0.0.1:8080 LATHE_TOKEN=... LATHE_WORKSPACE=default \
    LATHE_JOB=brave_lamp_x1 LATHE_JOB_DIR=/var/lib/lathe/jobs/... lathe exec`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			env := a.io.Getenv
			need := map[string]string{}
			for _, k := range []string{"LATHE_URL", "LATHE_TOKEN", "LATHE_WORKSPACE", "LATHE_JOB", "LATHE_JOB_DIR"} {
				v := env(k)
				if v == "" {
					return &usageError{fmt.Errorf("lathe exec: %s is not set; exec is started by a compute backend for a job, see lathe exec --help", k)}
				}
				need[k] = v
			}
			cache := env("LATHE_CACHE_DIR")
			if cache == "" {
				cache = filepath.Join(config.Default(env("LATHE_HOME")).DataDir, "cache")
			}
			c, err := client.New(need["LATHE_URL"], need["LATHE_TOKEN"], nil)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(a.io.Err, &slog.HandlerOptions{Level: slog.LevelInfo}))
			return exec.Run(cmd.Context(), exec.Options{
				Client: c, Workspace: need["LATHE_WORKSPACE"], Job: need["LATHE_JOB"],
				ServerURL: need["LATHE_URL"], Token: need["LATHE_TOKEN"],
				Dir: need["LATHE_JOB_DIR"], Cache: cache, Logger: log, BinDir: binDir(),
			})
		},
	}
	cmd.AddCommand(a.builtinCmd())
	return cmd
}

// binDir is the folder of the running lathe binary, or "" if unknown.
func binDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Dir(exe)
}

// builtinCmd runs a built-in component, normally as a job's command.
func (a *app) builtinCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "builtin NAME [--flag value ...]",
		Short: "Run a built-in component (split_data, train_tabular, evaluate, automl_tabular)",
		Long: `builtin runs one of Lathe's built-in tabular components in pure Go. Inside a job
it logs to the job's MLflow run (MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN,
MLFLOW_RUN_ID and MLFLOW_EXPERIMENT_ID, which every job sets); elsewhere it
only writes its outputs. 'lathe exec builtin NAME --help' lists a component's
flags. The components' YAML (commandComponent) is what pipelines reference as
azureml:lathe.<name>@latest.

Built-in components:
` + builtinList(),
		Example: `  # in a job.yml
  command: >-
    lathe exec builtin train_tabular --train ${{inputs.train}} --label y
    --algorithm gbdt --n-estimators 200 --model ${{outputs.model}}

  # by hand, no tracking
  lathe exec builtin split_data --help`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, argv []string) error {
			if len(argv) == 0 || argv[0] == "--help" || argv[0] == "-h" {
				return cmd.Help()
			}
			env := a.io.Getenv
			var tr *builtin.Tracker
			if uri, run := env("MLFLOW_TRACKING_URI"), env("MLFLOW_RUN_ID"); uri != "" && run != "" {
				tr = &builtin.Tracker{URI: uri, Token: env("MLFLOW_TRACKING_TOKEN"), RunID: run, ExperimentID: env("MLFLOW_EXPERIMENT_ID")}
			}
			return builtin.Run(cmd.Context(), argv[0], argv[1:], builtin.Env{Stdout: a.io.Out, Tracker: tr})
		},
	}
}

func builtinList() string {
	var sb strings.Builder
	cs := builtin.Components()
	for _, n := range builtin.Names() {
		fmt.Fprintf(&sb, "  %-16s %s\n", n, cs[n].Summary)
	}
	return sb.String()
}
