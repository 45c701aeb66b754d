package sim

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/model"
)

// TimedEvent is a model event with the time it happened.
type TimedEvent struct {
	At model.Time
	model.Event
}

// Result is what a run produced.
type Result struct {
	Names  []string // actors, by ActorID
	Files  []string // files, by FileID
	Ops    []model.Op
	Events []TimedEvent
	// Sent counts requests (not replies) by message kind; Replies counts
	// replies by status for each kind.
	Sent       [model.MsgKindCount]int
	Dropped    int
	Steps      int // actor steps taken (events processed)
	End        model.Time
	Unfinished []string      // actors whose script did not finish
	Actors     []model.Actor // final state
	Trace      []string
	// StepRecords and Messages are the trace in structured form, recorded
	// only when Config.Trace is set: every actor step in order, and every
	// message sent with its fate.
	StepRecords []StepRecord
	Messages    []MessageRecord

	trace bool
}

// Span is a half-open range [From, To) of indexes into one of a Result's
// slices.
type Span struct{ From, To int }

// StepRecord is one actor step: what drove it and what it produced, as
// ranges of Result.Events, Result.Ops and Result.Messages.
type StepRecord struct {
	At     model.Time
	Actor  model.ActorID
	Input  model.Input
	Events Span
	Ops    Span
	Msgs   Span
}

// MessageRecord is one message: when it was sent, when it arrives (unless
// dropped), and the steps that sent and received it (indexes in
// Result.StepRecords; Recv is -1 if the message was dropped or was still in
// flight when the run ended).
type MessageRecord struct {
	Msg     model.Message
	Sent    model.Time
	Arrives model.Time
	Dropped bool
	Step    int
	Recv    int
}

// EventCount returns how many events of kind k happened.
func (r *Result) EventCount(k model.EventKind) int {
	n := 0
	for _, e := range r.Events {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// ClientRPCs counts the fore-channel requests clients sent.
func (r *Result) ClientRPCs() int {
	n := 0
	for k, c := range r.Sent {
		if mk := model.MsgKind(k); mk.Channel() == model.ChanFore {
			n += c
		}
	}
	return n
}

// Op returns the operation with the given name ("l1#2").
func (r *Result) Op(name string) (model.Op, bool) {
	for _, o := range r.Ops {
		if o.Name() == name {
			return o, true
		}
	}
	return model.Op{}, false
}

func (r *Result) countSend(m *model.Message) {
	if !m.Reply {
		r.Sent[m.Kind]++
	}
}

func (r *Result) addEvent(at model.Time, e *model.Event) {
	r.Events = append(r.Events, TimedEvent{At: at, Event: *e})
	if r.trace {
		r.line(at, "%-7s event %s file=%s who=%s: %s", r.Names[e.Actor], e.Kind, r.file(e.File), r.name(e.Client), e.Why)
	}
}

func (r *Result) addOp(op *model.Op) {
	r.Ops = append(r.Ops, *op)
	if r.trace {
		r.line(op.End, "%-7s %s %s", op.Actor, "op", *op)
	}
}

func (r *Result) name(id model.ActorID) string {
	if int(id) < len(r.Names) {
		return r.Names[id]
	}
	return fmt.Sprint(id)
}

func (r *Result) file(f model.FileID) string {
	if int(f) < len(r.Files) {
		return r.Files[f]
	}
	return fmt.Sprint(f)
}

// The trace* methods format one trace line; the engine calls them only
// when Config.Trace is set, so an untraced run formats nothing.

func (r *Result) traceSend(now, at model.Time, m *model.Message) {
	r.line(now, "%-7s send %s -> %s (arrives %s)", r.name(m.From), m.Format(r.file(m.File)), r.name(m.To), strings.TrimSpace(ms(at)))
}

func (r *Result) traceDeliver(now model.Time, m *model.Message) {
	r.line(now, "%-7s recv %s <- %s", r.name(m.To), m.Format(r.file(m.File)), r.name(m.From))
}

func (r *Result) traceDrop(now model.Time, m *model.Message) {
	r.line(now, "%-7s drop %s -> %s", r.name(m.From), m.Format(r.file(m.File)), r.name(m.To))
}

func (r *Result) traceTimer(now model.Time, actor string, k model.TimerKey) {
	r.line(now, "%-7s timer %s", actor, k)
}

func (r *Result) line(at model.Time, format string, args ...any) {
	r.Trace = append(r.Trace, ms(at)+" "+fmt.Sprintf(format, args...))
}

// TraceText returns the trace as text, one line per entry.
func (r *Result) TraceText() string { return strings.Join(r.Trace, "\n") + "\n" }

// ms renders virtual time in milliseconds, fixed width for aligned traces.
func ms(t model.Time) string { return fmt.Sprintf("%12.3fms", float64(t)/1e6) }
