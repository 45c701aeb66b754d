package explain

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/delegsim/delegsim/internal/version"
	"github.com/delegsim/delegsim/model"
)

//go:embed page.html
var pageSource string

// diagramCSS styles the sequence diagram alike in the page (drawn by its
// script) and in WriteSVG's diagram: both include it.
//
//go:embed diagram.css
var diagramCSS string

var page = withDiagramCSS(template.Must(template.New("page").Parse(pageSource)))

// withDiagramCSS adds diagramCSS to t as the template "diagram.css".
func withDiagramCSS(t *template.Template) *template.Template {
	template.Must(t.New("diagram.css").Parse(diagramCSS))
	return t
}

// pageLabelN is the most characters of an arrow label the page draws;
// the rest is in its tooltip and in the step's narration.
const pageLabelN = 40

// pageLane is a lane as the page's script draws it.
type pageLane struct {
	Label string `json:"label"`
	Kind  string `json:"kind"`
}

// pageArrow is an arrow as the page's script draws it. Net marks a
// message that crosses the network lane: it is drawn through it, down the
// network's lifeline for as long as it was in flight, labelled with Delay.
type pageArrow struct {
	Row   int    `json:"row"`
	End   int    `json:"end"`
	From  int    `json:"from"`
	To    int    `json:"to"`
	Kind  string `json:"kind"`
	Label string `json:"label"`
	Full  string `json:"full"`
	Delay string `json:"delay,omitempty"`
	Net   bool   `json:"net,omitempty"`
}

type pageNote struct {
	Row  int    `json:"row"`
	Lane int    `json:"lane"`
	Text string `json:"text"`
}

// stepData is what the page's script shows for a step.
type stepData struct {
	Time  string `json:"time"`
	Actor string `json:"actor"`
	What  string `json:"what"`
	Why   string `json:"why"`
	Table Table  `json:"table"`
}

// pageData is everything the script draws from.
type pageData struct {
	Lanes   []pageLane  `json:"lanes"`
	Steps   []stepData  `json:"steps"`
	Arrows  []pageArrow `json:"arrows"`
	Notes   []pageNote  `json:"notes"`
	Network int         `json:"network"` // the network lane's index; -1: none
}

type htmlPage struct {
	Title, Subtitle, Description, Version string
	Summary                               string // the description's first sentence
	Outcome                               []string
	Rows                                  []htmlRow
	Data                                  pageData
}

// WriteHTML writes one self-contained page: a sequence diagram with a
// lane per participant and a row per step, the narrated timeline beside it
// (below it on a narrow screen), step and play controls, and a panel
// showing the delegation table at the selected step. The page's script
// lays the diagram out for the window: lanes share the width left by the
// narration, each row is as tall as its narration and its labels need
// (labels never overlap; narration is never cut), and a message between a
// client and the server runs through the network lane, down its lifeline
// for as long as it was in flight. Without a script the narrated timeline
// is still there. The page fetches nothing: styles and script are inline.
func (st *Story) WriteHTML(w io.Writer) error {
	p := htmlPage{
		Title:       "delegsim explain " + st.Scenario,
		Subtitle:    fmt.Sprintf("profile %s · policy %s · seed %d", st.Profile, st.Policy, st.Seed),
		Description: st.Description,
		Summary:     firstSentence(st.Description),
		Version:     version.String(),
		Data:        pageData{Network: -1},
	}
	if st.Caption != "" { // a story told from a capture (delegsim trace)
		p.Title, p.Subtitle = "delegsim trace "+st.Scenario, st.Caption
	}
	p.Data.Network = st.networkLane()
	for _, l := range st.Lanes {
		p.Data.Lanes = append(p.Data.Lanes, pageLane{Label: l.Label, Kind: laneKindNames[l.Kind]})
	}
	for i, s := range st.Steps {
		p.Rows = append(p.Rows, htmlRow{I: i, Time: fmtMs(s.At), Actor: s.Actor, What: s.What, Why: s.Why})
		p.Data.Steps = append(p.Data.Steps, stepData{Time: fmtMs(s.At), Actor: s.Actor, What: s.What, Why: s.Why, Table: s.Table})
	}
	for _, a := range st.Arrows {
		pa := pageArrow{Row: a.Row, End: a.End, From: a.From, To: a.To, Kind: arrowKindNames[a.Kind],
			Label: shorten(a.Label, pageLabelN), Full: arrowTitle(a), Net: crossesNetwork(a, p.Data.Network)}
		if a.Kind.IsMessage() && a.Kind != ArrowDropped {
			pa.Delay = fmtDelay(a.Arrives - a.Sent)
		}
		p.Data.Arrows = append(p.Data.Arrows, pa)
	}
	for _, n := range st.Notes {
		p.Data.Notes = append(p.Data.Notes, pageNote{Row: n.Row, Lane: n.Lane, Text: n.Text})
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

// fmtDelay renders a message's time in flight for its label: "50 ms",
// "12.9 ms", "0.6 ms".
func fmtDelay(d model.Time) string {
	ms := float64(d) / 1e6
	if ms >= 10 {
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f ms", ms)
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

// firstSentence is s up to its first full stop followed by a space.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
