package explain

import (
	"fmt"
	"math"
	"strings"
)

// The static sequence diagram (WriteSVG) is laid out here, once for all,
// by the rules the HTML page's script follows for the window (page.html):
// a row is as tall as the labels it holds need, packed into horizontal
// slots so that no two overlap; a message between a client and the server
// runs through the network lane, down a column of its own beside the
// network's lifeline for as long as it is in flight, labelled with its
// delay; labels longer than a width are cut, with the full text in the
// arrow's <title>. Text is measured with the metrics of the font the
// diagram names (textwidth.go), so the boxes computed here are the ones
// drawn.

// Geometry, in pixels.
const (
	svgLaneW    = 150 // distance between lifelines
	svgMinTimeW = 72  // the time column, at least
	slotH       = 16  // one slot of a row: a label and its arrow
	rowPad      = 8   // below a row's last slot
	minRowH     = 26
	laneLineH   = 15 // one line of a lane's heading
	netStep     = 6  // between two messages' columns beside the network's lifeline
	// labelMaxW is the widest arrow label drawn, noteMaxW the widest note.
	labelMaxW = 2*svgLaneW - 16
	noteMaxW  = 2*svgLaneW - 12
)

// box is a text's extent on the diagram, for the layout's tests.
type box struct {
	X, Y, W, H float64
	What       string
}

func (b box) overlaps(o box) bool {
	return b.X < o.X+o.W && o.X < b.X+b.W && b.Y < o.Y+o.H && o.Y < b.Y+b.H
}

// textBox is the extent of a text of the given width drawn with its
// baseline at y in a font of size px, anchored at x.
func textBox(x, y, w, px float64, anchor, what string) box {
	switch anchor {
	case "middle":
		x -= w / 2
	case "end":
		x -= w
	}
	return box{X: x, Y: y - fontAscent*px, W: w, H: (fontAscent + fontDescent) * px, What: what}
}

type svgLane struct {
	X     float64
	Kind  string
	Lines []svgText
}

type svgText struct {
	X, Y, W float64 // W: the text's length, pinned with textLength
	Anchor  string
	Text    string
}

type svgRow struct {
	I       int
	Y, H    float64
	Time    svgText
	What    string
	Why     string
	Alt     bool
	Tooltip string
}

type svgArrow struct {
	Row    int
	Kind   string
	D      string // the path
	Cross  string // a lost message's ✕, a path; "" otherwise
	Marker bool
	Label  svgText
	Full   string
}

type svgNote struct {
	Row        int
	X, Y, W, H float64
	Text       svgText
	Full       string
}

type svgDelay struct {
	Row  int
	Text svgText
}

// diagram is the static sequence diagram's geometry, which WriteSVG
// draws.
type diagram struct {
	Width, Height float64
	HeadH         float64
	Lanes         []svgLane
	Rows          []svgRow
	Arrows        []svgArrow
	Notes         []svgNote
	Delays        []svgDelay
	boxes         []box // every text drawn
	lines         []box // the horizontal strokes of arrows, which delays avoid too
}

// htmlRow is a step of the HTML page's narrated timeline.
type htmlRow struct {
	I     int
	Time  string
	Actor string
	What  string
	Why   string
}

// crossesNetwork reports whether a message arrow runs through the
// network lane n (-1: none): it goes from one side of it to the other,
// or it is lost (or still in flight) on the way, drawn to it.
func crossesNetwork(a Arrow, n int) bool {
	if n < 0 || !a.Kind.IsMessage() {
		return false
	}
	crosses := a.From != n && a.To != n && (a.From < n) != (a.To < n)
	return crosses || a.Kind == ArrowDropped && a.To == n
}

// networkLane is the index of the story's network lane, -1 if none.
func (st *Story) networkLane() int {
	for i, l := range st.Lanes {
		if l.Kind == LaneNetwork {
			return i
		}
	}
	return -1
}

// arrowTitle is an arrow's tooltip: its full label and, for a message,
// when it was sent and when it arrived.
func arrowTitle(a Arrow) string {
	if !a.Kind.IsMessage() {
		return a.Label
	}
	s := fmt.Sprintf("%s — sent %s", a.Label, fmtMs(a.Sent))
	if a.Kind != ArrowDropped {
		s += ", arrives " + fmtMs(a.Arrives)
	}
	return s
}

// slotItem is what a row's slot holds between A and B: an arrow's start
// with its label, an arrow's arrival, a note, the row's time.
type slotItem struct {
	A, B float64
	slot int
}

// pack places a row's items into slots, first fit, so that no two items
// of a slot overlap, and returns the number of slots.
func pack(items []*slotItem) int {
	var lines [][]*slotItem
	for _, it := range items {
		k := 0
	search:
		for ; k < len(lines); k++ {
			for _, o := range lines[k] {
				if it.B > o.A && it.A < o.B {
					continue search
				}
			}
			break
		}
		if k == len(lines) {
			lines = append(lines, nil)
		}
		lines[k] = append(lines[k], it)
		it.slot = k
	}
	return len(lines)
}

// placedArrow is an arrow during layout.
type placedArrow struct {
	a             Arrow
	x1, x2, nx    float64
	net, inflight bool
	label         svgText
	start, arrive *slotItem
	col           int
}

// layout places the lanes, rows, arrows, notes and delays of the static
// sequence diagram.
func (st *Story) layout() diagram {
	var p diagram
	timeW := float64(svgMinTimeW)
	for _, s := range st.Steps {
		timeW = max(timeW, math.Ceil(textWidth(fmtMs(s.At), fontLabel)+12))
	}
	laneX := func(i int) float64 { return timeW + svgLaneW*float64(i) + svgLaneW/2 }
	net := st.networkLane()

	// Lane headings, their words wrapped to the lane.
	lines := 1
	heads := make([][]string, len(st.Lanes))
	for i, l := range st.Lanes {
		heads[i] = fitWords(l.Label, svgLaneW-6, fontHead)
		lines = max(lines, len(heads[i]))
	}
	p.HeadH = float64(10 + laneLineH*lines)

	// Items per row: the time first, then arrows and notes.
	items := make([][]*slotItem, len(st.Steps))
	for r := range st.Steps {
		items[r] = append(items[r], &slotItem{A: 0, B: timeW - 4})
	}
	var arrows []*placedArrow
	for _, a := range st.Arrows {
		pa := &placedArrow{a: a, x1: laneX(a.From), x2: laneX(a.To), net: crossesNetwork(a, net), inflight: a.InFlight}
		pa.nx = pa.x2
		if pa.net {
			pa.nx = laneX(net)
		}
		label := a.Label
		if pa.inflight {
			// Drawn as such (the title says so); a local process's message
			// is drawn on its way in the row that sent it.
			label = strings.TrimSuffix(label, inFlightSuffix)
			if !pa.net {
				pa.a.End = a.Row
			}
		}
		text := fitWidth(label, labelMaxW, fontLabel)
		w := textWidth(text, fontLabel)
		lw := w + 6
		var la, lb, lx float64
		anchor := "start"
		switch {
		case pa.a.Row == pa.a.End && !pa.net: // instant: the label centred over the arrow
			lx, anchor = (pa.x1+pa.x2)/2, "middle"
			la, lb = lx-lw/2, lx+lw/2
		case pa.x2 >= pa.x1:
			lx = pa.x1 + 6
			la, lb = lx-2, lx+lw
		default:
			lx, anchor = pa.x1-6, "end"
			la, lb = lx-lw, lx+2
		}
		if la < timeW { // never over the time column
			lx, lb, la = lx+timeW-la, lb+timeW-la, timeW
		}
		pa.label = svgText{X: lx, W: w, Anchor: anchor, Text: text}
		pa.start = &slotItem{A: min(la, pa.x1, pa.nx) - 2, B: max(lb, pa.x1, pa.nx) + 2}
		items[a.Row] = append(items[a.Row], pa.start)
		if pa.a.Row != pa.a.End || pa.net {
			from := pa.x1
			if pa.net {
				from = pa.nx
			}
			pa.arrive = &slotItem{A: min(from, pa.x2) - 2, B: max(from, pa.x2) + 2}
			items[pa.a.End] = append(items[pa.a.End], pa.arrive)
		}
		arrows = append(arrows, pa)
	}
	type placedNote struct {
		n    Note
		x, w float64
		text string
		it   *slotItem
	}
	var notes []placedNote
	for _, n := range st.Notes {
		text := fitWidth(n.Text, noteMaxW, fontLabel)
		x := laneX(n.Lane) + 6
		w := textWidth(text, fontLabel) + 12
		pn := placedNote{n: n, x: x, w: w, text: text, it: &slotItem{A: x - 2, B: x + w + 2}}
		items[n.Row] = append(items[n.Row], pn.it)
		notes = append(notes, pn)
	}

	// Rows as tall as their slots.
	tops := make([]float64, len(st.Steps))
	y := p.HeadH
	for r, s := range st.Steps {
		slots := pack(items[r])
		h := math.Max(minRowH, float64(slots*slotH+rowPad))
		tops[r] = y
		row := svgRow{I: r, Y: y, H: h, What: s.What, Why: s.Why, Alt: r%2 == 1}
		row.Tooltip = s.What
		if s.Why != "" {
			row.Tooltip += " — " + s.Why
		}
		row.Time = svgText{X: 4, Y: y + slotH - 2, W: textWidth(fmtMs(s.At), fontLabel), Anchor: "start", Text: fmtMs(s.At)}
		p.boxes = append(p.boxes, textBox(row.Time.X, row.Time.Y, row.Time.W, fontLabel.px, "start", "time "+row.Time.Text))
		p.Rows = append(p.Rows, row)
		y += h
	}
	p.Height = y + 12
	slotY := func(r, k int) float64 { return tops[r] + slotH*float64(k+1) + 2 }

	right := timeW + svgLaneW*float64(len(st.Lanes)) + 24
	for i, l := range st.Lanes {
		x := laneX(i)
		lane := svgLane{X: x, Kind: laneKindNames[l.Kind]}
		for k, word := range heads[i] {
			t := svgText{X: x, Y: p.HeadH - 8 - float64(len(heads[i])-1-k)*laneLineH, W: textWidth(word, fontHead), Anchor: "middle", Text: word}
			lane.Lines = append(lane.Lines, t)
			p.boxes = append(p.boxes, textBox(t.X, t.Y, t.W, fontHead.px, "middle", "lane "+word))
		}
		p.Lanes = append(p.Lanes, lane)
	}

	// The network lane's lifeline carries the messages in flight: each
	// gets a column of its own beside it while it is in flight (interval
	// colouring), so that two messages in flight at once stay apart.
	type span struct {
		c      int
		y1, y2 float64
	}
	var inflight []span
	yOf := func(pa *placedArrow) (float64, float64) {
		y1 := slotY(pa.a.Row, pa.start.slot)
		y2 := y1
		if pa.arrive != nil {
			y2 = slotY(pa.a.End, pa.arrive.slot)
		}
		return y1, y2
	}
	for _, pa := range arrows {
		if !pa.net {
			continue
		}
		y1, y2 := yOf(pa)
		c := 0
		for taken := true; taken; {
			taken = false
			for _, o := range inflight {
				if o.c == c && !(y1 > o.y2+2 || y2 < o.y1-2) {
					c, taken = c+1, true
					break
				}
			}
		}
		inflight = append(inflight, span{c, y1, y2})
		pa.col = c
	}
	maxOff := float64(svgLaneW/2 - 8)
	colX := func(c int) float64 {
		off := float64((c+1)/2) * netStep
		if c%2 == 1 {
			off = -off
		}
		return laneX(net) + math.Max(-maxOff, math.Min(maxOff, off))
	}

	type delayAt struct {
		pa     *placedArrow
		x      float64
		y1, y2 float64
	}
	var delays []delayAt
	for _, pa := range arrows {
		a := pa.a
		y1, y2 := yOf(pa)
		sa := svgArrow{Row: a.Row, Kind: arrowKindNames[a.Kind], Full: arrowTitle(a), Marker: a.Kind != ArrowDropped}
		if pa.inflight {
			sa.Kind = "inflight"
		}
		switch {
		case pa.net && a.Kind == ArrowDropped && !pa.inflight:
			cx := colX(pa.col)
			sa.D = fmt.Sprintf("M%s,%s H%s", num(pa.x1), num(y1), num(cx))
			sa.Cross = fmt.Sprintf("M%s,%s l8,8 m0,-8 l-8,8", num(cx-4), num(y1-4))
		case pa.net:
			cx := colX(pa.col)
			sa.D = fmt.Sprintf("M%s,%s H%s V%s", num(pa.x1), num(y1), num(cx), num(y2))
			p.lines = append(p.lines, hline(pa.x1, cx, y1))
			if !pa.inflight {
				sa.D += " H" + num(pa.x2)
				p.lines = append(p.lines, hline(cx, pa.x2, y2))
			}
			if a.Kind != ArrowDropped && y2-y1 > 18 {
				delays = append(delays, delayAt{pa, cx, y1, y2})
			}
		case pa.inflight: // a local process's message, on its way
			sa.D = fmt.Sprintf("M%s,%s L%s,%s", num(pa.x1), num(y1), num(pa.x1+(pa.x2-pa.x1)*2/3), num(y1))
		default:
			sa.D = fmt.Sprintf("M%s,%s L%s,%s", num(pa.x1), num(y1), num(pa.x2), num(y2))
		}
		sa.Label = pa.label
		sa.Label.Y = y1 - 4
		p.boxes = append(p.boxes, textBox(sa.Label.X, sa.Label.Y, sa.Label.W, fontLabel.px, sa.Label.Anchor, "label "+sa.Label.Text))
		right = max(right, pa.start.B+8)
		p.Arrows = append(p.Arrows, sa)
	}
	for _, pn := range notes {
		yb := slotY(pn.n.Row, pn.it.slot)
		n := svgNote{Row: pn.n.Row, X: pn.x, Y: yb - slotH + 1, W: pn.w, H: slotH - 1, Full: pn.n.Text,
			Text: svgText{X: pn.x + 6, Y: yb - 4, W: pn.w - 12, Anchor: "start", Text: pn.text}}
		p.boxes = append(p.boxes, box{X: n.X, Y: n.Y, W: n.W, H: n.H, What: "note " + pn.text})
		right = max(right, pn.it.B+8)
		p.Notes = append(p.Notes, n)
	}
	// Delays beside their column, where they overlap no other text.
	for _, d := range delays {
		text := fmtDelay(d.pa.a.Arrives - d.pa.a.Sent)
		w := textWidth(text, fontDelay)
		mid := (d.y1 + d.y2) / 2
	place:
		for off := 0.0; off < (d.y2-d.y1)/2-6; off += 5 {
			for _, yy := range []float64{mid + off, mid - off} {
				for _, xx := range []float64{d.x + 4, d.x - 4 - w} {
					b := textBox(xx, yy, w, fontDelay.px, "start", "delay "+text)
					if !p.free(b) {
						continue
					}
					p.boxes = append(p.boxes, b)
					p.Delays = append(p.Delays, svgDelay{Row: d.pa.a.Row, Text: svgText{X: xx, Y: yy, W: w, Anchor: "start", Text: text}})
					break place
				}
			}
		}
	}
	p.Width = math.Ceil(right)
	return p
}

// free reports whether b overlaps no text placed so far, with a pixel to
// spare.
func (p *diagram) free(b box) bool {
	g := box{X: b.X - 1, Y: b.Y - 1, W: b.W + 2, H: b.H + 2}
	for _, set := range [][]box{p.boxes, p.lines} {
		for _, o := range set {
			if g.overlaps(o) {
				return false
			}
		}
	}
	return true
}

// hline is the extent of a horizontal stroke from x1 to x2 at y.
func hline(x1, x2, y float64) box {
	return box{X: min(x1, x2), Y: y - 1, W: math.Abs(x2 - x1), H: 2, What: "line"}
}

// num renders a coordinate with at most one decimal.
func num(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

// fitWords breaks a lane's label into lines no wider than width; a word
// wider than that is a line of its own, cut.
func fitWords(label string, width float64, f measure) []string {
	var out []string
	cur := ""
	for _, w := range strings.Fields(label) {
		next := w
		if cur != "" {
			next = cur + " " + w
		}
		if textWidth(next, f) <= width || cur == "" {
			cur = next
			continue
		}
		out = append(out, cur)
		cur = w
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	for i := range out {
		out[i] = fitWidth(out[i], width, f)
	}
	return out
}

// fitWidth cuts s to at most width pixels, marking the cut with an
// ellipsis.
func fitWidth(s string, width float64, f measure) string {
	if textWidth(s, f) <= width {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r) // r[:lo]+"…" fits; r[:hi]+"…" does not, or hi = len
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if textWidth(string(r[:mid])+"…", f) <= width {
			lo = mid
		} else {
			hi = mid
		}
	}
	return strings.TrimRight(string(r[:lo]), " ,") + "…"
}
