package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/config"
)

func noEnv(string) string { return "" }

func TestGoodFiles(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no good files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			if _, err := config.Load(f, noEnv, nil); err != nil {
				t.Fatalf("Load: %v", err)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	t.Parallel()
	// Each bad file must fail with a message naming what is wrong.
	want := map[string]string{
		"unknown-field.bad.yaml":   "adr",
		"log-format.bad.yaml":      "log_format",
		"store-scheme.bad.yaml":    "postgres://",
		"s3-no-keys.bad.yaml":      "s3_access_key",
		"size.bad.yaml":            "not a size",
		"addr.bad.yaml":            "host:port",
		"json-body-small.bad.yaml": "max_json_body",
	}
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) != len(want) {
		t.Fatalf("%d bad files, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(f, noEnv, nil)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), want[filepath.Base(f)]) {
				t.Fatalf("error %q (code %s) should be invalid and mention %q", err, lathe.ErrorCode(err), want[filepath.Base(f)])
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	env := map[string]string{"LATHE_HOME": "/home/x/lathe", "LATHE_ADDR": "127.0.0.1:7000", "LATHE_LOG_LEVEL": "warn"}
	c, err := config.Load("testdata/minimal.good.yaml", func(k string) string { return env[k] }, map[string]string{"log_level": "debug"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"env beats file", c.Addr, "127.0.0.1:7000"},
		{"flag beats env", c.LogLevel, "debug"},
		{"LATHE_HOME sets data dir", c.DataDir, "/home/x/lathe"},
		{"default store path", c.StorePath(), "/home/x/lathe/lathe.db"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if c.ShutdownTimeout != 15*time.Second {
		t.Errorf("default shutdown timeout = %v", c.ShutdownTimeout)
	}
}

func TestFlagErrorsNameTheFlag(t *testing.T) {
	t.Parallel()
	_, err := config.Load("", noEnv, map[string]string{"max_blob_size": "huge"})
	if err == nil || !strings.Contains(err.Error(), "--max-blob-size") {
		t.Fatalf("err = %v, want it to name --max-blob-size", err)
	}
	_, err = config.Load("", func(k string) string {
		if k == "LATHE_SHUTDOWN_TIMEOUT" {
			return "soon"
		}
		return ""
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "LATHE_SHUTDOWN_TIMEOUT") {
		t.Fatalf("err = %v, want it to name LATHE_SHUTDOWN_TIMEOUT", err)
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want config.Size
		ok   bool
	}{
		{"1048576", 1 << 20, true},
		{"64MiB", 64 << 20, true},
		{"2 GiB", 2 << 30, true},
		{"5MB", 5e6, true},
		{"12B", 12, true},
		{"-1", 0, false},
		{"1.5GiB", 0, false},
		{"99999999999TiB", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, err := config.ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if s := config.Size(64 << 20).String(); s != "64MiB" {
		t.Errorf("String = %q", s)
	}
}

func TestClientConfigRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "config")
	c, err := config.LoadClient(path)
	if err != nil || c.URL != "" {
		t.Fatalf("missing file: %+v, %v", c, err)
	}
	in := &config.Client{URL: "http://127.0.0.1:8080", Token: "lathe_secret", Workspace: "team"}
	if err := config.SaveClient(path, in); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	out, err := config.LoadClient(path)
	if err != nil || *out != *in {
		t.Fatalf("LoadClient = %+v, %v", out, err)
	}
	if err := os.WriteFile(path, []byte("urll: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadClient(path); err == nil || !strings.Contains(err.Error(), "urll") {
		t.Fatalf("bad client config error = %v", err)
	}
}

func TestClientPath(t *testing.T) {
	t.Parallel()
	env := map[string]string{"LATHE_HOME": "/h"}
	if p := config.ClientPath(func(k string) string { return env[k] }); p != "/h/config" {
		t.Errorf("ClientPath = %q", p)
	}
	env["LATHE_CONFIG"] = "/c"
	if p := config.ClientPath(func(k string) string { return env[k] }); p != "/c" {
		t.Errorf("ClientPath = %q", p)
	}
}
