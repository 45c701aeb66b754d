package trace

import (
	"fmt"
	"strings"
	"time"

	"github.com/delegsim/delegsim/trace/nfs4"
)

// Build tells the delegation story of a decoded capture. It reads only
// c's clients, connections, warnings and exchanges, so stories can be
// built from exchanges made by hand. The story keeps everything: the
// timeline (Story.Events) and the observations (Story.Observations).
// Tell builds the same story as a capture streams.
func Build(c *Capture) *Story {
	b := newBuilder(c, buildOptions{timeline: true, observations: true})
	for i := range c.Exchanges {
		b.add(&c.Exchanges[i])
	}
	return b.finish()
}

// buildOptions say what of the story to keep besides what every output
// needs (delegations, opens, callbacks, errors, faults, figures): those
// grow with the number of exchanges, not of delegation events.
type buildOptions struct {
	timeline     bool // Story.Events, for text, Mermaid and HTML
	observations bool // Story.Observations, for the history check
}

type retryKey struct {
	client, file int
	op           string
}

// builder tells a story exchange by exchange, in call order (add), and
// finishes it once the capture has been read (finish).
type builder struct {
	c      *Capture // clients, connections and warnings (read as they grow)
	o      buildOptions
	st     *Story
	x      fileIndex
	files  map[uint32]int // file handle CRC → file
	names  map[string]int // name → file
	delegs map[string]int // stateid other → delegation
	retry  map[retryKey]int

	// What later exchanges look back at (see window.go).
	win      window
	quiet    quiet
	replies  replyTimes
	walk     walkBuf
	touches  []touch
	conns    map[[2]int]bool // (client, connection) seen
	nconns   map[int]int     // connections seen per client
	sessions map[int]int     // CREATE_SESSIONs answered NFS4_OK per client
	seqText  map[int]string  // the last SEQUENCE-flags fault per client
	opened   []bool          // by file: some client opened it
	byFile   map[int][]int   // file → its delegations, in order
	// CB_RECALLs that may restart the recall behind a local break.
	watch      map[watchKey][]restartWatch
	cbMonotone bool // callbacks were sent in call order
	getattrs   []pendingGetattr
	name       string // the exchange being told's Name
}

func newBuilder(c *Capture, o buildOptions) *builder {
	b := &builder{c: c, o: o, st: &Story{File: c.File},
		files: map[uint32]int{}, delegs: map[string]int{}, names: map[string]int{},
		retry: map[retryKey]int{}, conns: map[[2]int]bool{}, nconns: map[int]int{}, sessions: map[int]int{},
		seqText: map[int]string{}, byFile: map[int][]int{}, watch: map[watchKey][]restartWatch{}, cbMonotone: true}
	b.x = fileIndex{files: b.files, names: b.names, list: &b.st.Files}
	return b
}

// add tells exchange e, the next in call order.
func (b *builder) add(e *Exchange) {
	b.advance(e.CallAt)
	b.name = e.Name()
	b.noteConn(e)
	if e.Callback {
		b.callback(e)
	} else {
		b.fore(e)
	}
	b.st.End = max(b.st.End, e.CallAt, e.ReplyAt)
	b.told(e)
}

// advance moves the story's present to now, the call time of the next
// exchange: what no later exchange can change is settled.
func (b *builder) advance(now time.Duration) {
	b.win.prune(now)
	b.quiet.advance(now)
	b.replies.advance(now)
	if len(b.getattrs) > 0 {
		keep := b.getattrs[:0]
		for _, g := range b.getattrs {
			if g.replyAt < now {
				b.st.Events[g.event].Why = b.getattrWhy(g)
				continue
			}
			keep = append(keep, g)
		}
		b.getattrs = keep
	}
}

// told keeps what later exchanges need of e.
func (b *builder) told(e *Exchange) {
	b.quiet.note(e.CallAt, e.CallAt)
	if e.Answered() {
		b.quiet.note(e.ReplyAt, e.CallAt)
	}
	if e.Callback {
		b.replies.callback(e.CallAt)
		return
	}
	b.replies.fore(e, b.name)
	if e.Call == nil {
		return
	}
	b.win.keep(e, b.name, b.touches)
	if e.Status() == nfs4.OK && e.Call.Find(nfs4.OpCreateSession) != nil && e.Client >= 0 {
		b.sessions[e.Client]++
	}
	if e.Client >= 0 && e.Answered() && e.Status() == nfs4.OK && e.Call.Find(nfs4.OpDelegReturn) != nil {
		_, times := delegatedMtime(e.Call)
		b.st.returns = append(b.st.returns, returnGap{client: e.Client, gap: e.ReplyAt - e.CallAt, times: times})
	}
}

func (b *builder) clientName(c int) string {
	if c >= 0 && c < len(b.c.Clients) {
		return b.c.Clients[c].Name
	}
	return "client ?"
}

func (b *builder) fileName(f int) string {
	if f >= 0 && f < len(b.st.Files) {
		return b.st.Files[f].Name
	}
	return "?"
}

// file returns the file with handle fh, creating it; name, if given,
// names it.
func (b *builder) file(fh []byte, name string) int {
	if fh == nil {
		if name == "" {
			return -1
		}
		if f, ok := b.names[name]; ok {
			return f
		}
		b.st.Files = append(b.st.Files, File{Name: name})
		b.names[name] = len(b.st.Files) - 1
		return len(b.st.Files) - 1
	}
	k := fhKey(fh)
	if f, ok := b.files[k]; ok {
		if name != "" && strings.HasPrefix(b.st.Files[f].Name, "fh ") {
			b.st.Files[f].Name = name
			b.names[name] = f
		}
		return f
	}
	if f, ok := b.names[name]; ok && name != "" && b.st.Files[f].FH == "" {
		b.st.Files[f].FH = nfs4.FHKey(fh)
		b.files[k] = f
		return f
	}
	key := nfs4.FHKey(fh)
	if name == "" {
		name = "fh " + key
	}
	b.st.Files = append(b.st.Files, File{Name: name, FH: key})
	f := len(b.st.Files) - 1
	b.files[k] = f
	b.names[name] = f
	return f
}

func (b *builder) event(e Event) {
	if b.o.timeline {
		b.st.Events = append(b.st.Events, e)
	}
}

func (b *builder) observe(ob Observation) {
	if b.o.observations {
		b.st.Observations = append(b.st.Observations, ob)
	}
}

func ptr[T any](v T) *T { return &v }

// noteConn records reconnects: a client's traffic on a new connection.
func (b *builder) noteConn(e *Exchange) {
	if e.Client < 0 || e.Callback {
		return
	}
	k := [2]int{e.Client, e.Conn}
	if b.conns[k] {
		return
	}
	b.conns[k] = true
	b.nconns[e.Client]++
	if b.nconns[e.Client] > 1 {
		text := fmt.Sprintf("%s reconnects: its requests now come on a new TCP connection", b.clientName(e.Client))
		b.st.Faults = append(b.st.Faults, Fault{Client: e.Client, Kind: "reconnect", Frame: e.CallFrame, At: e.CallAt, Text: text})
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: b.clientName(e.Client), What: text,
			Why: "RPC calls in flight are retransmitted with their xids on the new connection (xprt reconnect)"})
	}
}

// walk resolves the current file handle before and after every
// operation of a compound, into w's memory: PUTFH sets it, LOOKUP and
// OPEN change it to a handle GETFH then reports, SAVEFH/RESTOREFH keep
// and restore it.
func (w *walkBuf) walk(call, reply *nfs4.Compound) (before, after [][]byte, names []string) {
	n := len(call.Ops)
	w.before, w.after, w.names = grow(w.before, n), grow(w.after, n), grow(w.names, n)
	before, after, names = w.before, w.after, w.names
	var cur, saved []byte
	pending := -1 // op whose result handle GETFH will tell
	for i := range call.Ops {
		op := &call.Ops[i]
		var res *nfs4.Op
		if reply != nil && i < len(reply.Ops) {
			res = &reply.Ops[i]
		}
		before[i] = cur
		switch op.Code {
		case nfs4.OpPutFH:
			cur = op.FH
		case nfs4.OpPutRootFH, nfs4.OpPutPubFH:
			cur = []byte("/")
			names[i] = "/"
		case nfs4.OpLookup, nfs4.OpOpen:
			names[i] = op.Name
			if op.Code == nfs4.OpOpen && op.Open != nil && (op.Open.Claim == nfs4.ClaimFH || op.Open.Claim == nfs4.ClaimDelegCurFH || op.Open.Claim == nfs4.ClaimDelegPrevFH) {
				break // the current file is the one opened
			}
			cur, pending = nil, i
		case nfs4.OpLookupP:
			cur, pending = nil, -1
		case nfs4.OpGetFH:
			if res != nil && res.Status == nfs4.OK {
				cur = res.FH
				if pending >= 0 {
					for j := pending; j < i; j++ {
						after[j] = cur
						if j > pending {
							before[j] = cur
						}
					}
					pending = -1
				}
			}
		case nfs4.OpSaveFH:
			saved = cur
		case nfs4.OpRestoreFH:
			cur = saved
		}
		after[i] = cur
		if op.Code == nfs4.OpGetFH {
			before[i] = cur
		}
	}
	return before, after, names
}

// grow returns s with length n, zeroed.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func (b *builder) fore(e *Exchange) {
	b.touches = b.touches[:0]
	if e.Call == nil {
		return
	}
	before, after, names := b.walk.walk(e.Call, e.Reply)
	b.touches = touchesOf(b.touches, e.Call, before, after, names)
	cl := b.clientName(e.Client)
	var openRec = -1
	var lastFile = -1
	for i := range e.Call.Ops {
		op := &e.Call.Ops[i]
		var res *nfs4.Op
		if e.Reply != nil && i < len(e.Reply.Ops) {
			res = &e.Reply.Ops[i]
		}
		ok := res != nil && res.Status == nfs4.OK
		switch op.Code {
		case nfs4.OpOpen:
			f := b.file(after[i], names[i])
			if op.Open != nil && (op.Open.Claim == nfs4.ClaimFH || op.Open.Claim == nfs4.ClaimDelegCurFH) {
				f = b.file(before[i], "")
			}
			openRec = b.open(e, op, res, f)
			lastFile = f
		case nfs4.OpLookup:
			if ok && after[i] != nil {
				b.file(after[i], names[i])
			}
		case nfs4.OpGetattr:
			f := b.file(before[i], "")
			if lastFile < 0 {
				lastFile = f
			}
			if ok && res.Attrs != nil {
				b.getattr(e, f, res.Attrs, openRec, i)
			}
		case nfs4.OpClose:
			f := b.file(before[i], "")
			lastFile = f
			b.simple(e, res, f, "CLOSE", "close")
		case nfs4.OpWrite:
			f := b.file(before[i], "")
			lastFile = f
			b.write(e, op, res, f)
		case nfs4.OpCommit:
			f := b.file(before[i], "")
			b.simple(e, res, f, "COMMIT", "commit")
		case nfs4.OpSetattr:
			f := b.file(before[i], "")
			b.setattr(e, op, res, f)
		case nfs4.OpDelegReturn:
			b.delegReturn(e, op, res, b.file(before[i], ""))
		case nfs4.OpRemove, nfs4.OpRename, nfs4.OpLink:
			what := fmt.Sprintf("%s %s", op.OpName(), op.Name)
			if op.Code == nfs4.OpRename {
				what += " → " + op.NewName
			}
			b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: what, From: cl, To: "nfsd"})
		case nfs4.OpSequence:
			if ok && res.Seq != nil && res.Seq.Flags != 0 {
				b.seqFlags(e, res.Seq.Flags)
			}
		case nfs4.OpTestStateid:
			if ok {
				for j, s := range res.Statuses {
					if j < len(op.Stateids) && (s == nfs4.ErrDelegRevoked || s == nfs4.ErrAdminRevoked) {
						b.revoked(op.Stateids[j], e, fmt.Sprintf("TEST_STATEID answers %s", s))
					}
				}
			}
		case nfs4.OpGetDirDelegation:
			if ok && res.DirDeleg != nil && res.DirDeleg.Status == 0 {
				f := b.file(before[i], "")
				if f >= 0 {
					b.st.Files[f].Dir = true
				}
				b.grant(e, f, res.DirDeleg.Stateid, "DIRECTORY", fmt.Sprintf("nfsd grants %s a directory delegation on %s", cl, b.fileName(f)),
					"GET_DIR_DELEGATION (RFC 8881 §18.39): the client is told of changes in the directory instead of re-reading it")
			}
		case nfs4.OpExchangeID, nfs4.OpSetClientID:
			b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: fmt.Sprintf("%s establishes its client ID (%s)", cl, op.OpName()), From: cl, To: "nfsd"})
		case nfs4.OpCreateSession:
			b.createSession(e)
		case nfs4.OpDestroySession:
			b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: fmt.Sprintf("%s destroys its session (DESTROY_SESSION)", cl), From: cl, To: "nfsd"})
		}
	}
	if e.Reply != nil && e.Reply.Status != nfs4.OK {
		b.failure(e, lastFile)
	} else if e.Reply != nil {
		b.retried(e, lastFile)
	}
}

func accessName(a uint32) string {
	switch a & 3 {
	case nfs4.ShareAccessRead:
		return "READ"
	case nfs4.ShareAccessWrite:
		return "WRITE"
	case nfs4.ShareAccessBoth:
		return "BOTH"
	}
	return "NONE"
}

func wantNames(a uint32) []string {
	var out []string
	switch a & nfs4.WantMask {
	case nfs4.WantReadDeleg:
		out = append(out, "WANT_READ_DELEG")
	case nfs4.WantWriteDeleg:
		out = append(out, "WANT_WRITE_DELEG")
	case nfs4.WantAnyDeleg:
		out = append(out, "WANT_ANY_DELEG")
	case nfs4.WantNoDeleg:
		out = append(out, "WANT_NO_DELEG")
	case nfs4.WantCancel:
		out = append(out, "WANT_CANCEL")
	}
	if a&nfs4.WantSignalWhenAvail != 0 {
		out = append(out, "WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL")
	}
	if a&nfs4.WantPushWhenUncontended != 0 {
		out = append(out, "WANT_PUSH_DELEG_WHEN_UNCONTENDED")
	}
	if a&nfs4.WantDelegTimestamps != 0 {
		out = append(out, "WANT_DELEG_TIMESTAMPS")
	}
	if a&nfs4.WantOpenXORDelegation != 0 {
		out = append(out, "WANT_OPEN_XOR_DELEGATION")
	}
	return out
}

var claimNames = []string{"CLAIM_NULL", "CLAIM_PREVIOUS", "CLAIM_DELEGATE_CUR", "CLAIM_DELEGATE_PREV", "CLAIM_FH", "CLAIM_DELEG_CUR_FH", "CLAIM_DELEG_PREV_FH"}

func (b *builder) open(e *Exchange, op, res *nfs4.Op, f int) int {
	cl := b.clientName(e.Client)
	o := Open{Client: e.Client, File: f, Frame: e.CallFrame, At: e.CallAt, ReplyAt: e.ReplyAt, Exchange: e.Index}
	if f >= 0 {
		for len(b.opened) <= f {
			b.opened = append(b.opened, false)
		}
		b.opened[f] = true
	}
	if a := op.Open; a != nil {
		o.Access, o.Want, o.Create = accessName(a.ShareAccess), wantNames(a.ShareAccess), a.Create
		if ca := a.CreateAttrs; ca.Has(nfs4.AttrSize) && res != nil && f >= 0 {
			// O_TRUNC: the OPEN sets the size (createattrs).
			b.observe(Observation{Client: e.Client, File: f, Kind: "setattr-size", Start: e.CallAt, End: e.ReplyAt,
				OK: res.Status == nfs4.OK, Size: ca.Size, HasSize: true})
		}
		if int(a.Claim) < len(claimNames) {
			o.Claim = claimNames[a.Claim]
		}
	}
	what := fmt.Sprintf("%s OPEN %s (%s", cl, b.fileName(f), o.Access)
	if o.Create {
		what += ", create"
	}
	if o.Claim != "" && o.Claim != "CLAIM_NULL" {
		what += ", " + o.Claim
	}
	if len(o.Want) > 0 {
		what += ", " + strings.Join(o.Want, "|")
	}
	what += ")"
	b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: what, From: cl, To: "nfsd"})
	if res == nil {
		b.st.Opens = append(b.st.Opens, o)
		return len(b.st.Opens) - 1
	}
	o.Status = res.Status.String()
	if res.Status == nfs4.OK {
		o.Stateid = res.Stateid.Key()
		o.NoOpenID = res.OpenFlags&nfs4.ResultNoOpenStateid != 0
		o.Confirm = res.OpenFlags&nfs4.ResultConfirm != 0
		o.Deleg = "NONE"
		if res.Deleg != nil {
			o.Deleg = res.Deleg.TypeName()
			if res.Deleg.Type == nfs4.DelegNoneExt {
				o.Why = res.Deleg.WhyName()
			}
		}
		b.st.Opens = append(b.st.Opens, o)
		b.openGranted(e, op, res, f, &b.st.Opens[len(b.st.Opens)-1])
	} else {
		b.st.Opens = append(b.st.Opens, o)
	}
	return len(b.st.Opens) - 1
}

func (b *builder) openGranted(e *Exchange, op, res *nfs4.Op, f int, o *Open) {
	cl := b.clientName(e.Client)
	d := res.Deleg
	if d.Granted() {
		why := grantWhy(e.Minor, op, d)
		if o.NoOpenID {
			why += "; OPEN4_RESULT_NO_OPEN_STATEID: open-XOR-delegation (RFC 9754 §7), the delegation stands in for the open stateid, so the client sends no CLOSE"
		}
		b.grant(e, f, d.Stateid, d.TypeName(), fmt.Sprintf("nfsd grants %s a %s delegation on %s (stateid %s)", cl, d.TypeName(), b.fileName(f), shortStateid(d.Stateid)), why)
		return
	}
	what := fmt.Sprintf("nfsd opens %s for %s without a delegation", b.fileName(f), cl)
	why := noGrantWhy(e.Minor, op, d, o)
	for _, di := range b.byFile[f] {
		if prev := &b.st.Delegations[di]; prev.File == f && prev.RecallAt != nil && (d == nil || d.Type != nfs4.DelegNoneExt) && !o.Confirm {
			why = fmt.Sprintf("the file's delegation was recalled at %.3f ms: nfsd offers no new one on it for 30–60 s (delegation_blocked) nor while the nfs4_file remembers the conflict (fi_had_conflict)", ms(*prev.RecallAt))
		}
	}
	b.event(Event{At: e.ReplyAt, Frame: e.ReplyFrame, Actor: "nfsd", What: what, Why: why, From: "nfsd", To: cl, Reply: true})
}

func grantWhy(minor int, op *nfs4.Op, d *nfs4.Delegation) string {
	switch d.Type {
	case nfs4.DelegRead, nfs4.DelegReadAttrs:
		return "nfs4_open_delegation: an open for read, no other client has the file open for write, callback path up: a read delegation"
	case nfs4.DelegWriteAttrs:
		return "nfs4_open_delegation: a write delegation with delegated timestamps, since the OPEN asked for them (OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS, RFC 9754 §4): the client owns the file's times until it returns the delegation"
	}
	if op.Open != nil && op.Open.Access() == nfs4.ShareAccessWrite {
		return "nfs4_open_delegation: a write-only open gets a write delegation (6.17+)"
	}
	return "nfs4_open_delegation: an open for read and write (SHARE_ACCESS_BOTH) by an NFSv4.1+ client with its callback path up gets a write delegation, kept after CLOSE (RFC 8881 §10.4)"
}

func noGrantWhy(minor int, op *nfs4.Op, d *nfs4.Delegation, o *Open) string {
	if d != nil && d.Type == nfs4.DelegNoneExt {
		return fmt.Sprintf("the server says why (%s, RFC 8881 §18.16.3)", d.WhyName())
	}
	write := op.Open != nil && op.Open.Access()&nfs4.ShareAccessWrite != 0
	switch {
	case o.Confirm:
		return "a new NFSv4.0 open-owner must confirm it first (OPEN_CONFIRM, RFC 7530 §16.18): no delegation until then"
	case minor == 0 && write:
		return "nfs4_open_delegation: nfsd never grants a write delegation to an NFSv4.0 client"
	case write && op.Open.Access() == nfs4.ShareAccessWrite:
		return "nfs4_open_delegation: before 6.17 an O_WRONLY open (SHARE_ACCESS_WRITE) gets no write delegation"
	}
	return "nfsd offers none: the file was recalled recently (delegation_blocked), is open by another client, the callback path is not up, or the server is in grace (nfs4_open_delegation)"
}

// shortStateid names a Linux stateid by its so_id (the third 32-bit word
// of "other", little-endian), as /proc/fs/nfsd/clients/*/states shows it.
func shortStateid(s nfs4.Stateid) string {
	return fmt.Sprintf("%d", StateidID(s))
}

// StateidID returns Linux's per-client stateid number (so_id).
func StateidID(s nfs4.Stateid) uint32 {
	o := s.Other
	return uint32(o[8]) | uint32(o[9])<<8 | uint32(o[10])<<16 | uint32(o[11])<<24
}

func (b *builder) grant(e *Exchange, f int, sid nfs4.Stateid, typ, what, why string) {
	cl := b.clientName(e.Client)
	b.newDeleg(Delegation{Client: e.Client, File: f, Stateid: sid.Key(), Type: typ, Frame: e.ReplyFrame, GrantedAt: e.ReplyAt})
	b.event(Event{At: e.ReplyAt, Frame: e.ReplyFrame, Actor: "nfsd", What: what, Why: why, From: "nfsd", To: cl, Reply: true})
}

// newDeleg adds a delegation to the story.
func (b *builder) newDeleg(d Delegation) int {
	di := len(b.st.Delegations)
	b.delegs[d.Stateid] = di
	b.st.Delegations = append(b.st.Delegations, d)
	if d.File >= 0 {
		b.byFile[d.File] = append(b.byFile[d.File], di)
	}
	return di
}

func (b *builder) getattr(e *Exchange, f int, a *nfs4.Fattr, openRec, op int) {
	if !a.Has(nfs4.AttrSize) && !a.Has(nfs4.AttrChange) {
		return
	}
	if f >= 0 && a.Has(nfs4.AttrType) && a.Type == nfs4.TypeDir {
		b.st.Files[f].Dir = true
	}
	if openRec >= 0 {
		o := &b.st.Opens[openRec]
		if a.Has(nfs4.AttrSize) {
			o.Size = ptr(a.Size)
		}
		if a.Has(nfs4.AttrChange) {
			o.Change = ptr(a.Change)
		}
	}
	if f >= 0 && b.st.Files[f].Dir {
		return
	}
	ob := Observation{Client: e.Client, File: f, Kind: "getattr", Start: e.CallAt, End: e.ReplyAt, OK: true,
		Size: a.Size, HasSize: a.Has(nfs4.AttrSize), Change: a.Change, HasChg: a.Has(nfs4.AttrChange)}
	if openRec >= 0 {
		ob.Kind = "open"
	}
	b.observe(ob)
	if n := b.name; b.o.timeline && (n == "GETATTR" || n == "LOOKUP") && f >= 0 && b.regular(f, a) {
		cl := b.clientName(e.Client)
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: fmt.Sprintf("%s %s %s", cl, n, b.fileName(f)), From: cl, To: "nfsd"})
		b.event(Event{At: e.ReplyAt, Frame: e.ReplyFrame, Actor: "nfsd", What: fmt.Sprintf("%s reply to %s: %s", n, cl, attrText(a)),
			From: "nfsd", To: cl, Reply: true})
		// Why is told once the callbacks sent meanwhile are known.
		b.getattrs = append(b.getattrs, pendingGetattr{event: len(b.st.Events) - 1, callAt: e.CallAt, replyAt: e.ReplyAt, file: f,
			change: a.Change, hasChange: a.Has(nfs4.AttrChange)})
	}
}

// regular reports whether file f is one the story follows: a regular
// file, or one some client opened.
func (b *builder) regular(f int, a *nfs4.Fattr) bool {
	if a.Has(nfs4.AttrType) {
		return a.Type == nfs4.TypeReg
	}
	return f < len(b.opened) && b.opened[f]
}

// pendingGetattr is a GETATTR answer whose explanation depends on
// callbacks that come later in call order: it is told once the story's
// present passes its reply.
type pendingGetattr struct {
	event           int
	callAt, replyAt time.Duration
	file            int
	change          uint64
	hasChange       bool
}

func attrText(a *nfs4.Fattr) string {
	var p []string
	if a.Has(nfs4.AttrSize) {
		p = append(p, fmt.Sprintf("size %d", a.Size))
	}
	if a.Has(nfs4.AttrChange) {
		p = append(p, fmt.Sprintf("change %d", a.Change))
	}
	return strings.Join(p, ", ")
}

// getattrWhy explains a GETATTR answer that followed a CB_GETATTR.
func (b *builder) getattrWhy(g pendingGetattr) string {
	for i := len(b.st.Callbacks) - 1; i >= 0; i-- {
		cb := &b.st.Callbacks[i]
		if cb.At < g.callAt && b.cbMonotone {
			break // and so were all the callbacks before it
		}
		if cb.Op != "CB_GETATTR" || cb.File != g.file || cb.At < g.callAt || cb.ReplyAt == nil || *cb.ReplyAt > g.replyAt {
			continue
		}
		why := "nfsd4_deleg_getattr_conflict: answered with the size the holder reported in CB_GETATTR"
		if cb.Change != nil && g.hasChange && *cb.Change != g.change {
			why += "; the change attribute is not the holder's: nfsd bumped mtime/ctime because the holder had modified the file"
		}
		return why
	}
	return ""
}

func (b *builder) simple(e *Exchange, res *nfs4.Op, f int, name, kind string) {
	if b.o.timeline {
		cl := b.clientName(e.Client)
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: fmt.Sprintf("%s %s %s", cl, name, b.fileName(f)), From: cl, To: "nfsd"})
	}
	if res != nil && f >= 0 {
		b.observe(Observation{Client: e.Client, File: f, Kind: kind, Start: e.CallAt, End: e.ReplyAt, OK: res.Status == nfs4.OK})
	}
}

func (b *builder) write(e *Exchange, op, res *nfs4.Op, f int) {
	if b.o.timeline {
		cl := b.clientName(e.Client)
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: fmt.Sprintf("%s WRITE %s bytes %d–%d", cl, b.fileName(f), op.Offset, op.Offset+uint64(op.Count)), From: cl, To: "nfsd"})
	}
	if res != nil && f >= 0 {
		b.observe(Observation{Client: e.Client, File: f, Kind: "write", Start: e.CallAt, End: e.ReplyAt,
			OK: res.Status == nfs4.OK, Size: op.Offset + uint64(op.Count), HasSize: true})
	}
}

func (b *builder) setattr(e *Exchange, op, res *nfs4.Op, f int) {
	cl := b.clientName(e.Client)
	what := fmt.Sprintf("%s SETATTR %s", cl, b.fileName(f))
	why := ""
	if a := op.Attrs; a != nil {
		if a.Has(nfs4.AttrSize) {
			what += fmt.Sprintf(" size %d", a.Size)
		}
		if a.Has(nfs4.AttrTimeDelegMod) || a.Has(nfs4.AttrTimeDelegAcc) {
			what += " (delegated timestamps)"
			why = "a holder of a *_ATTRS_DELEG delegation sets the times it owns before returning it (RFC 9754 §5)"
		}
		if a.Has(nfs4.AttrSize) && res != nil && f >= 0 {
			b.observe(Observation{Client: e.Client, File: f, Kind: "setattr-size", Start: e.CallAt, End: e.ReplyAt,
				OK: res.Status == nfs4.OK, Size: a.Size, HasSize: true})
		}
	}
	b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: what, Why: why, From: cl, To: "nfsd"})
}

func (b *builder) delegReturn(e *Exchange, op, res *nfs4.Op, f int) {
	cl := b.clientName(e.Client)
	di, ok := b.delegs[op.Stateid.Key()]
	if !ok {
		// Granted before the capture began.
		di = b.newDeleg(Delegation{Client: e.Client, File: f, Stateid: op.Stateid.Key(), Type: "UNKNOWN", Frame: 0})
	}
	d := &b.st.Delegations[di]
	if d.File < 0 && f >= 0 {
		d.File = f
		b.byFile[f] = append(b.byFile[f], di)
	}
	what := fmt.Sprintf("%s DELEGRETURN its %s delegation on %s", cl, d.Type, b.fileName(d.File))
	why := "the client returns a recalled delegation from its state manager (nfs4_delegreturn) without flushing dirty data first"
	if d.RecallAt == nil {
		why = "no recall came: the client returns a delegation it no longer uses (nfs_expire_unreferenced_delegations) or at umount"
	} else if d.RecallReply == nil || *d.RecallReply > e.CallAt {
		why += "; it goes out before the client's CB_RECALL reply"
	}
	if d.ReturnSent == nil {
		d.ReturnSent, d.ReturnFrame = ptr(e.CallAt), e.CallFrame
	}
	b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: what, Why: why, From: cl, To: "nfsd"})
	if res == nil {
		return
	}
	if res.Status == nfs4.OK {
		d.ReturnedAt = ptr(e.ReplyAt)
		b.event(Event{At: e.ReplyAt, Frame: e.ReplyFrame, Actor: "nfsd", What: fmt.Sprintf("nfsd takes back %s's %s delegation on %s", cl, d.Type, b.fileName(d.File)),
			Why: "nfsd4_delegreturn: the lease is removed (generic_delete_lease); local openers waiting on it proceed", From: "nfsd", To: cl, Reply: true})
		return
	}
	if res.Status == nfs4.ErrDelegRevoked || res.Status == nfs4.ErrAdminRevoked || (res.Status == nfs4.ErrBadStateid && d.RecallAt != nil) {
		b.revokedAt(di, e.ReplyAt, e.ReplyFrame, fmt.Sprintf("DELEGRETURN answered %s", res.Status))
	}
}

func (b *builder) revoked(s nfs4.Stateid, e *Exchange, how string) {
	if di, ok := b.delegs[s.Key()]; ok {
		b.revokedAt(di, e.ReplyAt, e.ReplyFrame, how)
	}
}

func (b *builder) revokedAt(di int, at time.Duration, frame int, how string) {
	d := &b.st.Delegations[di]
	if d.RevokedAt != nil {
		return
	}
	d.RevokedAt = ptr(at)
	b.event(Event{At: at, Frame: frame, Actor: "nfsd", What: fmt.Sprintf("%s's %s delegation on %s was revoked (%s)", b.clientName(d.Client), d.Type, b.fileName(d.File), how),
		Why: "nfs4_laundromat revokes a recalled delegation not returned within a lease (revoke_delegation); the client learns it from SEQUENCE's status flags"})
}

func (b *builder) seqFlags(e *Exchange, flags uint32) {
	cl := b.clientName(e.Client)
	names := nfs4.SeqFlagNames(flags)
	text := fmt.Sprintf("nfsd flags %s's SEQUENCE reply: %s", cl, strings.Join(names, ", "))
	// Report each flag once per run of replies carrying it.
	if last, ok := b.seqText[e.Client]; ok && last == text {
		return
	}
	b.seqText[e.Client] = text
	b.st.Faults = append(b.st.Faults, Fault{Client: e.Client, Kind: "sequence-flags", Frame: e.ReplyFrame, At: e.ReplyAt, Text: text})
	why := "RFC 8881 §18.46.3: SEQUENCE status flags tell the client about its state"
	if flags&(nfs4.SeqCBPathDown|nfs4.SeqCBPathDownSession|nfs4.SeqBackchannelFault) != 0 {
		why = "nfsd marks the callback path down or faulty after a callback failed or timed out (nfsd4_mark_cb_fault / nfsd4_mark_cb_down): no new delegations until the client repairs it (BIND_CONN_TO_SESSION or a new session)"
	}
	if flags&(nfs4.SeqRecallableStateRevoked|nfs4.SeqAdminStateRevoked|nfs4.SeqExpiredSomeStateRevoked|nfs4.SeqExpiredAllStateRevoked) != 0 {
		why = "a delegation or other state of the client was revoked (nfs4_laundromat → revoke_delegation); the client finds which with TEST_STATEID"
	}
	b.event(Event{At: e.ReplyAt, Frame: e.ReplyFrame, Actor: "nfsd", What: text, Why: why, From: "nfsd", To: cl, Reply: true})
}

func (b *builder) createSession(e *Exchange) {
	cl := b.clientName(e.Client)
	n := b.sessions[e.Client]
	if n == 0 {
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: fmt.Sprintf("%s creates its session (CREATE_SESSION)", cl), From: cl, To: "nfsd"})
		return
	}
	text := fmt.Sprintf("%s resets its session: CREATE_SESSION after %d earlier one(s)", cl, n)
	b.st.Faults = append(b.st.Faults, Fault{Client: e.Client, Kind: "session-reset", Frame: e.CallFrame, At: e.CallAt, Text: text})
	b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: text,
		Why: "nfs4_reset_session: the client replaces a session whose backchannel failed or that the server no longer knows", From: cl, To: "nfsd"})
}

// failure records an error answer and waits for the client's retry.
func (b *builder) failure(e *Exchange, f int) {
	cl := b.clientName(e.Client)
	var failed *nfs4.Op
	for i := range e.Reply.Ops {
		if e.Reply.Ops[i].Status != nfs4.OK {
			failed = &e.Reply.Ops[i]
		}
	}
	opName := b.name
	if failed != nil {
		opName = failed.OpName()
	}
	b.st.Errors = append(b.st.Errors, Error{Client: e.Client, Op: opName, Status: e.Reply.Status.String(), Frame: e.ReplyFrame, At: e.ReplyAt, File: f})
	why := ""
	switch e.Reply.Status {
	case nfs4.ErrDelay:
		why = "the request conflicts with a delegation: nfsd breaks it and answers NFS4ERR_DELAY at once for an OPEN (nfsd_open_break_lease), after ≤30 ms for GETATTR/SETATTR/REMOVE/RENAME (nfsd_wait_for_delegreturn); the client retries after its back-off (nfs4_delay: 100 ms, doubling)"
		b.retry[retryKey{e.Client, f, b.name}] = len(b.st.Errors) - 1
	case nfs4.ErrBadSession, nfs4.ErrDeadSession:
		b.st.Faults = append(b.st.Faults, Fault{Client: e.Client, Kind: "badsession", Frame: e.ReplyFrame, At: e.ReplyAt, Text: fmt.Sprintf("%s's session is unknown to the server (%s)", cl, e.Reply.Status)})
	}
	b.event(Event{At: e.ReplyAt, Frame: e.ReplyFrame, Actor: "nfsd", What: fmt.Sprintf("nfsd answers %s's %s with %s", cl, opName, e.Reply.Status), Why: why,
		From: "nfsd", To: cl, Reply: true})
}

// retried links a request to an earlier NFS4ERR_DELAY of the same request.
func (b *builder) retried(e *Exchange, f int) {
	k := retryKey{e.Client, f, b.name}
	ei, ok := b.retry[k]
	if !ok {
		return
	}
	delete(b.retry, k)
	er := &b.st.Errors[ei]
	er.RetryAt, er.Backoff = ptr(e.CallAt), ptr(e.CallAt-er.At)
	cl := b.clientName(e.Client)
	b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: cl, What: fmt.Sprintf("%s retries its %s %s, %.1f ms after the NFS4ERR_DELAY", cl, b.name, b.fileName(f), ms(*er.Backoff)),
		Why: "nfs4_delay: the client's back-off after NFS4ERR_DELAY starts at 100 ms and doubles up to 15 s"})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
