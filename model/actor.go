package model

import "fmt"

// An Actor is a pure state machine: the server, a client or a local process.
// Step applies one input at virtual time now and appends what the actor
// wants done to out. It does no I/O, reads no clock and draws no random
// numbers; drivers own time, ordering and faults.
type Actor interface {
	// Step applies one input. Inputs that no longer apply (a reply to a
	// request the actor has forgotten, say) are ignored. in is passed by
	// pointer because a driver's event loop would otherwise copy the
	// whole message at every step; it is the driver's scratch copy for
	// this step only: Step may modify *in but must not keep the pointer.
	Step(now Time, in *Input, out *Output)
	// Clone returns a deep copy that shares nothing mutable with the original.
	Clone() Actor
	// AppendState appends a canonical encoding of the actor's state: two
	// actors with equal encodings behave identically from here on.
	AppendState(b []byte) []byte
}

// InputKind says what drives a step.
type InputKind uint8

// Inputs an actor can receive.
const (
	InStart   InputKind = iota // the run begins; scripts arm their first step
	InDeliver                  // a message arrives
	InTimer                    // a timer the actor armed fires
	InCrash                    // the host crashes: all state is lost
)

// Input is one stimulus for Step.
type Input struct {
	Kind  InputKind
	Msg   Message  // InDeliver
	Timer TimerKey // InTimer
}

// TimerKind says what a timer is for.
type TimerKind uint8

// Timers armed by the actors. Each is named after the kernel mechanism it
// stands for.
const (
	TimerScript    TimerKind = iota // next script step is due
	TimerCBTimeout                  // callback RPC unanswered (max_cb_time)
	TimerCBResend                   // CB_RECALL answered NFS4ERR_DELAY: resend (nfsd4_cb_recall_done)
	TimerRevoke                     // laundromat: recalled delegation unreturned for a lease
	TimerExpire                     // laundromat: client silent for a lease
	TimerDowngrade                  // VFS lease-break-time for a read breaker (time_out_leases)
	TimerNfsdWait                   // nfsd thread waiting for DELEGRETURN/CB_GETATTR (NFSD_DELEGRETURN_TIMEOUT)
	TimerLocalWait                  // a policy-bounded wait of a local opener
	TimerRetry                      // client retry after NFS4ERR_DELAY (nfs4_delay)
	TimerRenew                      // client renew daemon (nfs4_renew_state, ~2/3 lease)
	TimerWriteback                  // client flusher writes back expired dirty pages
	TimerOpen                       // local process reaches its open(2) after start-up
	TimerAppRetry                   // local application retry delay
	timerKindCount
)

var timerKindNames = [...]string{
	TimerScript: "script", TimerCBTimeout: "cb-timeout", TimerCBResend: "cb-resend",
	TimerRevoke: "revoke", TimerExpire: "expire", TimerDowngrade: "lease-downgrade",
	TimerNfsdWait: "nfsd-wait", TimerLocalWait: "local-wait", TimerRetry: "delay-retry",
	TimerRenew: "renew", TimerWriteback: "writeback", TimerOpen: "open", TimerAppRetry: "app-retry",
}

func (k TimerKind) String() string {
	if int(k) < len(timerKindNames) {
		return timerKindNames[k]
	}
	return fmt.Sprintf("timer(%d)", uint8(k))
}

// TimerKey identifies one timer of an actor; arming a key that is already
// armed moves it.
type TimerKey struct {
	Kind TimerKind
	Arg  uint32 // a stateid, xid, client or file, depending on Kind
}

func (k TimerKey) String() string { return fmt.Sprintf("%s/%d", k.Kind, k.Arg) }

// TimerCmd arms (or, with Cancel, disarms) a timer of the stepping actor.
type TimerCmd struct {
	Key    TimerKey
	At     Time
	Cancel bool
}

// EventKind names a state change worth tracing and counting.
type EventKind uint8

// Events. Their names are what scenario expectations count.
const (
	EvGrant        EventKind = iota // delegation granted
	EvRecall                        // recall started (lease broken)
	EvReturn                        // DELEGRETURN processed, lease removed
	EvRevoke                        // laundromat revoked an unreturned delegation
	EvDowngrade                     // VFS downgraded nfsd's write lease to read after lease-break-time
	EvExpire                        // client expired, its state dropped
	EvCBPathDown                    // a callback timed out: path marked down
	EvCBGetattrOK                   // CB_GETATTR answered in time
	EvNfsdDelay                     // nfsd answered NFS4ERR_DELAY to a conflicting RPC
	EvLocalEAGAIN                   // a local non-blocking open failed with EAGAIN
	EvLocalWait                     // a local opener started waiting for a lease break
	EvWriteback                     // client flusher wrote back dirty pages
	EvIdleReturn                    // client returned an unused delegation
	EvRevokeSeen                    // client learned its delegation was revoked
	EvCrash                         // the actor crashed
	EvDelegRefused                  // an OPEN that could have had a delegation got none
	EvCourtesy                      // a silent client was kept as a courtesy client
	EvCBPathUp                      // the callback path is up again (probe answered, session re-created)
	EvCBRecovery                    // a client started re-establishing its callback path
	eventKindCount
)

var eventKindNames = [...]string{
	EvGrant: "grant", EvRecall: "recall", EvReturn: "return", EvRevoke: "revoke",
	EvDowngrade: "downgrade", EvExpire: "expire", EvCBPathDown: "cb-path-down",
	EvCBGetattrOK: "cb-getattr-ok", EvNfsdDelay: "nfsd-delay", EvLocalEAGAIN: "local-eagain",
	EvLocalWait: "local-wait", EvWriteback: "writeback", EvIdleReturn: "idle-return",
	EvRevokeSeen: "revoke-seen", EvCrash: "crash", EvDelegRefused: "deleg-refused", EvCourtesy: "courtesy",
	EvCBPathUp: "cb-path-up", EvCBRecovery: "cb-recovery",
}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// EventKindCount is the number of event kinds, for tables indexed by kind.
const EventKindCount = int(eventKindCount)

// ParseEventKind returns the kind with the given name.
func ParseEventKind(s string) (EventKind, bool) {
	for k, n := range eventKindNames {
		if n == s {
			return EventKind(k), true
		}
	}
	return 0, false
}

// Event is a state change: who, which file, which delegation, and a short
// reason naming the rule (a kernel function or RFC section).
type Event struct {
	Kind    EventKind
	Deleg   DelegType
	Actor   ActorID
	File    FileID
	Client  ActorID // the client concerned (delegation holder), if any
	Stateid uint32  // the delegation's stateid, if one is concerned
	Why     string
}

// Output collects what one Step wants done. Drivers reset it between steps.
type Output struct {
	Msgs   []Message
	Timers []TimerCmd
	Ops    []Op
	Events []Event
}

// Reset empties out for reuse without freeing its storage.
func (o *Output) Reset() {
	o.Msgs = o.Msgs[:0]
	o.Timers = o.Timers[:0]
	o.Ops = o.Ops[:0]
	o.Events = o.Events[:0]
}

func (o *Output) send(m Message)          { o.Msgs = append(o.Msgs, m) }
func (o *Output) arm(k TimerKey, at Time) { o.Timers = append(o.Timers, TimerCmd{Key: k, At: at}) }
func (o *Output) cancel(k TimerKey)       { o.Timers = append(o.Timers, TimerCmd{Key: k, Cancel: true}) }
func (o *Output) event(e Event)           { o.Events = append(o.Events, e) }
func (o *Output) op(op Op)                { o.Ops = append(o.Ops, op) }
