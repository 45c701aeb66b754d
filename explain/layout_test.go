package explain

import (
	"fmt"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
)

// layoutStories are the stories the layout is checked on: every built-in
// scenario as simulated, bz219278 on a slow network (many messages in
// flight at once), and paths through the explorer that end with
// messages in flight.
func layoutStories(t *testing.T) map[string]*Story {
	t.Helper()
	out := map[string]*Story{}
	for _, name := range scenarios.Names() {
		out[name] = story(t, name, scenarios.Options{})
	}
	sc, err := scenarios.Load("bz219278", []string{"clients.c1.latency=lognormal:40ms,0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if out["bz219278 slow"], err = Build(sc, scenarios.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{3, 13, 30} {
		out[fmt.Sprintf("explorer path of %d steps", n)] = cursorStory(t, n)
	}
	return out
}

// TestSVGLabelsApart: in the static diagram no two texts (times, lane
// headings, arrow labels, notes, delays) overlap, on any built-in
// scenario; labels stay within their width, and one that is cut keeps
// its full text in the arrow's title.
func TestSVGLabelsApart(t *testing.T) {
	for name, st := range layoutStories(t) {
		t.Run(name, func(t *testing.T) {
			d := st.layout()
			for i, a := range d.boxes {
				for _, b := range d.boxes[i+1:] {
					if a.overlaps(b) {
						t.Errorf("%q at (%.1f,%.1f %.1f×%.1f) overlaps %q at (%.1f,%.1f %.1f×%.1f)",
							a.What, a.X, a.Y, a.W, a.H, b.What, b.X, b.Y, b.W, b.H)
					}
				}
				if a.X < 0 || a.Y < 0 || a.X+a.W > d.Width || a.Y+a.H > d.Height {
					t.Errorf("%q at (%.1f,%.1f %.1f×%.1f) is outside the %.0f×%.0f diagram", a.What, a.X, a.Y, a.W, a.H, d.Width, d.Height)
				}
			}
			if len(d.Arrows) != len(st.Arrows) || len(d.Rows) != len(st.Steps) || len(d.Notes) != len(st.Notes) {
				t.Fatalf("%d arrows, %d rows, %d notes drawn; the story has %d, %d, %d",
					len(d.Arrows), len(d.Rows), len(d.Notes), len(st.Arrows), len(st.Steps), len(st.Notes))
			}
			for i, a := range d.Arrows {
				if a.Label.W > labelMaxW {
					t.Errorf("label %q is %.0f px wide, more than %d", a.Label.Text, a.Label.W, labelMaxW)
				}
				if cut, ok := strings.CutSuffix(a.Label.Text, "…"); ok && !strings.HasPrefix(a.Full, cut) {
					t.Errorf("label %q cut, but its title %q does not hold it", a.Label.Text, a.Full)
				}
				if !strings.HasPrefix(a.Full, st.Arrows[i].Label) {
					t.Errorf("arrow %d's title %q lacks its label %q", i, a.Full, st.Arrows[i].Label)
				}
			}
		})
	}
}

// TestSVGMessagesThroughTheNetwork: in the static diagram, as on the
// page, a message between a client and the server runs down the network
// lane's lifeline while it is in flight, and one that took long enough
// to leave room is labelled with its delay.
func TestSVGMessagesThroughTheNetwork(t *testing.T) {
	st := story(t, "bz219278", scenarios.Options{})
	d := st.layout()
	net := d.Lanes[st.networkLane()].X
	through, delays := 0, 0
	for i, a := range st.Arrows {
		if !crossesNetwork(a, st.networkLane()) {
			continue
		}
		through++
		// M x1,y1 H cx V y2 H x2: the column beside the network lifeline.
		var x1, y1, cx, y2, x2 float64
		if _, err := fmt.Sscanf(d.Arrows[i].D, "M%g,%g H%g V%g H%g", &x1, &y1, &cx, &y2, &x2); err != nil {
			t.Errorf("arrow %q: path %q is not drawn through the network lane: %v", a.Label, d.Arrows[i].D, err)
			continue
		}
		if cx < net-svgLaneW/2 || cx > net+svgLaneW/2 || y2 < y1 {
			t.Errorf("arrow %q: path %q leaves the network lane at x=%.0f", a.Label, d.Arrows[i].D, net)
		}
	}
	for _, dl := range d.Delays {
		if strings.HasSuffix(dl.Text.Text, " ms") {
			delays++
		}
	}
	if through < 8 || delays < through/2 {
		t.Errorf("%d messages through the network, %d delays drawn", through, delays)
	}
}
