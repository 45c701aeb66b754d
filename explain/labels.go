package explain

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/model"
)

// flagsOf renders an open's access as open(2) flags.
func flagsOf(a model.Access, nonBlock bool) string {
	var f string
	switch a {
	case model.AccessWrite:
		f = "O_WRONLY"
	case model.AccessBoth:
		f = "O_RDWR"
	default:
		f = "O_RDONLY"
	}
	if nonBlock {
		f += "|O_NONBLOCK"
	}
	return f
}

// msgLabel is the short label of a message on an arrow: the operation and
// its salient arguments or result.
func msgLabel(m model.Message, file string) string {
	var b strings.Builder
	if m.Reply {
		b.WriteString(replyLabel(m))
	} else {
		b.WriteString(requestLabel(m, file))
	}
	if m.Seq&model.SeqStateRevoked != 0 {
		b.WriteString(" [state revoked]")
	}
	if m.Seq&model.SeqBackchannelFault != 0 {
		b.WriteString(" [backchannel fault]")
	}
	if m.Seq&model.SeqCBPathDown != 0 {
		b.WriteString(" [callback path down]")
	}
	return b.String()
}

func requestLabel(m model.Message, file string) string {
	switch m.Kind {
	case model.MsgOpen:
		args := []string{file, m.Access.String()}
		if m.Create {
			args = append(args, "create")
		}
		if m.Excl {
			args = append(args, "excl")
		}
		if m.Flags&model.FlagClaimDelegCur != 0 {
			args = append(args, "claim deleg-cur")
		}
		return "OPEN(" + strings.Join(args, ", ") + ")"
	case model.MsgWrite:
		return fmt.Sprintf("WRITE(%s, size %d, %s)", file, m.Size, DataName(m.Data))
	case model.MsgDelegReturn:
		if m.Flags&model.FlagSetattrTimes != 0 {
			return fmt.Sprintf("SETATTR(mtime %s) + DELEGRETURN(%s, stateid %d)", fmtMs(m.Mtime), file, m.Stateid)
		}
		return fmt.Sprintf("%s(%s, stateid %d)", m.Kind, file, m.Stateid)
	case model.MsgCBRecall, model.MsgCBGetattr:
		return fmt.Sprintf("%s(%s, stateid %d)", m.Kind, file, m.Stateid)
	case model.MsgRenew, model.MsgSetclientid, model.MsgCreateSession, model.MsgBindConn, model.MsgCBNull:
		return m.Kind.String()
	case model.MsgSysOpen:
		return fmt.Sprintf("open(%s, %s)", file, flagsOf(m.Access, m.NonBlk))
	case model.MsgSysStat, model.MsgSysUnlink, model.MsgSysRename, model.MsgSysChmod:
		return fmt.Sprintf("%s(%s)", m.Kind, file)
	}
	return fmt.Sprintf("%s(%s)", m.Kind, file)
}

func replyLabel(m model.Message) string {
	name := m.Kind.String()
	if m.Status != model.StatusOK {
		return name + " → " + m.Status.String()
	}
	switch m.Kind {
	case model.MsgOpen:
		if m.Deleg != model.DelegNone && m.Flags&model.FlagNoOpenStateid != 0 {
			return fmt.Sprintf("OPEN ok, %s deleg %d, no open stateid", m.Deleg, m.DelegID)
		}
		if m.Deleg != model.DelegNone {
			return fmt.Sprintf("OPEN ok, %s deleg %d", m.Deleg, m.DelegID)
		}
		return "OPEN ok, no deleg"
	case model.MsgGetattr, model.MsgCBGetattr, model.MsgSysStat:
		s := fmt.Sprintf("%s size=%d change=%d", name, m.Size, m.Change)
		if m.Dirty {
			s += " dirty"
		}
		if m.Kind == model.MsgSysStat {
			s = "stat → " + s[len("stat "):]
		}
		return s
	case model.MsgSysOpen:
		return fmt.Sprintf("open → ok (size %d, %s)", m.Size, DataName(m.Data))
	case model.MsgSysUnlink, model.MsgSysRename, model.MsgSysChmod, model.MsgSysClose, model.MsgSysSetflags:
		return name + " → ok"
	}
	return name + " ok"
}

// callLabel is a client application's system call for a script step.
func callLabel(kind model.OpKind, file string, flags []string, bytes int64) string {
	switch kind {
	case model.OpOpen:
		if len(flags) == 0 {
			flags = []string{"O_RDONLY"}
		}
		return fmt.Sprintf("open(%s, %s)", file, strings.Join(flags, "|"))
	case model.OpWrite:
		return fmt.Sprintf("write(%s, %d bytes)", file, bytes)
	case model.OpSetattr:
		return fmt.Sprintf("chmod(%s)", file)
	case model.OpRemove:
		return fmt.Sprintf("unlink(%s)", file)
	}
	return fmt.Sprintf("%s(%s)", kind, file)
}

// localLabel describes a local command as a person would type it.
func localLabel(kind model.OpKind, file string) string {
	switch kind {
	case model.OpLsattr:
		return "lsattr " + file
	case model.OpLocalStat:
		return "stat " + file
	case model.OpCat:
		return "cat " + file
	case model.OpOpenRead:
		return "open(" + file + ", O_RDONLY)"
	case model.OpOpenWrite:
		return "open(" + file + ", O_WRONLY)"
	case model.OpNginx:
		return "nginx serving " + file
	case model.OpUnlink:
		return "rm " + file
	case model.OpLocalRename:
		return "mv " + file
	case model.OpChmod:
		return "chmod " + file
	case model.OpChattr:
		return "chattr " + file
	case model.OpLsattrV:
		return "lsattr -v " + file
	}
	return kind.String() + " " + file
}

// opResult renders what an application operation returned.
func opResult(op model.Op) string {
	if !op.OK() {
		return op.Result
	}
	switch {
	case op.Kind.ReadsAttrs():
		return fmt.Sprintf("ok (size=%d change=%d)", op.Size, op.Change)
	case op.Kind.ReadsData():
		return fmt.Sprintf("ok (%d bytes, %s)", op.Bytes, DataName(op.Data))
	}
	return "ok"
}
