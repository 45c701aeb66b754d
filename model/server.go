package model

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// File is the server's inode for one file: what a local process or a
// GETATTR sees.
type File struct {
	Name   string
	Exists bool
	Size   int64
	Change uint64 // change attribute (i_version)
	Mtime  Time
	Data   uint64 // value of the contents (see DataValue); 0 is the initial contents
	// HadConflict is nfsd's fi_had_conflict: a lease on this file was
	// broken, so no new delegation until the nfs4_file goes away (when no
	// open or delegation references it).
	HadConflict bool
	// Aliased is nfsd's fi_aliased: the inode is reachable through another
	// filehandle (another export of the same filesystem), so
	// nfsd4_check_conflicting_opens cannot count its writers and refuses
	// every delegation while anyone has it open for write.
	Aliased bool
	// Setuid: the mode has S_ISUID or S_ISGID; an OPEN for write gets no
	// delegation (nfsd4_verify_setuid_write).
	Setuid bool
	// Writers counts the descriptors local processes hold open for write:
	// their share of i_writecount, which nfsd4_check_conflicting_opens
	// sees as non-NFSv4 writers.
	Writers int
	// Dir: this entry is the directory every other file lives in (the
	// export's root), the object of directory delegations.
	Dir bool
}

// Deleg is one delegation together with the VFS lease that implements it.
// nfsd's record (Type, Recalling) and the lease (LeaseType and the pending
// flags) are kept apart because the VFS can change the lease under nfsd
// (the reader downgrade after lease-break-time).
type Deleg struct {
	ID        uint32 // delegation stateid
	File      FileID
	Client    ActorID
	Type      DelegType // what nfsd believes it granted
	Recalling bool      // CB_RECALL issued (nfsd_break_one_deleg)
	RecallAt  Time
	// cbRunning: the delegation's recall callback is in flight, or waits
	// to be resent (NFSD4_CALLBACK_RUNNING from 6.15).
	cbRunning bool
	// What the holder knew at grant (ncf_initial_cinfo, ncf_cur_fsize):
	// CB_GETATTR answers are compared with these.
	ChangeAtGrant uint64
	SizeAtGrant   int64
	// Delegated timestamps (*_ATTRS_DELEG): the mtime at grant (dl_mtime),
	// whether the file was written through nfsd since (dl_written) and
	// whether the client set its mtime with SETATTR (dl_setattr).
	MtimeAtGrant Time
	written      bool
	setattr      bool

	retries int // dl_retries: BAD_STATEID answers to CB_RECALL still to retry

	LeaseType        DelegType // F_WRLCK (write) or F_RDLCK (read)
	UnlockPending    bool      // FL_UNLOCK_PENDING: a writer broke the lease
	DowngradePending bool      // FL_DOWNGRADE_PENDING: a reader broke the lease
	DowngradeAt      Time      // fl_downgrade_time
}

// LeaseAgrees reports whether the VFS lease still matches nfsd's record.
func (d Deleg) LeaseAgrees() bool { return d.LeaseType == d.Type.Lease() }

type clientRec struct {
	minor     int
	isClient  bool
	alive     bool // not expired
	courtesy  bool // lease ran out but state kept (NFSD4_COURTESY)
	expirable bool // a conflict hit a courtesy client (NFSD4_EXPIRABLE)
	lastRenew Time
	cb        cbState
	// confirmed has bit o set once the v4.0 open-owner o is confirmed
	// (OPEN_CONFIRM done, NFS4_OO_CONFIRMED): each open-owner is
	// confirmed on its own (RFC 7530 §16.18).
	confirmed uint8
}

// revokedDeleg is a v4.1+ delegation the laundromat revoked and the
// client has not yet freed: nfsd keeps it on cl_revoked, answers its
// stateid NFS4ERR_DELEG_REVOKED and sets
// SEQ4_STATUS_RECALLABLE_STATE_REVOKED until FREE_STATEID
// (revoke_delegation, nfsd4_free_stateid).
type revokedDeleg struct {
	id     uint32
	client ActorID
	file   FileID
}

// cbState is nfsd's cl_cb_state: what it believes of the client's
// callback path.
type cbState uint8

const (
	cbUnknown cbState = iota // NFSD4_CB_UNKNOWN: being probed
	cbUp                     // NFSD4_CB_UP
	cbDown                   // NFSD4_CB_DOWN: no path (v4.0 timeout, failed probe)
	cbFault                  // NFSD4_CB_FAULT: the v4.1+ backchannel failed a callback
)

type openState struct {
	client  ActorID
	file    FileID
	stateid uint32
	access  Access
	deny    Access // share deny (OPEN4_SHARE_DENY_*)
	owner   uint8  // the client's open-owner
}

type pendingCB struct {
	xid    uint32
	client ActorID
	kind   MsgKind
	deleg  uint32
}

// ClientInfo tells the server about one client before the run starts.
type ClientInfo struct {
	ID    ActorID
	Minor int
	CBUp  bool // callback path up at start (mounted earlier, CB_NULL done)
}

// FileSpec is a file as it exists at the start of a run.
type FileSpec struct {
	Name    string
	Exists  bool
	Size    int64
	Aliased bool // reachable through another filehandle (fi_aliased)
	Setuid  bool // S_ISUID or S_ISGID set
	Dir     bool // the directory the other files live in
}

// ServerConfig builds a Server.
type ServerConfig struct {
	Profile Profile
	Params  ServerParams
	Policy  Policy
	Files   []FileSpec
	Clients []ClientInfo
	Actors  int // total number of actors in the topology
}

// Server is nfsd together with the VFS lease layer of the server host
// (fs/locks.c): it grants delegations, tracks opens, leases and client
// leases, recalls delegations on conflicting access and serves the system
// calls of local processes.
type Server struct {
	prof Profile
	par  ServerParams
	pol  Policy

	files   []File
	clients []clientRec
	delegs  []Deleg
	opens   []openState
	waiters []waiter
	cbs     []pendingCB
	block   bloom
	revoked []revokedDeleg
	// names maps each name (a FileID as scripts use it) to the inode that
	// holds its file (a FileID too): itself until a link or rename over
	// an existing name makes names share or swap inodes. nil: every name
	// is its own inode.
	names []FileID

	nextStateid uint32
	nextXID     uint32
	nextWaiter  uint32
}

// NewServer returns a server in its initial state.
//
// The server and small file and client tables (up to two files and four
// actors) are one allocation: sweeps build a server for every run.
func NewServer(c ServerConfig) *Server {
	a := &struct {
		s       Server
		files   [2]File
		clients [4]clientRec
	}{}
	s := &a.s
	*s = Server{prof: c.Profile, par: c.Params.WithDefaults(), pol: c.Policy, nextStateid: 1, nextXID: 1, nextWaiter: 1}
	if s.pol == nil {
		s.pol = kernelPolicy{}
	}
	if n := len(c.Files); n > 0 && n <= len(a.files) {
		s.files = a.files[:0:n]
	}
	for _, f := range c.Files {
		s.files = append(s.files, File{Name: f.Name, Exists: f.Exists || f.Dir, Size: f.Size, Aliased: f.Aliased, Setuid: f.Setuid, Dir: f.Dir})
	}
	if c.Actors <= len(a.clients) {
		s.clients = a.clients[:c.Actors:c.Actors]
	} else {
		s.clients = make([]clientRec, c.Actors)
	}
	for _, ci := range c.Clients {
		c := clientRec{minor: ci.Minor, isClient: true, alive: true, cb: cbDown}
		if ci.CBUp {
			c.cb = cbUp
		}
		s.clients[ci.ID] = c
	}
	return s
}

// Params returns the server's timers, defaults filled in.
func (s *Server) Params() ServerParams { return s.par }

// Policy returns the server's policy.
func (s *Server) Policy() Policy { return s.pol }

// Files returns the file table. The slice is the server's own: do not modify.
func (s *Server) Files() []File { return s.files }

// Delegations returns the delegations nfsd holds. Do not modify.
func (s *Server) Delegations() []Deleg { return s.delegs }

// HasOpen reports whether the client has the file open at the server.
func (s *Server) HasOpen(c ActorID, f FileID) bool {
	for _, o := range s.opens {
		if o.client == c && o.file == f {
			return true
		}
	}
	return false
}

// Step implements Actor.
func (s *Server) Step(now Time, in *Input, out *Output) {
	switch in.Kind {
	case InStart:
		for id, c := range s.clients {
			if c.isClient {
				out.arm(TimerKey{TimerExpire, uint32(id)}, s.laundromatDue(0))
			}
		}
	case InDeliver:
		s.deliver(now, &in.Msg, out)
	case InTimer:
		s.timer(now, in.Timer, out)
	}
}

// deliver and the handlers below take the message by pointer: it is
// the driver's scratch copy for this step (Actor.Step), and passing it
// down by value would copy it at every call.
func (s *Server) deliver(now Time, m *Message, out *Output) {
	// Requests name files; nfsd and the VFS act on inodes. Replies carry
	// the inode, which their receivers do not look at (they match replies
	// by xid). Requests that change names keep the name: they need it
	// (reqIno finds their inode).
	if !m.Kind.byName() {
		m.File = s.ino(m.File)
	}
	if m.Kind.Channel() == ChanLocal {
		s.syscall(now, m, out)
		return
	}
	if m.Reply {
		s.callbackReply(now, m, out)
		return
	}
	s.rpc(now, m, out)
}

func (s *Server) timer(now Time, k TimerKey, out *Output) {
	switch k.Kind {
	case TimerCBTimeout:
		s.callbackTimeout(now, k.Arg, out)
	case TimerCBResend:
		s.resendRecall(now, k.Arg, out)
	case TimerRevoke:
		s.laundromatRevoke(now, k.Arg, out)
	case TimerExpire:
		s.laundromatExpire(now, ActorID(k.Arg), out)
	case TimerDowngrade:
		s.downgrade(now, k.Arg, out)
	case TimerNfsdWait, TimerLocalWait:
		s.waitTimeout(now, k.Arg, out)
	}
}

func (s *Server) delegIndex(id uint32) int {
	for i := range s.delegs {
		if s.delegs[i].ID == id {
			return i
		}
	}
	return -1
}

func (s *Server) file(f FileID) *File { return &s.files[f] }

// Clone implements Actor.
func (s *Server) Clone() Actor {
	c := *s
	c.files = slices.Clone(s.files)
	c.clients = slices.Clone(s.clients)
	c.delegs = slices.Clone(s.delegs)
	c.opens = slices.Clone(s.opens)
	c.waiters = slices.Clone(s.waiters)
	c.cbs = slices.Clone(s.cbs)
	c.block = s.block.clone()
	c.revoked = slices.Clone(s.revoked)
	c.names = slices.Clone(s.names)
	return &c
}

// AppendState implements Actor. Stateids and xids are encoded as issued;
// explorers that want symmetry reduction rename them.
func (s *Server) AppendState(b []byte) []byte {
	u := func(v uint64) { b = binary.AppendUvarint(b, v) }
	i := func(v int64) { b = binary.AppendVarint(b, v) }
	flag := func(v bool) {
		if v {
			u(1)
		} else {
			u(0)
		}
	}
	for _, f := range s.files {
		flag(f.Exists)
		i(f.Size)
		u(f.Change)
		i(int64(f.Mtime))
		u(f.Data)
		flag(f.HadConflict)
		flag(f.Aliased)
		flag(f.Setuid)
		u(uint64(f.Writers))
	}
	for _, c := range s.clients {
		flag(c.alive)
		flag(c.courtesy)
		flag(c.expirable)
		i(int64(c.lastRenew))
		u(uint64(c.cb))
		u(uint64(c.confirmed))
	}
	u(uint64(len(s.revoked)))
	for _, r := range s.revoked {
		u(uint64(r.id))
		u(uint64(r.client))
		u(uint64(r.file))
	}
	u(uint64(len(s.names)))
	for _, n := range s.names {
		u(uint64(n))
	}
	u(uint64(len(s.delegs)))
	for _, d := range s.delegs {
		u(uint64(d.ID))
		u(uint64(d.File))
		u(uint64(d.Client))
		u(uint64(d.Type))
		flag(d.Recalling)
		flag(d.cbRunning)
		u(uint64(d.retries))
		i(int64(d.RecallAt))
		u(d.ChangeAtGrant)
		i(d.SizeAtGrant)
		i(int64(d.MtimeAtGrant))
		flag(d.written)
		flag(d.setattr)
		u(uint64(d.LeaseType))
		flag(d.UnlockPending)
		flag(d.DowngradePending)
		i(int64(d.DowngradeAt))
	}
	u(uint64(len(s.opens)))
	for _, o := range s.opens {
		u(uint64(o.client))
		u(uint64(o.file))
		u(uint64(o.stateid))
		u(uint64(o.access))
		u(uint64(o.deny))
		u(uint64(o.owner))
	}
	u(uint64(len(s.waiters)))
	for _, w := range s.waiters {
		b = w.appendState(b)
	}
	u(uint64(len(s.cbs)))
	for _, c := range s.cbs {
		u(uint64(c.xid))
		u(uint64(c.client))
		u(uint64(c.kind))
		u(uint64(c.deleg))
	}
	b = s.block.appendState(b)
	u(uint64(s.nextStateid))
	u(uint64(s.nextXID))
	u(uint64(s.nextWaiter))
	return b
}

// String summarises the delegation table, for traces and explanations.
func (s *Server) String() string {
	if len(s.delegs) == 0 {
		return "no delegations"
	}
	out := ""
	for i, d := range s.delegs {
		if i > 0 {
			out += "; "
		}
		out += fmt.Sprintf("%s deleg %d on %s to actor %d", d.Type, d.ID, s.files[d.File].Name, d.Client)
		if d.Recalling {
			out += " (recalling)"
		}
		if !d.LeaseAgrees() {
			out += fmt.Sprintf(" [lease now %s]", d.LeaseType)
		}
	}
	return out
}
