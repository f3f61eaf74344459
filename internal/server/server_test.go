package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/server"
)

// harness is a real server on a free port over a temporary data dir.
type harness struct {
	t     *testing.T
	srv   *server.Server
	url   string
	token string
	dir   string
}

func start(t *testing.T, mutate func(*config.Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default(dir)
	cfg.Addr = "127.0.0.1:0"
	if mutate != nil {
		mutate(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return &harness{t: t, srv: srv, url: srv.URL(), token: srv.AdminToken(), dir: dir}
}

// call makes a request; token "" sends none.
func (h *harness) call(method, path, token string, body io.Reader, hdr ...string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

type errBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// wantError checks the status and the one error shape.
func wantError(t *testing.T, resp *http.Response, status int, code string) errBody {
	t.Helper()
	var eb errBody
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, b)
	}
	if err := json.Unmarshal(b, &eb); err != nil {
		t.Fatalf("error body %q is not JSON: %v", b, err)
	}
	if eb.Error.Code != code || eb.Error.Message == "" || eb.Error.RequestID == "" {
		t.Fatalf("error body = %+v, want code %q with a message and request id", eb, code)
	}
	if resp.Header.Get("X-Request-Id") != eb.Error.RequestID {
		t.Fatalf("X-Request-Id %q differs from body %q", resp.Header.Get("X-Request-Id"), eb.Error.RequestID)
	}
	return eb
}

func TestPublicAndProtectedRoutes(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp := h.call("GET", p, "", nil)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s without a token = %d, want 200", p, resp.StatusCode)
		}
	}
	// Every non-public route refuses a missing or wrong token before doing
	// anything else, and so do unknown paths.
	for _, rt := range h.srv.Routes() {
		if rule, _ := lathe.PolicyFor(rt.Action); rule.Need == lathe.NeedPublic {
			continue // (signed uploads check their own signature: TestMLflow covers them)
		}
		path := strings.NewReplacer("{workspace}", "default", "{digest}", "sha256:"+strings.Repeat("0", 64),
			"{path...}", "1/x/artifacts/f", "{upload}", "u", "{part}", "1", "{user}", "admin", "{id}", "x").Replace(rt.Path)
		for _, tok := range []string{"", "lathe_wrong", "not-even-a-lathe-token"} {
			resp := h.call(rt.Method, path, tok, strings.NewReader("{}"))
			if rt.Compat {
				var mb struct {
					ErrorCode string `json:"error_code"`
					Message   string `json:"message"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&mb)
				if resp.StatusCode != 401 || mb.ErrorCode != "UNAUTHENTICATED" || mb.Message == "" {
					t.Errorf("%s %s without a valid token: %d %+v", rt.Method, path, resp.StatusCode, mb)
				}
				continue
			}
			wantError(t, resp, 401, lathe.EUNAUTHORIZED)
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", rt.Method, path)
			}
		}
	}
	wantError(t, h.call("GET", "/api/v1/no/such/route", "", nil), 401, lathe.EUNAUTHORIZED)
	wantError(t, h.call("GET", "/api/v1/no/such/route", h.token, nil), 404, lathe.ENOTFOUND)
	resp := h.call("DELETE", "/api/v1/info", h.token, nil)
	wantError(t, resp, 405, lathe.EINVALID)
	if resp.Header.Get("Allow") != "GET" {
		t.Errorf("Allow = %q", resp.Header.Get("Allow"))
	}
	// Basic auth with the token as password works too (the MLflow client's mode).
	req, _ := http.NewRequest("GET", h.url+"/api/v1/info", nil)
	req.SetBasicAuth("admin", h.token)
	r2, err := http.DefaultClient.Do(req)
	if err != nil || r2.StatusCode != 200 {
		t.Fatalf("basic auth: %v %v", r2.StatusCode, err)
	}
	r2.Body.Close()
}

func TestInfoAndMetrics(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	resp := h.call("GET", "/api/v1/info", h.token, nil, "X-Request-Id", "my-req-1")
	if resp.Header.Get("X-Request-Id") != "my-req-1" {
		t.Errorf("request id not echoed: %q", resp.Header.Get("X-Request-Id"))
	}
	var info struct {
		Version   string
		Store     string
		Blob      string
		Principal struct{ User string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if info.Version != lathe.Version || info.Store != "sqlite" || info.Blob != "file" || info.Principal.User != "admin" {
		t.Fatalf("info = %+v", info)
	}
	m, _ := io.ReadAll(h.call("GET", "/metrics", "", nil).Body)
	for _, want := range []string{`lathe_http_requests_total{code="200",method="GET",route="getInfo"} 1`, "go_goroutines", "process_resident_memory_bytes"} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	fi, err := os.Stat(filepath.Join(h.dir, server.AdminTokenFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("sha256:%x", s)
}

func TestBlobRoundTrip(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	data := bytes.Repeat([]byte("lathe blob "), 100_000)
	d := digestOf(data)
	resp := h.call("POST", "/api/v1/workspaces/default/blobs?digest="+d, h.token, bytes.NewReader(data))
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("upload = %d %s", resp.StatusCode, b)
	}
	var up struct {
		Digest string
		Size   int64
	}
	_ = json.NewDecoder(resp.Body).Decode(&up)
	if up.Digest != d || up.Size != int64(len(data)) {
		t.Fatalf("upload answered %+v", up)
	}
	path := "/api/v1/workspaces/default/blobs/" + d
	tests := []struct {
		name   string
		hdr    []string
		status int
		want   []byte
		crange string
	}{
		{"whole", nil, 200, data, ""},
		{"range", []string{"Range", "bytes=10-19"}, 206, data[10:20], fmt.Sprintf("bytes 10-19/%d", len(data))},
		{"open range", []string{"Range", fmt.Sprintf("bytes=%d-", len(data)-5)}, 206, data[len(data)-5:], ""},
		{"suffix", []string{"Range", "bytes=-4"}, 206, data[len(data)-4:], ""},
		{"not modified", []string{"If-None-Match", `"` + d + `"`}, 304, nil, ""},
	}
	for _, tc := range tests {
		resp := h.call("GET", path, h.token, nil, tc.hdr...)
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.status || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: status %d, %d bytes; want %d, %d bytes", tc.name, resp.StatusCode, len(got), tc.status, len(tc.want))
		}
		if tc.crange != "" && resp.Header.Get("Content-Range") != tc.crange {
			t.Errorf("%s: Content-Range %q, want %q", tc.name, resp.Header.Get("Content-Range"), tc.crange)
		}
	}
	resp = h.call("GET", path, h.token, nil, "Range", fmt.Sprintf("bytes=%d-", len(data)+10))
	wantError(t, resp, 416, lathe.ERANGE)
	if resp.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", len(data)) {
		t.Errorf("416 Content-Range = %q", resp.Header.Get("Content-Range"))
	}
	head := h.call("HEAD", path, h.token, nil)
	if head.StatusCode != 200 || head.ContentLength != int64(len(data)) || head.Header.Get("ETag") != `"`+d+`"` {
		t.Errorf("HEAD = %d, length %d, etag %q", head.StatusCode, head.ContentLength, head.Header.Get("ETag"))
	}
	// Exists, in order, with a digest nobody stored.
	other := digestOf([]byte("other"))
	resp = h.call("POST", "/api/v1/workspaces/default/blobs/exists", h.token, strings.NewReader(`{"digests":["`+other+`","`+d+`"]}`))
	var ex struct{ Exists []bool }
	_ = json.NewDecoder(resp.Body).Decode(&ex)
	if fmt.Sprint(ex.Exists) != "[false true]" {
		t.Errorf("exists = %v", ex.Exists)
	}
	wantError(t, h.call("GET", "/api/v1/workspaces/default/blobs/"+other, h.token, nil), 404, lathe.ENOTFOUND)
}

func TestBlobBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *config.Config) { c.MaxBlobSize = 1 << 20 })
	ws := "/api/v1/workspaces/default/blobs"
	data := []byte("some bytes")
	tests := []struct {
		name, method, path string
		body               io.Reader
		hdr                []string
		status             int
		code, mention      string
	}{
		{"wrong digest", "POST", ws + "?digest=" + digestOf([]byte("else")), bytes.NewReader(data), nil, 400, lathe.EINVALID, "digest"},
		{"malformed digest", "POST", ws + "?digest=md5:abc", bytes.NewReader(data), nil, 400, lathe.EINVALID, "sha256:"},
		{"digest header and query differ", "POST", ws + "?digest=" + digestOf(data), bytes.NewReader(data), []string{"X-Lathe-Digest", digestOf([]byte("x"))}, 400, lathe.EINVALID, "differ"},
		{"declared too large", "POST", ws, bytes.NewReader(make([]byte, 2<<20)), nil, 413, lathe.ETOOLARGE, "limit"},
		{"streamed too large", "POST", ws, io.MultiReader(bytes.NewReader(make([]byte, 2<<20))), []string{"Transfer-Encoding", "chunked"}, 413, lathe.ETOOLARGE, ""},
		{"workspace traversal", "GET", "/api/v1/workspaces/..%2F..%2Fetc/blobs", nil, nil, 400, lathe.EINVALID, "workspace"},
		{"digest traversal", "GET", ws + "/..%2F..%2Fetc%2Fpasswd", nil, nil, 400, lathe.EINVALID, "path"},
		{"unknown workspace", "GET", "/api/v1/workspaces/nope/blobs", nil, nil, 404, lathe.ENOTFOUND, "nope"},
		{"malformed JSON", "POST", ws + "/exists", strings.NewReader(`{"digests":[`), nil, 400, lathe.EINVALID, ""},
		{"unknown field", "POST", ws + "/exists", strings.NewReader(`{"digest":[]}`), nil, 400, lathe.EINVALID, `"digest"`},
		{"bad digest in batch", "POST", ws + "/exists", strings.NewReader(`{"digests":["sha256:zz"]}`), nil, 400, lathe.EINVALID, "digests[0]"},
		{"batch too large", "POST", ws + "/exists", strings.NewReader(`{"digests":[` + strings.TrimSuffix(strings.Repeat(`"`+digestOf(data)+`",`, 1001), ",") + `]}`), nil, 413, lathe.ETOOLARGE, "1000"},
		{"JSON body too large", "POST", ws + "/exists", strings.NewReader(`{"digests":["` + strings.Repeat("a", 5<<20) + `"]}`), nil, 413, lathe.ETOOLARGE, ""},
		{"bad limit", "GET", ws + "?limit=0", nil, nil, 400, lathe.EINVALID, "limit"},
		{"bad cursor", "GET", ws + "?cursor=!!", nil, nil, 400, lathe.EINVALID, "cursor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.call(tc.method, tc.path, h.token, tc.body, tc.hdr...)
			eb := wantError(t, resp, tc.status, tc.code)
			if !strings.Contains(eb.Error.Message, tc.mention) {
				t.Errorf("message %q should mention %q", eb.Error.Message, tc.mention)
			}
		})
	}
	var page struct{ Items []any }
	_ = json.NewDecoder(h.call("GET", ws, h.token, nil).Body).Decode(&page)
	if len(page.Items) != 0 {
		t.Fatalf("bad input stored %d blobs", len(page.Items))
	}
	entries, _ := filepath.Glob(filepath.Join(h.dir, "blobs", "sha256", "*", "*"))
	if len(entries) != 0 {
		t.Fatalf("bad input left blob files: %v", entries)
	}
}

func TestBlobPagination(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	const n = 7
	for i := 0; i < n; i++ {
		resp := h.call("POST", "/api/v1/workspaces/default/blobs", h.token, strings.NewReader(fmt.Sprint("blob ", i)))
		if resp.StatusCode != 201 {
			t.Fatalf("upload %d = %d", i, resp.StatusCode)
		}
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		var page struct {
			Items      []struct{ Digest string }
			NextCursor string `json:"next_cursor"`
		}
		_ = json.NewDecoder(h.call("GET", "/api/v1/workspaces/default/blobs?limit=3&cursor="+cursor, h.token, nil).Body).Decode(&page)
		for _, it := range page.Items {
			if seen[it.Digest] {
				t.Fatalf("digest %s on two pages", it.Digest)
			}
			seen[it.Digest] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != n {
		t.Fatalf("pages held %d blobs, want %d", len(seen), n)
	}
}

func TestRestartKeepsTokenAndData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Default(dir)
	cfg.Addr = "127.0.0.1:0"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func() (*server.Server, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := server.New(ctx, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		return srv, func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("graceful stop took over 20s")
			}
		}
	}
	srv, stop := run()
	tok := srv.AdminToken()
	req, _ := http.NewRequest("POST", srv.URL()+"/api/v1/workspaces/default/blobs", strings.NewReader("kept"))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("upload: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	stop()
	srv, stop = run()
	defer stop()
	if srv.AdminToken() != tok {
		t.Fatal("admin token changed across a restart")
	}
	req, _ = http.NewRequest("GET", srv.URL()+"/api/v1/workspaces/default/blobs/"+digestOf([]byte("kept")), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after restart: %v %v", resp.StatusCode, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "kept" {
		t.Fatalf("after restart read %q", b)
	}
}

func TestNewRefusesBadSetups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Default(dir)
	cfg.Addr = "127.0.0.1:0"
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("damaged secret: err = %v", err)
	}
}
