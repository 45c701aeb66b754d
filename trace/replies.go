package trace

import (
	"slices"
	"time"

	"github.com/delegsim/delegsim/trace/nfs4"
)

// replyTimes gathers the call → reply gaps of the fore-channel RPCs that
// met no conflict (answered NFS4_OK, and no callback went out while they
// waited: their gap would hold it): the story's reply-time figures and
// calibrate's server.rpc. A gap is settled once no callback can come that
// overlaps it, and kept in a per-client multiset.
type replyTimes struct {
	pending []pendingReply  // answered, waiting for the callbacks sent before their reply
	cbAts   []time.Duration // the callbacks' call times so far, in order
	clients []clientReplies
}

type pendingReply struct {
	client          int
	callAt, replyAt time.Duration
	ret             bool // a DELEGRETURN
}

// clientReplies are one client's settled gaps.
type clientReplies struct {
	all     durations
	returns []time.Duration // the DELEGRETURNs' among all
}

// advance settles the gaps that ended before now: every callback still
// to come is sent at now or later.
func (r *replyTimes) advance(now time.Duration) {
	keep := r.pending[:0]
	for _, p := range r.pending {
		if p.replyAt < now {
			r.settle(p)
			continue
		}
		keep = append(keep, p)
	}
	r.pending = keep
}

func (r *replyTimes) settle(p pendingReply) {
	for len(r.clients) <= p.client {
		r.clients = append(r.clients, clientReplies{})
	}
	c := &r.clients[p.client]
	c.all.add(p.replyAt-p.callAt, 1)
	if p.ret {
		c.returns = append(c.returns, p.replyAt-p.callAt)
	}
}

// fore notes a fore-channel exchange (name is its Name).
func (r *replyTimes) fore(e *Exchange, name string) {
	if e.Client < 0 || !e.Answered() || e.Status() != nfs4.OK {
		return
	}
	i, _ := slices.BinarySearch(r.cbAts, e.CallAt)
	if i < len(r.cbAts) && r.cbAts[i] <= e.ReplyAt {
		return // a callback told before went out while it waited
	}
	r.pending = append(r.pending, pendingReply{client: e.Client, callAt: e.CallAt, replyAt: e.ReplyAt, ret: name == "DELEGRETURN"})
}

// callback notes a callback sent at at: the gaps it falls in are not
// reply times.
func (r *replyTimes) callback(at time.Duration) {
	r.pending = slices.DeleteFunc(r.pending, func(p pendingReply) bool { return p.callAt <= at && at <= p.replyAt })
	i, _ := slices.BinarySearch(r.cbAts, at)
	r.cbAts = slices.Insert(r.cbAts, i, at)
}

// finish settles what is left.
func (r *replyTimes) finish() {
	for _, p := range r.pending {
		r.settle(p)
	}
	r.pending = nil
}

// of returns client c's gaps.
func (r *replyTimes) of(c int) *clientReplies {
	if c >= 0 && c < len(r.clients) {
		return &r.clients[c]
	}
	return &clientReplies{}
}
