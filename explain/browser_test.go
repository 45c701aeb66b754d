package explain

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/delegsim/delegsim/scenarios"
)

// layoutCheck runs in the page and reports what a reader would see wrong:
// lanes outside the visible diagram, labels (arrow labels, notes, delays,
// lane names) overlapping one another, narration cut, and diagram rows
// that do not line up with their narration.
const layoutCheck = `(() => {
  const R = e => e.getBoundingClientRect();
  const out = {hidden: [], overlaps: [], cut: [], misaligned: 0, arrows: Number(document.body.dataset.arrows),
    steps: Number(document.body.dataset.steps), narrow: document.getElementById("story").classList.contains("narrow"),
    detail: document.querySelector("#detail h2") ? document.querySelector("#detail h2").textContent : ""};
  const wb = R(document.getElementById("diagwrap"));
  for (const t of document.querySelectorAll("#lanehead text")) {
    const b = R(t);
    if (b.left < wb.left - 1 || b.right > wb.right + 1) out.hidden.push(t.textContent);
  }
  const boxes = [...document.querySelectorAll("#diagram g.arrow > text, #diagram g.note rect, #diagram text.delay, #lanehead text")]
    .map(e => ({t: e.textContent || e.parentNode.textContent, b: R(e)}));
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].b, b = boxes[j].b;
    if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5)
      out.overlaps.push(boxes[i].t + " / " + boxes[j].t);
  }
  for (const td of document.querySelectorAll("#timeline td"))
    if (td.scrollWidth > td.clientWidth + 1 || td.scrollHeight > td.clientHeight + 1) out.cut.push(td.textContent);
  if (!out.narrow) for (const tr of document.querySelectorAll("#timeline tr")) {
    const rect = document.querySelector('#diagram rect[data-i="' + tr.dataset.i + '"]');
    if (!rect || Math.abs(R(tr).top - R(rect).top) > 1 || Math.abs(R(tr).height - R(rect).height) > 1) out.misaligned++;
  }
  return out;
})()`

type layoutReport struct {
	Hidden, Overlaps, Cut []string
	Misaligned            int
	Arrows, Steps         int
	Narrow                bool
	Detail                string
}

// TestHTMLInChromium loads explain's page in headless Chromium (Debian's
// chromium package; skipped without it) at the sizes of issue 16 and
// common screens, and checks what a reader sees: every lane in view,
// labels that do not overlap, narration not cut and level with its row,
// the script's arrows all drawn, and the step and play controls working.
// Screenshots go to $DELEGSIM_SCREENSHOTS if set (else a temporary
// directory) as SCENARIO-WIDTHxHEIGHT.png.
func TestHTMLInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed")
	}
	shots := os.Getenv("DELEGSIM_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	dir := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("hide-scrollbars", true), chromedp.UserDataDir(filepath.Join(dir, "profile")))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 120*time.Second)
	defer cancel()

	for _, tc := range []struct {
		scenario      string
		width, height int64
		narrow        bool
	}{
		{"open-dirty-local-read", 1400, 1000, false}, // the issue's: ten lanes
		{"open-dirty-local-read", 1280, 800, false},
		{"open-dirty-local-read", 1920, 1080, false},
		{"bz219278", 1280, 800, false},
		{"bz219278", 1920, 1080, false},
		{"client-unreachable", 1400, 1000, false},
		{"bz219278", 700, 900, true}, // a narrow window stacks the narration below
	} {
		name := fmt.Sprintf("%s-%dx%d", tc.scenario, tc.width, tc.height)
		t.Run(name, func(t *testing.T) {
			st := story(t, tc.scenario, scenarios.Options{})
			path := filepath.Join(dir, tc.scenario+".html")
			if err := os.WriteFile(path, []byte(render(t, st, htmlOut)), 0o644); err != nil {
				t.Fatal(err)
			}
			err := chromedp.Do(bctx,
				chromedp.EmulateViewport(tc.width, tc.height),
				chromedp.Navigate("file://"+path),
				chromedp.WaitReady(chromedp.CSS("#diagram g.arrow")),
			)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := chromedp.Run(bctx, chromedp.Evaluate[layoutReport](layoutCheck))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shots, name+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(strings.NewReader(string(shot))); err != nil {
				t.Errorf("screenshot: %v", err)
			}
			if rep.Arrows != len(st.Arrows) || rep.Steps != len(st.Steps) {
				t.Errorf("drew %d arrows and %d steps, the story has %d and %d", rep.Arrows, rep.Steps, len(st.Arrows), len(st.Steps))
			}
			if rep.Narrow != tc.narrow {
				t.Errorf("narrow layout %v at %dpx", rep.Narrow, tc.width)
			}
			if len(rep.Hidden) > 0 {
				t.Errorf("lanes out of view: %v", rep.Hidden)
			}
			if len(rep.Overlaps) > 0 {
				t.Errorf("%d overlapping labels, e.g. %q", len(rep.Overlaps), rep.Overlaps[:min(5, len(rep.Overlaps))])
			}
			if len(rep.Cut) > 0 {
				t.Errorf("narration cut: %q", rep.Cut[:min(3, len(rep.Cut))])
			}
			if rep.Misaligned > 0 {
				t.Errorf("%d narration rows not level with their diagram rows", rep.Misaligned)
			}
		})
	}

	t.Run("controls", func(t *testing.T) {
		st := story(t, "bz219278", scenarios.Options{})
		path := filepath.Join(dir, "controls.html")
		os.WriteFile(path, []byte(render(t, st, htmlOut)), 0o644)
		n := len(st.Steps)
		text := func() string {
			t.Helper()
			s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#detail h2")))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		do := func(as ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(bctx, as...); err != nil {
				t.Fatal(err)
			}
		}
		do(chromedp.EmulateViewport(1280, 800), chromedp.Navigate("file://"+path+"#12"), chromedp.WaitReady(chromedp.CSS("#diagram g.arrow")))
		pinned := text()
		do(chromedp.Click(chromedp.CSS("#first")), chromedp.Click(chromedp.CSS("#next")))
		afterNext := text()
		do(chromedp.Click(chromedp.CSS("#last")))
		afterLast := text()
		do(chromedp.SetValue(chromedp.CSS("#speed"), "300"), chromedp.Click(chromedp.CSS("#first")), chromedp.Click(chromedp.CSS("#play")),
			chromedp.Sleep(1500*time.Millisecond), chromedp.Click(chromedp.CSS("#play")))
		afterPlay := text()
		for _, c := range []struct{ got, want string }{
			{pinned, fmt.Sprintf("step 12 of %d", n)},
			{afterNext, fmt.Sprintf("step 2 of %d", n)},
			{afterLast, fmt.Sprintf("step %d of %d", n, n)},
		} {
			if !strings.HasPrefix(c.got, c.want) {
				t.Errorf("detail %q, want %q", c.got, c.want)
			}
		}
		var k int
		fmt.Sscanf(afterPlay, "step %d", &k)
		if k < 3 {
			t.Errorf("after playing 1.5 s at 300 ms a step: %q", afterPlay)
		}
	})

	// The page's script ran without an uncaught error.
	t.Run("errors", func(t *testing.T) {
		st := story(t, "client-unreachable", scenarios.Options{})
		path := filepath.Join(dir, "errors.html")
		page := strings.Replace(render(t, st, htmlOut), "<script>", "<script>window.__errors = []; window.addEventListener('error', e => window.__errors.push(String(e.message)));</script>\n<script>", 1)
		os.WriteFile(path, []byte(page), 0o644)
		if err := chromedp.Do(bctx, chromedp.Navigate("file://"+path), chromedp.WaitReady(chromedp.CSS("#diagram g.arrow"))); err != nil {
			t.Fatal(err)
		}
		msgs, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`window.__errors`))
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > 0 {
			b, _ := json.Marshal(msgs)
			t.Errorf("errors: %s", b)
		}
	})
}
