// Package rpc reads ONC RPC (RFC 5531) over TCP from the byte streams of a
// capture: it splits each direction into records by record marking
// (RFC 5531 §11, fragments joined), decodes call and reply headers, and
// matches each reply to its call by xid within the connection.
//
// Streams are recognised as RPC by their content, never by port: a
// direction is RPC if its first record is a well-formed call (RPC version
// 2) or a reply to a call seen on the other direction. Calls go both ways
// on one connection when NFSv4.1 callbacks use the backchannel
// (RFC 8881 §2.10.3.1). A stream whose start is missing from the capture,
// or that loses bytes, is resynchronised on the next record that looks
// like a call of a known program or a reply to a pending call.
package rpc

import (
	"encoding/binary"
	"fmt"

	"github.com/delegsim/delegsim/trace/capture"
)

// Message types and reply states (RFC 5531 §9).
const (
	msgCall  = 0
	msgReply = 1

	replyAccepted = 0
	replyDenied   = 1
)

// AcceptStat values (RFC 5531 §9).
const (
	Success      = 0
	ProgUnavail  = 1
	ProgMismatch = 2
	ProcUnavail  = 3
	GarbageArgs  = 4
	SystemErr    = 5
)

// Auth flavors.
const (
	AuthNone = 0
	AuthSys  = 1
	AuthGSS  = 6 // RPCSEC_GSS (RFC 2203)
)

// RPCSEC_GSS services (RFC 2203 §5).
const (
	gssNone      = 1
	gssIntegrity = 2
	gssPrivacy   = 3
)

// maxFragment bounds a plausible record fragment. Linux nfsd's largest
// payload is 1 MiB plus headers; a bigger marker is not RPC.
const maxFragment = 16 << 20

// Header is a decoded RPC call or reply header.
type Header struct {
	XID  uint32
	Call bool
	// Calls.
	Prog, Vers, Proc uint32
	Flavor           uint32 // credential flavor
	GSSService       uint32 // for RPCSEC_GSS: 1 none, 2 integrity, 3 privacy
	GSSData          bool   // RPCSEC_GSS data call (not context setup)
	// Replies.
	Accepted   bool   // MSG_ACCEPTED
	AcceptStat uint32 // if Accepted
	RejectStat uint32 // if not
}

// Msg is one RPC message: its header, its procedure arguments or results
// (Body), and where in the capture it is.
type Msg struct {
	Header
	Conn  *capture.Conn
	FromA bool          // sent by the connection's endpoint A
	First capture.Frame // frame of the record's first byte
	Frame capture.Frame // frame that completed the record (Wireshark's frame for the message)
	Body  []byte        // valid only during the Handler call
	// CutAt is the offset in Body of the first byte the capture's
	// snapshot length cut off (zero padding from there), or -1.
	CutAt int
	Len   int // record length in bytes
	// Opaque is set when the body cannot be read (RPCSEC_GSS privacy).
	Opaque bool
}

// Pending is a call waiting for its reply.
type Pending struct {
	Header
	Conn  *capture.Conn
	FromA bool
	Frame capture.Frame
	User  any    // what Handler.Call returned
	order uint64 // call order in the capture: ties in Frame (several calls in one segment) keep it
}

// Handler receives the messages of a capture.
type Handler interface {
	// Call is called for every call; what it returns is kept with the
	// pending call and handed to Reply.
	Call(m *Msg) any
	// Reply is called for every reply; call is its call, or nil if the
	// call is not in the capture. call is valid only during the Reply:
	// the tracker reuses it.
	Reply(m *Msg, call *Pending)
	// Unanswered is called at the end of a connection for each call that
	// got no reply on it, in call order; call is valid only during the
	// call.
	Unanswered(call *Pending)
	// Replaced is called for a call that a retransmission under the same
	// xid replaced before it was answered: it will get neither Reply nor
	// Unanswered. call is valid only during the call.
	Replaced(call *Pending)
	// Warn reports a problem with one frame.
	Warn(frame int, text string)
	// KnownProgram says whether prog/vers is one the handler decodes;
	// used to resynchronise a stream on a call.
	KnownProgram(prog, vers uint32) bool
	// Closed is called once a connection has ended, after Unanswered.
	Closed(c *capture.Conn)
}

// Tracker implements capture.Sink: it reads RPC from every TCP connection
// and reports messages to a Handler.
type Tracker struct {
	h     Handler
	conns map[*capture.Conn]*conn
	// Records counts complete records; NotRPC counts directions found not
	// to carry RPC.
	Records, NotRPC int

	// Memory reused from record to record: a capture holds millions of
	// them, and each would otherwise cost allocations.
	msg      Msg        // the message being handed to the handler
	free     []*Pending // answered calls
	bufs     [][]byte   // buffers of records that span segments, not in use
	calls    uint64     // calls seen, for Pending.order
	unanswer []*Pending
}

// NewTracker returns a tracker reporting to h.
func NewTracker(h Handler) *Tracker {
	return &Tracker{h: h, conns: map[*capture.Conn]*conn{}}
}

type pendKey struct {
	fromA bool // the caller's side
	xid   uint32
}

type conn struct {
	c       *capture.Conn
	halves  [2]half // [0]: from B, [1]: from A
	pending map[pendKey]*Pending
}

func (t *Tracker) conn(c *capture.Conn) *conn {
	cs := t.conns[c]
	if cs == nil {
		cs = &conn{c: c, pending: map[pendKey]*Pending{}}
		for i := range cs.halves {
			cs.halves[i].cutAt = -1
			if !c.SYN {
				cs.halves[i].state = stResync
			}
		}
		t.conns[c] = cs
	}
	return cs
}

func side(fromA bool) int {
	if fromA {
		return 1
	}
	return 0
}

// Data implements capture.Sink.
func (t *Tracker) Data(c *capture.Conn, fromA bool, ch *capture.Chunk) {
	cs := t.conn(c)
	cs.halves[side(fromA)].feed(t, cs, fromA, ch)
}

// Gap implements capture.Sink: bytes are missing, so the record being
// read is lost and the next record boundary must be found again.
func (t *Tracker) Gap(c *capture.Conn, fromA bool, n int, at capture.Frame) {
	cs := t.conn(c)
	h := &cs.halves[side(fromA)]
	if h.state == stNotRPC {
		return
	}
	if h.state != stMarker || h.nm > 0 || len(h.buf) > 0 {
		t.h.Warn(at.Number, fmt.Sprintf("%d bytes of %s missing from the capture before this frame: the RPC record in progress is lost", n, dirName(c, fromA)))
	} else {
		t.h.Warn(at.Number, fmt.Sprintf("%d bytes of %s missing from the capture before this frame", n, dirName(c, fromA)))
	}
	h.reset(t)
	h.state = stResync
}

// Closed implements capture.Sink.
func (t *Tracker) Closed(c *capture.Conn) {
	cs := t.conns[c]
	if cs == nil {
		t.h.Closed(c)
		return
	}
	for _, h := range cs.halves {
		if h.state == stFragment && h.records > 0 {
			t.h.Warn(h.first.Number, fmt.Sprintf("%s ends inside an RPC record begun in this frame (%d bytes of it in the capture)", dirName(c, h.fromA), len(h.buf)))
		}
	}
	// Report unanswered calls in call order.
	un := t.unanswer[:0]
	for _, p := range cs.pending {
		un = append(un, p)
	}
	sortPending(un)
	for _, p := range un {
		t.h.Unanswered(p)
		t.release(p)
	}
	clear(un)
	t.unanswer = un[:0]
	for i := range cs.halves {
		cs.halves[i].drop(t)
	}
	delete(t.conns, c)
	t.h.Closed(c)
}

func dirName(c *capture.Conn, fromA bool) string {
	if fromA {
		return fmt.Sprintf("the stream %s → %s", c.A, c.B)
	}
	return fmt.Sprintf("the stream %s → %s", c.B, c.A)
}

// record handles one complete record.
func (t *Tracker) record(cs *conn, h *half, fromA bool, rec []byte, first, last capture.Frame, cutAt int) {
	t.Records++
	m := &t.msg
	*m = Msg{Conn: cs.c, FromA: fromA, First: first, Frame: last, CutAt: cutAt, Len: len(rec)}
	hdrLen, err := parseHeader(rec, &m.Header)
	isReply := err == nil && !m.Call
	var call *Pending
	if isReply {
		call = cs.pending[pendKey{!fromA, m.XID}]
	}
	if h.records == 0 && !h.proven {
		// The first record decides whether this direction is RPC at all.
		if err != nil || (isReply && call == nil) {
			h.state = stNotRPC
			t.NotRPC++
			return
		}
		h.proven = true
	}
	h.records++
	if err != nil {
		t.h.Warn(last.Number, fmt.Sprintf("corrupt RPC header in %s: %v; record of %d bytes skipped", dirName(cs.c, fromA), err, len(rec)))
		return
	}
	body := rec[hdrLen:]
	if m.CutAt >= 0 {
		m.CutAt -= hdrLen
		if m.CutAt < 0 {
			t.h.Warn(last.Number, fmt.Sprintf("RPC header cut by the capture's snapshot length (record of %d bytes)", len(rec)))
			return
		}
	}
	// RPCSEC_GSS integrity wraps the body (RFC 2203 §5.3.2.2): an opaque
	// holding the sequence number and the arguments or results; privacy
	// encrypts it.
	service := m.GSSService
	if !m.Call && call != nil {
		service = call.GSSService
		m.Flavor = call.Flavor
	}
	if m.Flavor == AuthGSS || (call != nil && call.Flavor == AuthGSS) {
		switch service {
		case gssIntegrity:
			if len(body) >= 8 {
				n := int(binary.BigEndian.Uint32(body))
				if n >= 4 && 4+n <= len(body) {
					body = body[8 : 4+n]
					if m.CutAt >= 0 {
						m.CutAt -= 8
					}
				}
			}
		case gssPrivacy:
			m.Opaque = true
		}
	}
	m.Body = body
	if m.Call {
		p := t.pending()
		*p = Pending{Header: m.Header, Conn: cs.c, FromA: fromA, Frame: last, order: t.calls}
		t.calls++
		p.User = t.h.Call(m)
		if old := cs.pending[pendKey{fromA, m.XID}]; old != nil {
			// A retransmission under the same xid replaces the call.
			t.h.Replaced(old)
			t.release(old)
		}
		cs.pending[pendKey{fromA, m.XID}] = p
		return
	}
	if call != nil {
		delete(cs.pending, pendKey{!fromA, m.XID})
	}
	t.h.Reply(m, call)
	if call != nil {
		t.release(call)
	}
}

// pending returns a Pending to fill, reusing an answered one.
func (t *Tracker) pending() *Pending {
	if n := len(t.free); n > 0 {
		p := t.free[n-1]
		t.free = t.free[:n-1]
		return p
	}
	return new(Pending)
}

// release takes back a Pending the handler is done with.
func (t *Tracker) release(p *Pending) {
	*p = Pending{} // drop what it points to
	t.free = append(t.free, p)
}

// parseHeader decodes an RPC header and returns its length.
func parseHeader(b []byte, h *Header) (int, error) {
	r := reader{b: b}
	h.XID = r.u32()
	switch r.u32() {
	case msgCall:
		h.Call = true
		if v := r.u32(); v != 2 && r.ok() {
			return 0, fmt.Errorf("RPC version %d, not 2", v)
		}
		h.Prog, h.Vers, h.Proc = r.u32(), r.u32(), r.u32()
		h.Flavor = r.u32()
		cred := r.opaque(400)
		if h.Flavor == AuthGSS && len(cred) >= 16 {
			// rpc_gss_cred_vers_1_t: version, procedure, seq_num, service, handle.
			h.GSSData = binary.BigEndian.Uint32(cred[4:]) == 0
			h.GSSService = binary.BigEndian.Uint32(cred[12:])
		}
		r.u32() // verifier flavor
		r.opaque(400)
	case msgReply:
		switch r.u32() {
		case replyAccepted:
			h.Accepted = true
			r.u32()
			r.opaque(400)
			h.AcceptStat = r.u32()
			if h.AcceptStat == ProgMismatch {
				r.u32()
				r.u32()
			}
		case replyDenied:
			h.RejectStat = r.u32()
			r.u32()
			r.u32()
		default:
			if r.ok() {
				return 0, fmt.Errorf("reply state %d is neither accepted nor denied", b[11])
			}
		}
	default:
		if r.ok() {
			return 0, fmt.Errorf("message type %d is neither call nor reply", binary.BigEndian.Uint32(b[4:]))
		}
	}
	if !r.ok() {
		return 0, fmt.Errorf("record of %d bytes too short for its RPC header", len(b))
	}
	return r.off, nil
}

// reader is a minimal XDR reader for headers.
type reader struct {
	b   []byte
	off int
	bad bool
}

func (r *reader) ok() bool { return !r.bad }

func (r *reader) u32() uint32 {
	if r.bad || r.off+4 > len(r.b) {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *reader) opaque(max int) []byte {
	n := int(r.u32())
	if r.bad || n > max || r.off+n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += (n + 3) &^ 3
	if r.off > len(r.b) {
		r.bad = true
	}
	return v
}
