package checker

import (
	"fmt"
	"time"

	"github.com/delegsim/delegsim/model"
)

// InvariantViolation is an invariant that did not hold in some state.
type InvariantViolation struct {
	Invariant string
	At        model.Time
	Detail    string
	// Finding marks a known behaviour of the real kernel (such as the
	// reader downgrade after lease-break-time) rather than a model bug:
	// reported, and counted, but expected under the kernel policy.
	Finding bool
}

func (v InvariantViolation) String() string {
	kind := "violation"
	if v.Finding {
		kind = "finding"
	}
	return fmt.Sprintf("%s at %.3fms: %s: %s", kind, float64(v.At)/1e6, v.Invariant, v.Detail)
}

// Invariant is a property of every reachable state (stateright's
// "always"). Check returns "" when the state satisfies it.
type Invariant struct {
	Name    string
	Finding bool // a known kernel behaviour when it fails (see InvariantViolation)
	Check   func(now model.Time, srv *model.Server) string
}

// RecallSlack is how far past one lease a recall or a lease-waiter may
// run before it counts as unbounded: the laundromat acts in the second
// after the lease ends, plus the client expiry path.
const RecallSlack = 2 * time.Second

// Invariants lists the safety invariants checked after every step.
var Invariants = []Invariant{
	{Name: "one-write-deleg", Check: oneWriteDeleg},
	{Name: "write-deleg-exclusive", Finding: true, Check: writeDelegExclusive},
	{Name: "lease-agrees", Finding: true, Check: leaseAgrees},
	{Name: "recall-bounded", Check: recallBounded},
	{Name: "wait-bounded", Check: waitBounded},
}

// CheckState evaluates every invariant on the actors' state; actors[0] is
// the server.
func CheckState(now model.Time, actors []model.Actor) []InvariantViolation {
	srv, ok := actors[0].(*model.Server)
	if !ok {
		return nil
	}
	var out []InvariantViolation
	for _, inv := range Invariants {
		if d := inv.Check(now, srv); d != "" {
			out = append(out, InvariantViolation{Invariant: inv.Name, At: now, Detail: d, Finding: inv.Finding})
		}
	}
	return out
}

// oneWriteDeleg: at most one write delegation per file, and none beside a
// read delegation (RFC 8881 §10.4).
func oneWriteDeleg(_ model.Time, srv *model.Server) string {
	ds := srv.Delegations()
	for i, a := range ds {
		for _, b := range ds[i+1:] {
			if a.File == b.File && (a.Type == model.DelegWrite || b.Type == model.DelegWrite) {
				return fmt.Sprintf("file %s: %s delegation to actor %d beside %s delegation to actor %d",
					srv.Files()[a.File].Name, a.Type, a.Client, b.Type, b.Client)
			}
		}
	}
	return ""
}

// writeDelegExclusive: no write delegation while another client has the
// file open. nfsd checks only other writers (nfsd4_check_conflicting_opens),
// so a reader's open beside a write delegation is a finding.
func writeDelegExclusive(_ model.Time, srv *model.Server) string {
	for _, d := range srv.Delegations() {
		if d.Type != model.DelegWrite {
			continue
		}
		for _, c := range srv.OpenBy(d.File) {
			if c != d.Client {
				return fmt.Sprintf("file %s: write delegation to actor %d while actor %d has it open (%s)",
					srv.Files()[d.File].Name, d.Client, c, srv.OpenAccess(c, d.File))
			}
		}
	}
	return ""
}

// leaseAgrees: the VFS lease matches nfsd's delegation record. The reader
// downgrade after lease-break-time (time_out_leases) breaks this on the
// real kernel: nfsd still lists a write delegation over a read lease.
func leaseAgrees(_ model.Time, srv *model.Server) string {
	for _, d := range srv.Delegations() {
		if !d.LeaseAgrees() {
			return fmt.Sprintf("file %s: nfsd lists a %s delegation to actor %d but the VFS lease is %s",
				srv.Files()[d.File].Name, d.Type, d.Client, d.LeaseType)
		}
	}
	return ""
}

// recallBounded: every recall ends (returned, revoked or client expired)
// within one lease of the recall (the laundromat's bound).
func recallBounded(now model.Time, srv *model.Server) string {
	bound := srv.Params().Lease + RecallSlack
	for _, d := range srv.Delegations() {
		if d.Recalling && now-d.RecallAt > bound {
			return fmt.Sprintf("file %s: recall of actor %d's delegation outstanding for %v (bound %v)",
				srv.Files()[d.File].Name, d.Client, now-d.RecallAt, bound)
		}
	}
	return ""
}

// waitBounded: no opener waits past its bound: its policy's bound if it
// has one, else one lease (by then the laundromat has revoked the
// delegation or expired its holder).
func waitBounded(now model.Time, srv *model.Server) string {
	for _, w := range srv.Waiters() {
		bound := w.Bound
		if bound == model.Forever || w.OnCB {
			bound = srv.Params().Lease
		}
		if now-w.Since > bound+RecallSlack {
			return fmt.Sprintf("file %s: actor %d waiting for %v (bound %v)", srv.Files()[w.File].Name, w.From, now-w.Since, bound)
		}
	}
	return ""
}
