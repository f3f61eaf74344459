package exec

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// syncBuffer is a bytes.Buffer safe for the shipper's writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestShipper(t *testing.T) {
	t.Parallel()
	lim := lathe.MaxJobLogLineLen
	long := strings.Repeat("a", lim) + strings.Repeat("b", lim) + "tail"
	cases := []struct {
		name    string
		lines   []string
		want    []string
		batched bool // more than one line per request at least once
	}{
		{"short lines in order", []string{"one", "two", "", "three"}, []string{"one", "two", "", "three"}, true},
		{"long line split", []string{"x", long, "y"}, []string{"x", strings.Repeat("a", lim), strings.Repeat("b", lim), "tail", "y"}, true},
		{"exactly the limit", []string{strings.Repeat("c", lim)}, []string{strings.Repeat("c", lim)}, false},
		{"many lines", numbered(5000), numbered(5000), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeServer{plan: testPlan("true")}
			srv := httptest.NewServer(f)
			defer srv.Close()
			c, err := client.New(srv.URL, "tok", nil)
			if err != nil {
				t.Fatal(err)
			}
			file := &syncBuffer{}
			s := newShipper(c, "team", "brave_lamp", file, slog.New(slog.DiscardHandler), time.Second)
			for _, l := range tc.lines {
				s.add(lathe.StreamStdout, l)
			}
			s.close(10 * time.Second)
			got := f.lines(lathe.StreamStdout)
			if len(got) != len(tc.want) {
				t.Fatalf("shipped %d lines, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("line %d = %.40q…, want %.40q…", i, got[i], tc.want[i])
				}
			}
			most := 0
			for _, b := range f.batches {
				most = max(most, len(b))
				if len(b) > shipMaxLines {
					t.Fatalf("a batch of %d lines; the limit is %d", len(b), shipMaxLines)
				}
			}
			if tc.batched && most < 2 {
				t.Fatalf("every request carried one line (%d requests)", len(f.batches))
			}
			// The machine's copy has whole lines.
			if want := strings.Join(tc.lines, "\n") + "\n"; file.String() != want {
				t.Fatalf("std_log.txt has %d bytes, want %d", len(file.String()), len(want))
			}
		})
	}
}

func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "line " + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	return out
}

func TestShipperStopsWhenRefused(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"error":{"code":"conflict","message":"job brave_lamp is canceled"}}`))
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := newShipper(c, "team", "brave_lamp", nil, slog.New(slog.DiscardHandler), time.Second)
	s.add(lathe.StreamStdout, "first")
	time.Sleep(3 * shipEvery)
	for range 100 {
		s.add(lathe.StreamStdout, "more")
	}
	done := make(chan struct{})
	go func() { s.close(5 * time.Second); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close did not return")
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("%d requests after the server refused the job's log, want 1", calls)
	}
}

func TestScanOutput(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, build func(dir string)) string {
		d := filepath.Join(root, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		build(d)
		return d
	}
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(to, p string) {
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name  string
		dir   string
		files int
		says  string // part of the user failure; "" for none
	}{
		{"missing", filepath.Join(root, "nope"), 0, ""},
		{"empty", mk("empty", func(string) {}), 0, ""},
		{"files", mk("files", func(d string) { write(filepath.Join(d, "a"), "1"); write(filepath.Join(d, "sub", "b"), "2") }), 2, ""},
		{"link inside", mk("inside", func(d string) { write(filepath.Join(d, "a"), "1"); link(filepath.Join(d, "a"), filepath.Join(d, "b")) }), -1, ""},
		{"link outside", mk("outside", func(d string) { link(filepath.Join(outside, "secret"), filepath.Join(d, "s")) }), 0, "outside the job's directory"},
		{"folder link outside", mk("outdir", func(d string) { link(outside, filepath.Join(d, "s")) }), 0, "outside the job's directory"},
		{"broken link", mk("broken", func(d string) { link(filepath.Join(d, "gone"), filepath.Join(d, "s")) }), 0, "broken symbolic link"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files, err := scanOutput(tc.dir, root)
			if tc.says != "" {
				var f *failure
				if err == nil || !errors.As(err, &f) || f.kind != lathe.FailureUser || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("scanOutput = %d files, %v; want a user failure saying %q", len(files), err, tc.says)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.files >= 0 && len(files) != tc.files {
				t.Fatalf("scanOutput found %d files, want %d", len(files), tc.files)
			}
		})
	}
}

func TestRetryGivesUp(t *testing.T) {
	t.Parallel()
	unavailable := lathe.Errorf(lathe.EUNAVAILABLE, "cannot reach the server")
	cases := []struct {
		name  string
		errs  []error
		calls int
		ok    bool
	}{
		{"succeeds", []error{nil}, 1, true},
		{"retries while unreachable", []error{unavailable, unavailable, nil}, 3, true},
		{"other errors are not retried", []error{lathe.Errorf(lathe.ECONFLICT, "ended")}, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := 0
			err := retry(context.Background(), 10*time.Second, slog.New(slog.DiscardHandler), "test", func() error {
				e := tc.errs[n]
				n++
				return e
			})
			if (err == nil) != tc.ok || n != tc.calls {
				t.Fatalf("retry = %v after %d calls, want ok=%v after %d", err, n, tc.ok, tc.calls)
			}
		})
	}
	start := time.Now()
	err := retry(context.Background(), 50*time.Millisecond, slog.New(slog.DiscardHandler), "send", func() error { return unavailable })
	if !lathe.IsCode(err, lathe.EUNAVAILABLE) || !strings.Contains(err.Error(), "could not be reached") || time.Since(start) > 5*time.Second {
		t.Fatalf("retry past its limit = %v after %s", err, time.Since(start))
	}
}
