// Package server is Lathe's composition root: the only package that opens
// concrete backends (SQLite or PostgreSQL, files or S3), builds the services
// on them and runs everything in one errgroup with a graceful stop.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/access"
	"github.com/latheml/lathe/internal/api"
	"github.com/latheml/lathe/internal/audit"
	"github.com/latheml/lathe/internal/auth"
	"github.com/latheml/lathe/internal/blob"
	"github.com/latheml/lathe/internal/blob/file"
	"github.com/latheml/lathe/internal/blob/s3"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/content"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/mlflowapi"
	"github.com/latheml/lathe/internal/pipelines"
	"github.com/latheml/lathe/internal/schedules"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/postgres"
	"github.com/latheml/lathe/internal/store/sqlite"
	"github.com/latheml/lathe/internal/tracking"
	"github.com/latheml/lathe/internal/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
)

// Server is one running Lathe process: API, health and metrics on one
// listener, over one metadata store and one blob store.
type Server struct {
	cfg        *config.Config
	log        *slog.Logger
	db         *store.DB
	blobs      blob.Store
	blobKind   string
	auth       *auth.Service
	access     *access.Service
	audit      *audit.Log
	api        *api.API
	studio     *web.Studio
	tracking   *tracking.Service
	jobs       *jobs.Service
	pipelines  *pipelines.Service
	schedules  *schedules.Service
	holder     string
	ln         net.Listener
	adminToken string
	started    time.Time
}

// AdminTokenFile is the name of the admin token file in the data dir.
const AdminTokenFile = "admin.token"

// New opens the stores, bootstraps the default workspace and the admin user
// and token, and binds the listener (so URL is known before Run).
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, log: log, started: time.Now().UTC()}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	secret, err := loadSecret(filepath.Join(cfg.DataDir, "secret.key"))
	if err != nil {
		return nil, err
	}
	if s.db, err = openStore(ctx, cfg); err != nil {
		return nil, err
	}
	if s.blobs, s.blobKind, err = openBlob(ctx, cfg); err != nil {
		return nil, err
	}
	s.auth, err = auth.New(auth.Options{Store: s.db, Secret: secret, Now: now})
	if err != nil {
		return nil, err
	}
	if err := s.bootstrap(ctx); err != nil {
		return nil, err
	}
	s.access = access.New(access.Options{Store: s.db, Tokens: s.auth, Audit: s.db, Now: now})
	s.audit = audit.New(s.db, s.access, now, log)
	cont := content.New(s.blobs, s.db, now)
	s.tracking = tracking.New(s.db, cont, now)
	dataKey, err := loadDataKey(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	dataSvc, err := data.New(data.Options{Store: s.db, Content: cont, Key: dataKey, Now: now, Logger: log})
	if err != nil {
		return nil, err
	}
	if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, lathe.Errorf(lathe.EUNAVAILABLE, "listen on %s: %v; is another server running there? choose another with --addr", cfg.Addr, err)
	}
	// The controller's name in job leases: the same across restarts of
	// this server, different for another server on the same database.
	host, _ := os.Hostname()
	s.holder = host + ":" + cfg.DataDir
	if s.jobs, err = s.newJobs(dataSvc, cont); err != nil {
		return nil, err
	}
	s.pipelines = s.newPipelines(dataSvc)
	s.schedules = s.newSchedules()
	s.studio, err = web.New(web.Options{
		Sessions: s.access, Authorizer: s.access, Workspaces: s.access, Accounts: s.access, Roles: s.access,
		Audit: s.audit, Data: studioData{s.access, cont}, Tracking: s.tracking, DataAssets: dataSvc, Jobs: s.jobs, Logger: log, Now: now,
		Pipelines: s.pipelines, Schedules: s.schedules,
	})
	if err != nil {
		return nil, err
	}
	mlflow := mlflowapi.New(mlflowapi.Options{
		Tracking: s.tracking, Workspaces: s.db, MaxJSONBody: int64(cfg.MaxJSONBody), MaxBlobSize: int64(cfg.MaxBlobSize),
		Secret: secret, Now: now,
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.api = api.New(api.Options{
		Logger:     log,
		Registerer: reg,
		Gatherer:   reg,
		Auth:       s.auth,
		Authorizer: s.access,
		Workspaces: s.access,
		Accounts:   s.access,
		Roles:      s.access,
		Audit:      s.audit,
		Content:    cont,
		Tracking:   s.tracking,
		Data:       dataSvc,
		Jobs:       s.jobs,
		Pipelines:  s.pipelines,
		Schedules:  s.schedules,
		Studio:     s.studio,
		Extra:      mlflow.Routes(),
		Info: api.Info{
			Version: lathe.Version, Store: s.db.Dialect(), Blob: s.blobKind,
			SchemaVersion: s.db.SchemaVersion(), StartedAt: s.started,
		},
		Ready: map[string]func(context.Context) error{
			"store": s.db.Ping,
			"blob":  s.pingBlob,
		},
		MaxJSONBody: int64(cfg.MaxJSONBody),
		MaxBlobSize: int64(cfg.MaxBlobSize),
	})
	ok = true
	return s, nil
}

func now() time.Time { return time.Now().UTC() }

// URL is the base URL clients reach the server at.
func (s *Server) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// AdminToken returns the admin token (read from or written to the data dir).
func (s *Server) AdminToken() string { return s.adminToken }

// AdminTokenPath returns where the admin token file is.
func (s *Server) AdminTokenPath() string { return filepath.Join(s.cfg.DataDir, AdminTokenFile) }

// Handler returns the HTTP handler (for in-process tests).
func (s *Server) Handler() http.Handler { return s.api }

// Run serves until ctx is cancelled, then stops gracefully: it stops
// accepting, waits up to the shutdown timeout for requests in flight, and
// closes the stores.
func (s *Server) Run(ctx context.Context) error {
	defer s.close()
	hs := &http.Server{
		Handler:           s.api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := hs.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
	g.Go(func() error { return s.sweepSessions(gctx, time.Hour) })
	g.Go(func() error { return s.jobs.Run(gctx) })
	g.Go(func() error { return s.pipelines.Run(gctx) })
	g.Go(func() error { return s.schedules.Run(gctx) })
	// The audit writer stops after the HTTP server has drained, so the
	// requests finishing during a graceful stop are still batched.
	auditCtx, stopAudit := context.WithCancel(context.WithoutCancel(ctx))
	auditDone := make(chan error, 1)
	go func() { auditDone <- s.audit.Run(auditCtx) }()
	defer func() { stopAudit(); <-auditDone }()
	g.Go(func() error {
		<-gctx.Done()
		s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return fmt.Errorf("graceful shutdown: %w", err)
		}
		return nil
	})
	return g.Wait()
}

// sweepSessions deletes expired studio sessions and sign-in links every
// interval until ctx ends.
func (s *Server) sweepSessions(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n, err := s.db.DeleteExpiredSessions(ctx, now())
			if err != nil {
				s.log.Warn("sweep expired sessions", "error", err)
				continue
			}
			if n > 0 {
				s.log.Debug("swept expired sessions", "rows", n)
			}
		}
	}
}

func (s *Server) close() {
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.db != nil {
		_ = s.db.Close()
	}
}

// pingBlob checks the blob store answers with a lookup of a digest nobody
// stores.
func (s *Server) pingBlob(ctx context.Context) error {
	_, err := s.blobs.Exists(ctx, []lathe.Digest{lathe.Digest(lathe.DigestPrefix + strings.Repeat("0", 64))})
	if err != nil {
		return lathe.Errorf(lathe.EUNAVAILABLE, "blob store (%s) does not answer: %v", s.blobKind, err)
	}
	return nil
}

func openStore(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	if p := cfg.StorePath(); p != "" {
		return sqlite.Open(ctx, p)
	}
	return postgres.Open(ctx, cfg.Store)
}

func openBlob(ctx context.Context, cfg *config.Config) (blob.Store, string, error) {
	if cfg.Blob == "" {
		st, err := file.New(ctx, filepath.Join(cfg.DataDir, "blobs"))
		return st, "file", err
	}
	u, err := url.Parse(cfg.Blob)
	if err != nil {
		return nil, "", lathe.Errorf(lathe.EINVALID, "blob URL %q: %v", cfg.Blob, err)
	}
	switch u.Scheme {
	case "file":
		st, err := file.New(ctx, u.Path)
		return st, "file", err
	case "s3":
		opts, err := s3.ParseURL(cfg.Blob)
		if err != nil {
			return nil, "", err
		}
		opts.AccessKey, opts.SecretKey = cfg.S3AccessKey, cfg.S3SecretKey
		opts.TempDir = filepath.Join(cfg.DataDir, "tmp")
		if err := os.MkdirAll(opts.TempDir, 0o700); err != nil {
			return nil, "", fmt.Errorf("create spool dir: %w", err)
		}
		st, err := s3.New(ctx, opts)
		return st, "s3", err
	default:
		return nil, "", lathe.Errorf(lathe.EINVALID, "blob URL %q: scheme must be file or s3", cfg.Blob)
	}
}

// loadSecret reads the server secret that keys token hashes, creating it
// (32 random bytes, hex, mode 0600) on first start.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		raw, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(raw) < 32 {
			return nil, lathe.Errorf(lathe.EINVALID, "server secret %s is damaged (want 64 hex digits); restore it from a backup — tokens cannot be checked without it", path)
		}
		return raw, nil
	}
	if !os.IsNotExist(err) {
		return nil, fmt.Errorf("read server secret: %w", err)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	if err := config.WriteFileAtomic(path, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write server secret: %w", err)
	}
	return raw, nil
}

// DataKeyFile is the name of the file in the data dir whose 32 bytes seal
// datastore credentials (unless LATHE_SECRET_KEY gives the key).
const DataKeyFile = "data.key"

// loadDataKey returns the key that seals datastore credentials: the
// secret_key setting (LATHE_SECRET_KEY; 64 hex digits or base64) if set,
// else the data dir's data.key, created at first start.
func loadDataKey(secretKey, dataDir string) ([]byte, error) {
	if v := secretKey; v != "" {
		k, err := data.ParseKey(v)
		if err != nil {
			return nil, fmt.Errorf("LATHE_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	return data.LoadKeyFile(filepath.Join(dataDir, DataKeyFile), config.WriteFileAtomic)
}

// bootstrap makes sure the default workspace, the built-in admin user and the
// admin token exist. The token file in the data dir is the source of truth
// for the local admin: if it exists but the database does not know it (a new
// database), it is registered; if the database knows it, even as revoked, it
// is left alone.
func (s *Server) bootstrap(ctx context.Context) error {
	t := now()
	ws, err := s.db.EnsureWorkspace(ctx, &lathe.Workspace{ID: lathe.NewID(), Name: lathe.DefaultWorkspace, Description: "Created at first start.", CreatedAt: t, CreatedBy: lathe.AdminUser})
	if err != nil {
		return fmt.Errorf("bootstrap default workspace: %w", err)
	}
	admin, err := s.db.EnsureUser(ctx, &lathe.User{ID: lathe.NewID(), Name: lathe.AdminUser, Admin: true, CreatedAt: t})
	if err != nil {
		return fmt.Errorf("bootstrap admin user: %w", err)
	}
	if n, err := s.db.CountMembers(ctx, ws.ID); err != nil {
		return fmt.Errorf("bootstrap default workspace owner: %w", err)
	} else if n == 0 {
		if err := s.db.AssignRole(ctx, &lathe.RoleAssignment{WorkspaceID: ws.ID, Workspace: ws.Name, UserID: admin.ID, Role: lathe.RoleOwner, CreatedAt: t, CreatedBy: lathe.AdminUser}); err != nil {
			return fmt.Errorf("bootstrap default workspace owner: %w", err)
		}
	}
	path := s.AdminTokenPath()
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		s.adminToken = strings.TrimSpace(string(b))
		known, err := s.auth.Known(ctx, s.adminToken)
		if err != nil {
			return fmt.Errorf("bootstrap admin token: %w", err)
		}
		if !known {
			if _, err := s.auth.Register(ctx, admin.ID, "admin.token", s.adminToken, nil); err != nil {
				return fmt.Errorf("bootstrap admin token: %w", err)
			}
		}
	case os.IsNotExist(err):
		s.adminToken = auth.NewSecret()
		// Write the file first: a token in the database that nobody holds
		// would be useless, a file whose token is not yet registered is
		// registered on the next start.
		if err := config.WriteFileAtomic(path, []byte(s.adminToken+"\n"), 0o600); err != nil {
			return fmt.Errorf("write admin token: %w", err)
		}
		if _, err := s.auth.Register(ctx, admin.ID, "admin.token", s.adminToken, nil); err != nil {
			return fmt.Errorf("bootstrap admin token: %w", err)
		}
		s.log.Info("wrote the admin token", "path", path)
	default:
		return fmt.Errorf("read admin token: %w", err)
	}
	return nil
}

// studioData lists a workspace's blobs for the studio's Data page.
type studioData struct {
	access  *access.Service
	content *content.Service
}

func (d studioData) ListBlobs(ctx context.Context, p lathe.Principal, workspace, cursor string, limit int) ([]*lathe.Blob, string, error) {
	w, _, err := d.access.Authorize(ctx, p, workspace, lathe.ActDataRead)
	if err != nil {
		return nil, "", err
	}
	return d.content.List(ctx, w.ID, cursor, limit)
}

// Routes returns the API's route table.
func (s *Server) Routes() []api.Route { return s.api.Routes() }

// StudioRoutes returns the studio's route table.
func (s *Server) StudioRoutes() []web.Route { return s.studio.Routes() }
