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

// String formats the violation as "violation at 12.000ms: name: detail"
// ("finding at ..." for a finding).
func (v InvariantViolation) String() string {
	kind := "violation"
	if v.Finding {
		kind = "finding"
	}
	return fmt.Sprintf("%s at %s: %s: %s", kind, fmtTime(v.At), v.Invariant, v.Detail)
}

// State is what an invariant inspects: the server after a step, and the
// actors' names for its account.
type State struct {
	Now    model.Time
	Server *model.Server
	Names  []string // by ActorID; may be nil
}

// Name returns the name of actor id ("c1"), or "actor N" without names.
func (s State) Name(id model.ActorID) string {
	if int(id) < len(s.Names) {
		return s.Names[id]
	}
	return fmt.Sprintf("actor %d", id)
}

func (s State) file(f model.FileID) string { return s.Server.Files()[f].Name }

// Invariant is a property of every reachable state (stateright's
// "always"). Check returns "" when the state satisfies it, else what is
// wrong.
type Invariant struct {
	Name    string
	Finding bool   // a known kernel behaviour when it fails (see InvariantViolation)
	Note    string // for a finding: why the real kernel behaves so
	Check   func(s State) string
}

// RecallSlack is how far past one lease a recall or a lease-waiter may
// run before it counts as unbounded: the laundromat acts in the second
// after the lease ends, plus the client expiry path.
const RecallSlack = 2 * time.Second

// Invariants lists the safety invariants checked after every step.
var Invariants = []Invariant{
	{Name: "one-write-deleg", Check: oneWriteDeleg},
	{Name: "write-deleg-exclusive", Finding: true, Check: writeDelegExclusive,
		Note: "nfsd4_check_conflicting_opens looks only at other writers: a read-only open by another client does not stop a write delegation"},
	{Name: "lease-agrees", Finding: true, Check: leaseAgrees,
		Note: "after fs.lease-break-time (45 s) time_out_leases downgrades nfsd's write lease to a read lease for a waiting reader, while nfsd still lists the write delegation and its holder keeps writing under it"},
	{Name: "recall-bounded", Check: recallBounded},
	{Name: "wait-bounded", Check: waitBounded},
}

// CheckState evaluates every invariant on the actors' state; actors[0] is
// the server. names, if given, are the actors' names by ActorID
// (sim.Config.Names), used in the violations' details.
func CheckState(now model.Time, actors []model.Actor, names ...string) []InvariantViolation {
	srv, ok := actors[0].(*model.Server)
	if !ok {
		return nil
	}
	st := State{Now: now, Server: srv, Names: names}
	var out []InvariantViolation
	for _, inv := range Invariants {
		if d := inv.Check(st); d != "" {
			out = append(out, InvariantViolation{Invariant: inv.Name, At: now, Detail: d, Finding: inv.Finding})
		}
	}
	return out
}

// oneWriteDeleg: at most one write delegation per file, and none beside a
// read delegation (RFC 8881 §10.4).
func oneWriteDeleg(s State) string {
	ds := s.Server.Delegations()
	for i, a := range ds {
		for _, b := range ds[i+1:] {
			if a.File == b.File && (a.Type.Writes() || b.Type.Writes()) {
				return fmt.Sprintf("file %s: %s delegation to %s beside %s delegation to %s",
					s.file(a.File), a.Type, s.Name(a.Client), b.Type, s.Name(b.Client))
			}
		}
	}
	return ""
}

// writeDelegExclusive: no write delegation while another client has the
// file open. nfsd checks only other writers (nfsd4_check_conflicting_opens),
// so a reader's open beside a write delegation is a finding.
func writeDelegExclusive(s State) string {
	srv := s.Server
	for _, d := range srv.Delegations() {
		if !d.Type.Writes() {
			continue
		}
		for _, c := range srv.OpenBy(d.File) {
			if c != d.Client {
				return fmt.Sprintf("file %s: write delegation to %s while %s has it open (%s)",
					s.file(d.File), s.Name(d.Client), s.Name(c), srv.OpenAccess(c, d.File))
			}
		}
	}
	return ""
}

// leaseAgrees: the VFS lease matches nfsd's delegation record. The reader
// downgrade after lease-break-time (time_out_leases) breaks this on the
// real kernel: nfsd still lists a write delegation over a read lease.
func leaseAgrees(s State) string {
	for _, d := range s.Server.Delegations() {
		if !d.LeaseAgrees() {
			return fmt.Sprintf("file %s: nfsd lists a %s delegation to %s but the VFS lease is %s",
				s.file(d.File), d.Type, s.Name(d.Client), d.LeaseType)
		}
	}
	return ""
}

// recallBounded: every recall ends (returned, revoked or client expired)
// within one lease of the recall (the laundromat's bound).
func recallBounded(s State) string {
	bound := s.Server.Params().Lease + RecallSlack
	for _, d := range s.Server.Delegations() {
		if d.Recalling && s.Now-d.RecallAt > bound {
			return fmt.Sprintf("file %s: recall of %s's delegation outstanding for %v (bound %v)",
				s.file(d.File), s.Name(d.Client), s.Now-d.RecallAt, bound)
		}
	}
	return ""
}

// waitBounded: no opener waits past its bound: its policy's bound if it
// has one, else one lease (by then the laundromat has revoked the
// delegation or expired its holder).
func waitBounded(s State) string {
	for _, w := range s.Server.Waiters() {
		bound := w.Bound
		if bound == model.Forever || w.OnCB {
			bound = s.Server.Params().Lease
		}
		if s.Now-w.Since > bound+RecallSlack {
			return fmt.Sprintf("file %s: %s waiting for %v (bound %v)", s.file(w.File), s.Name(w.From), s.Now-w.Since, bound)
		}
	}
	return ""
}
