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
	// Callback channel (RFC 8881 §20).
	MsgCBRecall
	MsgCBGetattr
	// Local system calls into the server's VFS.
	MsgSysStat
	MsgSysOpen
	MsgSysUnlink
	MsgSysRename
	MsgSysChmod
	msgKindCount
)

var msgKindNames = [...]string{
	MsgNone: "NONE", MsgOpen: "OPEN", MsgOpenConfirm: "OPEN_CONFIRM", MsgClose: "CLOSE",
	MsgWrite: "WRITE", MsgCommit: "COMMIT", MsgGetattr: "GETATTR", MsgSetattr: "SETATTR",
	MsgRemove: "REMOVE", MsgRename: "RENAME", MsgRead: "READ", MsgDelegReturn: "DELEGRETURN",
	MsgRenew: "RENEW", MsgCBRecall: "CB_RECALL", MsgCBGetattr: "CB_GETATTR",
	MsgSysStat: "stat", MsgSysOpen: "open", MsgSysUnlink: "unlink", MsgSysRename: "rename",
	MsgSysChmod: "chmod",
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
	case k == MsgCBRecall || k == MsgCBGetattr:
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
	ErrEAGAIN                // EAGAIN / EWOULDBLOCK from a non-blocking open
	ErrENOENT                // ENOENT
	ErrEINTR                 // the process gave up waiting
	ErrEBADF                 // close or write without an open file
	ErrEINVAL                // an operation the actor cannot perform
	statusCount
)

var statusNames = [...]string{
	StatusOK: "ok", NFS4ErrDelay: "NFS4ERR_DELAY", NFS4ErrNoent: "NFS4ERR_NOENT",
	NFS4ErrExist: "NFS4ERR_EXIST", NFS4ErrBadStateid: "NFS4ERR_BAD_STATEID",
	NFS4ErrBadHandle: "NFS4ERR_BADHANDLE", NFS4ErrExpired: "NFS4ERR_EXPIRED", NFS4ErrOpenMode: "NFS4ERR_OPENMODE",
	ErrEAGAIN: "EAGAIN", ErrENOENT: "ENOENT", ErrEINTR: "EINTR", ErrEBADF: "EBADF", ErrEINVAL: "EINVAL",
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

// DelegType is the kind of delegation (RFC 8881 §10.4).
type DelegType uint8

// Delegation types.
const (
	DelegNone DelegType = iota
	DelegRead
	DelegWrite
)

func (d DelegType) String() string {
	switch d {
	case DelegRead:
		return "read"
	case DelegWrite:
		return "write"
	}
	return "none"
}

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

	XID     uint32 // matches a reply to its request within one sender
	Stateid uint32 // open or delegation stateid
	DelegID uint32 // the delegation stateid in an OPEN reply
	Revoked uint32 // SEQUENCE status flag: this delegation was revoked (RFC 8881 §18.46.3; the client finds which with TEST_STATEID)

	From ActorID
	To   ActorID
	File FileID

	Size   int64  // file size carried by WRITE, GETATTR/CB_GETATTR replies, reads
	Change uint64 // change attribute
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
		} else if m.Status == StatusOK {
			fmt.Fprintf(&b, " stateid=%d deleg=%s", m.Stateid, m.Deleg)
			if m.Deleg != DelegNone {
				fmt.Fprintf(&b, " delegid=%d", m.DelegID)
			}
		}
	case MsgWrite, MsgRead:
		fmt.Fprintf(&b, " size=%d data=%d", m.Size, m.Data)
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
	if m.Revoked != 0 {
		fmt.Fprintf(&b, " revoked=%d", m.Revoked)
	}
	return b.String()
}
