package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// external returns what in a page would make a browser fetch from
// elsewhere: any src or href that is not a data: URL or a fragment, a
// stylesheet link, an @import or url() in a style, a fetch in a script.
func external(t *testing.T, page string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "link" || n.Data == "object" || n.Data == "embed" {
				out = append(out, "<"+n.Data+">")
			}
			for _, a := range n.Attr {
				if (a.Key == "src" || a.Key == "href" || a.Key == "action") && !strings.HasPrefix(a.Val, "data:") && !strings.HasPrefix(a.Val, "#") {
					out = append(out, a.Key+"="+a.Val)
				}
			}
		}
		if n.Type == html.TextNode && n.Parent != nil && (n.Parent.Data == "style" || n.Parent.Data == "script") {
			text := strings.ReplaceAll(n.Data, "url(#", "")
			for _, bad := range []string{"@import", "url(", "fetch(", "XMLHttpRequest", "http://", "https://"} {
				if strings.Contains(text, bad) {
					out = append(out, n.Parent.Data+" uses "+bad)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// TestHTMLSelfContained: nothing in the page, its inline diagrams
// included, points outside it.
func TestHTMLSelfContained(t *testing.T) {
	r := smallReport(t)
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if ext := external(t, b.String()); len(ext) > 0 {
		t.Errorf("the page refers outside itself: %v", ext)
	}
}

// TestHTMLInChromium loads report.html in headless Chromium (Debian's
// chromium package): its Content-Security-Policy forbids every fetch, so
// a fetch would show as a console error; there must be none, every
// figure must load and every diagram frame must hold a drawn diagram.
// Skipped when Chromium is not installed. With DELEGSIM_SCREENSHOT=PATH
// it also saves a screenshot of the page there.
func TestHTMLInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed")
	}
	r := smallReport(t)
	dir := t.TempDir()
	if _, err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(dir, HTMLFile)
	chromium := func(extra ...string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0",
			"--virtual-time-budget=10000"}, extra...)
		cmd := exec.CommandContext(ctx, bin, append(args, page)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	dom, logs := chromium("--dump-dom")
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "CONSOLE") || strings.Contains(l, "Content Security Policy") {
			t.Errorf("console message: %s", l)
		}
	}
	drawn := 0
	for _, c := range r.Counterexamples {
		if c.Missing == "" {
			drawn++
		}
	}
	frames := strings.Count(dom, `<div class="diagram"`)
	for _, want := range []string{
		`data-figures="` + strconv.Itoa(len(r.Figures)) + "/" + strconv.Itoa(len(r.Figures)) + `"`,
		`data-diagrams="` + strconv.Itoa(drawn) + "/" + strconv.Itoa(frames) + `"`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %s: the script did not run, or a figure or diagram did not load", want)
		}
	}
	if frames != drawn {
		t.Errorf("%d diagrams for %d drawn counterexamples", frames, drawn)
	}
	if shot := os.Getenv("DELEGSIM_SCREENSHOT"); shot != "" {
		chromium("--hide-scrollbars", "--window-size=1400,14000", "--screenshot="+shot)
	}
}
