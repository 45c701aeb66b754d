package explain

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed page.html
var pageSource string

var page = template.Must(template.New("page").Parse(pageSource))

// Layout of the SVG sequence diagram, in pixels.
const (
	timeW   = 84  // the time column at the left
	laneW   = 168 // distance between lifelines
	headerH = 48  // lane labels
	pitch   = 30  // one row per step
	labelN  = 30  // characters of an arrow label drawn; the rest is in its tooltip
	noteW   = 120 // room right of the last lane for its notes
)

type htmlLane struct {
	X     int
	Label string
	Kind  string
}

type htmlRow struct {
	I     int
	Y     int // top
	Mid   int
	Time  string
	Actor string
	What  string
	Why   string
}

type htmlArrow struct {
	Row            int
	Kind           string
	X1, Y1, X2, Y2 int
	LX, LY         int // label position
	Label, Full    string
	Dropped        bool
}

type htmlNote struct {
	Row        int
	X, Y, W, H int
	Text       string
}

// stepData is what the page's script shows for a step.
type stepData struct {
	Time  string `json:"time"`
	Actor string `json:"actor"`
	What  string `json:"what"`
	Why   string `json:"why"`
	Table Table  `json:"table"`
}

type htmlPage struct {
	Title, Subtitle, Description string
	diagram
	Data    []stepData
	Outcome []string
}

// diagram is the SVG sequence diagram's geometry, which the page and
// WriteSVG draw.
type diagram struct {
	Width, Height int
	HeaderH       int
	Lanes         []htmlLane
	Rows          []htmlRow
	Arrows        []htmlArrow
	Notes         []htmlNote
}

// WriteHTML writes one self-contained page: an SVG sequence diagram with a
// lane per participant and a row per step, the narrated timeline beside
// it, and a panel showing the delegation table at the step under the
// pointer (click to pin a step; the arrow keys move the pinned step). The
// page fetches nothing: styles and script are inline.
func (st *Story) WriteHTML(w io.Writer) error {
	p := htmlPage{
		Title:       "delegsim explain " + st.Scenario,
		Subtitle:    fmt.Sprintf("profile %s · policy %s · seed %d", st.Profile, st.Policy, st.Seed),
		Description: st.Description,
		diagram:     st.layout(),
	}
	for _, s := range st.Steps {
		p.Data = append(p.Data, stepData{Time: fmtMs(s.At), Actor: s.Actor, What: s.What, Why: s.Why, Table: s.Table})
	}
	for _, op := range st.Ops {
		p.Outcome = append(p.Outcome, fmt.Sprintf("%s %s %s: %s (%s → %s)", op.Name(), op.Kind, op.File, opResult(op), fmtMs(op.Start), fmtMs(op.End)))
	}
	var b strings.Builder
	if err := page.Execute(&b, p); err != nil {
		return fmt.Errorf("explain %s: html: %w", st.Scenario, err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// layout places the lanes, rows, arrows and notes of the sequence
// diagram.
func (st *Story) layout() diagram {
	p := diagram{
		Width:   timeW + laneW*len(st.Lanes) + noteW,
		Height:  headerH + pitch*len(st.Steps) + pitch/2,
		HeaderH: headerH,
	}
	laneX := func(i int) int { return timeW + laneW*i + laneW/2 }
	rowMid := func(r int) int { return headerH + pitch*r + pitch/2 }
	for i, l := range st.Lanes {
		p.Lanes = append(p.Lanes, htmlLane{X: laneX(i), Label: l.Label, Kind: laneKindNames[l.Kind]})
	}
	for i, s := range st.Steps {
		p.Rows = append(p.Rows, htmlRow{I: i, Y: headerH + pitch*i, Mid: rowMid(i), Time: fmtMs(s.At), Actor: s.Actor, What: s.What, Why: s.Why})
	}
	for _, a := range st.Arrows {
		h := htmlArrow{Row: a.Row, Kind: arrowKindNames[a.Kind], X1: laneX(a.From), Y1: rowMid(a.Row),
			X2: laneX(a.To), Y2: rowMid(a.End), Label: shorten(a.Label, labelN), Dropped: a.Kind == ArrowDropped}
		h.Full = a.Label
		if a.Kind.IsMessage() {
			h.Full = fmt.Sprintf("%s — sent %s", a.Label, fmtMs(a.Sent))
			if a.Kind != ArrowDropped {
				h.Full += ", arrives " + fmtMs(a.Arrives)
			}
		}
		// The label sits just above the arrow, a third of the way along,
		// so that arrows leaving one row at once stay readable.
		h.LX = h.X1 + (h.X2-h.X1)/3
		h.LY = h.Y1 + (h.Y2-h.Y1)/3 - 4
		if a.From > a.To && a.Row == a.End {
			h.LX = h.X2 + (h.X1-h.X2)/2
		}
		p.Arrows = append(p.Arrows, h)
	}
	for _, n := range st.Notes {
		text := shorten(n.Text, 40)
		p.Notes = append(p.Notes, htmlNote{Row: n.Row, X: laneX(n.Lane) + 6, Y: headerH + pitch*n.Row + 4,
			W: 7*len([]rune(text)) + 10, H: pitch - 8, Text: text})
	}
	return p
}

var laneKindNames = [...]string{LaneApp: "app", LaneNFSClient: "nfsclient", LaneNetwork: "network",
	LaneNfsd: "nfsd", LaneVFS: "vfs", LaneLocal: "local"}

var arrowKindNames = [...]string{ArrowRequest: "request", ArrowReply: "reply", ArrowDropped: "dropped",
	ArrowCall: "call", ArrowReturn: "return", ArrowLease: "lease"}

// shorten cuts s to at most n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
