package model

import (
	"encoding/binary"
	"slices"
	"time"
)

// FlushMode says what close(2) does with dirty pages under a write
// delegation (nfs4_file_flush).
type FlushMode uint8

// Flush modes.
const (
	// FlushFull writes and commits everything before close returns: the
	// Linux client's behaviour against Linux nfsd, which grants write
	// delegations with a zero space limit ("always flush on close").
	FlushFull FlushMode = iota
	// FlushStart only starts writeback when the delegation's space limit
	// covers the dirty pages (other servers); close returns at once.
	FlushStart
)

// ClientStep is one application action in a client's script.
type ClientStep struct {
	At     Time // absolute start time, if HasAt
	HasAt  bool
	After  Time // otherwise: delay after the previous step returned
	Kind   OpKind
	File   FileID
	Access Access // OpOpen
	Create bool   // OpOpen: O_CREAT
	Excl   bool   // OpOpen: O_EXCL
	Bytes  int64  // OpWrite
}

// ClientConfig builds a Client.
type ClientConfig struct {
	ID     ActorID
	Name   string
	Index  int      // 1-based position among writers, for DataValue
	Minor  int      // NFSv4 minor version: 0, 1 or 2
	Files  []string // the server's file table, by FileID
	Script []ClientStep

	Lease      Time      // the server's lease; renewd runs every 2/3 of it
	RenewPhase Time      // first renewd run (the client mounted before the run began)
	CloseFlush FlushMode // with a write delegation
	// NFS4ERR_DELAY back-off (nfs4_update_delay): first delay, doubling
	// up to the maximum.
	DelayMin, DelayMax Time
	// Writeback of dirty pages by the flusher: pages older than
	// WritebackExpire (dirty_expire_centisecs) are written at the next
	// flusher run; the flusher runs every WritebackInterval
	// (dirty_writeback_centisecs).
	WritebackExpire, WritebackInterval Time
}

// DefaultClientConfig fills the kernel defaults into c's zero fields.
func (c ClientConfig) withDefaults() ClientConfig {
	if c.Lease == 0 {
		c.Lease = DefaultServerParams().Lease
	}
	if c.DelayMin == 0 {
		c.DelayMin = 100 * time.Millisecond // NFS4_POLL_RETRY_MIN = HZ/10
	}
	if c.DelayMax == 0 {
		c.DelayMax = 15 * time.Second // NFS4_POLL_RETRY_MAX
	}
	if c.WritebackExpire == 0 {
		c.WritebackExpire = 30 * time.Second
	}
	if c.WritebackInterval == 0 {
		c.WritebackInterval = 5 * time.Second
	}
	return c
}

// cfile is the client's view of one file: its opens, delegation and page
// cache.
type cfile struct {
	opens      int    // application opens
	access     Access // union of the open files' access modes
	rpcOpen    bool   // open state from a real OPEN (needs CLOSE)
	stateid    uint32 // open stateid
	deleg      DelegType
	delegID    uint32
	delegCh    uint64 // change attribute when the delegation was granted
	returning  bool   // DELEGRETURN under way
	returnWhen bool   // return when closed (idle, still open)
	referenced bool   // used since the last renewd run
	size       int64  // cached size
	data       uint64 // cached contents
	change     uint64 // cached change attribute
	dirty      bool
	dirtySince Time
	// invalid: a GETATTR showed a change attribute the cached data does
	// not have, so the next read goes to the server
	// (nfs_update_inode → NFS_INO_INVALID_DATA).
	invalid bool
}

// writeStateid is the stateid a WRITE carries: the open stateid when the
// file was opened with OPEN, else (opens done locally under a write
// delegation) the delegation stateid (RFC 8881 §8.2.1, §10.4).
func (cf *cfile) writeStateid() uint32 {
	if cf.rpcOpen || cf.deleg == DelegNone {
		return cf.stateid
	}
	return cf.delegID
}

// purpose says why a background RPC was sent.
type purpose uint8

const (
	forApp purpose = iota
	forWriteback
	forReturn
	forClaim
	forRenew
	forCommit
)

type rpc struct {
	xid  uint32
	why  purpose
	file FileID
	data uint64 // WRITE: the contents sent
}

// appOp is the application operation in progress.
type appOp struct {
	active   bool
	step     int
	start    Time
	attempts int
	stage    uint8
	xid      uint32
	flushed  bool
	size     int64
	data     uint64
	change   uint64
	result   Status
}

// Client is the Linux NFSv4 client of one host running one application
// script: page cache, open and delegation state, callback service, the
// state manager's DELEGRETURN, renewd and the flusher.
type Client struct {
	cfg     *ClientConfig // shared between clones: never modified
	files   []cfile
	next    int // next script step
	cur     appOp
	rpcs    []rpc
	nextXID uint32
	backoff Time
	writes  int
	seq     int
	crashed bool
}

// NewClient returns a client ready for InStart.
//
// The client, its configuration and a file table of up to two files are
// one allocation: sweeps build a client for every run.
func NewClient(c ClientConfig) *Client {
	a := &struct {
		c     Client
		cfg   ClientConfig
		files [2]cfile
	}{cfg: c.withDefaults()}
	a.c = Client{cfg: &a.cfg, nextXID: 1}
	if n := len(c.Files); n <= len(a.files) {
		a.c.files = a.files[:n:n]
	} else {
		a.c.files = make([]cfile, n)
	}
	return &a.c
}

// Name returns the client's name.
func (c *Client) Name() string { return c.cfg.Name }

// Delegation returns the delegation the client believes it holds on f.
func (c *Client) Delegation(f FileID) DelegType { return c.files[f].deleg }

// Dirty reports whether the client has unflushed data for f.
func (c *Client) Dirty(f FileID) bool { return c.files[f].dirty }

// Quiescent reports whether the client has nothing left to do that the
// server would see: no dirty pages and no write-back or delegation return
// in flight (lease renewals go on for ever and do not count).
func (c *Client) Quiescent() bool {
	if c.crashed {
		return true
	}
	for _, r := range c.rpcs {
		if r.why != forRenew {
			return false
		}
	}
	for i := range c.files {
		if c.files[i].dirty {
			return false
		}
	}
	return true
}

// ScriptLen returns the number of steps in the script.
func (c *Client) ScriptLen() int { return len(c.cfg.Script) }

// Done reports whether the script has finished.
func (c *Client) Done() bool { return c.crashed || (!c.cur.active && c.next >= len(c.cfg.Script)) }

// Step implements Actor.
func (c *Client) Step(now Time, in Input, out *Output) {
	if c.crashed {
		return
	}
	switch in.Kind {
	case InStart:
		c.schedule(now, out)
		out.arm(TimerKey{Kind: TimerRenew}, c.cfg.RenewPhase)
	case InCrash:
		c.crash(out)
	case InTimer:
		c.timer(now, in.Timer, out)
	case InDeliver:
		// By pointer: in is Step's own copy.
		if in.Msg.Reply {
			c.reply(now, &in.Msg, out)
		} else {
			c.callback(now, &in.Msg, out)
		}
	}
}

func (c *Client) crash(out *Output) {
	c.crashed = true
	c.files = make([]cfile, len(c.files))
	c.rpcs, c.cur = nil, appOp{}
	out.event(Event{Kind: EvCrash, Actor: c.cfg.ID, Why: "client host crashed: page cache and NFS state lost"})
}

func (c *Client) timer(now Time, k TimerKey, out *Output) {
	switch k.Kind {
	case TimerScript:
		c.begin(now, out)
	case TimerRetry:
		c.cur.attempts++
		c.run(now, out)
	case TimerRenew:
		c.renewd(now, out)
	case TimerWriteback:
		c.writeback(now, FileID(k.Arg), out)
	}
}

// schedule arms the timer for the next script step.
func (c *Client) schedule(now Time, out *Output) {
	if c.next >= len(c.cfg.Script) {
		return
	}
	st := &c.cfg.Script[c.next]
	at := now + st.After
	if st.HasAt {
		at = max(now, st.At)
	}
	out.arm(TimerKey{Kind: TimerScript}, at)
}

func (c *Client) begin(now Time, out *Output) {
	c.cur = appOp{active: true, step: c.next, start: now, attempts: 1}
	c.next++
	c.backoff = c.cfg.DelayMin
	c.run(now, out)
}

// finish records the application operation and schedules the next step.
func (c *Client) finish(now Time, st Status, out *Output) {
	step := &c.cfg.Script[c.cur.step]
	c.seq++
	op := Op{Actor: c.cfg.Name, Seq: c.seq, Kind: step.Kind, File: c.cfg.Files[step.File], Start: c.cur.start, End: now,
		Result: st.String(), Attempts: c.cur.attempts, Size: c.cur.size, Data: c.cur.data,
		Change: c.cur.change, Flushed: c.cur.flushed}
	if step.Kind.ReadsData() {
		op.Bytes = c.cur.size
	}
	out.op(op)
	c.cur = appOp{}
	c.schedule(now, out)
}

func (c *Client) send(m Message, why purpose, out *Output) uint32 {
	m.From, m.To, m.XID = c.cfg.ID, ServerID, c.nextXID
	c.nextXID++
	if why == forApp {
		c.cur.xid = m.XID
	} else {
		c.rpcs = append(c.rpcs, rpc{xid: m.XID, why: why, file: m.File, data: m.Data})
	}
	out.send(m)
	return m.XID
}

// retryLater backs off after NFS4ERR_DELAY (nfs4_delay): 100 ms, doubling
// to 15 s.
func (c *Client) retryLater(now Time, out *Output) {
	out.arm(TimerKey{Kind: TimerRetry}, now+c.backoff)
	c.backoff = min(2*c.backoff, c.cfg.DelayMax)
}

// markDirty notes that f's page cache holds data the server lacks and arms
// the flusher for when those pages expire.
func (c *Client) markDirty(now Time, f FileID, out *Output) {
	cf := &c.files[f]
	if cf.dirty {
		return
	}
	cf.dirty, cf.dirtySince = true, now
	iv := c.cfg.WritebackInterval
	due := now + c.cfg.WritebackExpire
	at := (due + iv - 1) / iv * iv // the flusher's next run at or after expiry
	out.arm(TimerKey{TimerWriteback, uint32(f)}, at)
}

// writeback is the flusher writing expired dirty pages: WRITE then COMMIT,
// in the background.
func (c *Client) writeback(now Time, f FileID, out *Output) {
	cf := &c.files[f]
	if !cf.dirty {
		return
	}
	out.event(Event{Kind: EvWriteback, Actor: c.cfg.ID, File: f, Client: c.cfg.ID, Why: "flusher: dirty pages older than dirty_expire written back"})
	c.send(Message{Kind: MsgWrite, File: f, Stateid: cf.writeStateid(), Size: cf.size, Data: cf.data, Bytes: cf.size}, forWriteback, out)
}

// renewd is the client's renew daemon (nfs4_renew_state): every 2/3 lease
// it renews the lease if the client holds state, then returns
// delegations unused since its previous run
// (nfs_expire_unreferenced_delegations).
func (c *Client) renewd(now Time, out *Output) {
	out.arm(TimerKey{Kind: TimerRenew}, now+2*c.cfg.Lease/3)
	holds := false
	for i := range c.files {
		cf := &c.files[i]
		if cf.opens > 0 || cf.deleg != DelegNone {
			holds = true
		}
		if cf.deleg == DelegNone || cf.returning {
			continue
		}
		if cf.referenced {
			cf.referenced = false
			continue
		}
		out.event(Event{Kind: EvIdleReturn, Actor: c.cfg.ID, File: FileID(i), Client: c.cfg.ID, Deleg: cf.deleg, Why: "nfs_expire_unreferenced_delegations: delegation unused since the last renewd run"})
		if cf.opens > 0 {
			cf.returnWhen = true
			continue
		}
		c.returnDeleg(FileID(i), out)
	}
	if holds {
		c.send(Message{Kind: MsgRenew}, forRenew, out)
	}
}

// returnDeleg starts the state manager's delegation return
// (nfs_end_delegation_return with issync=0): reclaim opens made locally
// under the delegation (OPEN with CLAIM_DELEG_CUR_FH), then DELEGRETURN.
// Dirty pages are not flushed first.
func (c *Client) returnDeleg(f FileID, out *Output) {
	cf := &c.files[f]
	cf.returning = true
	if cf.opens > 0 && !cf.rpcOpen {
		c.send(Message{Kind: MsgOpen, File: f, Access: AccessBoth, Stateid: cf.delegID}, forClaim, out)
		return
	}
	c.send(Message{Kind: MsgDelegReturn, File: f, Stateid: cf.delegID}, forReturn, out)
}

// callback serves CB_RECALL and CB_GETATTR (nfs4_callback_recall,
// nfs4_callback_getattr). The answer goes at once; the state manager
// sends DELEGRETURN right behind it.
func (c *Client) callback(now Time, m *Message, out *Output) {
	r := Message{Kind: m.Kind, Reply: true, From: c.cfg.ID, To: ServerID, XID: m.XID, File: m.File}
	cf := &c.files[m.File]
	held := cf.deleg != DelegNone && cf.delegID == m.Stateid
	switch m.Kind {
	case MsgCBRecall:
		if !held || cf.returning {
			r.Status = NFS4ErrBadStateid
			out.send(r)
			return
		}
		out.send(r)
		c.returnDeleg(m.File, out)
	case MsgCBGetattr:
		if !held || cf.deleg != DelegWrite {
			r.Status = NFS4ErrBadHandle
			out.send(r)
			return
		}
		r.Size, r.Change, r.Dirty = cf.size, cf.delegCh, cf.dirty
		if cf.dirty {
			r.Change++ // nfs_have_writebacks: report a change
		}
		out.send(r)
	}
}

func (c *Client) reply(now Time, m *Message, out *Output) {
	if m.Revoked != 0 {
		c.revoked(m.Revoked, out)
	}
	if m.XID == c.cur.xid && c.cur.active {
		c.cur.xid = 0
		c.appReply(now, m, out)
		return
	}
	i := slices.IndexFunc(c.rpcs, func(r rpc) bool { return r.xid == m.XID })
	if i < 0 {
		return
	}
	r := c.rpcs[i]
	c.rpcs = slices.Delete(c.rpcs, i, i+1)
	cf := &c.files[r.file]
	switch r.why {
	case forWriteback:
		c.written(r.file, r.data, m, out)
		if m.Status == StatusOK {
			c.send(Message{Kind: MsgCommit, File: r.file}, forCommit, out)
		}
	case forClaim:
		if m.Status == StatusOK {
			cf.rpcOpen, cf.stateid = true, m.Stateid
		}
		c.send(Message{Kind: MsgDelegReturn, File: r.file, Stateid: cf.delegID}, forReturn, out)
	case forReturn:
		cf.deleg, cf.delegID, cf.returning, cf.returnWhen = DelegNone, 0, false, false
	}
}

// written applies a WRITE reply: the pages are clean if nothing newer was
// written meanwhile.
func (c *Client) written(f FileID, data uint64, m *Message, out *Output) {
	cf := &c.files[f]
	if cf.data != data || !cf.dirty {
		return
	}
	switch m.Status {
	case StatusOK:
		cf.change = m.Change
	case NFS4ErrBadStateid: // the state is gone: the server refused the data
	default:
		return
	}
	cf.dirty = false
	out.cancel(TimerKey{TimerWriteback, uint32(f)})
}

// revoked: the SEQUENCE flags said a delegation was revoked; the client
// finds it (TEST_STATEID) and forgets it (FREE_STATEID).
func (c *Client) revoked(id uint32, out *Output) {
	for i := range c.files {
		if cf := &c.files[i]; cf.deleg != DelegNone && cf.delegID == id {
			out.event(Event{Kind: EvRevokeSeen, Actor: c.cfg.ID, File: FileID(i), Client: c.cfg.ID, Deleg: cf.deleg, Why: "SEQ4_STATUS_RECALLABLE_STATE_REVOKED: delegation dropped"})
			cf.deleg, cf.delegID, cf.returning, cf.returnWhen = DelegNone, 0, false, false
		}
	}
}

// Clone implements Actor.
func (c *Client) Clone() Actor {
	d := *c
	d.files = slices.Clone(c.files)
	d.rpcs = slices.Clone(c.rpcs)
	return &d
}

// AppendState implements Actor.
func (c *Client) AppendState(b []byte) []byte {
	u := func(v uint64) { b = binary.AppendUvarint(b, v) }
	i := func(v int64) { b = binary.AppendVarint(b, v) }
	bit := func(v bool) uint64 {
		if v {
			return 1
		}
		return 0
	}
	for _, f := range c.files {
		u(uint64(f.opens))
		u(uint64(f.access))
		u(bit(f.rpcOpen)<<0 | bit(f.returning)<<1 | bit(f.returnWhen)<<2 | bit(f.referenced)<<3 | bit(f.dirty)<<4 | bit(f.invalid)<<5)
		u(uint64(f.stateid))
		u(uint64(f.deleg))
		u(uint64(f.delegID))
		u(f.delegCh)
		i(f.size)
		u(f.data)
		u(f.change)
		i(int64(f.dirtySince))
	}
	u(uint64(c.next))
	u(bit(c.cur.active))
	u(uint64(c.cur.stage))
	u(uint64(c.cur.attempts))
	u(uint64(c.cur.xid))
	i(int64(c.cur.start))
	u(uint64(len(c.rpcs)))
	for _, r := range c.rpcs {
		u(uint64(r.xid))
		u(uint64(r.why))
		u(uint64(r.file))
		u(r.data)
	}
	u(uint64(c.nextXID))
	i(int64(c.backoff))
	u(uint64(c.writes))
	u(uint64(c.seq))
	u(bit(c.crashed))
	return b
}
