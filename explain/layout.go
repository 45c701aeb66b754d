package explain

import "fmt"

// Layout of the static SVG sequence diagram (WriteSVG), in pixels.
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
