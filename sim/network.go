package sim

import (
	"fmt"

	"github.com/delegsim/delegsim/model"
)

// Window is a partition: messages sent on the link in [From, To) are held
// until To (TCP retransmits them once the path heals). With Forever set
// the partition never heals and they are lost.
type Window struct {
	From, To model.Time
	Forever  bool
}

// Link is one channel between the server and a client, the same in both
// directions: one-way latency, independent loss and partitions.
type Link struct {
	Latency    Dist
	Loss       float64 // probability that a message is lost outright
	Partitions []Window
}

// Validate checks the link's parameters.
func (l Link) Validate() error {
	if !(l.Loss >= 0 && l.Loss <= 1) { // also rejects NaN
		return fmt.Errorf("loss %v is not a probability in [0, 1]", l.Loss)
	}
	for _, w := range l.Partitions {
		if !w.Forever && w.To < w.From {
			return fmt.Errorf("partition ends (%v) before it starts (%v)", w.To, w.From)
		}
	}
	return nil
}

// heldUntil returns when a message sent at t can leave, and false if it is
// lost to a partition that never heals.
func (l *Link) heldUntil(t model.Time) (model.Time, bool) {
	for _, w := range l.Partitions {
		if t >= w.From && (w.Forever || t < w.To) {
			if w.Forever {
				return 0, false
			}
			t = w.To
		}
	}
	return t, true
}

// ClientNet is everything timed about one client: its two channels and
// how fast it reacts to a callback.
type ClientNet struct {
	Fore     Link
	Callback Link
	// Reaction is the client's delay before it answers a callback and
	// before its state manager sends the DELEGRETURN that follows.
	Reaction Dist
	// CrashAt crashes the client host at this time, if HasCrash.
	CrashAt  model.Time
	HasCrash bool
	// SharedConn: callbacks travel on the fore channel's TCP connection
	// (the NFSv4.1+ backchannel, RFC 8881 §2.10.3.1), so each direction
	// keeps one order for requests, replies and callbacks alike. A v4.0
	// client's callbacks have a connection of their own.
	SharedConn bool
}

// ServerTiming is the server's processing time. A request's state change
// takes effect when it arrives and its reply leaves RPC later, except for
// DELEGRETURN, whose cost is split around the lease removal where nfsd
// spends it: the compound's operations before DELEGRETURN
// (SEQUENCE, PUTFH, GETATTR; plus SETATTR of delegated times, with the
// metadata commit of a sync export) delay the removal, and only encoding
// the reply follows it.
type ServerTiming struct {
	RPC              Dist // from a request's arrival to its reply
	CBQueue          Dist // from nfsd's decision to recall to CB_RECALL on the wire (callback workqueue)
	DelegReturn      Dist // DELEGRETURN's compound up to generic_delete_lease
	Setattr          Dist // the SETATTR of delegated times in a DELEGRETURN compound (nfsd_setattr, commit_metadata)
	DelegReturnReply Dist // from the lease removal to DELEGRETURN's reply leaving
	Syscall          Dist // a local system call's round trip into the VFS
}

// channelState keeps a direction of a link in order: TCP delivers in
// order, so a message never overtakes the one before it.
type channelState struct {
	last model.Time
	lazyRand
}
