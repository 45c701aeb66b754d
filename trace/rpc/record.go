package rpc

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/delegsim/delegsim/trace/capture"
)

// Half-connection states.
const (
	stMarker   = iota // reading a 4-byte record marker
	stFragment        // reading a fragment's bytes
	stResync          // looking for the next record boundary
	stNotRPC          // not RPC: ignored
)

// resyncWindow bounds the bytes kept while looking for a record boundary.
const resyncWindow = 64 << 10

// half is one direction of a connection: record marking (RFC 5531 §11).
type half struct {
	state    int
	fromA    bool
	marker   [4]byte
	nm       int  // marker bytes read
	fragLeft int  // bytes of the current fragment still to read
	last     bool // the current fragment is the record's last
	buf      []byte
	cutAt    int // offset in buf of the first padding byte, or -1
	first    capture.Frame
	records  int
	proven   bool // a record has shown this direction is RPC
}

// reset forgets the record in progress.
func (h *half) reset(t *Tracker) {
	h.nm, h.fragLeft, h.last, h.cutAt = 0, 0, false, -1
	h.drop(t)
}

// drop gives the half's buffer back to the tracker: a buffer is needed
// only while a record spans segments, and a capture has more
// connections than records in flight.
func (h *half) drop(t *Tracker) {
	if h.buf != nil {
		t.putBuf(h.buf)
		h.buf = nil
	}
}

// keep appends b to the half's buffer, taking one from the tracker if
// it has none.
func (h *half) keep(t *Tracker, b []byte) {
	if h.buf == nil {
		h.buf = t.getBuf()
	}
	h.buf = append(h.buf, b...)
}

func (h *half) feed(t *Tracker, cs *conn, fromA bool, ch *capture.Chunk) {
	h.fromA = fromA
	data := ch.Data
	off := 0
	for off < len(data) {
		switch h.state {
		case stNotRPC:
			return
		case stResync:
			off = h.resync(t, cs, fromA, ch, off)
		case stMarker:
			if h.nm == 0 && len(h.buf) == 0 {
				h.first = ch.FrameAt(off)
			}
			k := copy(h.marker[h.nm:], data[off:])
			h.nm += k
			off += k
			if h.nm < 4 {
				return
			}
			h.nm = 0
			m := binary.BigEndian.Uint32(h.marker[:])
			h.last, h.fragLeft = m&0x80000000 != 0, int(m&0x7fffffff)
			if h.fragLeft > maxFragment || len(h.buf)+h.fragLeft > maxFragment || (h.fragLeft == 0 && h.last && len(h.buf) == 0) {
				if !h.proven {
					h.state = stNotRPC
					t.NotRPC++
					return
				}
				t.h.Warn(h.first.Number, fmt.Sprintf("record marker %#08x in %s is not plausible: RPC framing lost, looking for the next record", m, dirName(cs.c, fromA)))
				h.reset(t)
				h.state = stResync
				off = max(0, off-3)
				continue
			}
			h.state = stFragment
		case stFragment:
			n := min(h.fragLeft, len(data)-off)
			if h.last && len(h.buf) == 0 && n == h.fragLeft {
				// The whole record is in this chunk: no copy.
				rec := data[off : off+n]
				cut := ch.Cut(off, off+n)
				if cut >= 0 {
					cut -= off
				}
				h.fragLeft = 0
				h.state = stMarker
				t.record(cs, h, fromA, rec, h.first, ch.FrameAt(off+n-1), cut)
				off += n
				continue
			}
			if h.cutAt < 0 {
				if c := ch.Cut(off, off+n); c >= 0 {
					h.cutAt = len(h.buf) + c - off
				}
			}
			h.keep(t, data[off:off+n])
			h.fragLeft -= n
			off += n
			if h.fragLeft > 0 {
				return
			}
			h.state = stMarker
			if h.last {
				t.record(cs, h, fromA, h.buf, h.first, ch.FrameAt(off-1), h.cutAt)
				h.reset(t)
			}
		}
	}
}

// resync looks for a record start: a marker with the last-fragment bit
// and a plausible length, followed by a call of a known program or a
// reply to a pending call. It returns how far into the chunk it got.
func (h *half) resync(t *Tracker, cs *conn, fromA bool, ch *capture.Chunk, off int) int {
	start := len(h.buf)
	h.keep(t, ch.Data[off:])
	for p := 0; p+24 <= len(h.buf); p++ {
		if looksLikeRecord(t, cs, fromA, h.buf[p:]) {
			// Re-feed from the boundary: the bytes before it are lost.
			if p >= start {
				// The boundary lies in this chunk.
				h.drop(t)
				h.state = stMarker
				h.proven = true
				return off + (p - start)
			}
			// The boundary began in earlier data: replay the kept tail.
			tail := slices.Clone(h.buf[p:start])
			h.drop(t)
			h.state = stMarker
			h.proven = true
			h.feed(t, cs, fromA, capture.NewChunk(tail, ch.FrameAt(off)))
			return off
		}
	}
	if len(h.buf) > resyncWindow {
		h.buf = append(h.buf[:0], h.buf[len(h.buf)-24:]...)
	}
	return len(ch.Data)
}

func looksLikeRecord(t *Tracker, cs *conn, fromA bool, b []byte) bool {
	m := binary.BigEndian.Uint32(b)
	if m&0x80000000 == 0 || int(m&0x7fffffff) > maxFragment || m&0x7fffffff < 20 {
		return false
	}
	xid := binary.BigEndian.Uint32(b[4:])
	switch binary.BigEndian.Uint32(b[8:]) {
	case msgCall:
		return binary.BigEndian.Uint32(b[12:]) == 2 &&
			t.h.KnownProgram(binary.BigEndian.Uint32(b[16:]), binary.BigEndian.Uint32(b[20:]))
	case msgReply:
		_, ok := cs.pending[pendKey{!fromA, xid}]
		return ok && binary.BigEndian.Uint32(b[12:]) <= replyDenied
	}
	return false
}

// sortPending puts calls in the order of their frames, and calls that
// one frame completed in the order they were read.
func sortPending(ps []*Pending) {
	slices.SortFunc(ps, func(a, b *Pending) int {
		return cmp.Or(a.Frame.Number-b.Frame.Number, cmp.Compare(a.order, b.order))
	})
}

// Spare record buffers: how many the tracker keeps, and the largest it
// keeps (Linux nfsd's largest record is 1 MiB of data plus headers).
const (
	maxSpareBufs = 8
	maxSpareBuf  = 4 << 20
)

func (t *Tracker) getBuf() []byte {
	n := len(t.bufs)
	if n == 0 {
		return nil
	}
	b := t.bufs[n-1]
	t.bufs[n-1] = nil
	t.bufs = t.bufs[:n-1]
	return b
}

func (t *Tracker) putBuf(b []byte) {
	if cap(b) > 0 && cap(b) <= maxSpareBuf && len(t.bufs) < maxSpareBufs {
		t.bufs = append(t.bufs, b[:0])
	}
}
