package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/web"
)

// TestBrowser drives the studio in headless Chromium, as a person would:
// sign in, switch workspace, read the audit page, check a reader sees no
// write controls in Settings, follow experiment tracking from the
// experiments list to a filtered runs table, a run's charts, an artifact
// preview and a comparison, and follow data assets from the list to a
// version's profile and a diff of two versions, and read the jobs list, a
// failed and a completed job, and a running job's log followed live until
// it completes. Each subtest saves a screenshot to
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
		// Tabs run side by side: keep the ones in the background at full
		// speed (no paused animation frames or slowed timers).
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
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
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#assets")))
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
		{"experiments_list", func(t *testing.T, ctx context.Context, base string, w *world) {
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/experiments"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#experiments")))
			if n := eval[int](t, ctx, `document.querySelectorAll('table#experiments tbody tr').length`); n != 2 {
				t.Errorf("%d experiments listed, want 2 (Default and mnist-cnn)", n)
			}
			do(t, ctx, chromedp.Click(chromedp.ID("f-deleted")))
			submit(t, ctx, `form.filters button[type="submit"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#experiments")))
			if got := text(t, ctx, "table#experiments"); !strings.Contains(got, "old-baseline") || !strings.Contains(got, "deleted") {
				t.Errorf("with deleted ones, the table reads %q", got)
			}
		}},
		{"runs_table", func(t *testing.T, ctx context.Context, base string, w *world) {
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/experiments/1"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#runs")), chromedp.SetValue(chromedp.ID("f-filter"), "metrics.val_loss < 1 and params.optimizer = 'adam'"))
			submit(t, ctx, `form.runs-filter button[type="submit"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#runs")))
			if n := eval[int](t, ctx, `document.querySelectorAll('table#runs tbody tr').length`); n != 3 {
				t.Errorf("%d runs match the filter, want 3", n)
			}
			// Choose the grad_norm metric as a column.
			do(t, ctx, chromedp.Click(chromedp.CSS("#columns > summary")),
				chromedp.WaitVisible(chromedp.CSS(`#columns input[name="m"][value="grad_norm"]`)),
				chromedp.Click(chromedp.CSS(`#columns input[name="m"][value="grad_norm"]`)))
			submit(t, ctx, `#columns button[type="submit"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#runs")))
			if got := text(t, ctx, "table#runs thead"); !strings.Contains(got, "grad_norm") {
				t.Errorf("header %q lacks the chosen grad_norm column", got)
			}
			if v := eval[string](t, ctx, `document.getElementById('f-filter').value`); !strings.Contains(v, "val_loss") {
				t.Errorf("choosing columns dropped the filter: %q", v)
			}
			// Sort by it on the server.
			submit(t, ctx, `table#runs th a[href*="sort=metrics.grad_norm"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`table#runs th[aria-sort="ascending"]`)))
			// Tick two runs to compare.
			do(t, ctx, chromedp.Click(chromedp.ID("cmp-"+runOwl)), chromedp.Click(chromedp.ID("cmp-"+runFox)))
			if got := text(t, ctx, "[data-compare-count]"); got != "2 runs ticked." {
				t.Errorf("compare bar says %q", got)
			}
		}},
		{"run_charts", func(t *testing.T, ctx context.Context, base string, w *world) {
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/runs/"+runOwl))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#metrics svg.chart")))
			if n := eval[int](t, ctx, `document.querySelectorAll('#metrics svg.chart g.chart-series path').length`); n < 5 {
				t.Errorf("%d chart paths, want a line in each of the charts", n)
			}
			// Drag across the loss chart to zoom to those steps.
			box := eval[[]float64](t, ctx, `(() => { const s = document.querySelector('svg:has(g[data-series="loss"])');
				s.scrollIntoView({block: 'center'}); const r = s.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
			y := box[1] + box[3]/2
			x0, x1 := box[0]+box[2]*0.3, box[0]+box[2]*0.6
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Steps(
				chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y, chromedp.ButtonLeft),
				chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x0+x1)/2, y, chromedp.ButtonLeft),
				chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y, chromedp.ButtonLeft),
				chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y, chromedp.ButtonLeft)))); err != nil {
				t.Fatalf("drag to zoom: %v", err)
			}
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#metrics svg.chart")))
			from, to := eval[string](t, ctx, `document.getElementById('cc-from').value`), eval[string](t, ctx, `document.getElementById('cc-to').value`)
			if q := eval[string](t, ctx, `location.search`); !strings.Contains(q, "from="+from) || !strings.Contains(q, "to="+to) || from == "" {
				t.Errorf("dragging did not zoom: the address is %q, the form %q to %q", q, from, to)
			}
			// Back to every step: grad_norm's 8,000 steps are drawn as
			// buckets with a min–max band.
			submit(t, ctx, `#chart-controls a.reset-zoom`)
			if q := eval[string](t, ctx, `location.search`); strings.Contains(q, "from=") {
				t.Errorf("Reset zoom left %q", q)
			}
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#metrics svg.chart")), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
			if n := eval[int](t, ctx, `document.querySelectorAll('#metrics svg.chart path.chart-band').length`); n < 1 {
				t.Error("the 8,000-step grad_norm chart has no min–max band")
			}
		}},
		{"artifacts_csv", func(t *testing.T, ctx context.Context, base string, w *world) {
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/runs/"+runOwl+"?path=plots/loss.png#artifacts"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".preview-img img")))
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector('.preview-img img'); return i.complete && i.naturalWidth > 0; })()`,
				chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
				t.Errorf("the PNG preview did not load: %v", err)
			}
			submit(t, ctx, `.files-path a`) // back to the root
			submit(t, ctx, `.files a[href*="metrics.csv"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#csv-preview")))
			if n := eval[int](t, ctx, `document.querySelectorAll('table#csv-preview tbody tr').length`); n != 20 {
				t.Errorf("the CSV preview shows %d rows, want the first 20", n)
			}
			if got := text(t, ctx, "table#csv-preview thead"); !strings.Contains(got, "val_loss") {
				t.Errorf("CSV header %q", got)
			}
			do(t, ctx, chromedp.ScrollIntoView(chromedp.ID("artifacts")))
		}},
		{"compare_runs", func(t *testing.T, ctx context.Context, base string, w *world) {
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/experiments/1"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#runs")), chromedp.Click(chromedp.ID("cmp-"+runOwl)), chromedp.Click(chromedp.ID("cmp-"+runElk)))
			submit(t, ctx, `#compare-form button[type="submit"]`)
			waitPath(t, ctx, "/ui/w/default/compare")
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#metrics svg.chart")))
			if n := eval[int](t, ctx, `document.querySelector('svg:has(g[data-series]) ').querySelectorAll('g.chart-series path').length`); n != 2 {
				t.Errorf("the first chart overlays %d lines, want 2", n)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('table#params tr.row-diff').length`); n < 3 {
				t.Errorf("%d params marked as differing, want learning_rate, dropout and optimizer", n)
			}
		}},
		{"data_version", func(t *testing.T, ctx context.Context, base string, w *world) {
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/data"), chromedp.WaitVisible(chromedp.CSS("table#assets")), chromedp.SetValue(chromedp.ID("f-q"), "cust"))
			submit(t, ctx, `form.filters button[type="submit"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#assets")))
			if n := eval[int](t, ctx, `document.querySelectorAll('table#assets tbody tr').length`); n != 2 {
				t.Errorf("%d assets match “cust”, want 2", n)
			}
			submit(t, ctx, `table#assets a[href$="/data/customers"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#versions")))
			submit(t, ctx, `table#versions a[href$="/versions/2"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".col-card svg.bars rect")))
			if n := eval[int](t, ctx, `document.querySelectorAll('.col-grid .col-card').length`); n != 8 {
				t.Errorf("%d column cards, want 8", n)
			}
			// age: a histogram whose bars have a height; segment: top values.
			bars := eval[[]float64](t, ctx, `Array.from(document.querySelectorAll('#col-1 svg.bars rect')).map(r => r.getBBox().height)`)
			tall := 0
			for _, h := range bars {
				if h > 5 {
					tall++
				}
			}
			if len(bars) < 10 || tall < 5 {
				t.Errorf("the age histogram has %d bars, %d of them visible", len(bars), tall)
			}
			if got := eval[string](t, ctx, `document.querySelector('#col-3 svg.bars').textContent`); !strings.Contains(got, "retail") {
				t.Errorf("the segment card's top values read %q", got)
			}
			if got := text(t, ctx, ".problems"); !strings.Contains(got, "3 rows had more or fewer fields") {
				t.Errorf("the problems box reads %q", got)
			}
			// The SVG fits its card: no card is wider than the grid allows.
			if over := eval[int](t, ctx, `Array.from(document.querySelectorAll('.col-card')).filter(c => c.scrollWidth > c.clientWidth + 1).length`); over != 0 {
				t.Errorf("%d column cards overflow", over)
			}
		}},
		{"data_diff", func(t *testing.T, ctx context.Context, base string, w *world) {
			signInAs(t, ctx, w, base, "olivia")
			// Compare the newer with the older version, then swap them.
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/data/customers"), chromedp.WaitVisible(chromedp.ID("diff-form")),
				chromedp.SetValue(chromedp.ID("d-from"), "2"), chromedp.SetValue(chromedp.ID("d-to"), "1"))
			submit(t, ctx, `#diff-form button[type="submit"]`)
			waitPath(t, ctx, "/ui/w/default/data/customers/diff?from=2&to=1")
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#schema")))
			if got := text(t, ctx, "table#schema"); !strings.Contains(got, "string → int") {
				t.Errorf("from 2 to 1, the schema table reads %q", got)
			}
			submit(t, ctx, `form.diff-pick a.btn`)
			waitPath(t, ctx, "/ui/w/default/data/customers/diff?from=1&to=2")
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#column-stats")))
			if n := eval[int](t, ctx, `document.querySelectorAll('table#schema tbody tr').length`); n != 3 {
				t.Errorf("%d schema changes, want region added, notes removed and zip retyped", n)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('table#column-stats tr.row-diff').length`); n < 4 {
				t.Errorf("%d columns marked as changed, want at least age, income, segment and zip", n)
			}
			// The statistics fit the page without scrolling sideways.
			if over := eval[bool](t, ctx, `(() => { const w = document.querySelector('table#column-stats').closest('.table-wrap'); return w.scrollWidth > w.clientWidth + 1; })()`); over {
				t.Error("the column statistics table is wider than the page")
			}
		}},
		{"jobs_list", func(t *testing.T, ctx context.Context, _ string, w *world) {
			base, _ := jobsServer(t, w)
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/jobs"), chromedp.WaitVisible(chromedp.CSS("table#jobs")))
			if n := eval[int](t, ctx, `document.querySelectorAll('table#jobs tbody tr').length`); n != 25 {
				t.Errorf("%d jobs on the first page, want 25", n)
			}
			tones := eval[map[string]string](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll('table#jobs [data-job-status]')).map(b => [b.textContent, b.className]))`)
			for status, tone := range map[string]string{"queued": "neutral", "running": "info", "completed": "ok", "failed": "bad", "canceled": "warn"} {
				if tones[status] != "badge badge-"+tone {
					t.Errorf("a %s job's badge is %q, want badge-%s", status, tones[status], tone)
				}
			}
			// The running job's duration counts up on its own.
			before := text(t, ctx, "table#jobs [data-since]")
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('table#jobs [data-since]').textContent !== `+jsString(before),
				chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
				t.Errorf("the running job's duration stayed %q: %v", before, err)
			}
			// Only failed jobs.
			do(t, ctx, chromedp.Click(chromedp.CSS(`label[for="f-status-failed"]`)))
			submit(t, ctx, `form.job-filters button[type="submit"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#jobs")))
			if got := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('table#jobs [data-job-status]')).map(b => b.textContent)`); strings.Join(got, ",") != "failed,failed" {
				t.Errorf("filtered by failed, the statuses are %v", got)
			}
		}},
		{"job_failed", func(t *testing.T, ctx context.Context, _ string, w *world) {
			base, _ := jobsServer(t, w)
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/jobs"), chromedp.WaitVisible(chromedp.CSS("table#jobs")))
			submit(t, ctx, `table#jobs a[href$="/jobs/`+jobUserFail+`"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("failure")))
			if got := text(t, ctx, "#failure"); !strings.Contains(got, "exited with code 2") || !strings.Contains(got, "user failure") {
				t.Errorf("the failure box reads %q", got)
			}
			if got := eval[string](t, ctx, `document.querySelector('#log .log-stderr').textContent`); !strings.Contains(got, "No such file") {
				t.Errorf("the stderr line reads %q", got)
			}
			// A stderr line looks different from a system line.
			if eval[bool](t, ctx, `getComputedStyle(document.querySelector('#log .log-stderr')).color === getComputedStyle(document.querySelector('#log .log-system')).color`) {
				t.Error("stderr and system lines have the same colour")
			}
		}},
		{"job_completed", func(t *testing.T, ctx context.Context, _ string, w *world) {
			base, _ := jobsServer(t, w)
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/jobs/"+jobDone), chromedp.WaitVisible(chromedp.CSS("#run svg.chart")))
			if n := eval[int](t, ctx, `document.querySelectorAll('#run svg.chart g.chart-series path').length`); n < 3 {
				t.Errorf("%d chart lines, want one in each of the run's metric charts", n)
			}
			submit(t, ctx, `table#inputs a[href$="/data/customers/versions/2"]`)
			waitPath(t, ctx, "/ui/w/default/data/customers/versions/2")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/jobs/"+jobDone), chromedp.WaitVisible(chromedp.CSS("#run svg.chart")))
		}},
		{"job_live_log", func(t *testing.T, ctx context.Context, _ string, w *world) {
			base, j := jobsServer(t, w)
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/jobs/"+jobRunning), chromedp.WaitVisible(chromedp.ID("log")))
			if n := eval[int](t, ctx, `document.querySelectorAll('#log .log-line').length`); n != 5 {
				t.Errorf("%d log lines at first, want 5", n)
			}
			if got := text(t, ctx, "#job-status"); got != "running" {
				t.Errorf("status %q, want running", got)
			}
			// Mark the page: a reload would lose the mark.
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
				chromedp.Poll[chromedp.Void](`document.getElementById('log-state').textContent.includes('live')`, chromedp.WithPollingInterval(20*time.Millisecond)))
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 2; i <= 5; i++ {
					time.Sleep(300 * time.Millisecond)
					j.appendLog("ws-default", jobRunning, lathe.StreamStdout, fmt.Sprintf("epoch %d/5 loss=%.2f", i, 1/float64(i)))
				}
				time.Sleep(300 * time.Millisecond)
				j.appendLog("ws-default", jobRunning, lathe.StreamSystem, "the command exited with code 0")
				j.finish("ws-default", jobRunning, lathe.JobCompleted, 0)
			}()
			// Each line shows up while the job still runs.
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('log').textContent.includes('epoch 3/5')`,
				chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
				t.Fatalf("epoch 3/5 never appeared in the log: %v", err)
			}
			if got := text(t, ctx, "#job-status"); got != "running" {
				t.Errorf("status %q while lines still arrive, want running", got)
			}
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('job-status').textContent === 'completed'`,
				chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
				t.Fatalf("the status never turned completed: %v", err)
			}
			<-done
			if !eval[bool](t, ctx, `window.notReloaded === true`) {
				t.Error("the page was reloaded")
			}
			if got := eval[string](t, ctx, `document.getElementById('job-status').className`); got != "badge badge-ok" {
				t.Errorf("the completed badge is %q", got)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('#log .log-line').length`); n != 10 {
				t.Errorf("%d log lines at the end, want 10", n)
			}
			if got := eval[string](t, ctx, `Array.from(document.querySelectorAll('#log .log-line')).map(l => l.dataset.n).join(',')`); got != "1,2,3,4,5,6,7,8,9,10" {
				t.Errorf("line numbers %s", got)
			}
			if got := text(t, ctx, "#log-state"); !strings.Contains(got, "completed") {
				t.Errorf("the log state says %q", got)
			}
			if got := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#timeline .badge')).map(b => b.textContent)`); strings.Join(got, ",") != "queued,preparing,running,completed" {
				t.Errorf("the timeline reads %v, want the completion added", got)
			}
			if d := text(t, ctx, "#job-duration"); strings.Contains(d, "so far") {
				t.Errorf("the duration still counts: %q", d)
			}
			// The log followed its end: the last line is in view.
			if !eval[bool](t, ctx, `(() => { const l = document.getElementById('log'); return l.scrollHeight - l.scrollTop - l.clientHeight < 24; })()`) {
				t.Error("the log is not scrolled to its end")
			}
			do(t, ctx, chromedp.ScrollIntoView(chromedp.ID("logs")))
		}},
		{"pipeline_dag", func(t *testing.T, ctx context.Context, _ string, w *world) {
			srv, _, p := pipelineServer(t, w, nil)
			base := srv.URL
			signInAs(t, ctx, w, base, "olivia")
			do(t, ctx, chromedp.Navigate(base+"/ui/w/default/jobs"), chromedp.WaitVisible(chromedp.CSS("table#jobs")))
			if got := text(t, ctx, `table#jobs tbody tr:first-child .steps-progress`); got != "2/5 steps" {
				t.Errorf("the pipeline's progress reads %q", got)
			}
			screenshot(t, ctx, filepath.Join(shots, "TestBrowser_pipeline_jobs_list.png"))
			submit(t, ctx, `table#jobs a[href$="/jobs/`+pipeRunning+`"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("svg.lathe-dag")))
			states := func() map[string]string {
				return eval[map[string]string](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll('svg.lathe-dag g.step')).map(g => [g.dataset.step, g.getAttribute('class')]))`)
			}
			want := map[string]string{"prep": "completed", "features": "reused", "train": "running", "evaluate": "pending", "report": "pending"}
			got := states()
			if len(got) != len(want) {
				t.Errorf("%d step nodes %v, want %d", len(got), got, len(want))
			}
			for step, st := range want {
				if got[step] != "step state-"+st {
					t.Errorf("step %s has class %q, want state-%s", step, got[step], st)
				}
			}
			if got := eval[string](t, ctx, `document.querySelector('svg.lathe-dag .reused-from text[data-step="features"]').textContent`); got != "from "+jobDone {
				t.Errorf("the reused step is marked %q", got)
			}
			// The DAG fits its card: it scrolls inside it, not the page.
			if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
				t.Error("the page scrolls sideways")
			}
			do(t, ctx, chromedp.ScrollIntoView(chromedp.ID("pipeline")))
			screenshot(t, ctx, filepath.Join(shots, "TestBrowser_pipeline_dag_running.png"))
			// The pipeline moves on; the graph follows without a reload.
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
			p.advance()
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const g = document.querySelector('svg.lathe-dag g.step[data-step="evaluate"]'); return g && g.getAttribute('class') === 'step state-running'; })()`,
				chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
				t.Fatalf("the evaluate step never showed running: %v", err)
			}
			if got := states()["train"]; got != "step state-completed" {
				t.Errorf("train is %q after it completed", got)
			}
			if got := text(t, ctx, ".pipeline-summary strong"); got != "3/5" {
				t.Errorf("the summary reads %q, want 3/5", got)
			}
			p.finishAll()
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('pipeline-live').hasAttribute('data-ended')`,
				chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
				t.Fatalf("the pipeline never showed ended: %v", err)
			}
			if !eval[bool](t, ctx, `window.notReloaded === true`) {
				t.Error("the page was reloaded")
			}
			if got := states()["report"]; got != "step state-reused" {
				t.Errorf("report is %q at the end, want reused", got)
			}
			// A step's box opens its job, which links back.
			submit(t, ctx, `svg.lathe-dag a[href$="/jobs/`+pipeRunning+`-evaluate"]`)
			waitPath(t, ctx, "/ui/w/default/jobs/"+pipeRunning+"-evaluate")
			if got := text(t, ctx, "#parent-pipeline"); got != pipeRunning {
				t.Errorf("the step's job links back to %q", got)
			}
		}},
		{"pipeline_wide", func(t *testing.T, ctx context.Context, _ string, w *world) {
			srv, _, _ := pipelineServer(t, w, nil)
			signInAs(t, ctx, w, srv.URL, "olivia")
			do(t, ctx, chromedp.Navigate(srv.URL+"/ui/w/default/jobs/"+pipeWide), chromedp.WaitVisible(chromedp.CSS("svg.lathe-dag")))
			if n := eval[int](t, ctx, `document.querySelectorAll('svg.lathe-dag g.step.state-completed').length`); n != wideShards+2 {
				t.Errorf("%d completed step nodes, want %d", n, wideShards+2)
			}
			if !eval[bool](t, ctx, `(() => { const d = document.querySelector('.dag-wrap'); return d.scrollWidth > d.clientWidth; })()`) {
				t.Error("the wide graph does not scroll within its card")
			}
			if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
				t.Error("the page scrolls sideways")
			}
			// It opens on its middle, where split and merge are.
			if !eval[bool](t, ctx, `(() => { const d = document.querySelector('.dag-wrap'), g = d.querySelector('g.step[data-step="split"]').getBoundingClientRect(), r = d.getBoundingClientRect(); return g.left >= r.left && g.right <= r.right; })()`) {
				t.Error("the split step is not in view")
			}
			do(t, ctx, chromedp.ScrollIntoView(chromedp.ID("pipeline")))
		}},
		{"schedules", func(t *testing.T, ctx context.Context, _ string, w *world) {
			srv, _, _ := pipelineServer(t, w, newFakeSchedules(w.now))
			signInAs(t, ctx, w, srv.URL, "olivia")
			do(t, ctx, chromedp.Navigate(srv.URL+"/ui/w/default/jobs"), chromedp.WaitVisible(chromedp.CSS("table#jobs")))
			submit(t, ctx, `.page-head a[href$="/schedules"]`)
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#schedules")))
			if n := eval[int](t, ctx, `document.querySelectorAll('table#schedules tbody tr').length`); n != 3 {
				t.Errorf("%d schedules, want 3", n)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('tr[data-schedule="nightly-train"] .upcoming li').length`); n != 3 {
				t.Errorf("%d next fire times, want 3", n)
			}
		}},
	}
	// The flows run side by side in tabs of one browser. They mostly wait
	// on Chromium, so they share this test's one parallel slot instead of
	// taking one each (t.Run may be called from several goroutines).
	var wg sync.WaitGroup
	slots := make(chan struct{}, browserTabs)
	for _, tt := range tests {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			t.Run(tt.name, func(t *testing.T) {
				w := newWorld(120)
				s, err := w.studio()
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(s)
				defer srv.Close()
				tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
				defer cancel()
				ctx, cancelT := context.WithTimeout(tab, 30*time.Second)
				defer cancelT()
				defer func() { screenshot(t, ctx, filepath.Join(shots, strings.ReplaceAll(t.Name(), "/", "_")+".png")) }()
				tt.run(t, ctx, srv.URL, w)
			})
		})
	}
	wg.Wait()
}

// browserTabs is how many flows of TestBrowser run at once.
const browserTabs = 2

// signInAs gives the tab a session of user in w without the sign-in form
// (the sign_in flow tests the form), saving two page loads.
func signInAs(t *testing.T, ctx context.Context, w *world, base, user string) {
	t.Helper()
	w.mu.Lock()
	secret, _ := w.newSession(user)
	w.mu.Unlock()
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: web.SessionCookie, Value: secret, URL: base + "/ui/", Path: "/ui", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax}); err != nil {
		t.Fatalf("set the session cookie: %v", err)
	}
}

// submit clicks what css selects and waits for the next page.
func submit(t *testing.T, ctx context.Context, css string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(css)))); err != nil {
		t.Fatalf("click %s: %v", css, err)
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
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(20*time.Millisecond)))
		if err == nil {
			return
		}
		// A navigation that lands while polling destroys the page's
		// execution context; poll the new page.
		if ctx.Err() == nil && strings.Contains(err.Error(), "Cannot find context") {
			continue
		}
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
