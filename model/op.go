package model

import (
	"fmt"
	"strings"
	"time"
)

// Time is virtual time since the start of a run. The model never reads a
// clock: drivers pass the current virtual time into every Step.
type Time = time.Duration

// OpKind names an application-level operation in a history.
type OpKind uint8

// Application operations. Client operations go through the NFS client;
// local operations are system calls made by a process on the server host.
const (
	OpNone OpKind = iota
	// Client operations.
	OpOpen    // open(2) on the NFS client
	OpWrite   // write(2) of N bytes (lands in the client's page cache)
	OpClose   // close(2), flushing dirty data as the client's close policy says
	OpFsync   // fsync(2): WRITE + COMMIT of dirty data
	OpStat    // stat(2) on the client (GETATTR unless served under a delegation)
	OpRead    // read(2) of the whole file on the client
	OpSetattr // chmod/truncate from the client (SETATTR)
	OpRemove  // unlink from the client (REMOVE)
	OpRename  // rename from the client (RENAME)
	// Server-local operations.
	OpLsattr    // lsattr: stat(), open(O_RDONLY|O_NONBLOCK), ioctl(FS_IOC_GETFLAGS)
	OpLocalStat // stat(2) on the server: never breaks a lease
	OpCat       // blocking read open, read everything, close
	OpOpenRead  // blocking open(O_RDONLY), close
	OpOpenWrite // blocking open(O_WRONLY), optional write, close
	OpNginx     // open(O_RDONLY|O_NONBLOCK), read, close (nginx serving a file)
	OpUnlink    // unlink(2) on the server: break, wait, unlink
	OpLocalRename
	OpChmod
	OpChattr  // chattr: stat(), open(O_RDONLY|O_NONBLOCK), ioctl(FS_IOC_SETFLAGS)
	OpLsattrV // lsattr -v: as lsattr, plus FS_IOC_GETVERSION on the same descriptor
	OpSleep   // sleep(1): the process waits; not an operation in the history
	// Appended after the first release.
	OpLink      // client: link(2) over NFS (LINK)
	OpLocalLink // link(2) on the server
	OpTruncate  // truncate(2) on the server
	OpUtimes    // utimes(2) on the server
	OpLookup    // client: a path walk that revalidates the directory (ls -d, umount)
	opKindCount
)

var opKindNames = [...]string{
	OpNone: "none", OpOpen: "open", OpWrite: "write", OpClose: "close", OpFsync: "fsync",
	OpStat: "stat", OpRead: "read", OpSetattr: "setattr", OpRemove: "remove", OpRename: "rename",
	OpLsattr: "lsattr", OpLocalStat: "local-stat", OpCat: "cat", OpOpenRead: "open-read",
	OpOpenWrite: "open-write", OpNginx: "nginx", OpUnlink: "unlink", OpLocalRename: "local-rename",
	OpChmod: "chmod", OpChattr: "chattr", OpLsattrV: "lsattr-v", OpSleep: "sleep",
	OpLink: "link", OpLocalLink: "local-link", OpTruncate: "truncate", OpUtimes: "utimes", OpLookup: "lookup",
}

func (k OpKind) String() string {
	if int(k) < len(opKindNames) {
		return opKindNames[k]
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// ParseOpKind returns the kind with the given name.
func ParseOpKind(s string) (OpKind, bool) {
	for k, n := range opKindNames {
		if n == s && k != int(OpNone) {
			return OpKind(k), true
		}
	}
	return OpNone, false
}

// OpKindNames lists the names ParseOpKind accepts.
func OpKindNames() []string { return append([]string(nil), opKindNames[1:]...) }

// IsLocal reports whether the operation runs on the server host.
func (k OpKind) IsLocal() bool {
	switch k {
	case OpLink, OpLookup:
		return false
	}
	return k >= OpLsattr && k < opKindCount
}

// Reads reports whether a successful operation observed the file's
// attributes (Op.Size and Op.Change are meaningful).
func (k OpKind) ReadsAttrs() bool {
	switch k {
	case OpStat, OpLsattr, OpLocalStat, OpLsattrV, OpChattr:
		return true
	}
	return false
}

// ReadsData reports whether a successful operation observed the file's data
// (Op.Bytes and Op.Data are meaningful).
func (k OpKind) ReadsData() bool {
	switch k {
	case OpRead, OpCat, OpNginx:
		return true
	}
	return false
}

// Op is one application operation in a history: who did what to which file,
// when it was invoked and when it returned, and what it observed.
//
// Data values identify file contents: every write(2) produces a fresh value
// (see DataValue), so a read that returns value v saw exactly the bytes
// written by the write that produced v. Data 0 is the empty initial file.
type Op struct {
	ID       int    // position in the run's history, from 0
	Actor    string // "c1", "l1", ...
	Seq      int    // the actor's n-th operation, from 1
	Kind     OpKind
	File     string
	Target   string // a link's new name, or the name a rename replaced
	Start    Time   // invocation
	End      Time   // response; End >= Start
	Result   string
	Attempts int // system calls or RPC rounds made (retries included); 0 if none

	// Observed or produced values. For OpWrite, Size and Data are the
	// file's size and contents after the write in the writer's cache; for
	// OpClose and OpFsync, what was flushed to the server (Flushed true);
	// for reads, what was seen. Mtime is the modify time an attribute read
	// reported.
	Size    int64
	Change  uint64
	Mtime   Time
	Data    uint64
	Bytes   int64
	Flushed bool
	// FromCache: a client's stat answered from its attribute cache, with
	// attributes fetched from the server at AttrsAt (nfs_getattr within
	// acregmin..acregmax, no delegation). NFS promises no more than that
	// (nfs(5), "attribute caching"): under close-to-open the read may show
	// the file as it was then.
	FromCache bool
	AttrsAt   Time
	// Deleg is what an OPEN's reply granted; Why, for an OPEN granted
	// none, the reason an OPEN_DELEGATE_NONE_EXT reply gave.
	Deleg DelegType
	Why   WhyNoDeleg
	// Sets is what an OpSetattr set; with AttrSize, Size and Data are
	// what the truncation left.
	Sets SetAttrs
}

// OK reports whether the operation succeeded.
func (o Op) OK() bool { return o.Result == ResultOK }

// ResultOK is the Result of a successful operation; failures carry an errno
// name ("EAGAIN", "ENOENT") or an NFS status ("NFS4ERR_DELAY").
const ResultOK = "ok"

// Name is the operation's label in expectations and reports: "l1#2".
func (o Op) Name() string { return fmt.Sprintf("%s#%d", o.Actor, o.Seq) }

func (o Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s [%s, %s] %s", o.Name(), o.Kind, o.File, fmtTime(o.Start), fmtTime(o.End), o.Result)
	if o.OK() {
		switch {
		case o.Kind.ReadsAttrs():
			fmt.Fprintf(&b, " size=%d change=%d mtime=%s", o.Size, o.Change, fmtTime(o.Mtime))
		case o.Kind.ReadsData():
			fmt.Fprintf(&b, " bytes=%d data=%d", o.Bytes, o.Data)
		case o.Kind == OpWrite || o.Flushed:
			fmt.Fprintf(&b, " size=%d data=%d", o.Size, o.Data)
		}
	}
	return b.String()
}

// DataValue names the contents produced by the seq-th write of the actor
// with the given index (1-based). Values are unique across a run.
func DataValue(actorIndex, seq int) uint64 { return uint64(actorIndex)<<32 | uint64(seq) }

// fmtTime prints virtual time in milliseconds with microsecond precision,
// the unit traces and reports use throughout.
func fmtTime(t Time) string { return fmt.Sprintf("%.3fms", float64(t)/float64(time.Millisecond)) }
