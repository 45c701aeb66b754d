package serve

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (Debian's chromium package) for a
// test, or skips the test where none is installed. Console messages,
// uncaught exceptions and failed loads go to the returned function.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): the browser test needs it")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	var mu sync.Mutex
	var msgs []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return // the browser went away
			}
			mu.Lock()
			msgs = append(msgs, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m))
			mu.Unlock()
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), msgs...)
	}
}

var docsScreenshot = flag.Bool("docs-screenshot", false, "write the README's screenshot, docs/serve.png, from TestBrowserLsattrRace")

// lsattrPath is bz219278 up to lsattr's non-blocking open reaching the
// server: c1 opens f (write delegation) and closes it, l1's lsattr stats
// f and opens it. Each reply waits for nfsd's least processing time
// before it can arrive.
var lsattrPath = []string{
	"timer c1 script/0", "deliver c1->server fore", "wait", "deliver server->c1 fore",
	"timer c1 script/0", "deliver c1->server fore", "wait", "deliver server->c1 fore",
	"timer l1 script/0", "deliver l1->server local", "deliver server->l1 local",
	"timer l1 open/0", "deliver l1->server local",
}

// click takes the enabled transition with the given schedule text and
// waits for the path to have n steps.
func click(ctx context.Context, text string, n int) error {
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#choices button[data-text=%q]`, text)))); err != nil {
		return fmt.Errorf("click %q: %w", text, err)
	}
	return waitSteps(ctx, n)
}

// waitSteps waits until the page shows a path of n steps and no request
// is under way.
func waitSteps(ctx context.Context, n int) error {
	want := fmt.Sprintf("%d step", n)
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
		`document.getElementById("depth").textContent.startsWith(%q) && document.getElementById("status").textContent === ""`, want),
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		return fmt.Errorf("waiting for %d steps: %w", n, err)
	}
	return nil
}

// text returns the text content of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	return s
}

// overlappingTexts lists the pairs of texts of the SVG element sel whose
// boxes, as the browser lays them out, overlap by more than half a pixel.
func overlappingTexts(t *testing.T, ctx context.Context, sel string) []string {
	t.Helper()
	pairs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
		const svg = document.querySelector(%q);
		const texts = [...svg.querySelectorAll("text")].map(e => ({ b: e.getBBox(), s: e.textContent }));
		const out = [];
		if (texts.length < 10) out.push("only " + texts.length + " texts");
		for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
			const a = texts[i].b, b = texts[j].b;
			if (a.x + a.width - 0.5 > b.x && b.x + b.width - 0.5 > a.x && a.y + a.height - 0.5 > b.y && b.y + b.height - 0.5 > a.y)
				out.push(JSON.stringify(texts[i].s) + " and " + JSON.stringify(texts[j].s));
		}
		return out;
	})()`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	return pairs
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserLsattrRace drives the page as a student would: bz219278 to
// the first lsattr's EAGAIN, where the diagram shows the failed open and
// nfsd's table the recall under way, and the CB_RECALL is in flight,
// unable to arrive before 140.173 ms (the EAGAIN, a system call's answer,
// always arrives first); on to the CB_RECALL reaching c1 as early as it
// may; then undo, and the other branch: the CB_RECALL arriving as late
// as it may, with no console message on the way. Screenshots go to the
// test's artifact directory (go test -artifacts).
func TestBrowserLsattrRace(t *testing.T) {
	ctx, console := browser(t)
	srv := testServer(t, Options{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/?scenario=bz219278")); err != nil {
		t.Fatal(err)
	}
	if err := waitSteps(ctx, 0); err != nil {
		t.Fatalf("%v (console: %v)", err, console())
	}
	path := append(slices.Clone(lsattrPath), "deliver server->l1 local")
	for i, st := range path {
		if err := click(ctx, st, i+1); err != nil {
			t.Fatalf("clicking through bz219278: %v (console: %v)", err, console())
		}
	}
	diagram := text(t, ctx, "#col-main .diagram svg")
	deleg := text(t, ctx, "#statebox table.delegations")
	inflight := text(t, ctx, "#statebox table.inflight")
	history := text(t, ctx, "#statebox")
	checks := text(t, ctx, "#checks")
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"open(f, O_RDONLY|O_NONBLOCK)", "lm_break → nfsd_break_deleg_cb", "open → EAGAIN",
		"CB_RECALL(f, stateid 2) (in flight)", "lsattr f → EAGAIN"} {
		if !strings.Contains(diagram, want) {
			t.Errorf("diagram lacks %q", want)
		}
	}
	if !strings.Contains(deleg, "c1") || !strings.Contains(deleg, "recalling since 139.026 ms") {
		t.Errorf("delegation table %q, want c1's write delegation recalling since the open", deleg)
	}
	if !strings.Contains(inflight, "CB_RECALL(f, stateid 2)140.173 ms146.354 ms") {
		t.Errorf("messages in flight %q, want the CB_RECALL arriving between 140.173 and 146.354 ms", inflight)
	}
	if !strings.Contains(history, "l1#1 lsattr f [100.000ms, 139.026ms] EAGAIN") {
		t.Errorf("completed operations lack the EAGAIN: %q", history)
	}
	if strings.Contains(checks, "VIOLATED") {
		t.Errorf("checks: %s", checks)
	}
	if !strings.Contains(url, "path=") || !strings.Contains(url, "policy=kernel") || strings.Contains(url, "zero_min_delay") {
		t.Errorf("the URL %s does not name the run and the path", url)
	}
	if overlaps := overlappingTexts(t, ctx, "#col-main .diagram svg"); len(overlaps) > 0 {
		t.Errorf("texts of the diagram overlap as the browser draws them:\n%s", strings.Join(overlaps, "\n"))
	}
	screenshot(t, ctx, "eagain.png")
	if *docsScreenshot {
		// The whole page at 60%: small enough for the README, large
		// enough to read the tables.
		png, err := chromedp.Run(ctx, chromedp.ScreenshotScale(chromedp.CSS("body"), 0.6))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "serve.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The second lsattr's stat, then the CB_RECALL as early as it may.
	for _, st := range []string{"timer l1 script/0", "deliver l1->server local", "deliver server->l1 local", "wait", "deliver server->c1 callback"} {
		path = append(path, st)
		if err := click(ctx, st, len(path)); err != nil {
			t.Fatalf("on to the recall: %v (console: %v)", err, console())
		}
	}
	if last := text(t, ctx, "#path li:last-child"); !strings.Contains(last, "140.173") || !strings.Contains(last, "CB_RECALL") {
		t.Errorf("last step %q, want the CB_RECALL delivered at 140.173 ms", last)
	}
	inflight = text(t, ctx, "#statebox table.inflight")
	for _, want := range []string{"DELEGRETURN(f, stateid 2)", "CB_RECALL ok"} {
		if !strings.Contains(inflight, want) {
			t.Errorf("messages in flight lack %q: %q", want, inflight)
		}
	}

	// Undo, and let the CB_RECALL arrive as late as it may instead.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("undo"))); err != nil {
		t.Fatal(err)
	}
	if err := waitSteps(ctx, len(path)-1); err != nil {
		t.Fatal(err)
	}
	if err := click(ctx, "wait", len(path)); err != nil {
		t.Fatalf("the other branch: %v (console: %v)", err, console())
	}
	now := text(t, ctx, "#now")
	inflight = text(t, ctx, "#statebox table.inflight")
	choices := text(t, ctx, "#choices")
	diagram = text(t, ctx, "#col-main .diagram svg")
	if now != "at 146.354 ms" {
		t.Errorf("after the wait: %q, want the CB_RECALL's latest arrival, 146.354 ms", now)
	}
	if !strings.Contains(inflight, "CB_RECALL(f, stateid 2)now146.354 ms") {
		t.Errorf("messages in flight %q, want the CB_RECALL due now", inflight)
	}
	if !strings.Contains(choices, "deliver CB_RECALL(f, stateid 2) to c1") || !strings.Contains(choices, "it is due now") || strings.Contains(choices, "wait until") {
		t.Errorf("choices %q, want only the CB_RECALL, due now", choices)
	}
	if strings.Contains(diagram, "CB_RECALL ok") {
		t.Error("the diagram still shows the undone branch's CB_RECALL reply")
	}
	screenshot(t, ctx, "recall-late.png")
	if msgs := console(); len(msgs) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(msgs, "\n"))
	}
}

// TestBrowserTourAndCompare follows the lsattr tour to the EAGAIN with
// its captions, then puts the same path beside nonblock-wait's, which
// differs from the open on.
func TestBrowserTourAndCompare(t *testing.T) {
	ctx, console := browser(t)
	ts := httptest.NewServer(testServer(t, Options{}).Handler())
	t.Cleanup(ts.Close)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/?scenario=bz219278&tour=1-lsattr")); err != nil {
		t.Fatal(err)
	}
	if err := waitSteps(ctx, 0); err != nil {
		t.Fatalf("%v (console: %v)", err, console())
	}
	if about := text(t, ctx, "#caption"); !strings.HasPrefix(about, "The bug report's reproducer") {
		t.Errorf("tour caption at the start: %q", about)
	}
	for n := 1; n <= len(lsattrPath)+1; n++ {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tournext"))); err != nil {
			t.Fatal(err)
		}
		if err := waitSteps(ctx, n); err != nil {
			t.Fatalf("tour step %d: %v (console: %v)", n, err, console())
		}
	}
	if c := text(t, ctx, "#caption"); !strings.Contains(c, "lsattr gets EAGAIN") {
		t.Errorf("caption after the EAGAIN: %q", c)
	}
	screenshot(t, ctx, "tour.png")
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](
		`const c = document.getElementById("compare"); c.value = "nonblock-wait"; c.dispatchEvent(new Event("change"));`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById("col-other").hidden && document.getElementById("status").textContent === ""`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("no second column: %v (console: %v)", err, console())
	}
	if head := text(t, ctx, "#col-other .colhead"); !strings.Contains(head, "nonblock-wait — differs from step 13") {
		t.Errorf("second column heading %q", head)
	}
	if v := text(t, ctx, "#col-other .state table.delegations"); !strings.Contains(v, "recalling") {
		t.Errorf("nonblock-wait's delegations %q, want the recall under way while lsattr waits", v)
	}
	screenshot(t, ctx, "compare.png")
	if msgs := console(); len(msgs) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(msgs, "\n"))
	}
}
