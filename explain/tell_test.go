package explain

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// cursorStory walks bz219278 through the explorer, always taking the
// first enabled transition, for steps steps, and tells the path so far.
func cursorStory(t *testing.T, steps int) *Story {
	t.Helper()
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := scenarios.Options{Policy: "kernel"}
	m, r, err := explore.FromScenario(sc, o, explore.ModelOptions{MinDelay: true}) // as delegsim serve does
	if err != nil {
		t.Fatal(err)
	}
	var tables []Table
	c := m.NewCursor(explore.CursorOptions{Observe: func(now model.Time, actors []model.Actor) {
		tables = append(tables, Snapshot(now, actors, m.Names))
	}})
	for i := 0; i < steps && !c.Ended(); i++ {
		if err := c.Take(0); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Tell(sc, r, c.Result(), tables)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTellExplorerPath: a path through the explorer's states is told like
// a simulated run. Thirteen steps in, lsattr's open has hit c1's write lease
// (__break_lease): the recall is queued and the EAGAIN answered, and
// both messages are still in flight, drawn as such.
func TestTellExplorerPath(t *testing.T) {
	st := cursorStory(t, 13)
	var recall *Step
	for i := range st.Steps {
		if strings.Contains(st.Steps[i].What, "CB_RECALL queued, EAGAIN returned") {
			recall = &st.Steps[i]
		}
	}
	if recall == nil {
		t.Fatalf("no step tells the recall:\n%s", render(t, st, text))
	}
	if len(recall.Table.Delegations) != 1 || !strings.HasPrefix(recall.Table.Delegations[0].State, "recalling since") {
		t.Errorf("delegation table after the open: %+v, want c1's delegation recalling", recall.Table.Delegations)
	}
	var inFlight []string
	for _, a := range st.Arrows {
		if strings.HasSuffix(a.Label, "(in flight at the end)") {
			inFlight = append(inFlight, a.Label)
		}
	}
	if want := []string{"CB_RECALL(f, stateid 2) (in flight at the end)", "open → EAGAIN (in flight at the end)"}; strings.Join(inFlight, "|") != strings.Join(want, "|") {
		t.Errorf("arrows in flight %q, want %q", inFlight, want)
	}
}

// TestTellNeedsATablePerStep: a result and tables that do not match are
// an error, not a story told with the wrong tables.
func TestTellNeedsATablePerStep(t *testing.T) {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, r, err := sc.Run(scenarios.Options{Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Tell(sc, r, res, make([]Table, len(res.StepRecords)-1)); err == nil || !strings.Contains(err.Error(), "table snapshots") {
		t.Errorf("Tell with a table short: error %v", err)
	}
}

// TestWriteSVG: the diagram alone has one arrow group per story arrow,
// one row per step, its marker named after its id, and nothing that
// fetches from elsewhere; an id that would break the marker's url() is
// refused.
func TestWriteSVG(t *testing.T) {
	for _, st := range []*Story{story(t, "bz219278", scenarios.Options{}), cursorStory(t, 13)} {
		var b bytes.Buffer
		if err := st.WriteSVG(&b, "left"); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(strings.NewReader("<!DOCTYPE html><body>" + b.String()))
		if err != nil {
			t.Fatal(err)
		}
		arrows, rows, markers := 0, 0, 0
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				for _, a := range n.Attr {
					switch {
					case a.Key == "class" && n.Data == "g" && strings.HasPrefix(a.Val, "arrow "):
						arrows++
					case a.Key == "class" && n.Data == "rect" && (a.Val == "row" || a.Val == "row alt"):
						rows++
					case a.Key == "id" && n.Data == "marker" && a.Val == "left-head":
						markers++
					case a.Key == "href" || a.Key == "src" || a.Key == "xlink:href":
						t.Errorf("diagram refers outside itself: %s=%s", a.Key, a.Val)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if arrows != len(st.Arrows) || rows != len(st.Steps) || markers != 1 {
			t.Errorf("%d arrows, %d rows, %d markers; want %d, %d, 1", arrows, rows, markers, len(st.Arrows), len(st.Steps))
		}
		if !strings.HasPrefix(b.String(), `<svg xmlns="http://www.w3.org/2000/svg" class="delegsim-diagram static" id="left"`) {
			t.Errorf("diagram starts %.80q", b.String())
		}
		// The layout measures text in the font the diagram names.
		if !strings.Contains(b.String(), "svg.delegsim-diagram.static text { font-family: "+svgFontFamily+"; }") {
			t.Errorf("the diagram does not name the font its labels are measured in, %s", svgFontFamily)
		}
	}
	st := cursorStory(t, 3)
	for _, bad := range []string{"", "1x", `x")`, "a b"} {
		if err := st.WriteSVG(&bytes.Buffer{}, bad); err == nil {
			t.Errorf("id %q accepted", bad)
		}
	}
}
