package explain

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

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

// htmlFacts parses a page and returns the arrows its script draws (from
// the data it embeds), its narration rows, and anything that would make
// the browser fetch from elsewhere.
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
				case a.Key == "data-i" && n.Data == "tr":
					rows++
				case strings.Contains(a.Val, "url(") && !strings.HasPrefix(a.Val, "url(#"):
					external = append(external, a.Key+"="+a.Val)
				}
			}
		}
		if n.Type == html.TextNode && n.Parent != nil && (n.Parent.Data == "style" || n.Parent.Data == "script") {
			for _, bad := range []string{"@import", "fetch(", "XMLHttpRequest", "http://", "https://"} {
				if strings.Contains(n.Data, bad) {
					external = append(external, n.Parent.Data+" uses "+bad)
				}
			}
			if strings.Contains(n.Data, "url(") && !strings.Contains(n.Data, "url(#") {
				external = append(external, n.Parent.Data+" uses url(")
			}
			if n.Parent.Data == "script" {
				if m := regexp.MustCompile(`(?m)^const D = (.*);$`).FindStringSubmatch(n.Data); m != nil {
					var d struct{ Arrows []json.RawMessage }
					if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
						t.Fatalf("page data: %v", err)
					}
					arrows = len(d.Arrows)
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

// TestHTMLSelfContained: the page holds one arrow per story arrow and one
// timeline row per step, and fetches nothing.
func TestHTMLSelfContained(t *testing.T) {
	for _, name := range []string{"bz219278", "client-unreachable"} {
		st := story(t, name, scenarios.Options{})
		arrows, rows, external := htmlFacts(t, render(t, st, htmlOut))
		if arrows != len(st.Arrows) {
			t.Errorf("%s: %d arrows in the page's data, want %d", name, arrows, len(st.Arrows))
		}
		if rows != len(st.Steps) {
			t.Errorf("%s: %d timeline rows, want %d", name, rows, len(st.Steps))
		}
		if len(external) > 0 {
			t.Errorf("%s: page refers outside itself: %v", name, external)
		}
	}
}

// TestHTMLMessagesThroughTheNetwork: every message between a client and
// the server is marked to run through the network lane and carries its
// delay; messages of server-local processes do not cross it.
func TestHTMLMessagesThroughTheNetwork(t *testing.T) {
	st := story(t, "open-dirty-local-read", scenarios.Options{})
	page := render(t, st, htmlOut)
	m := regexp.MustCompile(`(?m)^const D = (.*);$`).FindStringSubmatch(page)
	var d pageData
	if m == nil || json.Unmarshal([]byte(m[1]), &d) != nil {
		t.Fatal("no page data")
	}
	nets := 0
	for i, a := range d.Arrows {
		sa := st.Arrows[i]
		client := st.Lanes[sa.From].Kind == LaneNFSClient || st.Lanes[sa.To].Kind == LaneNFSClient
		if sa.Kind.IsMessage() && client != a.Net {
			t.Errorf("arrow %q: through the network %v, a client's message %v", a.Full, a.Net, client)
		}
		if a.Net && sa.Kind != ArrowDropped && a.Delay != fmtDelay(sa.Arrives-sa.Sent) {
			t.Errorf("arrow %q: delay %q", a.Full, a.Delay)
		}
		if a.Net {
			nets++
		}
	}
	if nets < 10 {
		t.Errorf("only %d messages through the network", nets)
	}
}
