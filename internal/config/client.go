package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"
	"github.com/latheml/lathe"
)

// Client is what the CLI needs to reach a server: stored by `lathe login` in
// the client config file, overridden by LATHE_URL, LATHE_TOKEN and
// LATHE_WORKSPACE, then by flags.
type Client struct {
	URL       string `yaml:"url"`
	Token     string `yaml:"token"`
	Workspace string `yaml:"workspace,omitempty"`
}

// ClientPath returns where the client config lives: $LATHE_CONFIG, else
// $LATHE_HOME/config, else ~/.lathe/config.
func ClientPath(env func(string) string) string {
	if p := env("LATHE_CONFIG"); p != "" {
		return p
	}
	return filepath.Join(Default(env("LATHE_HOME")).DataDir, "config")
}

// LoadClient reads the client config at path; a missing file gives an empty
// config, not an error.
func LoadClient(path string) (*Client, error) {
	c := &Client{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read client config: %w", err)
	}
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField()).Decode(c); err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "client config %s: %s; fix it or run `lathe login` again", path, yaml.FormatError(err, false, true))
	}
	return c, nil
}

// SaveClient writes the client config to path with mode 0600, atomically
// (temp file, fsync, rename), creating its directory with mode 0700.
func SaveClient(path string, c *Client) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode client config: %w", err)
	}
	return WriteFileAtomic(path, b, 0o600)
}

// WriteFileAtomic writes b to path through a temp file in the same directory
// that is fsynced and renamed, so readers see the old or the new file, never
// a torn one.
func WriteFileAtomic(path string, b []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() { _ = os.Remove(f.Name()) }()
	if err := f.Chmod(mode); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
