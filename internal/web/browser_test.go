package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowser drives the studio in headless Chromium, as a person would:
// sign in, switch workspace, read the audit page, and check a reader sees
// no write controls in Settings. Each subtest saves a screenshot to
// $LATHE_TEST_ARTIFACTS/screenshots (default: .artifacts/screenshots at
// the repository root).
func TestBrowser(t *testing.T) {
	bin := os.Getenv("LATHE_TEST_CHROMIUM")
	if bin == "" {
		t.Skip("set LATHE_TEST_CHROMIUM=/usr/bin/chromium to run the browser tests")
	}
	t.Parallel()
	shots := screenshotDir(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// Cleanups run after the parallel subtests, last registered first.
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}

	tests := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, base string, w *world)
	}{
		{"sign_in", func(t *testing.T, ctx context.Context, base string, w *world) {
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/data"))
			waitPath(t, ctx, "/ui/signin")
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("token")), chromedp.SendKeys(chromedp.ID("token"), tokOwner))
			submitSignIn(t, ctx)
			waitPath(t, ctx, "/ui/w/default/data") // back where the browser wanted to go
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`nav.sidebar a[aria-current="page"]`)))
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("svg.chart")))
			// The first Tab reaches the skip link.
			do(t, ctx, chromedp.KeyEvent("\t"))
			if got := eval[string](t, ctx, `document.activeElement.className`); got != "skip" {
				t.Errorf("first Tab focuses %q, want the skip link", got)
			}
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
		}},
		{"bad_token", func(t *testing.T, ctx context.Context, base string, w *world) {
			do(t, ctx, chromedp.Navigate(base+"/ui/signin"))
			signIn(t, ctx, "lathe_wrong")
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("signin-error")))
			if txt := text(t, ctx, "#signin-error"); !strings.Contains(txt, "not accepted") {
				t.Errorf("error %q", txt)
			}
			if got := eval[string](t, ctx, `document.getElementById('token').getAttribute('aria-invalid')`); got != "true" {
				t.Errorf("token field aria-invalid = %q", got)
			}
		}},
		{"switch_workspace", func(t *testing.T, ctx context.Context, base string, w *world) {
			do(t, ctx, chromedp.Navigate(base+"/ui/signin"))
			signIn(t, ctx, tokOwner)
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/data"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("ws-switch")))
			// Choosing with the mouse submits the switcher (studio.js).
			_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[chromedp.Void](
				`(() => { const s = document.getElementById('ws-switch'); s.value = 'vision'; s.dispatchEvent(new Event('change')); })()`)))
			if err != nil {
				t.Fatal(err)
			}
			waitPath(t, ctx, "/ui/w/vision/data")
			if got := text(t, ctx, ".sidebar-ws-name"); got != "vision" {
				t.Errorf("sidebar shows workspace %q, want vision", got)
			}
			// Without the script's help: pick with the keyboard and press the Open button.
			do(t, ctx, chromedp.SetValue(chromedp.ID("ws-switch"), "default"))
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
				chromedp.Click(chromedp.CSS(".switcher button")))); err != nil {
				t.Fatal(err)
			}
			waitPath(t, ctx, "/ui/w/default/data")
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#blobs")))
		}},
		{"audit", func(t *testing.T, ctx context.Context, base string, w *world) {
			do(t, ctx, chromedp.Navigate(base+"/ui/signin"))
			signIn(t, ctx, tokOwner)
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/audit"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("verify")))
			if txt := text(t, ctx, "#verify"); !strings.Contains(txt, "Audit chain verified") || !strings.Contains(txt, "rows checked") {
				t.Errorf("verify banner %q", txt)
			}
			do(t, ctx, chromedp.SetValue(chromedp.ID("f-outcome"), "denied"))
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
				chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#audit")))
			if n := eval[int](t, ctx, `document.querySelectorAll('table#audit tbody tr').length`); n != 1 {
				t.Errorf("%d denied rows, want 1", n)
			}
			do(t, ctx, chromedp.SetValue(chromedp.ID("f-outcome"), ""))
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
				chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("verify")))
		}},
		{"reader_settings", func(t *testing.T, ctx context.Context, base string, w *world) {
			do(t, ctx, chromedp.Navigate(base+"/ui/signin"))
			signIn(t, ctx, tokReader)
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/settings"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("roles-readonly")))
			controls := eval[int](t, ctx, `document.querySelectorAll('#role-form, #user-form, form[action*="/roles/"], form[action*="/users"]').length`)
			if controls != 0 {
				t.Errorf("a reader sees %d role or user write controls", controls)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('table#roles tbody tr').length`); n != 3 {
				t.Errorf("roles table has %d rows, want 3", n)
			}
		}},
		{"owner_settings", func(t *testing.T, ctx context.Context, base string, w *world) {
			do(t, ctx, chromedp.Navigate(base+"/ui/signin"))
			signIn(t, ctx, tokAdmin)
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/settings"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("role-form")))
			do(t, ctx, chromedp.SendKeys(chromedp.ID("token-name"), "laptop"))
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
				chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)))); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("new-token")))
			if v := eval[string](t, ctx, `document.getElementById('new-token').value`); !strings.HasPrefix(v, "lathe_") {
				t.Errorf("new token field holds %q", v)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('#user-form').length`); n != 1 {
				t.Error("an admin sees no user form")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(120)
			s, err := w.studio()
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s)
			defer srv.Close()
			tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
			defer cancel()
			ctx, cancelT := context.WithTimeout(tab, 20*time.Second)
			defer cancelT()
			defer func() { screenshot(t, ctx, filepath.Join(shots, strings.ReplaceAll(t.Name(), "/", "_")+".png")) }()
			tt.run(t, ctx, srv.URL, w)
		})
	}
}

// signIn fills in and submits the token form of the current page. It
// pastes the token (SetValue); the sign_in subtest types one.
func signIn(t *testing.T, ctx context.Context, token string) {
	t.Helper()
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("token")), chromedp.SetValue(chromedp.ID("token"), token))
	submitSignIn(t, ctx)
}

// submitSignIn submits the sign-in form and waits for the next page.
func submitSignIn(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))); err != nil {
		t.Fatalf("submit the sign-in form: %v", err)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(v)
}

// waitPath waits until the tab's URL has the path (and query) want.
func waitPath(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	js := `location.pathname + location.search === ` + jsString(want) + ` || location.pathname === ` + jsString(want)
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js)); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("waiting for %s, at %s: %v", want, loc, err)
	}
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// screenshot saves a full-page PNG of the tab.
func screenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	if ctx.Err() != nil {
		t.Logf("no screenshot %s: %v", path, ctx.Err())
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot %s", path)
}

// screenshotDir is $LATHE_TEST_ARTIFACTS/screenshots, or
// .artifacts/screenshots at the repository root.
func screenshotDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("LATHE_TEST_ARTIFACTS")
	if root == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Fatal("no go.mod above the test's directory; set LATHE_TEST_ARTIFACTS")
			}
			dir = parent
		}
		root = filepath.Join(dir, ".artifacts")
	}
	dir := filepath.Join(root, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
