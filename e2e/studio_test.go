package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/latheml/lathe/internal/client"
)

// TestStudioInChromium signs in to the real server's studio in headless
// Chromium, once with a one-time link as the admin and once with a token as
// a reader, and checks the shell, the audit page and that a reader gets no
// write controls. Screenshots go to $LATHE_TEST_ARTIFACTS/screenshots.
func TestStudioInChromium(t *testing.T) {
	t.Parallel()
	bin := os.Getenv("LATHE_TEST_CHROMIUM")
	if bin == "" {
		t.Skip("set LATHE_TEST_CHROMIUM=/usr/bin/chromium to run the browser tests")
	}
	p := up(t, t.TempDir())
	admin := []string{"LATHE_URL=" + p.url, "LATHE_TOKEN=" + p.token(t), "LATHE_CONFIG=" + filepath.Join(t.TempDir(), "c")}
	run(t, admin, "workspace", "create", "team-b")
	out, _, _ := run(t, admin, "user", "create", "rita", "--with-token", "-o", "json")
	var rita struct{ Token string }
	if err := json.Unmarshal([]byte(out), &rita); err != nil {
		t.Fatalf("user create: %q", out)
	}
	run(t, admin, "role", "assign", "--user", "rita", "--role", "reader")
	out, _, _ = run(t, admin, "user", "signin-link", "admin", "-o", "json")
	var link struct{ URL string }
	if err := json.Unmarshal([]byte(out), &link); err != nil || !strings.Contains(link.URL, "/ui/signin?code=") {
		t.Fatalf("signin-link: %q", out)
	}

	// A tracked run with a metric curve and an artifact, logged over the
	// MLflow API, for the run page.
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := c.MLflow(context.Background(), "default", "POST", "/mlflow/runs/create", map[string]any{"experiment_id": "0", "run_name": "curve"}, &run); err != nil {
		t.Fatal(err)
	}
	runID := run.Run.Info.RunID
	var pts []map[string]any
	for i := 0; i < 200; i++ {
		pts = append(pts, map[string]any{"key": "loss", "value": 1.0 / float64(i+1), "step": i, "timestamp": 1000 + i})
	}
	if err := c.MLflow(context.Background(), "default", "POST", "/mlflow/runs/log-batch", map[string]any{"run_id": runID, "metrics": pts}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.PutArtifact(context.Background(), "default", "0/"+runID+"/artifacts/data/head.csv", strings.NewReader("a,b\n1,2\n3,4\n"), -1); err != nil {
		t.Fatal(err)
	}

	shots := os.Getenv("LATHE_TEST_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join("..", ".artifacts")
	}
	shots = filepath.Join(shots, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 768))
	defer cancel()
	browser, cancelB := chromedp.NewContext(alloc)
	defer cancelB()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	shot := func(ctx context.Context, name string) {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, "TestStudioInChromium_"+name+".png"), png, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
	step := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	submit := func(ctx context.Context, css string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(css)))); err != nil {
			t.Fatalf("submit %s: %v", css, err)
		}
	}
	textOf := func(ctx context.Context, css string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		if err != nil {
			t.Fatalf("text of %s: %v", css, err)
		}
		return s
	}

	t.Run("admin", func(t *testing.T) {
		tab, c := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		defer c()
		ctx, c2 := context.WithTimeout(tab, 30*time.Second)
		defer c2()
		step(ctx, "open the sign-in link", chromedp.Navigate(link.URL), chromedp.WaitVisible(chromedp.CSS(`form button[type="submit"]`)))
		submit(ctx, `form button[type="submit"]`)
		step(ctx, "see the shell", chromedp.WaitVisible(chromedp.CSS("nav.sidebar")))
		nav := textOf(ctx, "nav.sidebar")
		for _, item := range []string{"Home", "Data", "Jobs", "Experiments", "Models", "Endpoints", "Monitors", "Audit", "Settings"} {
			if !strings.Contains(nav, item) {
				t.Errorf("sidebar lacks %s: %q", item, nav)
			}
		}
		shot(ctx, "admin_home")
		// Choosing a workspace submits the switcher form (the page's script
		// does it on change).
		step(ctx, "find the switcher", chromedp.WaitVisible(chromedp.ID("ws-switch")))
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.SetValue(chromedp.ID("ws-switch"), "team-b"))); err != nil {
			t.Fatalf("switch to team-b: %v", err)
		}
		if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/ui/w/team-b") {
			t.Errorf("after switching, at %s", loc)
		}
		step(ctx, "open the audit page", chromedp.Navigate(p.url+"/ui/w/default/audit"), chromedp.WaitVisible(chromedp.ID("verify")))
		if v := textOf(ctx, "#verify"); !strings.Contains(v, "Audit chain verified") {
			t.Errorf("verify banner says %q", v)
		}
		shot(ctx, "admin_audit")
		step(ctx, "open the run page", chromedp.Navigate(p.url+"/ui/w/default/runs/"+runID), chromedp.WaitVisible(chromedp.CSS("svg.chart path")))
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.chart path').length`)); err != nil || n == 0 {
			t.Errorf("run page has %d chart paths (%v)", n, err)
		}
		shot(ctx, "run_page")
	})
	t.Run("reader", func(t *testing.T) {
		tab, c := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		defer c()
		ctx, c2 := context.WithTimeout(tab, 30*time.Second)
		defer c2()
		step(ctx, "sign in", chromedp.Navigate(p.url+"/ui/signin"), chromedp.WaitVisible(chromedp.ID("token")),
			chromedp.SetValue(chromedp.ID("token"), rita.Token))
		submit(ctx, `form button[type="submit"]`)
		step(ctx, "open settings", chromedp.Navigate(p.url+"/ui/w/default/settings"), chromedp.WaitVisible(chromedp.CSS("table#roles")))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#role-form, #user-form, form[action*="/roles/"], form[action*="/users"]').length`))
		if err != nil || n != 0 {
			t.Errorf("a reader sees %d write controls (%v)", n, err)
		}
		shot(ctx, "reader_settings")
		// team-b is not rita's: the studio answers as if it did not exist.
		step(ctx, "open another workspace", chromedp.Navigate(p.url+"/ui/w/team-b/"))
		if body := textOf(ctx, "main"); !strings.Contains(strings.ToLower(body), "not found") {
			t.Errorf("team-b page for a non-member says %q", body)
		}
	})
}
