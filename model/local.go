package model

import (
	"encoding/binary"
	"time"
)

// Retry is an application's retry loop around a local operation that
// failed: up to Attempts tries in all, sleeping Delay after the first
// failure and multiplying the sleep by Backoff after each further one.
type Retry struct {
	Attempts int
	Delay    Time
	Backoff  float64
}

// sleep returns the pause after the n-th failed attempt (n from 1).
func (r Retry) sleep(n int) Time {
	d := float64(r.Delay)
	for i := 1; i < n; i++ {
		d *= r.Backoff
	}
	return Time(d)
}

// Poll is a program's loop around a local operation's system call: it
// repeats the call every Every until the call's result is Until, or
// Timeout has passed since the first try (0: no limit). Unlike Retry it
// does not restart the program: start-up and lsattr's stat() happen once.
type Poll struct {
	Until   Status
	Every   Time
	Timeout Time
	Active  bool
}

// LocalStep is one operation in a local process's script.
type LocalStep struct {
	At    Time // absolute start, if HasAt
	HasAt bool
	After Time // otherwise: delay after the previous step returned
	Kind  OpKind
	File  FileID
	// Startup is the time from the process's start to its open(2) (or
	// other lease-breaking call), one value per attempt; drivers draw it.
	// lsattr calls stat() at start and open() after Startup.
	Startup []Time
	Bytes   int64 // OpOpenWrite: bytes written after the open
	Retry   Retry
	Poll    Poll
	// Hold keeps the descriptor of a successful open open this long
	// before closing it (cat, open-read, open-write, nginx). A writer
	// holding it counts in i_writecount, which keeps nfsd from granting
	// delegations (nfsd4_check_conflicting_opens).
	Hold Time
	For  Time // OpSleep: how long
	// Target is the new name of OpLocalLink and of OpLocalRename over an
	// existing name (HasTarget).
	Target    FileID
	HasTarget bool
	Size      int64 // OpTruncate: the new size
	// Blocking: the program (lsattr, nginx) opens without O_NONBLOCK, as
	// a patched e2fsprogs or nginx would; the open then waits for the
	// recall like any blocking open (__break_lease).
	Blocking bool
}

// LocalConfig builds a Local.
type LocalConfig struct {
	ID     ActorID
	Name   string
	Index  int      // 1-based position among writers, for DataValue
	Files  []string // the server's file table, by FileID
	Script []LocalStep
}

// Stages of a local operation.
const (
	localStat    uint8 = iota // lsattr's stat() sent
	localStartup              // starting up, before the call
	localCall                 // the lease-breaking call sent
	localIoctl                // chattr's FS_IOC_SETFLAGS sent
	localHold                 // holding the descriptor open
	localClose                // close(2) sent
)

// Local is a process on the server host running a script of system calls
// (lsattr, stat, cat, nginx, a writer, unlink...). Its calls go straight
// to the server's VFS.
type Local struct {
	cfg     *LocalConfig
	next    int
	active  bool
	step    int
	start   Time // this operation's first attempt began
	attempt int
	stage   uint8
	xid     uint32
	nextXID uint32
	statted Message // lsattr's stat() answer
	result  Message // the call's answer, kept while the descriptor is held
	seq     int
	writes  int
}

// NewLocal returns a local process ready for InStart.
// The process and its configuration are one allocation.
func NewLocal(c LocalConfig) *Local {
	a := &struct {
		l   Local
		cfg LocalConfig
	}{cfg: c}
	a.l = Local{cfg: &a.cfg, nextXID: 1}
	return &a.l
}

// ScriptLen returns the number of steps in the script.
func (l *Local) ScriptLen() int { return len(l.cfg.Script) }

// Done reports whether the script has finished.
func (l *Local) Done() bool { return !l.active && l.next >= len(l.cfg.Script) }

// Step implements Actor.
func (l *Local) Step(now Time, in *Input, out *Output) {
	switch in.Kind {
	case InStart:
		l.schedule(now, out)
	case InTimer:
		switch in.Timer.Kind {
		case TimerScript:
			l.active, l.step, l.start, l.attempt = true, l.next, now, 1
			l.next++
			l.begin(now, out)
		case TimerAppRetry:
			l.attempt++
			if l.cfg.Script[l.step].Poll.Active {
				l.call(now, out) // the loop repeats the system call only
				return
			}
			l.begin(now, out)
		case TimerOpen:
			if l.stage == localHold {
				l.closeHeld(out)
				return
			}
			l.call(now, out)
		}
	case InDeliver:
		if in.Msg.XID == l.xid && l.active {
			l.answer(now, &in.Msg, out) // in is Step's own copy
		}
	}
}

func (l *Local) schedule(now Time, out *Output) {
	if l.next >= len(l.cfg.Script) {
		return
	}
	st := &l.cfg.Script[l.next]
	at := now + st.After
	if st.HasAt {
		at = max(now, st.At)
	}
	out.arm(TimerKey{Kind: TimerScript}, at)
}

func (l *Local) startup() Time {
	st := &l.cfg.Script[l.step]
	if len(st.Startup) == 0 {
		return 0
	}
	return st.Startup[min(l.attempt, len(st.Startup))-1]
}

// begin starts one attempt: lsattr, lsattr -v and chattr stat first
// (e2fsprogs: stat(), which breaks no lease), then every operation makes
// its call after start-up. A sleep only waits.
func (l *Local) begin(now Time, out *Output) {
	st := &l.cfg.Script[l.step]
	switch st.Kind {
	case OpSleep:
		l.stage = localStartup
		out.arm(TimerKey{Kind: TimerOpen}, now+st.For)
		return
	case OpLsattr, OpLsattrV, OpChattr:
		l.stage = localStat
		l.sys(Message{Kind: MsgSysStat, File: st.File}, out)
		return
	}
	l.afterStartup(now, out)
}

func (l *Local) afterStartup(now Time, out *Output) {
	l.stage = localStartup
	if d := l.startup(); d > 0 {
		out.arm(TimerKey{Kind: TimerOpen}, now+d)
		return
	}
	l.call(now, out)
}

// call makes the operation's lease-breaking system call.
func (l *Local) call(now Time, out *Output) {
	st := &l.cfg.Script[l.step]
	if st.Kind == OpSleep {
		l.finish(now, out)
		return
	}
	l.stage = localCall
	m := Message{File: st.File}
	switch st.Kind {
	case OpLsattr, OpLsattrV, OpChattr, OpNginx:
		// e2p fgetflags/fgetversion/fsetflags open with OPEN_FLAGS,
		// O_RDONLY|O_NONBLOCK (lib/e2p); nginx ngx_open_cached_file
		// likewise.
		m.Kind, m.Access, m.NonBlk = MsgSysOpen, AccessRead, !st.Blocking
	case OpCat, OpOpenRead:
		m.Kind, m.Access = MsgSysOpen, AccessRead
	case OpOpenWrite:
		m.Kind, m.Access = MsgSysOpen, AccessWrite
		if st.Bytes > 0 {
			l.writes++
			m.Size, m.Data = st.Bytes, DataValue(l.cfg.Index, l.writes)
		}
	case OpLocalStat:
		m.Kind = MsgSysStat
	case OpUnlink:
		m.Kind = MsgSysUnlink
	case OpLocalRename:
		m.Kind, m.Target = MsgSysRename, st.File
		if st.HasTarget {
			m.Target = st.Target
		}
	case OpLocalLink:
		m.Kind, m.Target = MsgSysLink, st.Target
	case OpTruncate:
		m.Kind, m.Size = MsgSysTruncate, st.Size
		if st.Size > 0 {
			l.writes++
			m.Data = DataValue(l.cfg.Index, l.writes)
		}
	case OpUtimes:
		m.Kind = MsgSysUtimes
	default: // OpChmod
		m.Kind = MsgSysChmod
	}
	if m.Kind == MsgSysOpen && st.Hold > 0 {
		m.Flags |= FlagKeepOpen
	}
	l.sys(m, out)
}

func (l *Local) sys(m Message, out *Output) {
	m.From, m.To, m.XID = l.cfg.ID, ServerID, l.nextXID
	l.nextXID++
	l.xid = m.XID
	out.send(m)
}

func (l *Local) answer(now Time, m *Message, out *Output) {
	st := &l.cfg.Script[l.step]
	switch l.stage {
	case localStat:
		if m.Status != StatusOK {
			l.done(now, m, out)
			return
		}
		l.statted = *m
		l.afterStartup(now, out)
		return
	case localIoctl:
		// chattr reports what it saw at stat(); the ioctl's own answer
		// only says it worked.
		l.result.Status = m.Status
		l.done(now, &l.result, out)
		return
	case localClose:
		l.finish(now, out)
		return
	}
	if p := &st.Poll; p.Active && m.Status != p.Until && (p.Timeout == 0 || now+p.Every-l.start <= p.Timeout) {
		out.arm(TimerKey{Kind: TimerAppRetry}, now+p.Every)
		return
	}
	if m.Status != StatusOK && l.attempt < st.Retry.Attempts {
		out.arm(TimerKey{Kind: TimerAppRetry}, now+st.Retry.sleep(l.attempt))
		return
	}
	if m.Status == StatusOK && (st.Kind == OpLsattr || st.Kind == OpLsattrV || st.Kind == OpChattr) {
		m.Size, m.Change, m.Mtime = l.statted.Size, l.statted.Change, l.statted.Mtime
	}
	if m.Status == StatusOK && st.Kind == OpChattr {
		l.result = *m
		l.stage = localIoctl
		l.sys(Message{Kind: MsgSysSetflags, File: st.File}, out)
		return
	}
	l.done(now, m, out)
}

// done records the operation; a descriptor kept open is closed Hold
// later, and the next step waits for the close.
func (l *Local) done(now Time, m *Message, out *Output) {
	st := &l.cfg.Script[l.step]
	l.seq++
	op := Op{Actor: l.cfg.Name, Seq: l.seq, Kind: st.Kind, File: l.cfg.Files[st.File], Start: l.start,
		End: now, Result: m.Status.String(), Attempts: l.attempt}
	if st.HasTarget {
		op.Target = l.cfg.Files[st.Target]
	}
	if m.Status == StatusOK {
		op.Size, op.Change, op.Mtime = m.Size, m.Change, m.Mtime
		if st.Kind.ReadsData() {
			op.Bytes, op.Data = m.Bytes, m.Data
		}
		if st.Kind == OpOpenWrite && st.Bytes > 0 {
			op.Size, op.Data = m.Size, m.Data
		}
		if st.Kind == OpTruncate {
			op.Size, op.Data = m.Size, m.Data
		}
	}
	out.op(op)
	if m.Status == StatusOK && m.Kind == MsgSysOpen && st.Hold > 0 {
		l.stage = localHold
		out.arm(TimerKey{Kind: TimerOpen}, now+st.Hold)
		return
	}
	l.finish(now, out)
}

func (l *Local) closeHeld(out *Output) {
	st := &l.cfg.Script[l.step]
	l.stage = localClose
	access := AccessRead
	if st.Kind == OpOpenWrite {
		access = AccessWrite
	}
	l.sys(Message{Kind: MsgSysClose, File: st.File, Access: access}, out)
}

// finish ends the current step and schedules the next.
func (l *Local) finish(now Time, out *Output) {
	l.active = false
	l.schedule(now, out)
}

// Clone implements Actor.
func (l *Local) Clone() Actor { c := *l; return &c }

// AppendState implements Actor.
func (l *Local) AppendState(b []byte) []byte {
	for _, v := range []uint64{uint64(l.next), uint64(l.step), uint64(l.attempt), uint64(l.stage),
		uint64(l.xid), uint64(l.nextXID), uint64(l.seq), uint64(l.writes), uint64(l.statted.Size), l.statted.Change,
		uint64(l.statted.Mtime), uint64(l.result.Status), uint64(l.result.Size), l.result.Change} {
		b = binary.AppendUvarint(b, v)
	}
	if l.active {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return binary.AppendVarint(b, int64(l.start))
}

// DefaultStartup is the start-up time of a freshly executed command such
// as lsattr or cat before its open(2): the median measured on the
// emulated test machines (facts.md: 40–120 ms, median ~64 ms).
const DefaultStartup = 64 * time.Millisecond
