// Package config loads Lathe's settings in one place: defaults, then a YAML
// file, then LATHE_* environment variables, then command-line flags, each
// overriding the one before. Other packages receive plain option structs
// built from it by internal/server; none of them reads files or the
// environment for settings.
package config

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/latheml/lathe"
)

// Config is the server's configuration (`lathe up`, `lathe demo`).
type Config struct {
	// Addr is the host:port the API, studio and metrics listen on.
	Addr string `yaml:"addr"`
	// DataDir holds the SQLite file, local blobs, the admin token and the
	// server secret.
	DataDir string `yaml:"data_dir"`
	// Store is the metadata store: empty for SQLite in the data dir,
	// sqlite:///path/to/file.db, or a postgres:// URL.
	Store string `yaml:"store"`
	// Blob is the blob store: empty for files in the data dir,
	// file:///path, or s3://bucket/prefix?endpoint=...&region=....
	Blob string `yaml:"blob"`
	// S3AccessKey and S3SecretKey authenticate to an s3:// blob store.
	S3AccessKey string `yaml:"s3_access_key"`
	S3SecretKey string `yaml:"s3_secret_key"`
	// SecretKey, if set (64 hex digits or base64 of 32 bytes), seals
	// datastore credentials instead of the data dir's data.key; servers
	// sharing one database must share it.
	SecretKey string `yaml:"secret_key"`
	// LogFormat is "text" or "json"; LogLevel is debug, info, warn or error.
	LogFormat string `yaml:"log_format"`
	LogLevel  string `yaml:"log_level"`
	// MaxBlobSize bounds one uploaded blob; MaxJSONBody bounds a JSON request.
	MaxBlobSize Size `yaml:"max_blob_size"`
	MaxJSONBody Size `yaml:"max_json_body"`
	// ShutdownTimeout bounds how long a graceful stop waits for requests.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// ContainerRuntime (podman or docker) runs jobs whose environment is an
	// image on local compute; empty refuses such jobs with a clear error.
	ContainerRuntime string `yaml:"container_runtime"`
	// EnvironmentMap maps Azure registry and curated environment names to
	// Lathe environments, as comma-separated name=reference pairs
	// (AzureML-sklearn-1.5=azureml:sklearn@latest); unmapped names run on
	// the host.
	EnvironmentMap string `yaml:"environment_map"`
}

// Keys lists every setting's name as used in the YAML file, as the
// LATHE_<KEY> environment variable (upper-cased) and as --<key> flag (with
// '-' for '_').
func Keys() []string {
	t := reflect.TypeOf(Config{})
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		keys = append(keys, t.Field(i).Tag.Get("yaml"))
	}
	return keys
}

// Default returns the built-in settings. home is $LATHE_HOME, or "" for
// ~/.lathe.
func Default(home string) *Config {
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(h, ".lathe")
		} else {
			home = ".lathe"
		}
	}
	return &Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         home,
		LogFormat:       "text",
		LogLevel:        "info",
		MaxBlobSize:     64 << 30,
		MaxJSONBody:     4 << 20,
		ShutdownTimeout: 15 * time.Second,
	}
}

// Load builds the configuration: defaults, then the YAML file at path (if
// path is not empty), then LATHE_* variables from env, then flags (setting
// key → value, only for flags the user set).
func Load(path string, env func(string) string, flags map[string]string) (*Config, error) {
	c := Default(env("LATHE_HOME"))
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, lathe.Errorf(lathe.EINVALID, "read config file: %v", err)
		}
		if err := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField()).Decode(c); err != nil {
			return nil, lathe.Errorf(lathe.EINVALID, "config file %s: %s", path, yaml.FormatError(err, false, true))
		}
	}
	for _, k := range Keys() {
		if v := env("LATHE_" + strings.ToUpper(k)); v != "" {
			if err := c.Set(k, v); err != nil {
				return nil, fmt.Errorf("environment variable LATHE_%s: %w", strings.ToUpper(k), err)
			}
		}
	}
	keys := make([]string, 0, len(flags))
	for k := range flags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := c.Set(k, flags[k]); err != nil {
			return nil, fmt.Errorf("flag --%s: %w", strings.ReplaceAll(k, "_", "-"), err)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Set sets one setting by key from its string form.
func (c *Config) Set(key, value string) error {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("yaml") != key {
			continue
		}
		f := v.Field(i)
		switch f.Interface().(type) {
		case string:
			f.SetString(value)
		case Size:
			s, err := ParseSize(value)
			if err != nil {
				return err
			}
			f.Set(reflect.ValueOf(s))
		case time.Duration:
			d, err := time.ParseDuration(value)
			if err != nil {
				return lathe.Errorf(lathe.EINVALID, "%q is not a duration; write it like 15s or 2m", value)
			}
			f.Set(reflect.ValueOf(d))
		}
		return nil
	}
	return lathe.Errorf(lathe.EINVALID, "unknown setting %q; known settings: %s", key, strings.Join(Keys(), ", "))
}

// Validate checks every setting and names the first bad one.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return lathe.Errorf(lathe.EINVALID, "addr %q is not host:port (for example 127.0.0.1:8080)", c.Addr)
	}
	if c.DataDir == "" {
		return lathe.Errorf(lathe.EINVALID, "data_dir is empty; set --data-dir or LATHE_HOME")
	}
	if c.Store != "" {
		u, err := url.Parse(c.Store)
		if err != nil || (u.Scheme != "sqlite" && u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return lathe.Errorf(lathe.EINVALID, "store %q: use sqlite:///path/file.db or postgres://user@host:5432/db", redact(c.Store))
		}
	}
	if c.Blob != "" {
		u, err := url.Parse(c.Blob)
		if err != nil || (u.Scheme != "file" && u.Scheme != "s3") {
			return lathe.Errorf(lathe.EINVALID, "blob %q: use file:///path or s3://bucket/prefix?endpoint=http://host:port&region=...", c.Blob)
		}
		if u.Scheme == "s3" && (c.S3AccessKey == "" || c.S3SecretKey == "") {
			return lathe.Errorf(lathe.EINVALID, "blob %q is S3 but s3_access_key or s3_secret_key is empty; set LATHE_S3_ACCESS_KEY and LATHE_S3_SECRET_KEY", c.Blob)
		}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return lathe.Errorf(lathe.EINVALID, "log_format %q: use text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return lathe.Errorf(lathe.EINVALID, "log_level %q: use debug, info, warn or error", c.LogLevel)
	}
	if c.MaxBlobSize < 1<<20 {
		return lathe.Errorf(lathe.EINVALID, "max_blob_size %s is below the minimum of 1MiB", c.MaxBlobSize)
	}
	if c.MaxJSONBody < 64<<10 || c.MaxJSONBody > 1<<30 {
		return lathe.Errorf(lathe.EINVALID, "max_json_body %s must be between 64KiB and 1GiB", c.MaxJSONBody)
	}
	switch c.ContainerRuntime {
	case "", "podman", "docker":
	default:
		return lathe.Errorf(lathe.EINVALID, "container_runtime %q: use podman, docker or leave it empty", c.ContainerRuntime)
	}
	if c.ShutdownTimeout <= 0 {
		return lathe.Errorf(lathe.EINVALID, "shutdown_timeout must be positive")
	}
	return nil
}

// StorePath returns the SQLite file for the store setting, or "" when the
// store is PostgreSQL.
func (c *Config) StorePath() string {
	if c.Store == "" {
		return filepath.Join(c.DataDir, "lathe.db")
	}
	if u, err := url.Parse(c.Store); err == nil && u.Scheme == "sqlite" {
		return u.Path
	}
	return ""
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}

// Size is a byte count written as a plain number or with a unit: 512KiB,
// 64MiB, 2GiB (powers of 1024) or KB, MB, GB (powers of 1000).
type Size int64

// ParseSize parses a Size.
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, lathe.Errorf(lathe.EINVALID, "%q is not a size; write it like 1048576, 512KiB, 64MiB or 2GiB", s)
	}
	return Size(n * mult), nil
}

// UnmarshalYAML accepts a number or a string with a unit.
func (s *Size) UnmarshalYAML(b []byte) error {
	v, err := ParseSize(strings.Trim(string(b), `"' `))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// String formats the size with the largest binary unit that divides it.
func (s Size) String() string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if int64(s) >= u.mult && int64(s)%u.mult == 0 {
			return strconv.FormatInt(int64(s)/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10)
}
