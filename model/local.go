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
	stage   uint8 // 0: before the stat, 1: stat answered, 2: waiting for the open/call
	xid     uint32
	nextXID uint32
	statted Message // lsattr's stat() answer
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
func (l *Local) Step(now Time, in Input, out *Output) {
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
			l.begin(now, out)
		case TimerOpen:
			l.call(out)
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

// begin starts one attempt: lsattr stats first (lsattr → stat(), which
// breaks no lease), then every operation makes its call after start-up.
func (l *Local) begin(now Time, out *Output) {
	st := &l.cfg.Script[l.step]
	l.stage = 0
	if st.Kind == OpLsattr {
		l.sys(Message{Kind: MsgSysStat, File: st.File}, out)
		return
	}
	l.afterStartup(now, out)
}

func (l *Local) afterStartup(now Time, out *Output) {
	l.stage = 1
	if d := l.startup(); d > 0 {
		out.arm(TimerKey{Kind: TimerOpen}, now+d)
		return
	}
	l.call(out)
}

// call makes the operation's lease-breaking system call.
func (l *Local) call(out *Output) {
	st := &l.cfg.Script[l.step]
	l.stage = 2
	m := Message{File: st.File}
	switch st.Kind {
	case OpLsattr, OpNginx:
		// e2p fgetflags / nginx ngx_open_cached_file: O_RDONLY|O_NONBLOCK.
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
		m.Kind = MsgSysRename
	default: // OpChmod
		m.Kind = MsgSysChmod
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
	if l.stage == 0 { // lsattr's stat()
		if m.Status != StatusOK {
			l.done(now, m, out)
			return
		}
		l.statted = *m
		l.afterStartup(now, out)
		return
	}
	if m.Status != StatusOK && l.attempt < st.Retry.Attempts {
		out.arm(TimerKey{Kind: TimerAppRetry}, now+st.Retry.sleep(l.attempt))
		return
	}
	if st.Kind == OpLsattr && m.Status == StatusOK {
		m.Size, m.Change = l.statted.Size, l.statted.Change
	}
	l.done(now, m, out)
}

func (l *Local) done(now Time, m *Message, out *Output) {
	st := &l.cfg.Script[l.step]
	l.seq++
	op := Op{Actor: l.cfg.Name, Seq: l.seq, Kind: st.Kind, File: l.cfg.Files[st.File], Start: l.start,
		End: now, Result: m.Status.String(), Attempts: l.attempt}
	if m.Status == StatusOK {
		op.Size, op.Change = m.Size, m.Change
		if st.Kind.ReadsData() {
			op.Bytes, op.Data = m.Bytes, m.Data
		}
		if st.Kind == OpOpenWrite && st.Bytes > 0 {
			op.Size, op.Data = m.Size, m.Data
		}
	}
	out.op(op)
	l.active = false
	l.schedule(now, out)
}

// Clone implements Actor.
func (l *Local) Clone() Actor { c := *l; return &c }

// AppendState implements Actor.
func (l *Local) AppendState(b []byte) []byte {
	for _, v := range []uint64{uint64(l.next), uint64(l.step), uint64(l.attempt), uint64(l.stage),
		uint64(l.xid), uint64(l.nextXID), uint64(l.seq), uint64(l.writes), uint64(l.statted.Size), l.statted.Change} {
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
