package capture

import (
	"testing"
	"time"
)

// A packet's frame rides through reassembly in the CaptureInfo of its
// context and comes back unchanged: number, time (pcapgo's are UTC, or
// zero for a pcapng block without one), and for a packet the snapshot
// length cut, how much of its payload was captured.
func TestFrameRidesThroughReassembly(t *testing.T) {
	for _, f := range []Frame{
		{Number: 1, Time: time.Unix(1733140000, 123456789).UTC(), CapturedPayload: 1448, PayloadLen: 1448},
		{Number: 70000, Time: time.Unix(1733140000, 0).UTC(), Cut: true, CapturedPayload: 130, PayloadLen: 1448},
		{Number: 3, PayloadLen: 40, CapturedPayload: 20}, // IP length beyond the frame, not cut by snaplen
		{Number: 4},
	} {
		c := &frameCtx{sec: f.Time.Unix(), nsec: int32(f.Time.Nanosecond()), number: f.Number,
			captured: int32(f.CapturedPayload), payload: int32(f.PayloadLen), cut: f.Cut}
		if got := frameOf(c.GetCaptureInfo()); got != f {
			t.Errorf("frame %+v came back as %+v", f, got)
		}
	}
}

// A chunk held back by a flush keeps which frame each byte came from;
// Cut finds the padding of a cut packet among them.
func TestHeldChunkKeepsItsFrames(t *testing.T) {
	a := Frame{Number: 7}
	b := Frame{Number: 9, Cut: true, CapturedPayload: 2, PayloadLen: 6}
	c := &Chunk{Data: make([]byte, 10), pieces: []piece{{0, a}, {4, b}}}
	for off, want := range []int{7, 7, 7, 7, 9, 9, 9, 9, 9, 9} {
		if got := c.FrameAt(off).Number; got != want {
			t.Errorf("byte %d from frame %d, want %d", off, got, want)
		}
	}
	if got := c.Cut(0, 10); got != 6 {
		t.Errorf("padding starts at %d, want 6 (frame 9: 2 of its 6 bytes captured)", got)
	}
	if got := c.Cut(0, 6); got != -1 {
		t.Errorf("bytes 0–5 are all captured, Cut says %d", got)
	}
	if got := (&Chunk{Data: c.Data, pieces: c.pieceList()}).Cut(0, 10); got != 6 {
		t.Errorf("rebuilt piece list: padding at %d, want 6", got)
	}
}
