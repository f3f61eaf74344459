package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/server"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// serverFlags adds one flag per server setting and returns a function that
// loads the configuration from the file, LATHE_* variables and the flags the
// user set.
func (a *app) serverFlags(fs *pflag.FlagSet) func() (*config.Config, error) {
	d := config.Default("")
	var file string
	fs.StringVar(&file, "config", "", "YAML config file (settings: "+strings.Join(config.Keys(), ", ")+")")
	help := map[string]string{
		"addr":             "host:port to listen on (default " + d.Addr + ")",
		"data_dir":         "data directory (default $LATHE_HOME or ~/.lathe)",
		"store":            "metadata store: sqlite:///path.db or postgres://user@host:5432/db (default SQLite in the data dir)",
		"blob":             "blob store: file:///path or s3://bucket/prefix?endpoint=http://host:port&region=r (default files in the data dir)",
		"s3_access_key":    "S3 access key (prefer LATHE_S3_ACCESS_KEY)",
		"s3_secret_key":    "S3 secret key (prefer LATHE_S3_SECRET_KEY)",
		"secret_key":       "key sealing datastore credentials (prefer LATHE_SECRET_KEY; default: <data-dir>/data.key)",
		"log_format":       "log format: text or json (default text)",
		"log_level":        "log level: debug, info, warn or error (default info)",
		"max_blob_size":    "largest blob a client may upload (default " + d.MaxBlobSize.String() + ")",
		"max_json_body":    "largest JSON request body (default " + d.MaxJSONBody.String() + ")",
		"shutdown_timeout": "how long a graceful stop waits for requests (default " + d.ShutdownTimeout.String() + ")",
	}
	vals := map[string]*string{}
	for _, k := range config.Keys() {
		vals[k] = fs.String(strings.ReplaceAll(k, "_", "-"), "", help[k])
	}
	return func() (*config.Config, error) {
		set := map[string]string{}
		for k, v := range vals {
			if fs.Changed(strings.ReplaceAll(k, "_", "-")) {
				set[k] = *v
			}
		}
		return config.Load(file, a.io.Getenv, set)
	}
}

// newLogger builds the server logger the configuration asks for.
func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (a *app) upCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the Lathe server (API, health, metrics) until interrupted",
		Long: `Run the Lathe server: the REST API under /api/v1, /healthz, /readyz and
Prometheus /metrics, on 127.0.0.1:8080 by default.

Every setting comes from, in increasing priority: built-in defaults, the
--config YAML file, LATHE_<SETTING> environment variables (LATHE_ADDR,
LATHE_STORE, LATHE_BLOB, ...), and flags. On first start the server writes an
admin token to <data-dir>/admin.token (mode 0600). SIGINT or SIGTERM stops it
gracefully.`,
		Example: `  lathe up
  lathe up --addr 0.0.0.0:8080 --log-format json
  lathe up --store postgres://lathe@127.0.0.1:5432/lathe \
           --blob 's3://ml/lathe?endpoint=http://127.0.0.1:7070&region=us-east-1'`,
		Args: args(cobra.NoArgs),
	}
	load := a.serverFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return &usageError{err}
		}
		return a.serve(cmd.Context(), cfg)
	}
	return cmd
}

func (a *app) serve(ctx context.Context, cfg *config.Config) error {
	log := newLogger(a.io.Err, cfg)
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("lathe serving", "url", srv.URL(), "admin_token", srv.AdminTokenPath(), "data_dir", cfg.DataDir)
	fmt.Fprintf(a.io.Out, "Lathe is serving on %s\nAdmin token: %s\n", srv.URL(), srv.AdminTokenPath())
	return srv.Run(ctx)
}
