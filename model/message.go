package model

import (
	"fmt"
	"strings"
)

// ActorID indexes an actor in a topology: 0 is the server, then clients in
// scenario order, then local processes.
type ActorID int

// ServerID is the server's ActorID.
const ServerID ActorID = 0

// FileID indexes a file in the server's file table.
type FileID int

// MsgKind says what a message is. Requests and their replies share a kind;
// Message.Reply tells them apart.
type MsgKind uint8

// Message kinds. Fore-channel RPCs go client→server with replies back;
// callbacks go server→client on the callback channel; system calls go
// between a local process and the server's VFS on the same host.
const (
	MsgNone MsgKind = iota
	// Fore channel (RFC 8881 §18).
	MsgOpen
	MsgOpenConfirm // NFSv4.0 only (RFC 7530 §16.18)
	MsgClose
	MsgWrite
	MsgCommit
	MsgGetattr
	MsgSetattr
	MsgRemove
	MsgRename
	MsgRead
	MsgDelegReturn
	MsgRenew // RENEW (v4.0) or a lone SEQUENCE (v4.1+): lease renewal
	MsgLink  // LINK: a new name (Target) for the file (RFC 8881 §18.9)
	// TEST_STATEID and FREE_STATEID (RFC 8881 §18.48, §18.38): how a v4.1+
	// client finds and releases a revoked delegation.
	MsgTestStateid
	MsgFreeStateid
	// GET_DIR_DELEGATION (RFC 8881 §18.39): a delegation on the directory.
	MsgGetDirDeleg
	// Callback path recovery. SETCLIENTID stands for the v4.0 pair
	// SETCLIENTID + SETCLIENTID_CONFIRM (RFC 7530 §16.33, §16.34) that
	// re-establishes the callback path; CREATE_SESSION for the v4.1+
	// session reset DESTROY_SESSION + CREATE_SESSION (RFC 8881 §18.37,
	// §18.36); BIND_CONN_TO_SESSION rebinds the connection to the
	// backchannel (RFC 8881 §18.34).
	MsgSetclientid
	MsgCreateSession
	MsgBindConn
	// Callback channel (RFC 8881 §20).
	MsgCBRecall
	MsgCBGetattr
	MsgCBNull // CB_NULL: nfsd's v4.0 callback probe (nfsd4_probe_callback)
	// Local system calls into the server's VFS.
	MsgSysStat
	MsgSysOpen
	MsgSysUnlink
	MsgSysRename
	MsgSysChmod
	MsgSysClose    // close(2) of a descriptor a local process kept open
	MsgSysSetflags // ioctl(FS_IOC_SETFLAGS) on an open descriptor (chattr)
	MsgSysLink     // link(2): a new name (Target) for the file
	MsgSysTruncate // truncate(2) to Size
	MsgSysUtimes   // utimes(2): set the file's times
	msgKindCount
)

var msgKindNames = [...]string{
	MsgNone: "NONE", MsgOpen: "OPEN", MsgOpenConfirm: "OPEN_CONFIRM", MsgClose: "CLOSE",
	MsgWrite: "WRITE", MsgCommit: "COMMIT", MsgGetattr: "GETATTR", MsgSetattr: "SETATTR",
	MsgRemove: "REMOVE", MsgRename: "RENAME", MsgRead: "READ", MsgDelegReturn: "DELEGRETURN",
	MsgRenew: "RENEW", MsgLink: "LINK", MsgTestStateid: "TEST_STATEID", MsgFreeStateid: "FREE_STATEID",
	MsgGetDirDeleg: "GET_DIR_DELEGATION", MsgSetclientid: "SETCLIENTID", MsgCreateSession: "CREATE_SESSION",
	MsgBindConn: "BIND_CONN_TO_SESSION", MsgCBRecall: "CB_RECALL", MsgCBGetattr: "CB_GETATTR",
	MsgCBNull: "CB_NULL", MsgSysStat: "stat", MsgSysOpen: "open", MsgSysUnlink: "unlink",
	MsgSysRename: "rename", MsgSysChmod: "chmod", MsgSysClose: "close", MsgSysSetflags: "setflags",
	MsgSysLink: "link", MsgSysTruncate: "truncate", MsgSysUtimes: "utimes",
}

func (k MsgKind) String() string {
	if int(k) < len(msgKindNames) {
		return msgKindNames[k]
	}
	return fmt.Sprintf("msg(%d)", uint8(k))
}

// MsgKindCount is the number of message kinds, for tables indexed by kind.
const MsgKindCount = int(msgKindCount)

// ParseMsgKind returns the kind with the given name ("CB_RECALL").
func ParseMsgKind(s string) (MsgKind, bool) {
	for k, n := range msgKindNames {
		if n == s && k != int(MsgNone) {
			return MsgKind(k), true
		}
	}
	return MsgNone, false
}

// Channel says which path a message travels.
type Channel uint8

// Channels. Each client has its own fore and callback channel.
const (
	ChanFore Channel = iota
	ChanCallback
	ChanLocal
)

func (c Channel) String() string {
	switch c {
	case ChanFore:
		return "fore"
	case ChanCallback:
		return "callback"
	default:
		return "local"
	}
}

// Channel returns the path the message travels on.
func (k MsgKind) Channel() Channel {
	switch {
	case k == MsgCBRecall || k == MsgCBGetattr || k == MsgCBNull:
		return ChanCallback
	case k >= MsgSysStat:
		return ChanLocal
	default:
		return ChanFore
	}
}

// Status is an NFS status or, for system calls, an errno.
type Status uint8

// Statuses used by the model.
const (
	StatusOK          Status = iota
	NFS4ErrDelay             // NFS4ERR_DELAY: retry later (RFC 8881 §15.1.1.3)
	NFS4ErrNoent             // NFS4ERR_NOENT
	NFS4ErrExist             // NFS4ERR_EXIST (O_EXCL create of an existing file)
	NFS4ErrBadStateid        // NFS4ERR_BAD_STATEID
	NFS4ErrBadHandle         // NFS4ERR_BADHANDLE: callback for a delegation the client no longer holds
	NFS4ErrExpired           // NFS4ERR_EXPIRED: the client's lease expired
	NFS4ErrOpenMode          // NFS4ERR_OPENMODE: WRITE through a read-only open
	NFS4ErrCBPathDown        // NFS4ERR_CB_PATH_DOWN: RENEW while the callback path is down (RFC 7530 §16.29)
	ErrEAGAIN                // EAGAIN / EWOULDBLOCK from a non-blocking open
	ErrENOENT                // ENOENT
	ErrEINTR                 // the process gave up waiting
	ErrEBADF                 // close or write without an open file
	ErrEINVAL                // an operation the actor cannot perform
	// Appended after the first release: traces encode statuses by name,
	// snapshots by number.
	NFS4ErrDelegRevoked // NFS4ERR_DELEG_REVOKED: the delegation stateid was revoked (RFC 8881 §15.1.5.2)
	NFS4ErrShareDenied  // NFS4ERR_SHARE_DENIED: an OPEN's access or deny conflicts with another open's (RFC 8881 §18.16.3)
	NFS4ErrResource     // NFS4ERR_RESOURCE: the callback's answer when it lacks resources (RFC 7530 §13.1.6)
	ErrEIO              // EIO: a write-back error reported by close(2) or fsync(2)
	ErrEEXIST           // EEXIST: link(2) to a name that exists
	NFS4ErrLocked       // NFS4ERR_LOCKED: I/O with the anonymous stateid against a share deny
	statusCount
)

var statusNames = [...]string{
	StatusOK: "ok", NFS4ErrDelay: "NFS4ERR_DELAY", NFS4ErrNoent: "NFS4ERR_NOENT",
	NFS4ErrExist: "NFS4ERR_EXIST", NFS4ErrBadStateid: "NFS4ERR_BAD_STATEID",
	NFS4ErrBadHandle: "NFS4ERR_BADHANDLE", NFS4ErrExpired: "NFS4ERR_EXPIRED", NFS4ErrOpenMode: "NFS4ERR_OPENMODE",
	NFS4ErrCBPathDown: "NFS4ERR_CB_PATH_DOWN",
	ErrEAGAIN:         "EAGAIN", ErrENOENT: "ENOENT", ErrEINTR: "EINTR", ErrEBADF: "EBADF", ErrEINVAL: "EINVAL",
	NFS4ErrDelegRevoked: "NFS4ERR_DELEG_REVOKED", NFS4ErrShareDenied: "NFS4ERR_SHARE_DENIED",
	NFS4ErrResource: "NFS4ERR_RESOURCE", ErrEIO: "EIO", ErrEEXIST: "EEXIST", NFS4ErrLocked: "NFS4ERR_LOCKED",
}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Access is an NFSv4 share access or an open(2) access mode.
type Access uint8

// Access bits: OPEN4_SHARE_ACCESS_READ/WRITE (RFC 8881 §18.16.3).
const (
	AccessRead  Access = 1
	AccessWrite Access = 2
	AccessBoth         = AccessRead | AccessWrite
)

func (a Access) String() string {
	switch a {
	case AccessRead:
		return "R"
	case AccessWrite:
		return "W"
	case AccessBoth:
		return "RW"
	}
	return "-"
}

// DelegType is the kind of delegation (RFC 8881 §10.4; the *_ATTRS_DELEG
// types of RFC 9754 §4 add delegated timestamps). New types go at the end:
// traces and snapshots encode the numbers.
type DelegType uint8

// Delegation types.
const (
	DelegNone       DelegType = iota
	DelegRead                 // OPEN_DELEGATE_READ
	DelegWrite                // OPEN_DELEGATE_WRITE
	DelegReadAttrs            // OPEN_DELEGATE_READ_ATTRS_DELEG: read, and the client owns atime
	DelegWriteAttrs           // OPEN_DELEGATE_WRITE_ATTRS_DELEG: write, and the client owns mtime and atime
)

var delegTypeNames = [...]string{DelegNone: "none", DelegRead: "read", DelegWrite: "write",
	DelegReadAttrs: "read-attrs", DelegWriteAttrs: "write-attrs"}

func (d DelegType) String() string {
	if int(d) < len(delegTypeNames) {
		return delegTypeNames[d]
	}
	return fmt.Sprintf("deleg(%d)", uint8(d))
}

// Writes reports whether the delegation is a write delegation: its lease
// is F_WRLCK and conflicts with every other access.
func (d DelegType) Writes() bool { return d == DelegWrite || d == DelegWriteAttrs }

// Held reports whether d is a delegation at all.
func (d DelegType) Held() bool { return d != DelegNone }

// Times reports whether the holder owns the file's timestamps (the
// *_ATTRS_DELEG types).
func (d DelegType) Times() bool { return d == DelegReadAttrs || d == DelegWriteAttrs }

// Lease returns the VFS lease type implementing d: DelegWrite for write
// delegations (F_WRLCK), DelegRead for read ones (F_RDLCK).
func (d DelegType) Lease() DelegType {
	switch {
	case d.Writes():
		return DelegWrite
	case d.Held():
		return DelegRead
	}
	return DelegNone
}

// WithTimes returns the *_ATTRS_DELEG variant of d.
func (d DelegType) WithTimes() DelegType {
	switch d {
	case DelegRead:
		return DelegReadAttrs
	case DelegWrite:
		return DelegWriteAttrs
	}
	return d
}

// SeqFlags are the SEQUENCE reply status flags the model uses (RFC 8881
// §18.46.3): how a v4.1+ server tells a client its backchannel is in
// trouble.
type SeqFlags uint8

// Sequence status flags.
const (
	SeqCBPathDown       SeqFlags = 1 << iota // SEQ4_STATUS_CB_PATH_DOWN
	SeqBackchannelFault                      // SEQ4_STATUS_BACKCHANNEL_FAULT
	// SeqStateRevoked is SEQ4_STATUS_RECALLABLE_STATE_REVOKED: a
	// delegation of the client was revoked and not yet freed
	// (nfsd4_sequence: cl_revoked not empty).
	SeqStateRevoked
)

// MsgFlags are the boolean arguments and results a few messages carry.
type MsgFlags uint8

// Message flags.
const (
	// FlagWantTimes: OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS (RFC 9754 §4).
	FlagWantTimes MsgFlags = 1 << iota
	// FlagWantXor: OPEN4_SHARE_ACCESS_WANT_OPEN_XOR_DELEGATION (RFC 9754 §5).
	FlagWantXor
	// FlagNoOpenStateid: OPEN4_RESULT_NO_OPEN_STATEID in an OPEN reply.
	FlagNoOpenStateid
	// FlagClaimDelegCur: OPEN with CLAIM_DELEG_CUR_FH, turning an open
	// made locally under a delegation into server open state.
	FlagClaimDelegCur
	// FlagSetattrTimes: DELEGRETURN's compound carries a SETATTR of the
	// delegated mtime (Message.Mtime) before DELEGRETURN.
	FlagSetattrTimes
	// FlagKeepOpen: a local open(2) whose process keeps the descriptor
	// (and, for a writer, its i_writecount) until a later close(2).
	FlagKeepOpen
	// FlagTrunc: OPEN with O_TRUNC, a SETATTR of size 0 in the OPEN
	// (nfsd4_truncate).
	FlagTrunc
)

// Want is an OPEN's delegation want (OPEN4_SHARE_ACCESS_WANT_*, RFC 8881
// §18.16.3): what kind of delegation, if any, the client asks for. Linux
// clients send none of these; conformance suites and other clients do.
type Want uint8

// Delegation wants.
const (
	WantNone    Want = iota // OPEN4_SHARE_ACCESS_WANT_NO_PREFERENCE: no want bits
	WantRead                // OPEN4_SHARE_ACCESS_WANT_READ_DELEG
	WantWrite               // OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG
	WantAny                 // OPEN4_SHARE_ACCESS_WANT_ANY_DELEG
	WantNoDeleg             // OPEN4_SHARE_ACCESS_WANT_NO_DELEG
	WantCancel              // OPEN4_SHARE_ACCESS_WANT_CANCEL
	// WantSignal is WANT_ANY_DELEG with
	// OPEN4_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL: tell me when
	// one becomes available.
	WantSignal
	wantCount
)

var wantNames = [...]string{WantNone: "", WantRead: "read", WantWrite: "write", WantAny: "any",
	WantNoDeleg: "no-deleg", WantCancel: "cancel", WantSignal: "signal"}

func (w Want) String() string {
	if int(w) < len(wantNames) {
		return wantNames[w]
	}
	return fmt.Sprintf("want(%d)", uint8(w))
}

// ParseWant returns the want with the given name ("no-deleg").
func ParseWant(s string) (Want, bool) {
	for w, n := range wantNames {
		if n == s && w != int(WantNone) {
			return Want(w), true
		}
	}
	return WantNone, false
}

// WantNames lists the names ParseWant accepts.
func WantNames() []string { return append([]string(nil), wantNames[1:]...) }

// WhyNoDeleg is why_no_delegation4 in an OPEN_DELEGATE_NONE_EXT reply
// (RFC 8881 §18.16.2); WhyNone means a plain OPEN_DELEGATE_NONE. The
// numbers are the protocol's plus one.
type WhyNoDeleg uint8

// Reasons nfsd gives.
const (
	WhyNone       WhyNoDeleg = iota
	WhyNotWanted             // WND4_NOT_WANTED
	WhyContention            // WND4_CONTENTION
	WhyResource              // WND4_RESOURCE
	_                        // WND4_NOT_SUPP_FTYPE
	_                        // WND4_WRITE_DELEG_NOT_SUPP_FTYPE
	_                        // WND4_NOT_SUPP_UPGRADE
	_                        // WND4_NOT_SUPP_DOWNGRADE
	WhyCancelled             // WND4_CANCELLED
)

var whyNames = [...]string{WhyNone: "", WhyNotWanted: "WND4_NOT_WANTED", WhyContention: "WND4_CONTENTION",
	WhyResource: "WND4_RESOURCE", 4: "WND4_NOT_SUPP_FTYPE", 5: "WND4_WRITE_DELEG_NOT_SUPP_FTYPE",
	6: "WND4_NOT_SUPP_UPGRADE", 7: "WND4_NOT_SUPP_DOWNGRADE", WhyCancelled: "WND4_CANCELLED"}

func (w WhyNoDeleg) String() string {
	if int(w) < len(whyNames) {
		return whyNames[w]
	}
	return fmt.Sprintf("why(%d)", uint8(w))
}

// SetAttrs says which attributes a SETATTR (or a local truncate, chmod,
// utimes) changes.
type SetAttrs uint8

// Attributes a SETATTR sets.
const (
	AttrSize  SetAttrs = 1 << iota // size (truncate): data, mtime and ctime change
	AttrMode                       // mode (chmod): ctime changes
	AttrTimes                      // atime and mtime (utimes): mtime and ctime change
)

// Message is everything that crosses a channel. Fields not used by a kind
// stay zero; a fixed struct (rather than one type per kind) keeps messages
// comparable and cheap to copy, clone and hash. The one-byte fields come
// first and the 32-bit ones together, so the struct has no padding to
// copy: the simulator moves millions of messages a second.
type Message struct {
	Kind    MsgKind
	Reply   bool
	Status  Status
	Access  Access    // OPEN share access; open(2) access for a local open
	Create  bool      // OPEN with O_CREAT (UNCHECKED4 or EXCLUSIVE4)
	Excl    bool      // O_EXCL
	NonBlk  bool      // O_NONBLOCK on a local open
	Deleg   DelegType // delegation granted in an OPEN reply
	Confirm bool      // OPEN reply needs OPEN_CONFIRM (v4.0 new open-owner)
	Dirty   bool      // CB_GETATTR reply: the holder has modified data (RFC 8881 §10.4.3)
	Seq     SeqFlags  // fore-channel reply: SEQUENCE status flags (v4.1+)
	Flags   MsgFlags
	Deny    Access     // OPEN share deny (OPEN4_SHARE_DENY_*)
	Want    Want       // OPEN delegation want
	Why     WhyNoDeleg // OPEN reply: OPEN_DELEGATE_NONE_EXT and its reason
	Owner   uint8      // OPEN: the client's open-owner (0 is its first)
	Attrs   SetAttrs   // SETATTR: the attributes set

	XID     uint32 // matches a reply to its request within one sender
	Stateid uint32 // open or delegation stateid
	DelegID uint32 // the delegation stateid in an OPEN reply

	From   ActorID
	To     ActorID
	File   FileID
	Target FileID // LINK, RENAME: the new name

	Size   int64  // file size carried by WRITE, GETATTR/CB_GETATTR replies, reads
	Change uint64 // change attribute
	Mtime  Time   // modify time in attribute replies; the delegated mtime in SETATTR and CB_GETATTR replies
	Data   uint64 // data value written or read
	Bytes  int64  // bytes moved by WRITE or READ
}

// String renders a message canonically for traces: one format per kind.
func (m Message) String() string { return m.Format(fmt.Sprint(m.File)) }

// Format is String with the file shown by name.
func (m Message) Format(file string) string {
	var b strings.Builder
	b.WriteString(m.Kind.String())
	if m.Reply {
		b.WriteString(" reply ")
		b.WriteString(m.Status.String())
	}
	fmt.Fprintf(&b, " xid=%d file=%s", m.XID, file)
	switch m.Kind {
	case MsgOpen:
		if !m.Reply {
			fmt.Fprintf(&b, " access=%s", m.Access)
			if m.Create {
				b.WriteString(" create")
			}
			if m.Excl {
				b.WriteString(" excl")
			}
			if m.Flags&FlagTrunc != 0 {
				b.WriteString(" trunc")
			}
			if m.Deny != 0 {
				fmt.Fprintf(&b, " deny=%s", m.Deny)
			}
			if m.Owner != 0 {
				fmt.Fprintf(&b, " owner=%d", m.Owner)
			}
			if m.Want != WantNone {
				fmt.Fprintf(&b, " want=%s", m.Want)
			}
			if m.Flags&FlagClaimDelegCur != 0 {
				fmt.Fprintf(&b, " claim=deleg-cur stateid=%d", m.Stateid)
			}
		} else if m.Status == StatusOK {
			if m.Flags&FlagNoOpenStateid != 0 {
				b.WriteString(" no-open-stateid")
			} else {
				fmt.Fprintf(&b, " stateid=%d", m.Stateid)
			}
			fmt.Fprintf(&b, " deleg=%s", m.Deleg)
			if m.Deleg != DelegNone {
				fmt.Fprintf(&b, " delegid=%d", m.DelegID)
			}
			if m.Why != WhyNone {
				fmt.Fprintf(&b, " none-ext=%s", m.Why)
			}
		}
	case MsgWrite, MsgRead:
		fmt.Fprintf(&b, " size=%d data=%d", m.Size, m.Data)
		if !m.Reply {
			fmt.Fprintf(&b, " stateid=%d", m.Stateid)
		}
	case MsgLink, MsgRename, MsgSysLink, MsgSysRename:
		if !m.Reply && m.Target != m.File {
			fmt.Fprintf(&b, " to=%d", m.Target)
		}
	case MsgSetattr, MsgSysTruncate:
		if !m.Reply && m.Attrs&AttrSize != 0 {
			fmt.Fprintf(&b, " size=%d", m.Size)
		}
	case MsgTestStateid, MsgFreeStateid:
		if !m.Reply {
			fmt.Fprintf(&b, " stateid=%d", m.Stateid)
		}
	case MsgGetattr, MsgCBGetattr:
		if m.Reply {
			fmt.Fprintf(&b, " size=%d change=%d", m.Size, m.Change)
			if m.Dirty {
				b.WriteString(" dirty")
			}
		}
	case MsgDelegReturn, MsgCBRecall, MsgClose:
		if !m.Reply {
			fmt.Fprintf(&b, " stateid=%d", m.Stateid)
			if m.Flags&FlagSetattrTimes != 0 {
				fmt.Fprintf(&b, " setattr-mtime=%s", fmtTime(m.Mtime))
			}
		}
	case MsgSysOpen:
		if !m.Reply {
			fmt.Fprintf(&b, " access=%s", m.Access)
			if m.NonBlk {
				b.WriteString(" nonblock")
			}
		} else if m.Status == StatusOK {
			fmt.Fprintf(&b, " size=%d data=%d", m.Size, m.Data)
		}
	case MsgSysStat:
		if m.Reply {
			fmt.Fprintf(&b, " size=%d change=%d", m.Size, m.Change)
		}
	}
	if m.Seq&SeqCBPathDown != 0 {
		b.WriteString(" seq=cb-path-down")
	}
	if m.Seq&SeqBackchannelFault != 0 {
		b.WriteString(" seq=backchannel-fault")
	}
	if m.Seq&SeqStateRevoked != 0 {
		b.WriteString(" seq=recallable-state-revoked")
	}
	return b.String()
}
