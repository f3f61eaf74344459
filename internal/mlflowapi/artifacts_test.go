package mlflowapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe/internal/config"
)

const artifacts = "/mlflow-artifacts/artifacts"

// listing returns the names directly under dir ("" for the root).
func (h *harness) listing(dir string) []string {
	h.t.Helper()
	var out struct {
		Files []struct {
			Path string `json:"path"`
		} `json:"files"`
	}
	q := ""
	if dir != "" {
		q = "?path=" + url.QueryEscape(dir)
	}
	h.ok("GET", artifacts+q, nil, &out)
	var names []string
	for _, f := range out.Files {
		names = append(names, f.Path)
	}
	return names
}

// absent checks, for a moment, that nothing is stored at p and that the
// artifact tree holds only the names in want.
func (h *harness) absent(p string, want ...string) {
	h.t.Helper()
	for i := 0; i < 5; i++ {
		if r := h.do("GET", artifacts+"/"+p, nil); r.status != http.StatusNotFound || r.err().ErrorCode != dne {
			h.t.Fatalf("GET %s after a refused upload: %d %s", p, r.status, r.body)
		}
		if got := h.listing(""); strings.Join(got, ",") != strings.Join(want, ",") {
			h.t.Fatalf("artifact root holds %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMLflowArtifactPaths refuses paths that climb out of the tree, are
// absolute or have empty segments, on every artifact route, and stores
// nothing for them.
func TestMLflowArtifactPaths(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	h.ok("PUT", artifacts+"/1/run/artifacts/ok.txt", []byte("fine"), nil)
	// Escaped forms reach the handler as written.
	escaped := []string{
		"1/run/artifacts/%2E%2E/%2E%2E/escape.txt",
		"%2E%2E/escape.txt",
		"%2Fetc/passwd",
		"1/run/artifacts%2F%2Fempty.txt",
		"1/run/artifacts/%2E/dot.txt",
		"1/run/artifacts/back%5Cslash.txt",
		"1/run/artifacts/nul%00.txt",
	}
	for _, p := range escaped {
		t.Run(p, func(t *testing.T) {
			hh := *h
			hh.t = t
			for _, m := range []string{"PUT", "GET", "DELETE"} {
				var body any
				if m == "PUT" {
					body = []byte("payload")
				}
				r := hh.do(m, artifacts+"/"+p, body)
				if e := r.err(); r.status != bad || e.ErrorCode != inv || !strings.HasPrefix(e.Message, "Invalid path") {
					t.Fatalf("%s %s: %d %s; want 400 Invalid path", m, p, r.status, r.body)
				}
			}
			un, _ := url.PathUnescape(p)
			r := hh.do("GET", artifacts+"?path="+url.QueryEscape(un), nil)
			if e := r.err(); r.status != bad || e.ErrorCode != inv {
				t.Fatalf("list %q: %d %s; want 400", un, r.status, r.body)
			}
			r = hh.do("POST", "/mlflow-artifacts/mpu/create/"+p, map[string]any{"path": "f.bin", "num_parts": 1})
			if r.status != bad {
				t.Fatalf("mpu create under %s: %d %s; want 400", p, r.status, r.body)
			}
		})
	}
	// Unescaped dot segments and double slashes are cleaned by the HTTP
	// router before any MLflow handler sees them; whatever it answers, no
	// file may appear anywhere.
	for _, p := range []string{"1/run/artifacts/../../escape.txt", "1/run//artifacts/x.txt", "1/./run/y.txt"} {
		r := h.do("PUT", artifacts+"/"+p, []byte("payload"))
		if r.status == http.StatusOK {
			t.Errorf("PUT %s: stored (200); want it refused", p)
		}
	}
	h.absent("escape.txt", "1")
	if got := h.listing("1/run/artifacts"); strings.Join(got, ",") != "ok.txt" {
		t.Fatalf("run artifacts = %v, want only ok.txt", got)
	}
	if r := h.do("GET", artifacts+"/1/run/artifacts/missing.txt", nil); r.status != missing || r.err().ErrorCode != dne {
		t.Fatalf("missing artifact: %d %s; want 404 RESOURCE_DOES_NOT_EXIST", r.status, r.body)
	}
}

// TestMLflowArtifactInterrupted cuts uploads short in the ways a network
// does; none may leave an artifact behind.
func TestMLflowArtifactInterrupted(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *config.Config) { c.MaxBlobSize = 1 << 20 })
	addr := strings.TrimPrefix(h.url, "http://")
	cases := []struct {
		name string
		cut  func(t *testing.T, path string)
	}{
		{"content-length larger than the body", func(t *testing.T, path string) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "PUT /api/2.0%s/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 100000\r\n\r\n", artifacts, path, addr, h.token)
			_, _ = conn.Write(bytes.Repeat([]byte("a"), 1000))
			_ = conn.(*net.TCPConn).CloseWrite()
			// The server must not answer 200 for what it did not get.
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil && resp.StatusCode == http.StatusOK {
				t.Errorf("short body answered 200")
			}
		}},
		{"client closes midway", func(t *testing.T, path string) {
			pr, pw := io.Pipe()
			req, err := http.NewRequest("PUT", h.url+"/api/2.0"+artifacts+"/"+path, pr)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+h.token)
			go func() {
				_, _ = pw.Write(bytes.Repeat([]byte("b"), 64<<10))
				time.Sleep(50 * time.Millisecond)
				pw.CloseWithError(errors.New("client gave up"))
			}()
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					t.Errorf("aborted upload answered 200")
				}
			}
		}},
		{"over the size limit", func(t *testing.T, path string) {
			hh := *h
			hh.t = t
			r := hh.do("PUT", artifacts+"/"+path, bytes.Repeat([]byte("c"), 1<<20+10))
			if e := r.err(); r.status != bad || e.ErrorCode != inv {
				t.Errorf("oversized upload: %d %s; want 400 INVALID_PARAMETER_VALUE", r.status, r.body)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "7/run/artifacts/" + strings.ReplaceAll(c.name, " ", "-") + ".bin"
			c.cut(t, path)
			hh := *h
			hh.t = t
			hh.absent(path)
		})
	}
}

// credential is one signed part URL of a multipart upload.
type credential struct {
	URL        string `json:"url"`
	PartNumber int    `json:"part_number"`
}

// putPart sends one part to its signed URL, with no token.
func putPart(t *testing.T, u string, data []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest("PUT", u, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("ETag")
}

// TestMLflowMultipartUpload walks a multipart upload: create, signed part
// PUTs without a token, complete; a forged signature is 403; an aborted
// upload takes no more parts and leaves no file.
func TestMLflowMultipartUpload(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	create := func(dir string, parts int) (string, []credential) {
		var out struct {
			UploadID    string       `json:"upload_id"`
			Credentials []credential `json:"credentials"`
		}
		h.ok("POST", "/mlflow-artifacts/mpu/create/"+dir, map[string]any{"path": "/home/me/model.bin", "num_parts": parts}, &out)
		if out.UploadID == "" || len(out.Credentials) != parts {
			t.Fatalf("create: %+v", out)
		}
		return out.UploadID, out.Credentials
	}
	dir := "3/run/artifacts/model"
	id, creds := create(dir, 2)
	parts := [][]byte{bytes.Repeat([]byte("1"), 5<<10), []byte("second part")}
	type part struct {
		PartNumber int    `json:"part_number"`
		ETag       string `json:"etag"`
	}
	var done []part
	for i, c := range creds {
		if c.PartNumber != i+1 || !strings.Contains(c.URL, "sig=") {
			t.Fatalf("credential %d: %+v", i, c)
		}
		forged := strings.Replace(c.URL, "sig=", "sig=00", 1)
		if st, _ := putPart(t, forged, parts[i]); st != http.StatusForbidden {
			t.Fatalf("forged signature: %d, want 403", st)
		}
		st, etag := putPart(t, c.URL, parts[i])
		if st != http.StatusOK || etag == "" {
			t.Fatalf("part %d: %d etag %q", i+1, st, etag)
		}
		done = append(done, part{c.PartNumber, etag})
	}
	// A part URL signed for this upload does not take another part number.
	other := strings.Replace(creds[0].URL, "/part/"+id+"/1", "/part/"+id+"/2", 1)
	if st, _ := putPart(t, other, []byte("x")); st != http.StatusForbidden {
		t.Fatalf("part URL replayed for another part: %d, want 403", st)
	}
	if got := h.listing(dir); len(got) != 0 {
		t.Fatalf("file visible before complete: %v", got)
	}
	r := h.do("POST", "/mlflow-artifacts/mpu/complete/"+dir, map[string]any{"path": "model.bin", "upload_id": id, "parts": []part{{1, `"nope"`}, done[1]}})
	if r.status != bad {
		t.Fatalf("complete with a wrong ETag: %d %s", r.status, r.body)
	}
	h.ok("POST", "/mlflow-artifacts/mpu/complete/"+dir, map[string]any{"path": "model.bin", "upload_id": id, "parts": done}, nil)
	got := h.do("GET", artifacts+"/"+dir+"/model.bin", nil)
	if want := append(append([]byte(nil), parts[0]...), parts[1]...); got.status != http.StatusOK || !bytes.Equal(got.body, want) {
		t.Fatalf("completed file: %d, %d bytes; want %d bytes", got.status, len(got.body), len(want))
	}
	if r := h.do("POST", "/mlflow-artifacts/mpu/complete/"+dir, map[string]any{"path": "model.bin", "upload_id": id, "parts": done}); r.status != missing {
		t.Fatalf("second complete: %d %s; want 404", r.status, r.body)
	}

	// Incomplete, then aborted.
	dir2 := "3/run/artifacts/aborted"
	id2, creds2 := create(dir2, 2)
	if st, _ := putPart(t, creds2[0].URL, []byte("only one")); st != http.StatusOK {
		t.Fatalf("part 1: %d", st)
	}
	if r := h.do("POST", "/mlflow-artifacts/mpu/complete/"+dir2, map[string]any{"path": "model.bin", "upload_id": id2}); r.status != bad {
		t.Fatalf("complete with a part missing: %d %s; want 400", r.status, r.body)
	}
	h.ok("POST", "/mlflow-artifacts/mpu/abort/"+dir2, map[string]any{"path": "model.bin", "upload_id": id2}, nil)
	if st, _ := putPart(t, creds2[1].URL, []byte("late")); st != http.StatusNotFound {
		t.Fatalf("part after abort: %d, want 404", st)
	}
	if r := h.do("POST", "/mlflow-artifacts/mpu/complete/"+dir2, map[string]any{"path": "model.bin", "upload_id": id2}); r.status != missing {
		t.Fatalf("complete after abort: %d %s; want 404", r.status, r.body)
	}
	if got := h.listing(dir2); len(got) != 0 {
		t.Fatalf("aborted upload left %v", got)
	}
	var missingPath mlflowError
	r = h.do("POST", "/mlflow-artifacts/mpu/create/"+dir2, map[string]any{"num_parts": 1})
	if err := json.Unmarshal(r.body, &missingPath); err != nil || r.status != bad || !strings.HasPrefix(missingPath.Message, "Missing value for required parameter 'path'") {
		t.Fatalf("create without path: %d %s", r.status, r.body)
	}
}
