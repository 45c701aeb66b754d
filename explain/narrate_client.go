package explain

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/model"
)

// Reasons cited for the client side and local processes.
const (
	whyClientOpen    = "nfs4_atomic_open sends OPEN (RFC 8881 §18.16)"
	whyDelegOpen     = "the delegation lets the client open without asking the server (RFC 8881 §10.4)"
	whyCloseFlush    = "nfs4_file_flush: close writes dirty pages back first (WRITE + COMMIT; nfsd grants a zero space limit)"
	whyClientClose   = "nfs4_do_close sends CLOSE (RFC 8881 §18.2); the delegation outlives the open"
	whyCacheWrite    = "write(2) lands in the page cache; a write delegation lets the client keep it there across close (RFC 8881 §10.4.1)"
	whyCachedStat    = "under a delegation the client answers stat from its own attributes (RFC 8881 §10.4)"
	whyGetattr       = "nfs_getattr revalidates with GETATTR (RFC 8881 §18.7)"
	whyCachedRead    = "read(2) is served from the page cache, revalidated at open (close-to-open)"
	whyCBRecall      = "nfs4_callback_recall answers at once; nfs_end_delegation_return (issync=0) sends DELEGRETURN without flushing dirty pages first (RFC 8881 §20.2)"
	whyCBRecallBad   = "nfs4_callback_recall: a recall for a delegation the client no longer holds gets NFS4ERR_BAD_STATEID"
	whyCBGetattr     = "nfs4_callback_getattr answers from the client's cache: size, and a change attribute bumped if pages are dirty (RFC 8881 §20.1, §10.4.3)"
	whyRetry         = "nfs4_delay: after NFS4ERR_DELAY the client retries, backing off from 100 ms, doubling, up to 15 s"
	whyRenewd        = "nfs4_renew_state: the renew daemon keeps the lease alive every ~2/3 lease"
	whyIdleReturn    = "nfs_expire_unreferenced_delegations: a delegation unused since the previous renewd run is returned"
	whyWriteback     = "the flusher writes back pages older than dirty_expire_centisecs (wb_workfn)"
	whyReturnDone    = "nfs_do_return_delegation: the delegation is forgotten once DELEGRETURN is answered"
	whyDelayReply    = "NFS4ERR_DELAY: the operation must be retried later (RFC 8881 §15.1.1.3); nfs4_delay backs off"
	whyLsattrStat    = "lsattr (e2fsprogs) stats the file first; vfs_getattr takes no lease"
	whyLsattrOpen    = "e2fsprogs lib/e2p/fgetflags.c opens O_RDONLY|O_NONBLOCK for FS_IOC_GETFLAGS; do_dentry_open → __break_lease"
	whyChattrIoctl   = "e2fsprogs lib/e2p/fsetflags.c: FS_IOC_SETFLAGS on the descriptor breaks no lease; the inode's ctime and change attribute move"
	whyHeldClose     = "close(2): __fput → put_write_access gives back the writer's share of i_writecount"
	whyNginxOpen     = "nginx (ngx_open_cached_file) opens static files O_RDONLY|O_NONBLOCK; do_dentry_open → __break_lease"
	whyBlockingOpen  = "do_dentry_open → __break_lease: a blocking open waits out a conflicting lease"
	whyLocalMetaCall = "vfs_unlink/vfs_rename/notify_change → try_break_deleg"
	whyAppRetry      = "the application's own retry loop"
)

func (s *stepCtx) client() {
	s.clientEvents()
	in := s.rec.Input
	me := s.n.name(s.rec.Actor)
	switch in.Kind {
	case model.InCrash:
		s.has(model.EvCrash)
		s.say(me+"'s host crashes: page cache and NFS state lost", "")
	case model.InTimer:
		switch in.Timer.Kind {
		case model.TimerScript:
			s.clientBegin()
		case model.TimerRetry:
			s.say(me+" retries after NFS4ERR_DELAY: "+s.sentList(), whyRetry)
		case model.TimerRenew:
			if e, ok := s.event(model.EvIdleReturn); ok {
				s.say(fmt.Sprintf("%s returns its unused %s delegation on %s", me, e.Deleg, s.n.file(e.File)), whyIdleReturn)
			}
			if len(s.sent(model.MsgRenew, false)) > 0 {
				s.say(me+" renews its lease", whyRenewd)
			}
		case model.TimerWriteback:
			if s.has(model.EvWriteback) {
				s.say(me+"'s flusher writes dirty pages back: "+s.sentList(), whyWriteback)
			}
		}
	case model.InDeliver:
		if in.Msg.Reply {
			s.clientReply(in.Msg)
		} else {
			s.clientCallback(in.Msg)
		}
	}
	s.clientOpsDone()
}

// clientEvents adds notes for the client's own events.
func (s *stepCtx) clientEvents() {
	lane := s.n.lane(s.rec.Actor)
	for _, e := range s.events {
		switch e.Kind {
		case model.EvCrash:
			s.note(lane, "host crashed")
		case model.EvIdleReturn:
			s.note(lane, "returns idle delegation")
		case model.EvRevokeSeen:
			s.note(lane, fmt.Sprintf("learns its delegation on %s was revoked", s.n.file(e.File)))
		}
	}
}

// sentList lists the requests the step sent, by label.
func (s *stepCtx) sentList() string {
	out := ""
	for _, mr := range s.msgs {
		if mr.Msg.Reply {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += "sends " + requestLabel(mr.Msg, s.n.file(mr.Msg.File))
	}
	if out == "" {
		return "nothing to send"
	}
	return out
}

// clientStep returns the scenario's client script step that the actor's
// n-th script timer began.
func (s *stepCtx) clientStep(a model.ActorID, n int) (kind model.OpKind, file string, flags []string, bytes int64) {
	spec := s.n.sc.Spec.Clients[int(a)-1]
	if n < 1 || n > len(spec.Script) {
		return model.OpNone, "", nil, 0
	}
	st := spec.Script[n-1]
	kind, _ = model.ParseOpKind(st.Op)
	return kind, st.File, st.Flags, st.Bytes
}

func (s *stepCtx) clientBegin() {
	me := s.n.name(s.rec.Actor)
	kind, file, flags, bytes := s.clientStep(s.rec.Actor, s.n.begun[int(s.rec.Actor)])
	call := callLabel(kind, file, flags, bytes)
	s.arrow(ArrowCall, s.n.lanes[fmt.Sprintf("A%d", s.rec.Actor)], s.n.lane(s.rec.Actor), call)
	head := me + "'s application calls " + call
	sentAny := false
	for _, mr := range s.msgs {
		sentAny = sentAny || !mr.Msg.Reply
	}
	switch kind {
	case model.OpOpen:
		if sentAny {
			s.say(head+": "+s.sentList(), whyClientOpen)
		} else {
			s.say(head+": opened locally under the delegation", whyDelegOpen)
		}
	case model.OpWrite:
		s.say(head+": the data lands in the page cache, dirty", whyCacheWrite)
	case model.OpClose, model.OpFsync:
		if len(s.sent(model.MsgWrite, false)) > 0 {
			s.say(head+": dirty data first: "+s.sentList(), whyCloseFlush)
		} else if s.holdsNow(me, file) {
			s.say(head+": "+s.sentList(), whyClientClose)
		} else {
			s.say(head+": "+s.sentList(), "nfs4_do_close sends CLOSE (RFC 8881 §18.2)")
		}
	case model.OpStat:
		switch {
		case len(s.sent(model.MsgWrite, false)) > 0:
			s.say(head+": dirty pages are written back first: "+s.sentList(), "nfs_getattr flushes dirty pages before reporting size and mtime")
		case sentAny:
			s.say(head+": "+s.sentList(), whyGetattr)
		default:
			s.say(head+": answered from the client's cache", whyCachedStat)
		}
	case model.OpRead:
		if sentAny {
			s.say(head+": "+s.sentList(), "nfs_file_read: READ (RFC 8881 §18.22)")
		} else {
			s.say(head+": served from the page cache", whyCachedRead)
		}
	default:
		s.say(head+": "+s.sentList(), "")
	}
}

func (s *stepCtx) clientCallback(m model.Message) {
	me, f := s.n.name(s.rec.Actor), s.n.file(m.File)
	r, _ := s.replyTo(m)
	switch m.Kind {
	case model.MsgCBRecall:
		if r.Status != model.StatusOK {
			s.say(fmt.Sprintf("%s gets CB_RECALL for stateid %d, which it no longer holds: %s", me, m.Stateid, r.Status), whyCBRecallBad)
			return
		}
		what := fmt.Sprintf("%s gets CB_RECALL for %s: answers at once, then %s", me, f, s.sentList())
		if s.dirtyBefore(me, f) {
			what += "; its dirty pages stay in the page cache"
		}
		s.say(what, whyCBRecall)
	case model.MsgCBGetattr:
		if r.Status != model.StatusOK {
			s.say(fmt.Sprintf("%s gets CB_GETATTR for a delegation it does not hold: %s", me, r.Status), "nfs4_callback_getattr")
			return
		}
		what := fmt.Sprintf("%s answers CB_GETATTR from its cache: size=%d change=%d", me, r.Size, r.Change)
		if r.Dirty {
			what += ", dirty"
		}
		s.say(what, whyCBGetattr)
	}
}

func (s *stepCtx) holdsNow(client, f string) bool {
	for _, c := range s.after.Clients {
		if c.Client == client && c.File == f && c.Deleg != "none" {
			return true
		}
	}
	return false
}

func (s *stepCtx) dirtyBefore(client, f string) bool {
	for _, c := range s.before.Clients {
		if c.Client == client && c.File == f && c.Dirty {
			return true
		}
	}
	return false
}

func (s *stepCtx) clientReply(m model.Message) {
	me := s.n.name(s.rec.Actor)
	what := me + " gets " + replyLabel(m)
	switch {
	case m.Status == model.NFS4ErrDelay:
		s.say(what+": backs off and retries later", whyDelayReply)
	case m.Kind == model.MsgDelegReturn && m.Status == model.StatusOK:
		s.say(what+": the delegation is gone", whyReturnDone)
	case m.Kind == model.MsgOpen && m.Status == model.StatusOK && m.Deleg.Writes():
		s.say(what+": it may now cache writes and attributes, even after close", "RFC 8881 §10.4, §10.4.1")
	case hasRequests(s):
		s.say(what+": "+s.sentList(), "")
	default:
		s.say(what, "")
	}
	if e, ok := s.event(model.EvRevokeSeen); ok {
		s.say(fmt.Sprintf("%s drops its revoked delegation on %s", me, s.n.file(e.File)), whyRevokedFlag)
	}
}

func hasRequests(s *stepCtx) bool {
	for _, mr := range s.msgs {
		if !mr.Msg.Reply {
			return true
		}
	}
	return false
}

// clientOpsDone narrates application calls that returned in this step
// and draws their return arrows.
func (s *stepCtx) clientOpsDone() {
	for _, op := range s.ops {
		s.arrow(ArrowReturn, s.n.lane(s.rec.Actor), s.n.lanes[fmt.Sprintf("A%d", s.rec.Actor)],
			fmt.Sprintf("%s → %s", op.Kind, opResult(op)))
		s.say(fmt.Sprintf("%s(%s) returns %s to the application", op.Kind, op.File, opResult(op)), "")
	}
}

func (s *stepCtx) localStep(a model.ActorID, n int) (model.OpKind, string) {
	spec := s.n.sc.Spec.Locals[int(a)-1-s.n.nClients]
	if n < 1 || n > len(spec.Script) {
		return model.OpNone, ""
	}
	st := spec.Script[n-1]
	k, _ := model.ParseOpKind(st.Op)
	return k, st.File
}

func (s *stepCtx) local() {
	me := s.n.name(s.rec.Actor)
	lane := s.n.lane(s.rec.Actor)
	kind, file := s.localStep(s.rec.Actor, s.n.begun[int(s.rec.Actor)])
	cmd := localLabel(kind, file)
	in := s.rec.Input
	switch in.Kind {
	case model.InTimer:
		switch in.Timer.Kind {
		case model.TimerScript, model.TimerAppRetry:
			verb := "starts"
			if in.Timer.Kind == model.TimerAppRetry {
				verb = "tries again"
			}
			switch {
			case kind == model.OpSleep:
				s.say(fmt.Sprintf("%s: sleeps", me), "")
			case len(s.sent(model.MsgSysStat, false)) > 0 && (kind == model.OpLsattr || kind == model.OpLsattrV || kind == model.OpChattr):
				s.say(fmt.Sprintf("%s: `%s` %s and calls stat(%s)", me, cmd, verb, file), whyLsattrStat)
			case len(s.msgs) > 0:
				s.say(fmt.Sprintf("%s: `%s` %s: %s", me, cmd, verb, s.localCalls()), s.callWhy(kind))
			default:
				s.say(fmt.Sprintf("%s: `%s` %s; it reaches its system call after start-up", me, cmd, verb), "")
			}
			if in.Timer.Kind == model.TimerAppRetry {
				s.why = append(s.why, whyAppRetry)
			}
		case model.TimerOpen:
			switch {
			case kind == model.OpSleep:
				s.say(me+": wakes up", "")
			case len(s.sent(model.MsgSysClose, false)) > 0:
				s.say(fmt.Sprintf("%s: `%s` closes its descriptor of %s", me, cmd, file), whyHeldClose)
			default:
				s.say(fmt.Sprintf("%s: `%s` calls %s", me, cmd, s.localCalls()), s.callWhy(kind))
			}
		}
	case model.InDeliver:
		m := in.Msg
		switch {
		case m.Kind == model.MsgSysStat && len(s.ops) == 0 && (kind == model.OpLsattr || kind == model.OpLsattrV || kind == model.OpChattr):
			s.say(fmt.Sprintf("%s: stat(%s) returns size=%d change=%d; %s goes on to open the file", me, file, m.Size, m.Change, strings.Fields(cmd)[0]), "")
		case m.Kind == model.MsgSysOpen && m.Status == model.StatusOK && kind == model.OpChattr:
			s.say(fmt.Sprintf("%s: open succeeds; chattr calls ioctl(FS_IOC_SETFLAGS)", me), whyChattrIoctl)
		case len(s.ops) == 0 && m.Status != model.StatusOK:
			s.say(fmt.Sprintf("%s: %s fails with %s; the application will retry", me, m.Kind, m.Status), whyAppRetry)
		case len(s.ops) == 0:
			s.say(fmt.Sprintf("%s: %s", me, replyLabel(m)), "")
		}
	}
	for _, op := range s.ops {
		res := opResult(op)
		text := fmt.Sprintf("`%s` %s", localLabel(op.Kind, op.File), res)
		switch {
		case op.Kind == model.OpLsattr && op.Result == model.ErrEAGAIN.String():
			text = fmt.Sprintf("`lsattr %s` fails: Resource temporarily unavailable (EAGAIN)", op.File)
		case op.Kind == model.OpNginx && !op.OK():
			text = fmt.Sprintf("nginx cannot open %s (%s): HTTP 500", op.File, op.Result)
		}
		if op.Attempts > 1 {
			text += fmt.Sprintf(" after %d attempts", op.Attempts)
		}
		s.say(me+": "+text, "")
		s.note(lane, fmt.Sprintf("%s → %s", localLabel(op.Kind, op.File), op.Result))
	}
}

// localCalls lists the system calls a local step made.
func (s *stepCtx) localCalls() string {
	out := ""
	for _, mr := range s.msgs {
		if out != "" {
			out += ", "
		}
		out += requestLabel(mr.Msg, s.n.file(mr.Msg.File))
	}
	return out
}

func (s *stepCtx) callWhy(kind model.OpKind) string {
	switch kind {
	case model.OpLsattr, model.OpLsattrV, model.OpChattr:
		return whyLsattrOpen
	case model.OpNginx:
		return whyNginxOpen
	case model.OpCat, model.OpOpenRead, model.OpOpenWrite:
		return whyBlockingOpen
	case model.OpLocalStat:
		return whyLocalStat
	case model.OpUnlink, model.OpLocalRename, model.OpChmod:
		return whyLocalMetaCall
	}
	return ""
}
