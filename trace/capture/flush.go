package capture

import (
	"slices"
	"sort"
	"time"

	"github.com/gopacket/gopacket/reassembly"
)

// Flushing pushes buffered data past the gaps in front of it. gopacket
// flushes connections in the order of a map, which changes from run to
// run; and what the sink makes of one connection's data can depend on
// another's (an NFSv4.0 callback connection is tied to its client by a
// SETCLIENTID on the fore connection). So what streams deliver during a
// flush is held back and handed to the sink afterwards in connection
// order: the same capture always tells the same story.

// held is one delivery made during a flush.
type held struct {
	st     *connState
	fromA  bool
	skip   int   // bytes missing before the data
	gapAt  Frame // the frame after the gap
	chunk  Chunk // data, copied, with its frames
	finish bool  // the stream's ReassemblyComplete
}

// flushOlder flushes the data waiting longer than 5 s of capture time
// for a gap to fill, once per second of capture.
func (d *decoder) flushOlder(now time.Time) {
	if now.Sub(d.lastFlush) <= time.Second {
		return
	}
	if !d.lastFlush.IsZero() {
		d.flushing(func() { d.asm.FlushWithOptions(reassembly.FlushOptions{T: now.Add(-5 * time.Second)}) })
	}
	d.lastFlush = now
}

// flushing runs a flush, then delivers what it produced in connection
// order (and in delivery order within a connection).
func (d *decoder) flushing(flush func()) {
	d.holding = true
	flush()
	d.holding = false
	slices.SortStableFunc(d.held, func(a, b held) int { return a.st.c.ID - b.st.c.ID })
	for i := range d.held {
		h := &d.held[i]
		switch {
		case h.finish:
			d.complete(h.st)
		default:
			d.deliver(h.st, h.fromA, h.skip, h.gapAt, &h.chunk)
		}
	}
	clear(d.held)
	d.held = d.held[:0]
}

// hold keeps a delivery made during a flush: the chunk's bytes and
// frames are copied, since reassembly reuses them.
func (d *decoder) hold(st *connState, fromA bool, skip int, gapAt Frame, ch *Chunk) {
	h := held{st: st, fromA: fromA, skip: skip, gapAt: gapAt}
	if ch != nil {
		h.chunk = Chunk{Data: slices.Clone(ch.Data), single: ch.single, f: ch.f}
		if !ch.single {
			h.chunk.pieces = ch.pieceList()
		}
	}
	d.held = append(d.held, h)
}

// piece is a run of a chunk's bytes from one frame.
type piece struct {
	start int
	f     Frame
}

// pieceList lists the runs of the chunk's bytes by frame.
func (c *Chunk) pieceList() []piece {
	var ps []piece
	n := len(c.Data)
	for off := 0; off < n; {
		f := c.FrameAt(off)
		ps = append(ps, piece{off, f})
		off += sort.Search(n-off, func(i int) bool { return c.FrameAt(off+i).Number != f.Number })
	}
	return ps
}

// pieceAt returns the frame of byte off from the chunk's piece list.
func (c *Chunk) pieceAt(off int) Frame {
	i := sort.Search(len(c.pieces), func(i int) bool { return c.pieces[i].start > off })
	if i == 0 {
		return Frame{}
	}
	return c.pieces[i-1].f
}
