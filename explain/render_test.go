package explain

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/delegsim/delegsim/scenarios"
)

var mermaidArrow = regexp.MustCompile(`^    ([A-Z0-9]+)(->>|-->>|-x|-\))([A-Z0-9]+): (.+)$`)

// TestMermaidWellFormed checks the diagram against Mermaid's sequence
// grammar as far as delegsim uses it: a header, one participant per lane,
// then messages between declared participants and notes over them, with
// no character the grammar reserves.
func TestMermaidWellFormed(t *testing.T) {
	for _, tc := range []struct{ scenario, policy string }{
		{"bz219278", "kernel"}, {"bz219278", "cb-getattr-gate"}, {"client-unreachable", "kernel"}, {"second-client-open", "kernel"},
	} {
		st := story(t, tc.scenario, scenarios.Options{Policy: tc.policy})
		lines := strings.Split(strings.TrimSuffix(render(t, st, mermaid), "\n"), "\n")
		if lines[0] != "sequenceDiagram" {
			t.Fatalf("%s: first line %q, want sequenceDiagram", tc.scenario, lines[0])
		}
		declared := map[string]bool{}
		arrows, messages, notes := 0, 0, 0
		for _, l := range lines[1:] {
			switch {
			case strings.HasPrefix(l, "    %% "):
			case strings.HasPrefix(l, "    participant "):
				id, _, ok := strings.Cut(strings.TrimPrefix(l, "    participant "), " as ")
				if !ok || declared[id] {
					t.Errorf("%s: bad or repeated participant line %q", tc.scenario, l)
				}
				declared[id] = true
			case strings.HasPrefix(l, "    Note over "):
				id, _, _ := strings.Cut(strings.TrimPrefix(l, "    Note over "), ":")
				if !declared[id] {
					t.Errorf("%s: note over undeclared %q", tc.scenario, id)
				}
				notes++
			default:
				m := mermaidArrow.FindStringSubmatch(l)
				if m == nil {
					t.Errorf("%s: not a Mermaid statement: %q", tc.scenario, l)
					continue
				}
				if !declared[m[1]] || !declared[m[3]] {
					t.Errorf("%s: message between undeclared participants: %q", tc.scenario, l)
				}
				if strings.ContainsAny(strings.ReplaceAll(strings.ReplaceAll(m[4], "#35;", ""), "#59;", ""), "#;") {
					t.Errorf("%s: reserved character in %q", tc.scenario, m[4])
				}
				arrows++
				if m[2] != "-)" && !strings.HasPrefix(m[1], "A") && !strings.HasPrefix(m[3], "A") {
					messages++ // not a lease call, not an application call or return
				}
			}
		}
		want := 0
		for _, a := range st.Arrows {
			if a.Kind.IsMessage() {
				want++
			}
		}
		if messages != want {
			t.Errorf("%s: %d message arrows drawn, want one per message: %d", tc.scenario, messages, want)
		}
		if len(declared) != len(st.Lanes) {
			t.Errorf("%s: %d participants for %d lanes", tc.scenario, len(declared), len(st.Lanes))
		}
		if arrows != len(st.Arrows) || notes != len(st.Notes) {
			t.Errorf("%s: %d arrows and %d notes drawn, story has %d and %d", tc.scenario, arrows, notes, len(st.Arrows), len(st.Notes))
		}
		for _, id := range []string{"A1", "C1", "NET", "NFSD", "VFS", "L1"} {
			if !declared[id] && tc.scenario == "bz219278" {
				t.Errorf("participant %s missing", id)
			}
		}
	}
}

// htmlFacts parses a page and returns its arrows and anything that would
// make the browser fetch from elsewhere.
func htmlFacts(t *testing.T, page string) (arrows, rows int, external []string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "link", "img", "iframe", "object", "embed", "audio", "video", "source":
				external = append(external, "<"+n.Data+">")
			}
			for _, a := range n.Attr {
				switch {
				case a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || a.Key == "action":
					external = append(external, a.Key+"="+a.Val)
				case a.Key == "class" && n.Data == "g" && strings.HasPrefix(a.Val, "arrow "):
					arrows++
				case a.Key == "data-i" && n.Data == "tr":
					rows++
				case strings.Contains(a.Val, "url(") && !strings.HasPrefix(a.Val, "url(#"):
					external = append(external, a.Key+"="+a.Val)
				}
			}
		}
		if n.Type == html.TextNode && n.Parent != nil && (n.Parent.Data == "style" || n.Parent.Data == "script") {
			for _, bad := range []string{"@import", "url(", "fetch(", "XMLHttpRequest", "http://", "https://"} {
				if strings.Contains(n.Data, bad) {
					external = append(external, n.Parent.Data+" uses "+bad)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return arrows, rows, external
}

// TestHTMLSelfContained: the page draws one arrow per story arrow and one
// timeline row per step, and fetches nothing.
func TestHTMLSelfContained(t *testing.T) {
	for _, name := range []string{"bz219278", "client-unreachable"} {
		st := story(t, name, scenarios.Options{})
		arrows, rows, external := htmlFacts(t, render(t, st, htmlOut))
		if arrows != len(st.Arrows) {
			t.Errorf("%s: %d arrows drawn, want %d", name, arrows, len(st.Arrows))
		}
		if rows != len(st.Steps) {
			t.Errorf("%s: %d timeline rows, want %d", name, rows, len(st.Steps))
		}
		if len(external) > 0 {
			t.Errorf("%s: page refers outside itself: %v", name, external)
		}
	}
}

// TestHTMLInChromium loads the page in headless Chromium (Debian's
// chromium package) and checks that its script ran without a console
// message and counted the expected arrows. It is skipped when Chromium is
// not installed.
func TestHTMLInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed")
	}
	st := story(t, "bz219278", scenarios.Options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "bz219278.html")
	if err := os.WriteFile(path, []byte(render(t, st, htmlOut)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0",
		"--dump-dom", "file://"+path+"#12")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "CONSOLE") {
			t.Errorf("console message: %s", l)
		}
	}
	dom := stdout.String()
	if want := `data-arrows="` + strconv.Itoa(len(st.Arrows)) + `"`; !strings.Contains(dom, want) {
		t.Errorf("rendered page lacks %s: the script did not run or counted other arrows", want)
	}
	// #12 pins step 12: the panel shows it with the delegation table.
	for _, want := range []string{"step 12 of " + strconv.Itoa(len(st.Steps)), "nfsd delegations"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
}
