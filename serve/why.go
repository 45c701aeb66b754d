package serve

import (
	"fmt"

	"github.com/delegsim/delegsim/explain"
	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
)

// timerGloss says what each timer stands for, after the kernel mechanism
// model/actor.go names for it. A kind missing here (a new one) is shown
// by its name alone.
var timerGloss = map[model.TimerKind]string{
	model.TimerScript:    "the next step of its script is due",
	model.TimerCBTimeout: "a callback RPC went unanswered for max_cb_time (a tenth of the lease, at least 1 s): nfsd marks the callback path down",
	model.TimerCBResend:  "CB_RECALL was answered NFS4ERR_DELAY: nfsd sends it again (nfsd4_cb_recall_done)",
	model.TimerRevoke:    "a recalled delegation was not returned within a lease: the laundromat revokes it (nfs4_laundromat)",
	model.TimerExpire:    "a client was silent for a lease: the laundromat expires it (nfs4_laundromat)",
	model.TimerDowngrade: "fs.lease-break-time passed for a waiting reader: the VFS downgrades the write lease to read (time_out_leases)",
	model.TimerNfsdWait:  "an nfsd thread stops waiting for DELEGRETURN or CB_GETATTR (NFSD_DELEGRETURN_TIMEOUT)",
	model.TimerLocalWait: "a local opener's policy-bounded wait for the lease break ends",
	model.TimerRetry:     "the client retries after NFS4ERR_DELAY (nfs4_delay back-off)",
	model.TimerRenew:     "the client's renew daemon renews its lease (nfs4_renew_state)",
	model.TimerWriteback: "the client's flusher writes back expired dirty pages",
	model.TimerOpen:      "the local process reaches its open(2) after its start-up",
	model.TimerAppRetry:  "the local application's retry delay has passed",
}

// labeller names things as the page shows them. coarse: the model lets
// any message arrive as soon as it is sent (Run.ZeroMinDelay, or a
// --max-delay window starting at 0).
type labeller struct {
	m      *explore.Model
	coarse bool
}

func (l labeller) name(id model.ActorID) string {
	if int(id) < len(l.m.Names) {
		return l.m.Names[id]
	}
	return fmt.Sprintf("actor %d", id)
}

func (l labeller) file(f model.FileID) string {
	if int(f) < len(l.m.Files) {
		return l.m.Files[f]
	}
	return fmt.Sprintf("file %d", f)
}

// msg is a message as the diagram labels it.
func (l labeller) msg(m model.Message) string { return explain.MessageLabel(m, l.file(m.File)) }

// timer names an actor's timer: "l1's open timer".
func (l labeller) timer(actor model.ActorID, t explore.ArmedTimer) string {
	if t.Crash {
		return l.name(actor) + "'s scheduled crash"
	}
	return fmt.Sprintf("%s's %s timer", l.name(actor), t.Key.Kind)
}

func timerWhy(t explore.ArmedTimer) string {
	if t.Crash {
		return "the host crashes at the scenario's crash_at: all the client's state is lost"
	}
	if g, ok := timerGloss[t.Key.Kind]; ok {
		return g
	}
	return fmt.Sprintf("a %s timer (argument %d)", t.Key.Kind, t.Key.Arg)
}

// choice labels one enabled transition and says in one line why it is
// enabled, by the explorer's rules (see package explore).
func (l labeller) choice(c *explore.Cursor, ch explore.Choice) ChoiceView {
	v := ChoiceView{Text: ch.Text, Kind: ch.Step.Kind.String(), At: ms(ch.At)}
	now := c.Now()
	switch ch.Step.Kind {
	case explore.Deliver, explore.Lose:
		chn := c.Model().Channels[ch.Step.Index]
		label := l.msg(*ch.Msg)
		window := fmt.Sprintf("it may arrive any time until %s", ms(ch.Due))
		if ch.Due <= now {
			window = "it is due now: it cannot arrive any later"
		}
		if ch.Step.Kind == explore.Deliver {
			v.Label = fmt.Sprintf("deliver %s to %s", label, l.name(chn.To))
			v.Why = fmt.Sprintf("the oldest message on %s (connections are FIFO, as TCP is); %s", c.Model().ChannelName(ch.Step.Index), window)
		} else {
			v.Label = fmt.Sprintf("lose %s (%s → %s)", label, l.name(chn.From), l.name(chn.To))
			v.Why = "this link loses messages (its loss probability is positive): losing the oldest each time reaches every subset of losses"
		}
	case explore.Fire, explore.Crash:
		t := explore.ArmedTimer{Key: ch.Step.Timer, At: ch.At, Crash: ch.Step.Kind == explore.Crash}
		v.Label = "fire " + l.timer(ch.Actor, t)
		if t.Crash {
			v.Label = "crash " + l.name(ch.Actor)
		}
		v.Why = fmt.Sprintf("%s; at %s, the earliest deadline armed, and no message in flight must arrive before it", timerWhy(t), ms(ch.At))
	case explore.Wait:
		v.Label = "wait until " + ms(ch.At)
		v.Why = "let time pass with nothing happening, to the next timer deadline, or the earliest or the latest time a message in flight may arrive: " +
			"no message arrives before the least time its delays take, and any may arrive as late as they allow, and what it provokes is then sent late"
		if l.coarse {
			v.Why = "let time pass with nothing happening, to the next timer deadline or the latest time a message in flight may arrive " +
				"(in this coarser model any message may arrive as soon as it is sent), so that messages can arrive late and what they provoke is sent late"
		}
	default:
		v.Label = ch.Text
	}
	return v
}

// ms renders virtual time as the reports do.
func ms(t model.Time) string { return fmt.Sprintf("%.3f ms", float64(t)/1e6) }
