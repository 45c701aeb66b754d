package trace

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/delegsim/delegsim/trace/capture"
	"github.com/delegsim/delegsim/trace/nfs4"
	"github.com/delegsim/delegsim/trace/rpc"
)

// ErrInput is wrapped by the errors of input that cannot be read as a
// capture at all (not pcap or pcapng, cut in a header, unreadable).
var ErrInput = errors.New("unreadable capture")

// Exchange is one NFSv4 RPC of the capture: a COMPOUND (or NULL) call
// from a client to the server, or a CB_COMPOUND (or CB_NULL) call from the
// server to a client, with its reply.
type Exchange struct {
	Index      int // position in call order, from 0
	Conn       int // capture connection
	Client     int // index in Capture.Clients, -1 if unknown
	Callback   bool
	XID        uint32
	Proc       uint32 // NULL or COMPOUND
	CallFrame  int
	ReplyFrame int           // 0 if no reply is in the capture
	CallAt     time.Duration // from the capture's first packet
	ReplyAt    time.Duration
	Call       *nfs4.Compound // nil for NULL or undecodable calls
	Reply      *nfs4.Compound // nil if no reply, NULL, or not decodable
	RPCError   string         // the reply was an RPC-level rejection
	Minor      int            // the COMPOUND's minor version (fore channel)

	mem *nfs4.Arena // the compounds' memory, when Decode streams exchanges
	// While it waits to be handed on in call order (see release):
	cr     *connRec
	done   bool   // answered, or known to stay unanswered
	doneAt uint64 // order of completion, for calls of one frame
	gaveUp bool   // handed on as unanswered before its reply came
}

// Answered reports whether the reply is in the capture.
func (e *Exchange) Answered() bool { return e.ReplyFrame > 0 }

// Status returns the compound's status, NFS4_OK if none.
func (e *Exchange) Status() nfs4.Status {
	if e.Reply == nil {
		return nfs4.OK
	}
	return e.Reply.Status
}

// Name names the exchange by its main operation: "OPEN", "CB_RECALL",
// "NULL". The main operation is the last one that is not plumbing
// (SEQUENCE, PUTFH, GETFH, SAVEFH, ACCESS, ...) or GETATTR; GETATTR if
// that is all there is.
func (e *Exchange) Name() string {
	switch {
	case e.Proc == nfs4.ProcNull && e.Callback:
		return "CB_NULL"
	case e.Proc == nfs4.ProcNull:
		return "NULL"
	case e.Call == nil || len(e.Call.Ops) == 0:
		if e.Callback {
			return "CB_COMPOUND"
		}
		return "COMPOUND"
	}
	if e.Callback {
		for _, op := range e.Call.Ops {
			if op.Code != nfs4.CBSequence {
				return op.OpName()
			}
		}
		return "CB_SEQUENCE"
	}
	main := ""
	for _, op := range e.Call.Ops {
		switch {
		case plumbing[op.Code]:
		case op.Code == nfs4.OpGetattr:
			if main == "" {
				main = "GETATTR"
			}
		default:
			main = op.OpName()
		}
	}
	if main == "" {
		main = e.Call.Ops[len(e.Call.Ops)-1].OpName()
	}
	return main
}

var plumbing = map[nfs4.Opcode]bool{nfs4.OpSequence: true, nfs4.OpPutFH: true, nfs4.OpPutRootFH: true,
	nfs4.OpPutPubFH: true, nfs4.OpGetFH: true, nfs4.OpSaveFH: true, nfs4.OpRestoreFH: true, nfs4.OpAccess: true}

// Client is one NFS client as the capture shows it.
type Client struct {
	Name     string   // "c1", "c2", in order of appearance
	Addr     string   // its address on its first connection
	Owner    string   // co_ownerid / nfs_client_id4 id
	Minor    int      // NFSv4 minor version (highest seen)
	ClientID []uint64 // clientids the server gave it
	Sessions int      // sessions created
}

// Warning is a problem with part of the capture that did not stop the
// decoding.
type Warning struct {
	Frame int    `json:"frame"`
	Text  string `json:"text"`
}

func (w Warning) String() string {
	if w.Frame > 0 {
		return fmt.Sprintf("frame %d: %s", w.Frame, w.Text)
	}
	return w.Text
}

// Capture is a decoded capture: its clients and NFS exchanges in call
// order.
type Capture struct {
	File      string
	Start     time.Time
	Frames    int
	Bytes     int64
	Snaplen   int
	LinkType  string
	Clients   []Client
	Exchanges []Exchange // empty if Decode streamed them
	Decoded   int        // exchanges decoded, kept or streamed
	Warnings  []Warning
	Conns     []ConnInfo // the connections that carried NFS, by ID
}

// ConnInfo is what a TCP connection's handshake and roles tell.
type ConnInfo struct {
	ID       int
	Client   int  // the client on it, -1 if unknown
	Callback bool // an NFSv4.0 callback connection (server → client)
	Loopback bool
	// Handshake gaps (SYN → SYN-ACK, SYN-ACK → ACK); zero if not seen.
	SynAck, Ack time.Duration
}

// Options tune Decode.
type Options struct {
	// Exchange, if set, receives the exchanges one by one, and Decode
	// keeps none: memory stays flat however long the capture. They come
	// exactly as Decode would keep them, in call order with Index and
	// Client set, each once its reply (or the end of its connection) is
	// seen and every call before it has been handed on. The exchange
	// and the compounds it points to are valid only during the call:
	// Decode reuses their memory for later exchanges, so that a capture
	// of any length costs next to no allocation. Copy what must outlive
	// the call.
	Exchange func(*Exchange)
}

// Exchanges are handed on in call order (the order of their calls'
// frames), whether kept or streamed, so an exchange waits for the calls
// before it to be answered. maxHeld bounds that wait: with more
// exchanges than this waiting, the first call still unanswered is handed
// on as unanswered (a reply that comes later is reported as a warning
// and otherwise ignored), and an exchange waiting for its connection to
// name its client goes on without one. A reply that takes a thousand
// other exchanges to come is lost to the capture in practice (tcpdump
// dropped it); the bound keeps a lost reply from holding the rest of a
// long capture in memory.
const maxHeld = 1024

// maxWarnings bounds the warnings kept: a capture cut by a small
// snapshot length would otherwise warn about every compound.
const maxWarnings = 1000

// Decode reads a capture and decodes its NFSv4 traffic. name is used in
// messages. It returns an error wrapping ErrInput if r cannot be read as
// a capture; frames it cannot decode become warnings.
func Decode(r io.Reader, name string, o Options) (*Capture, error) {
	return newDecoder(name, o).run(r)
}

// run reads the capture.
func (d *decoder) run(r io.Reader) (*Capture, error) {
	name := d.cap.File
	tr := rpc.NewTracker(d)
	d.tr = tr
	st, err := capture.Read(r, tr, capture.Options{
		Warn:  func(w capture.Warning) { d.warn(w.Frame, w.Text) },
		First: func(t time.Time) { d.cap.Start = t },
	})
	d.cap.Frames, d.cap.Bytes, d.cap.Snaplen, d.cap.LinkType = st.Packets, st.Bytes, st.Snaplen, st.LinkType
	if err != nil {
		if errors.Is(err, capture.ErrFormat) && st.Packets == 0 {
			return nil, fmt.Errorf("%s: %w: %w", name, ErrInput, err)
		}
		if errors.Is(err, capture.ErrFormat) {
			// Cut short after some packets: keep what was read.
			d.warn(0, fmt.Sprintf("%v; decoded the %d frames before it", err, st.Packets))
		} else {
			return nil, fmt.Errorf("%s: %w: %w", name, ErrInput, err)
		}
	}
	if st.Cut > 0 {
		d.warn(0, fmt.Sprintf("%d TCP segments were cut by the capture's snapshot length (%d bytes): capture with tcpdump -s 0 to see everything", st.Cut, st.Snaplen))
	}
	d.finish()
	return d.cap, nil
}

// decoder is the rpc.Handler that builds a Capture.
type decoder struct {
	cap *Capture
	o   Options
	tr  *rpc.Tracker
	mem nfs4.Arena // the decoded compounds, unless streamed
	// Exchanges waiting for their reply are taken from slab; streamed
	// ones come back to free once the consumer has seen them.
	slab []Exchange
	free []*Exchange

	// Exchanges called and not yet handed on, in call order, from
	// queue[head]; completions counts answers (for doneAt).
	queue       []*Exchange
	head        int
	completions uint64
	dropped     int // warnings over maxWarnings

	conns    map[*capture.Conn]*connRec
	owners   map[string]int // owner → client
	ids      map[uint64]int // clientid → client
	sessions map[[16]byte]int
	cbIdents map[uint32]int         // SETCLIENTID callback_ident → client
	cbAddrs  map[netip.AddrPort]int // SETCLIENTID callback address → client
	cbProgs  map[uint32]bool
}

type connRec struct {
	info   ConnInfo
	conn   *capture.Conn
	client int
	// fromA of the endpoint that sends fore-channel calls, once known.
	clientSide, sideKnown bool
	// closed: the connection has ended, its client is what it is;
	// anonymous: its exchanges stopped waiting for it to name one.
	closed, anonymous bool
}

func newDecoder(name string, o Options) *decoder {
	return &decoder{cap: &Capture{File: name}, o: o, conns: map[*capture.Conn]*connRec{},
		owners: map[string]int{}, ids: map[uint64]int{}, sessions: map[[16]byte]int{},
		cbIdents: map[uint32]int{}, cbAddrs: map[netip.AddrPort]int{}, cbProgs: map[uint32]bool{nfs4.CallbackProgram: true}}
}

func (d *decoder) warn(frame int, text string) {
	if len(d.cap.Warnings) >= maxWarnings {
		d.dropped++
		return
	}
	d.cap.Warnings = append(d.cap.Warnings, Warning{Frame: frame, Text: text})
}

// Warn implements rpc.Handler.
func (d *decoder) Warn(frame int, text string) { d.warn(frame, text) }

// KnownProgram implements rpc.Handler.
func (d *decoder) KnownProgram(prog, vers uint32) bool {
	return (prog == nfs4.Program && vers == nfs4.Version) || (d.cbProgs[prog] && (vers == nfs4.CallbackVersion0 || vers == nfs4.CallbackVersion1))
}

func (d *decoder) conn(c *capture.Conn) *connRec {
	cr := d.conns[c]
	if cr == nil {
		cr = &connRec{conn: c, client: -1, info: ConnInfo{ID: c.ID, Client: -1, Loopback: c.Loopback()}}
		if c.SYN && c.SYNACK.Number > 0 {
			cr.info.SynAck = c.SYNACK.Time.Sub(c.SYNAt.Time)
			if c.ACKAt.Number > 0 {
				cr.info.Ack = c.ACKAt.Time.Sub(c.SYNACK.Time)
			}
		}
		d.conns[c] = cr
	}
	return cr
}

func (d *decoder) at(f capture.Frame) time.Duration { return f.Time.Sub(d.cap.Start) }

// Call implements rpc.Handler.
func (d *decoder) Call(m *rpc.Msg) any {
	cb := false
	switch {
	case m.Prog == nfs4.Program && m.Vers == nfs4.Version:
	case d.cbProgs[m.Prog] && (m.Vers == nfs4.CallbackVersion0 || m.Vers == nfs4.CallbackVersion1):
		cb = true
	default:
		return nil // another RPC program (MOUNT, NLM, ...): not ours
	}
	cr := d.conn(m.Conn)
	ex := d.newExchange()
	ex.Conn, ex.Client, ex.Callback, ex.XID, ex.Proc, ex.cr = m.Conn.ID, -1, cb, m.XID, m.Proc, cr
	ex.CallFrame, ex.CallAt = m.Frame.Number, d.at(m.Frame)
	if !cb && !cr.sideKnown {
		cr.clientSide, cr.sideKnown = m.FromA, true
	}
	if cb && !cr.sideKnown {
		// A connection whose first NFS traffic is a callback call is an
		// NFSv4.0 callback connection: the server is its caller.
		cr.clientSide, cr.sideKnown = !m.FromA, true
		cr.info.Callback = true
	}
	if cb && cr.info.Callback && cr.client < 0 {
		// Tie it to the client whose SETCLIENTID registered the
		// callee's address (RFC 7530 §16.33.1: cb_location).
		callee := m.Conn.A
		if m.FromA {
			callee = m.Conn.B
		}
		if v, ok := d.cbAddrs[callee]; ok {
			cr.client = v
		}
	}
	ex.Client = cr.client
	if m.Proc == nfs4.ProcCompound {
		switch {
		case m.Opaque:
			d.warn(m.Frame.Number, "RPCSEC_GSS privacy: the compound is encrypted and not decoded")
		default:
			ex.Call = d.arena(ex).DecodeCall(m.Body, m.CutAt, cb)
			d.compoundWarning(m, ex.Call, "call")
			ex.Minor = int(ex.Call.Minor)
			d.learnCall(cr, m, ex)
		}
	}
	d.queue = append(d.queue, ex)
	// The call may have named its connection's client, which calls
	// waiting before it needed.
	d.release()
	return ex
}

// newExchange returns a zero exchange to fill: from a slab if exchanges
// are kept (they are copied into the capture when handed on), reused if
// they are streamed.
func (d *decoder) newExchange() *Exchange {
	if d.o.Exchange != nil {
		if n := len(d.free); n > 0 {
			ex := d.free[n-1]
			d.free = d.free[:n-1]
			return ex
		}
		return &Exchange{mem: new(nfs4.Arena)}
	}
	if len(d.slab) == 0 {
		d.slab = make([]Exchange, 128)
	}
	ex := &d.slab[0]
	d.slab = d.slab[1:]
	return ex
}

// arena is where ex's compounds go: its own arena if exchanges are
// streamed (reset when it is reused), else the decoder's.
func (d *decoder) arena(ex *Exchange) *nfs4.Arena {
	if ex.mem != nil {
		return ex.mem
	}
	return &d.mem
}

// Reply implements rpc.Handler.
func (d *decoder) Reply(m *rpc.Msg, call *rpc.Pending) {
	if call == nil {
		return
	}
	ex, ok := call.User.(*Exchange)
	if !ok || ex == nil {
		return
	}
	if ex.gaveUp {
		d.lateReply(m, ex)
		return
	}
	ex.ReplyFrame, ex.ReplyAt = m.Frame.Number, d.at(m.Frame)
	switch {
	case !m.Accepted:
		ex.RPCError = fmt.Sprintf("RPC call rejected (reject_stat %d)", m.RejectStat)
	case m.AcceptStat != rpc.Success:
		ex.RPCError = fmt.Sprintf("RPC call not accepted (accept_stat %d)", m.AcceptStat)
	case m.Opaque:
	case ex.Proc == nfs4.ProcCompound:
		ex.Reply = d.arena(ex).DecodeReply(m.Body, m.CutAt, ex.Callback)
		d.compoundWarning(m, ex.Reply, "reply")
		d.learnReply(d.conn(m.Conn), ex)
	}
	d.complete(ex)
}

// lateReply handles the reply to a call handed on as unanswered: what it
// says about the client is learnt, the rest is only a warning.
func (d *decoder) lateReply(m *rpc.Msg, ex *Exchange) {
	d.warn(m.Frame.Number, fmt.Sprintf("the reply to the call of frame %d (xid %#08x) came after %d later calls had been answered; the story counts the call as unanswered", ex.CallFrame, ex.XID, maxHeld))
	if m.Accepted && m.AcceptStat == rpc.Success && !m.Opaque && ex.Proc == nfs4.ProcCompound && ex.Call != nil {
		ex.Reply = d.arena(ex).DecodeReply(m.Body, m.CutAt, ex.Callback)
		d.learnReply(d.conn(m.Conn), ex)
	}
	d.recycle(ex)
}

// Unanswered implements rpc.Handler.
func (d *decoder) Unanswered(call *rpc.Pending) {
	if ex, ok := call.User.(*Exchange); ok && ex != nil {
		if ex.gaveUp {
			d.recycle(ex)
			return
		}
		d.complete(ex)
	}
}

// Replaced implements rpc.Handler: a call retransmitted under its xid is
// dropped, and the retransmission stands for it.
func (d *decoder) Replaced(call *rpc.Pending) {
	ex, ok := call.User.(*Exchange)
	if !ok || ex == nil {
		return
	}
	if !ex.gaveUp {
		for i := len(d.queue) - 1; i >= d.head; i-- {
			if d.queue[i] == ex {
				d.queue = slices.Delete(d.queue, i, i+1)
				break
			}
		}
	}
	d.recycle(ex)
	d.release()
}

// complete marks ex answered (or never to be) and hands on what can go.
func (d *decoder) complete(ex *Exchange) {
	ex.done, ex.doneAt = true, d.completions
	d.completions++
	d.release()
}

// release hands on the exchanges at the head of the queue that are
// ready: the calls of the first frame, once all of them are answered
// and know their client, in the order of their answers (the order of a
// stable sort of answered exchanges by call frame). Past maxHeld waiting
// exchanges, the head goes on as it is.
func (d *decoder) release() {
	defer d.compact()
	for d.head < len(d.queue) {
		q := d.queue[d.head:]
		n := 1
		for n < len(q) && q[n].CallFrame == q[0].CallFrame {
			n++
		}
		group := q[:n]
		ready := true
		for _, ex := range group {
			ready = ready && ex.done && d.resolved(ex)
		}
		if !ready {
			if len(q) <= maxHeld {
				return
			}
			for _, ex := range group {
				if !ex.done {
					ex.gaveUp = true
					ex.done, ex.doneAt = true, d.completions
					d.completions++
				}
				if !d.resolved(ex) {
					ex.cr.anonymous = true
				}
			}
		}
		slices.SortStableFunc(group, func(a, b *Exchange) int { return cmp.Compare(a.doneAt, b.doneAt) })
		for _, ex := range group {
			d.emit(ex)
		}
		clear(group)
		d.head += n
	}
}

// compact moves the queue's waiting exchanges to the front of its memory
// once the ones handed on take half of it, so that the queue's memory is
// reused, not reallocated as it slides.
func (d *decoder) compact() {
	switch {
	case d.head == len(d.queue):
		d.queue, d.head = d.queue[:0], 0
	case d.head > 64 && 2*d.head >= len(d.queue):
		n := copy(d.queue, d.queue[d.head:])
		clear(d.queue[n:])
		d.queue, d.head = d.queue[:n], 0
	}
}

// resolved reports whether ex knows its client, or will never learn it:
// a NULL call is made before its connection says whose it is.
func (d *decoder) resolved(ex *Exchange) bool {
	if ex.Client >= 0 || ex.cr == nil {
		return true
	}
	if ex.cr.client >= 0 {
		ex.Client = ex.cr.client
		return true
	}
	return ex.cr.closed || ex.cr.anonymous
}

// emit hands ex on: to the consumer, or into the capture.
func (d *decoder) emit(ex *Exchange) {
	ex.Index = d.cap.Decoded
	d.cap.Decoded++
	if d.o.Exchange == nil {
		d.cap.Exchanges = append(d.cap.Exchanges, *ex)
		d.cap.Exchanges[len(d.cap.Exchanges)-1].cr = nil
		return
	}
	d.o.Exchange(ex)
	if !ex.gaveUp {
		d.recycle(ex)
	}
}

// recycle takes back a streamed exchange's memory.
func (d *decoder) recycle(ex *Exchange) {
	if d.o.Exchange == nil {
		return
	}
	mem := ex.mem
	mem.Reset()
	*ex = Exchange{mem: mem}
	d.free = append(d.free, ex)
}

// Closed implements rpc.Handler: the connection's record is kept as a
// ConnInfo, and exchanges waiting for it to name its client go on.
func (d *decoder) Closed(c *capture.Conn) {
	cr := d.conns[c]
	if cr == nil {
		return
	}
	delete(d.conns, c)
	cr.closed = true
	cr.info.Client = cr.client
	d.cap.Conns = append(d.cap.Conns, cr.info)
	d.release()
}

func (d *decoder) compoundWarning(m *rpc.Msg, c *nfs4.Compound, what string) {
	if c.Err == nil {
		return
	}
	kind := "COMPOUND"
	if c.Callback {
		kind = "CB_COMPOUND"
	}
	if c.Err.Cut() {
		d.warn(m.Frame.Number, fmt.Sprintf("%s %s cut by the capture's snapshot length at op #%d %s: %d of its %d operations decoded", kind, what, c.Err.Index+1, c.Err.Op, len(c.Ops), c.NumOps))
		return
	}
	d.warn(m.Frame.Number, fmt.Sprintf("%s %s (xid %#08x): %v", kind, what, m.XID, c.Err))
}

// finish hands on what is left (every connection has closed by now) and
// sorts the connections and warnings.
func (d *decoder) finish() {
	for _, ex := range d.queue[d.head:] {
		if !ex.done {
			ex.done, ex.doneAt = true, d.completions
			d.completions++
		}
		if ex.cr != nil {
			ex.cr.anonymous = true
		}
	}
	d.release()
	slices.SortFunc(d.cap.Conns, func(a, b ConnInfo) int { return a.ID - b.ID })
	slices.SortStableFunc(d.cap.Warnings, func(a, b Warning) int { return a.Frame - b.Frame })
	if d.dropped > 0 {
		d.cap.Warnings = append(d.cap.Warnings, Warning{Text: fmt.Sprintf("%d more warnings left out (the first %d are listed)", d.dropped, maxWarnings)})
	}
}
