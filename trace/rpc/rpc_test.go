package rpc

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"

	"github.com/delegsim/delegsim/trace/capture"
)

type recorder struct {
	calls, replies []uint32 // xids
	matched        int
	unanswered     int
	replaced       int
	unansweredXIDs []uint32
	warnings       []string
}

func (r *recorder) Call(m *Msg) any { r.calls = append(r.calls, m.XID); return m.XID }
func (r *recorder) Reply(m *Msg, p *Pending) {
	r.replies = append(r.replies, m.XID)
	if p != nil && p.User.(uint32) == m.XID {
		r.matched++
	}
}
func (r *recorder) Unanswered(p *Pending) {
	r.unanswered++
	r.unansweredXIDs = append(r.unansweredXIDs, p.XID)
}
func (r *recorder) Replaced(*Pending)                   { r.replaced++ }
func (r *recorder) Warn(frame int, text string)         { r.warnings = append(r.warnings, text) }
func (r *recorder) KnownProgram(prog, vers uint32) bool { return prog == 100003 }
func (r *recorder) Closed(*capture.Conn)                {}

func be(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// call is an RPC call record body: xid, CALL, version 2, NFS v4
// COMPOUND, AUTH_NONE credential and verifier, then args.
func call(xid uint32, args ...uint32) []byte {
	return append(be(xid, 0, 2, 100003, 4, 1, 0, 0, 0, 0), be(args...)...)
}

func reply(xid uint32) []byte { return be(xid, 1, 0, 0, 0, 0, 0) }

// mark frames a body as one record of the given fragments' sizes.
func mark(body []byte, frags ...int) []byte {
	var out []byte
	for i, n := range frags {
		m := uint32(n)
		if i == len(frags)-1 {
			m |= 0x80000000
		}
		out = append(out, be(m)...)
		out = append(out, body[:n]...)
		body = body[n:]
	}
	return out
}

func newConn() *capture.Conn {
	return &capture.Conn{ID: 1, SYN: true, A: netip.MustParseAddrPort("10.0.0.2:705"), B: netip.MustParseAddrPort("10.0.0.1:2049")}
}

// feed delivers data in chunks of the given size.
func feed(tr *Tracker, c *capture.Conn, fromA bool, data []byte, chunk int) {
	for len(data) > 0 {
		n := min(chunk, len(data))
		tr.Data(c, fromA, capture.NewChunk(data[:n], capture.Frame{Number: 1}))
		data = data[n:]
	}
}

// Records are split into fragments and across TCP segments however they
// like (RFC 5531 §11); calls match replies by xid on the connection,
// whichever side calls (the NFSv4.1 backchannel runs the other way).
func TestRecordMarkingAndXIDs(t *testing.T) {
	for _, chunk := range []int{1, 3, 7, 1000} {
		r := &recorder{}
		tr := NewTracker(r)
		c := newConn()
		c1 := call(7, 1, 2, 3)
		feed(tr, c, true, append(mark(c1, 8, len(c1)-8), mark(call(8), len(call(8)))...), chunk)
		feed(tr, c, false, append(mark(reply(8), 28), mark(call(99), 40)...), chunk) // a backchannel call from B
		feed(tr, c, true, mark(reply(99), 28), chunk)
		tr.Closed(c)
		if len(r.calls) != 3 || r.matched != 2 || r.unanswered != 1 || len(r.warnings) != 0 {
			t.Errorf("chunk %d: calls %v replies %v matched %d unanswered %d warnings %v", chunk, r.calls, r.replies, r.matched, r.unanswered, r.warnings)
		}
	}
}

// A stream that is not RPC (whatever its port) is dropped at its first
// record; a reply to no call in a stream that began with a SYN is not RPC
// either.
func TestNotRPC(t *testing.T) {
	r := &recorder{}
	tr := NewTracker(r)
	c := newConn()
	feed(tr, c, true, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 100)
	feed(tr, c, false, mark(reply(5), 28), 100)
	if len(r.calls)+len(r.replies) != 0 || tr.NotRPC != 2 {
		t.Errorf("calls %v replies %v notRPC %d", r.calls, r.replies, tr.NotRPC)
	}
}

// After bytes go missing the stream finds the next record that starts a
// call of a known program, with a warning.
func TestResyncAfterGap(t *testing.T) {
	r := &recorder{}
	tr := NewTracker(r)
	c := newConn()
	first := mark(call(1, 5, 5, 5, 5), 56)
	feed(tr, c, true, first[:20], 100)
	tr.Gap(c, true, 36, capture.Frame{Number: 2})
	feed(tr, c, true, append([]byte{0xde, 0xad}, mark(call(2), 40)...), 100)
	if len(r.calls) != 1 || r.calls[0] != 2 || len(r.warnings) != 1 {
		t.Errorf("calls %v warnings %v", r.calls, r.warnings)
	}
}

// A corrupt header in an RPC stream costs that record only.
func TestCorruptHeaderIsAWarning(t *testing.T) {
	r := &recorder{}
	tr := NewTracker(r)
	c := newConn()
	bad := be(3, 7, 7, 7, 7, 7) // message type 7
	feed(tr, c, true, append(append(mark(call(1), 40), mark(bad, len(bad))...), mark(call(2), 40)...), 100)
	if len(r.calls) != 2 || len(r.warnings) != 1 {
		t.Errorf("calls %v warnings %v", r.calls, r.warnings)
	}
}

// Calls that end in one segment and get no answer are reported in the
// order they were sent, however the tracker keeps them: a trace must be
// the same from run to run.
func TestUnansweredInCallOrder(t *testing.T) {
	var want []uint32
	var data []byte
	for i := range uint32(12) {
		xid := 0x9e3779b9 * (i + 1) // scattered, so that no map keeps them sorted by chance
		want = append(want, xid)
		data = append(data, mark(call(xid), 40)...)
	}
	for run := range 20 {
		r := &recorder{}
		tr := NewTracker(r)
		c := newConn()
		feed(tr, c, true, data, len(data))
		tr.Closed(c)
		if !slices.Equal(r.unansweredXIDs, want) {
			t.Fatalf("run %d: unanswered %x, want the call order %x", run, r.unansweredXIDs, want)
		}
	}
}

// A call retransmitted under the same xid before its reply (the client's
// RPC timeout, a reconnect) replaces the first: the handler hears that the
// first is gone, and the reply matches the retransmission.
func TestRetransmissionReplacesTheCall(t *testing.T) {
	r := &recorder{}
	tr := NewTracker(r)
	c := newConn()
	feed(tr, c, true, append(mark(call(5), 40), mark(call(5), 40)...), 100)
	feed(tr, c, false, mark(reply(5), 28), 100)
	tr.Closed(c)
	if len(r.calls) != 2 || r.replaced != 1 || r.matched != 1 || r.unanswered != 0 {
		t.Errorf("calls %v, replaced %d, matched %d, unanswered %d: want 2 calls, the first replaced, the reply matched", r.calls, r.replaced, r.matched, r.unanswered)
	}
}
