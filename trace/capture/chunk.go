package capture

import (
	"sort"

	"github.com/gopacket/gopacket/reassembly"
)

// Chunk is a run of stream bytes handed to a Sink: usually one packet's
// payload, several after reordering.
type Chunk struct {
	Data []byte
	// A chunk is either all from one frame (single: the common case, a
	// segment that arrived in order), or it asks reassembly which packet
	// each offset came from.
	single bool
	f      Frame
	sg     reassembly.ScatterGather
	pieces []piece // instead of sg, for a chunk held back by a flush
}

// NewChunk returns a chunk of data that all came in frame f, for tests
// and for sinks fed by something other than Read.
func NewChunk(data []byte, f Frame) *Chunk {
	return &Chunk{Data: data, single: true, f: f}
}

// FrameAt returns the frame that carried byte off of the chunk.
func (c *Chunk) FrameAt(off int) Frame {
	switch {
	case c.single:
		return c.f
	case c.pieces != nil:
		return c.pieceAt(off)
	case c.sg == nil:
		return Frame{}
	}
	return frameOf(c.sg.CaptureInfo(off))
}

// Cut returns the first offset in [from, to) that is zero padding for
// bytes the snapshot length cut off, or -1 if all of them were captured.
func (c *Chunk) Cut(from, to int) int {
	if to <= from || (c.single && !c.f.Cut) {
		return -1
	}
	f0, f1 := c.FrameAt(from), c.FrameAt(to-1)
	if !f0.Cut && !f1.Cut && f0.Number == f1.Number {
		return -1
	}
	// Walk the pieces (one per packet) that [from, to) spans. A piece
	// is taken to be the tail of its packet's payload: reassembly trims
	// overlaps from the front.
	n := len(c.Data)
	for off := from; off < to; {
		f := c.FrameAt(off)
		same := func(i int) bool { return c.FrameAt(i).Number == f.Number }
		ps := sort.Search(off, func(i int) bool { return same(i) })
		pe := off + sort.Search(n-off, func(i int) bool { return !same(off + i) })
		if f.Cut {
			padAt := max(ps, pe-(f.PayloadLen-f.CapturedPayload))
			if padAt < to && padAt < pe {
				return max(padAt, off)
			}
		}
		off = pe
	}
	return -1
}
