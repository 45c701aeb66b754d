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
	Trunc  bool   // OpOpen: O_TRUNC
	Deny   Access // OpOpen: share deny
	Want   Want   // OpOpen: delegation want
	// Owner is the open-owner (the user) whose descriptor the step uses:
	// opens of different owners are separate open state at the server.
	Owner uint8
	Bytes int64 // OpWrite
	// Target is the new name of OpLink and of OpRename over an existing
	// name (HasTarget).
	Target    FileID
	HasTarget bool
	Attrs     SetAttrs // OpSetattr: what it sets (0: the times)
	Size      int64    // OpSetattr of AttrSize: the new size
}

// MaxOwners is how many open-owners one client's script may use.
const MaxOwners = 4

// RecallAnswer is a client's scripted answer to a CB_RECALL of a
// delegation it holds: the Linux client answers ok and returns the
// delegation; other clients, or one in trouble, answer an error, answer
// and never return, or never answer.
type RecallAnswer struct {
	Status Status // the reply's status
	Return bool   // after an ok reply, return the delegation
	Silent bool   // send no reply at all
}

// LinuxRecallAnswer is what the Linux client does (nfs4_callback_recall).
var LinuxRecallAnswer = RecallAnswer{Status: StatusOK, Return: true}

// ClientConfig builds a Client.
type ClientConfig struct {
	ID     ActorID
	Name   string
	Index  int      // 1-based position among writers, for DataValue
	Minor  int      // NFSv4 minor version: 0, 1 or 2
	Files  []string // the server's file table, by FileID
	Script []ClientStep
	// Profile is the kernel release the client runs (the same as the
	// server's in every scenario): what it asks for in OPEN, the order of
	// its recall answers, its flusher.
	Profile Profile

	Lease Time // the server's lease
	// RenewPhase is the renew daemon's first run: 2/3 lease after the
	// mount established the lease (nfs4_schedule_state_renewal), so a
	// client mounted at the start of the run has 60 s; one mounted earlier
	// anything below.
	RenewPhase Time
	CloseFlush FlushMode // with a write delegation
	// NFS4ERR_DELAY back-off (nfs4_update_delay): first delay, doubling
	// up to the maximum.
	DelayMin, DelayMax Time
	// The flusher (fs/fs-writeback.c): it wakes WritebackInterval
	// (dirty_writeback_centisecs) after the superblock's first dirty page
	// and every interval while dirty pages remain, and writes back pages
	// older than WritebackExpire (dirty_expire_centisecs), or everything
	// when the bdi is over its background threshold.
	WritebackExpire, WritebackInterval Time
	// The attribute cache of files without a delegation: attributes are
	// trusted for AttrMin after they changed, the timeout doubling up to
	// AttrMax while they do not (acregmin 3 s, acregmax 60 s). NoAC sets
	// both to zero (mount option noac; actimeo=T sets both to T).
	AttrMin, AttrMax Time
	NoAC             bool

	// RecallAnswers are the answers to successive CB_RECALLs of held
	// delegations, the last repeating; none: LinuxRecallAnswer.
	RecallAnswers []RecallAnswer

	// lastAttrUse is, per file, the index of the last script step that
	// consults the attribute cache (stat, read), -1 if none.
	lastAttrUse []int
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
	if c.NoAC {
		c.AttrMin, c.AttrMax = 0, 0 // nfs_server_set_fsinfo: NFS_MOUNT_NOAC
	} else {
		if c.AttrMin == 0 {
			c.AttrMin = 3 * time.Second // NFS_DEF_ACREGMIN
		}
		if c.AttrMax == 0 {
			c.AttrMax = 60 * time.Second // NFS_DEF_ACREGMAX
		}
		c.AttrMax = max(c.AttrMax, c.AttrMin)
	}
	return c
}

// setAttrUse fills lastAttrUse into use, which has one entry per file.
func (c *ClientConfig) setAttrUse(use []int) {
	for i := range use {
		use[i] = -1
	}
	for i, st := range c.Script {
		if (st.Kind == OpStat || st.Kind == OpRead || st.Kind == OpLookup) && int(st.File) < len(use) {
			use[st.File] = i
		}
	}
	c.lastAttrUse = use
}

// cfile is the client's view of one file: its opens, delegation, page
// cache and attribute cache.
type cfile struct {
	opens      int    // application opens, all owners
	access     Access // union of the open files' access modes
	own        [MaxOwners]ownerOpen
	deleg      DelegType
	delegID    uint32
	delegCh    uint64 // change attribute when the delegation was granted
	returning  bool   // DELEGRETURN under way
	returnWhen bool   // return when closed (idle, still open)
	referenced bool   // used since the last renewd run (NFS_DELEGATION_REFERENCED)
	size       int64  // cached size
	data       uint64 // cached contents
	change     uint64 // cached change attribute
	mtime      Time   // cached modify time; the client's own under a *_ATTRS_DELEG delegation
	dirty      bool
	dirtySince Time
	// cached: the page cache holds the contents the cached change
	// attribute describes. An attribute refresh that shows another change
	// clears it (nfs_update_inode → NFS_INO_INVALID_DATA) and the next
	// read goes to the server.
	cached bool
	// attrAt and attrTimeo are the attribute cache (read_cache_jiffies,
	// attrtimeo): attributes fetched at attrAt are trusted until
	// attrAt+attrTimeo. hasAttrs: fetched at all.
	attrAt    Time
	attrTimeo Time
	hasAttrs  bool
	claims    uint8 // CLAIM_DELEG_CUR opens still to be answered before DELEGRETURN
	reopens   uint8 // OPENs of state recovery still to be answered
	tested    bool  // TEST_STATEID found the delegation valid since the revoked flag rose
	wbErr     bool  // a write-back error waits for the next close(2) or fsync(2) (AS_EIO)
	stateLost bool  // open state could not be recovered: writes fail (NFS_STATE_RECOVERY_FAILED)
}

// ownerOpen is one open-owner's open of a file (an nfs4_state).
type ownerOpen struct {
	opens   int32  // the owner's application opens
	access  Access // union of their access modes
	rpcOpen bool   // open state from a real OPEN (needs CLOSE)
	stateid uint32 // open stateid
}

// ioStateid is the stateid a READ or WRITE carries (nfs4_select_rw_stateid):
// the delegation's while one covering the access is held
// (nfs4_copy_delegation_stateid: the 6.12 captures' WRITE carries the
// delegation stateid although the OPEN gave an open stateid), else the
// open-owner's open stateid, else any owner's.
func (cf *cfile) ioStateid(owner uint8, write bool) uint32 {
	if cf.deleg.Held() && !cf.returning && (cf.deleg.Writes() || !write) {
		return cf.delegID
	}
	if o := cf.own[owner]; o.rpcOpen {
		return o.stateid
	}
	for _, o := range cf.own {
		if o.rpcOpen && (o.access&AccessWrite != 0 || !write) {
			return o.stateid
		}
	}
	return 0
}

// closeOwner drops one application open of owner o and recomputes the
// file's access.
func (cf *cfile) closeOwner(o uint8) {
	cf.own[o].opens--
	cf.opens--
	if cf.own[o].opens == 0 {
		cf.own[o].access = 0
	}
	cf.access = 0
	for _, oo := range cf.own {
		if oo.opens > 0 {
			cf.access |= oo.access
		}
	}
}

// openOwner records one application open of owner o.
func (cf *cfile) openOwner(o uint8, a Access) {
	cf.own[o].opens++
	cf.own[o].access |= a
	cf.opens++
	cf.access |= a
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
	forRecovery // SETCLIENTID, CREATE_SESSION, BIND_CONN_TO_SESSION
	forTest     // TEST_STATEID of a delegation
	forFree     // FREE_STATEID of a revoked delegation
	forReopen   // OPEN of state recovery after a lost delegation
)

type rpc struct {
	xid   uint32
	why   purpose
	file  FileID
	data  uint64 // WRITE: the contents sent
	sent  Time   // when it was sent: a successful reply renews the lease from then
	sid   uint32 // the stateid it carried
	owner uint8  // the open-owner of an OPEN
}

// appOp is the application operation in progress.
type appOp struct {
	active   bool
	step     int
	start    Time
	attempts int
	stage    uint8
	xid      uint32
	sent     Time
	flushed  bool
	size     int64
	data     uint64
	change   uint64
	mtime    Time
	result   Status
	cached   bool // stat answered from the attribute cache, fetched at attrsAt
	attrsAt  Time
	sid      uint32     // the stateid its READ or WRITE carried
	ffile    FileID     // the file its flush writes back (a rename's target may be another); noFile until a flush sets it
	deleg    DelegType  // OPEN: the delegation granted
	why      WhyNoDeleg // OPEN: OPEN_DELEGATE_NONE_EXT's reason
}

// Client is the Linux NFSv4 client of one host running one application
// script: page and attribute cache, open and delegation state, callback
// service, the state manager's DELEGRETURN and recovery, renewd and the
// flusher.
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
	// lastRenewal is cl_last_renewal: when the latest request that renewed
	// the lease was sent (do_renew_lease).
	lastRenewal Time
	// flushAt is when the flusher's delayed work is due, 0 if not queued
	// (wb_wakeup_delayed).
	flushAt Time
	// bdiWritten: the superblock's bdi has completed writeback since the
	// mount, so it has a share of the background threshold.
	bdiWritten bool
	// recovering: the state manager is re-establishing the callback path
	// (NFS4CLNT_LEASE_EXPIRED, NFS4CLNT_SESSION_RESET or
	// NFS4CLNT_BIND_CONN_TO_SESSION set).
	recovering bool
	// recalls counts the CB_RECALLs of held delegations answered, which
	// picks the next scripted answer.
	recalls int
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
		use   [2]int
	}{cfg: c.withDefaults()}
	a.c = Client{cfg: &a.cfg, nextXID: 1}
	if n := len(c.Files); n <= len(a.files) {
		a.c.files = a.files[:n:n]
		a.cfg.setAttrUse(a.use[:n:n])
	} else {
		a.c.files = make([]cfile, n)
		a.cfg.setAttrUse(make([]int, n))
	}
	for i := range a.c.files {
		a.c.files[i].attrTimeo = a.cfg.AttrMin
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
// server would see: no dirty pages and no write-back, delegation return
// or recovery in flight (lease renewals go on for ever and do not count).
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
func (c *Client) Step(now Time, in *Input, out *Output) {
	if c.crashed {
		return
	}
	switch in.Kind {
	case InStart:
		c.schedule(now, out)
		// The lease was last renewed when the mount (or renewd's run
		// before the run began) scheduled this first run.
		c.lastRenewal = c.cfg.RenewPhase - 2*c.cfg.Lease/3
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
		c.flusher(now, out)
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

// noFile is an operation's flush file before a flush sets it. Not file 0:
// recovery asks whether the flush was of the file whose state was lost,
// and symmetry reduction permutes file ids, which an unset field must not
// follow.
const noFile FileID = -1

func (c *Client) begin(now Time, out *Output) {
	c.cur = appOp{active: true, step: c.next, start: now, attempts: 1, ffile: noFile}
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
		Change: c.cur.change, Mtime: c.cur.mtime, Flushed: c.cur.flushed, FromCache: c.cur.cached, AttrsAt: c.cur.attrsAt,
		Deleg: c.cur.deleg, Why: c.cur.why}
	if step.HasTarget {
		op.Target = c.cfg.Files[step.Target]
	}
	if step.Kind == OpSetattr {
		op.Sets = step.Attrs
	}
	if step.Kind.ReadsData() {
		op.Bytes = c.cur.size
	}
	out.op(op)
	c.cur = appOp{}
	c.schedule(now, out)
}

func (c *Client) send(now Time, m Message, why purpose, out *Output) uint32 {
	m.From, m.To, m.XID = c.cfg.ID, ServerID, c.nextXID
	c.nextXID++
	if why == forApp {
		c.cur.xid, c.cur.sent, c.cur.sid = m.XID, now, m.Stateid
	} else {
		c.rpcs = append(c.rpcs, rpc{xid: m.XID, why: why, file: m.File, data: m.Data, sent: now, sid: m.Stateid, owner: m.Owner})
	}
	out.send(m)
	return m.XID
}

// retryLater backs off after NFS4ERR_DELAY (nfs4_delay): 100 ms, doubling
// to 15 s; the delay lives in the system call's nfs4_exception, so every
// call starts again from 100 ms.
func (c *Client) retryLater(now Time, out *Output) {
	out.arm(TimerKey{Kind: TimerRetry}, now+c.backoff)
	c.backoff = min(2*c.backoff, c.cfg.DelayMax)
}

// renewed is do_renew_lease: a request renews the lease from the time it
// was sent. v4.1+: every reply whose SEQUENCE succeeded, whatever the
// later operations answered (nfs41_sequence_process). v4.0: renew_lease
// on an operation's success, and RENEW answered NFS4ERR_CB_PATH_DOWN
// (nfs4_renew_done).
func (c *Client) renewed(sent Time, st Status) {
	switch {
	case st == NFS4ErrExpired:
		return
	case c.cfg.Minor == 0 && st != StatusOK && st != NFS4ErrCBPathDown:
		return
	}
	c.lastRenewal = max(c.lastRenewal, sent)
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
		for _, o := range f.own {
			u(uint64(o.opens))
			u(uint64(o.access))
			u(bit(o.rpcOpen))
			u(uint64(o.stateid))
		}
		u(bit(f.returning)<<1 | bit(f.returnWhen)<<2 | bit(f.referenced)<<3 | bit(f.dirty)<<4 | bit(f.cached)<<5 | bit(f.hasAttrs)<<6 |
			bit(f.tested)<<7 | bit(f.wbErr)<<8 | bit(f.stateLost)<<9)
		u(uint64(f.claims))
		u(uint64(f.reopens))
		u(uint64(f.deleg))
		u(uint64(f.delegID))
		u(f.delegCh)
		i(f.size)
		u(f.data)
		u(f.change)
		i(int64(f.mtime))
		i(int64(f.dirtySince))
		i(int64(f.attrAt))
		i(int64(f.attrTimeo))
	}
	u(uint64(c.next))
	u(bit(c.cur.active))
	u(uint64(c.cur.stage))
	u(uint64(c.cur.attempts))
	u(uint64(c.cur.xid))
	u(uint64(c.cur.sid))
	u(uint64(c.cur.ffile))
	i(int64(c.cur.start))
	// When an RPC left decides when its reply renews the lease
	// (lastRenewal): states that differ there behave differently.
	i(int64(c.cur.sent))
	u(uint64(len(c.rpcs)))
	for _, r := range c.rpcs {
		i(int64(r.sent))
		u(uint64(r.xid))
		u(uint64(r.why))
		u(uint64(r.file))
		u(r.data)
		u(uint64(r.sid))
		u(uint64(r.owner))
	}
	u(uint64(c.recalls))
	u(uint64(c.nextXID))
	i(int64(c.backoff))
	u(uint64(c.writes))
	u(uint64(c.seq))
	u(bit(c.crashed) | bit(c.bdiWritten)<<1 | bit(c.recovering)<<2)
	i(int64(c.lastRenewal))
	i(int64(c.flushAt))
	return b
}
