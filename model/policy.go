package model

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// A Policy is consulted by the server at every delegation decision: whether
// to grant, and how to treat each access that conflicts with a delegation.
// Every decision point hands the policy what the kernel profile would do
// (Kernel), so a policy only states how it differs. Policies are values
// without mutable state; they are shared between clones of a server.
type Policy interface {
	// Name is the policy's name on the command line and in reports.
	Name() string
	// Grant returns the delegation to offer on an OPEN.
	Grant(g GrantInfo) DelegType
	// Conflict decides how an access that conflicts with a delegation is
	// handled.
	Conflict(c ConflictInfo) Decision
}

// GrantInfo describes an OPEN at the moment nfsd decides on a delegation
// (nfs4_open_delegation).
type GrantInfo struct {
	Profile Profile
	Minor   int    // client's NFSv4 minor version
	Access  Access // share access of the OPEN
	Kernel  DelegType
}

// AccessKind classifies an access that may conflict with a delegation.
type AccessKind uint8

// Accesses the server classifies.
const (
	AccessLocalOpen     AccessKind = iota // open(2) on the server host (may be O_NONBLOCK)
	AccessLocalStat                       // stat(2)/statx(2) on the server host
	AccessLocalMeta                       // unlink/rename/chmod/truncate on the server host
	AccessRemoteOpen                      // another client's OPEN (nfsd_open_break_lease)
	AccessRemoteGetattr                   // another client's GETATTR of size/change
	AccessRemoteMeta                      // another client's SETATTR/REMOVE/RENAME
)

var accessKindNames = [...]string{
	AccessLocalOpen: "local-open", AccessLocalStat: "local-stat", AccessLocalMeta: "local-meta",
	AccessRemoteOpen: "remote-open", AccessRemoteGetattr: "remote-getattr", AccessRemoteMeta: "remote-meta",
}

func (a AccessKind) String() string { return accessKindNames[a] }

// IsLocal reports whether the access comes from a process on the server.
func (a AccessKind) IsLocal() bool { return a <= AccessLocalMeta }

// ConflictInfo describes an access that conflicts with a delegation.
type ConflictInfo struct {
	Profile   Profile
	Access    AccessKind
	Write     bool      // the access writes (a write open, or metadata change)
	NonBlock  bool      // O_NONBLOCK local open
	Holder    DelegType // the delegation in the way
	Recalling bool      // its recall is already under way
	Kernel    Decision  // what the profile's kernel does
}

// Action is what the server does with a conflicting access.
type Action uint8

// Actions.
const (
	// ActAllow lets the access through without recalling. For a GETATTR
	// answered after CB_GETATTR, the reply carries the holder's size.
	ActAllow Action = iota
	// ActRecallFail recalls (if not already recalling) and fails the access
	// at once: EAGAIN locally, NFS4ERR_DELAY to a client.
	ActRecallFail
	// ActRecallWait recalls and waits up to Decision.Wait for the
	// delegation to go, then fails as ActRecallFail does.
	ActRecallWait
	// ActCBGetattr asks the holder for its attributes with CB_GETATTR and
	// waits up to Decision.Wait for the answer, then continues with
	// Decision.Then if the server's view is stale (the holder has dirty
	// data or a size the server lacks), ActAllow if it is not, or
	// Decision.Unanswered without an answer.
	ActCBGetattr
	// ActDeny fails the access without recalling.
	ActDeny
)

var actionNames = [...]string{"allow", "recall-fail", "recall-wait", "cb-getattr", "deny"}

func (a Action) String() string { return actionNames[a] }

// Decision is a policy's answer for one conflicting access.
type Decision struct {
	Action Action
	Wait   Time // ActRecallWait and ActCBGetattr: the bound (Forever: no bound)
	// ActCBGetattr only: what to do when the holder's answer shows the
	// server's view is stale (Then) and when it does not answer within
	// Wait (Unanswered). Their
	// Wait fields come from ThenWait and UnansweredWait.
	Then           Action
	ThenWait       Time
	Unanswered     Action
	UnansweredWait Time
}

func (d Decision) String() string {
	switch d.Action {
	case ActRecallWait:
		return fmt.Sprintf("%s(%s)", d.Action, fmtWait(d.Wait))
	case ActCBGetattr:
		return fmt.Sprintf("%s(%s; modified: %s; unanswered: %s)", d.Action, fmtWait(d.Wait),
			Decision{Action: d.Then, Wait: d.ThenWait}, Decision{Action: d.Unanswered, Wait: d.UnansweredWait})
	}
	return d.Action.String()
}

func fmtWait(t Time) string {
	if t == Forever {
		return "forever"
	}
	return t.String()
}

// then returns the decision to follow after a CB_GETATTR round.
func (d Decision) then(stale bool) Decision {
	if stale {
		return Decision{Action: d.Then, Wait: d.ThenWait}
	}
	return Decision{Action: ActAllow}
}

func (d Decision) unanswered() Decision {
	return Decision{Action: d.Unanswered, Wait: d.UnansweredWait}
}

// kernelDecision is what the profile's kernel does with a conflicting
// access (facts.md, "Conflicts and what each party sees").
func kernelDecision(p Profile, a AccessKind, nonBlock bool, wait Time) Decision {
	switch a {
	case AccessLocalStat:
		// vfs_getattr takes no lease: stat never breaks a delegation.
		return Decision{Action: ActAllow}
	case AccessLocalOpen:
		if nonBlock {
			// __break_lease: O_NONBLOCK queues the break, returns -EWOULDBLOCK.
			return Decision{Action: ActRecallFail}
		}
		// Blocking opens wait; break_time is 0 for nfsd leases, so only
		// the reader downgrade after lease-break-time bounds the wait.
		return Decision{Action: ActRecallWait, Wait: Forever}
	case AccessLocalMeta:
		// try_break_deleg then break_deleg_wait: unbounded.
		return Decision{Action: ActRecallWait, Wait: Forever}
	case AccessRemoteOpen:
		// nfsd_open_break_lease is non-blocking: NFS4ERR_DELAY at once.
		return Decision{Action: ActRecallFail}
	case AccessRemoteGetattr:
		if p.CBGetattr {
			// nfsd4_deleg_getattr_conflict (6.9+): CB_GETATTR; recall only
			// if the holder does not answer.
			return Decision{Action: ActCBGetattr, Wait: wait, Then: ActAllow,
				Unanswered: ActRecallWait, UnansweredWait: wait}
		}
		return Decision{Action: ActRecallWait, Wait: wait}
	default: // AccessRemoteMeta: nfsd_wait_for_delegreturn, ≤30 ms.
		return Decision{Action: ActRecallWait, Wait: wait}
	}
}

// kernelGrant applies the profile's grant rules to an OPEN's access and
// minor version (nfs4_open_delegation). Conditions on server state
// (callback path, grace, recent recalls, other opens) are checked by the
// server before this.
func kernelGrant(p Profile, minor int, access Access) DelegType {
	switch {
	case access&AccessWrite == 0:
		return DelegRead
	case minor == 0:
		// Never a write delegation to v4.0: it cannot tell the holder's
		// own GETATTR apart (RFC 7530 §16.7.5).
		return DelegNone
	case access == AccessBoth || p.WriteDelegWronly:
		return DelegWrite
	}
	return DelegNone
}

// Built-in policies.

type kernelPolicy struct{}

func (kernelPolicy) Name() string                     { return "kernel" }
func (kernelPolicy) Grant(g GrantInfo) DelegType      { return g.Kernel }
func (kernelPolicy) Conflict(c ConflictInfo) Decision { return c.Kernel }

// seedGetattrExempt is the "local GETATTR exemption" proposed in a
// written analysis of the bug (not by its reporter, who proposed no fix):
// server-local GETATTR (stat) never recalls. The kernel already never recalls on a local stat,
// so this changes nothing, and lsattr, which fails in open(2), still fails.
// In nfsd it would live in nfsd4_deleg_getattr_conflict, which local
// processes never reach.
type seedGetattrExempt struct{ kernelPolicy }

func (seedGetattrExempt) Name() string { return "seed-getattr-exempt" }
func (seedGetattrExempt) Conflict(c ConflictInfo) Decision {
	if c.Access == AccessLocalStat {
		return Decision{Action: ActAllow}
	}
	return c.Kernel
}

// localReadExempt lets local read-only opens through a write delegation
// without a recall: lsattr never fails, but a local reader may see data
// and size the client has not yet written back. In the kernel it would be
// a leases_conflict exception for non-nfsd readers of FL_DELEG leases.
type localReadExempt struct{ kernelPolicy }

func (localReadExempt) Name() string { return "local-read-exempt" }
func (localReadExempt) Conflict(c ConflictInfo) Decision {
	if c.Access == AccessLocalOpen && !c.Write {
		return Decision{Action: ActAllow}
	}
	return c.Kernel
}

// exemptAllLocal lets every local access through, writers included. It is
// unsafe by design and exists to prove that exploration finds lost
// updates; it is not listed among the built-ins.
type exemptAllLocal struct{ kernelPolicy }

func (exemptAllLocal) Name() string { return "exempt-all-local" }
func (exemptAllLocal) Conflict(c ConflictInfo) Decision {
	if c.Access.IsLocal() {
		return Decision{Action: ActAllow}
	}
	return c.Kernel
}

// NonblockWait lets an O_NONBLOCK local open wait up to Bound for the
// delegation to be returned before failing with EAGAIN. In the kernel it
// would be a short bounded wait in __break_lease for FL_DELEG leases.
type NonblockWait struct{ Bound Time }

// DefaultNonblockWait is nonblock-wait's default bound, nfsd's own
// NFSD_DELEGRETURN_TIMEOUT.
const DefaultNonblockWait = 30 * time.Millisecond

// Name implements Policy.
func (NonblockWait) Name() string { return "nonblock-wait" }

// Grant implements Policy.
func (NonblockWait) Grant(g GrantInfo) DelegType { return g.Kernel }

// Conflict implements Policy.
func (p NonblockWait) Conflict(c ConflictInfo) Decision {
	if c.Access == AccessLocalOpen && c.NonBlock {
		return Decision{Action: ActRecallWait, Wait: p.Bound}
	}
	return c.Kernel
}

// cbGetattrGate sends CB_GETATTR before recalling for a local read-only
// open: if the holder has no unwritten data and its size matches the
// server's, the open proceeds and the delegation stays; otherwise (or
// with no answer in time) the kernel's action follows. In nfsd it would be an lm_break variant that runs
// CB_GETATTR from the breaker's context.
type cbGetattrGate struct{ wait Time }

func (cbGetattrGate) Name() string                { return "cb-getattr-gate" }
func (cbGetattrGate) Grant(g GrantInfo) DelegType { return g.Kernel }
func (p cbGetattrGate) Conflict(c ConflictInfo) Decision {
	// Once the recall is under way the delegation is going anyway: asking
	// the holder again would only let readers through a lease in
	// mid-break.
	if c.Access != AccessLocalOpen || c.Write || !c.Holder.Writes() || c.Recalling {
		return c.Kernel
	}
	return Decision{Action: ActCBGetattr, Wait: p.wait,
		Then: c.Kernel.Action, ThenWait: c.Kernel.Wait,
		Unanswered: c.Kernel.Action, UnansweredWait: c.Kernel.Wait}
}

// noWriteDeleg never grants write delegations: the behaviour of a server
// with write delegations disabled (as before 6.6). Read delegations stay.
type noWriteDeleg struct{ kernelPolicy }

func (noWriteDeleg) Name() string { return "no-write-deleg" }
func (noWriteDeleg) Grant(g GrantInfo) DelegType {
	if g.Kernel == DelegWrite {
		return DelegNone
	}
	return g.Kernel
}

// PolicyOptions tune the built-in policies that take parameters.
type PolicyOptions struct {
	NonblockWait Time // nonblock-wait's bound; 0 means DefaultNonblockWait
	GetattrWait  Time // cb-getattr-gate's CB_GETATTR wait; 0 means 30 ms
}

var builtinPolicies = []string{"kernel", "seed-getattr-exempt", "local-read-exempt",
	"nonblock-wait", "cb-getattr-gate", "no-write-deleg"}

// PolicyNames lists the built-in policies, in the order reports use.
func PolicyNames() []string { return append([]string(nil), builtinPolicies...) }

// LookupPolicy returns the named policy. "exempt-all-local", an unsafe
// test policy, is accepted but not listed.
func LookupPolicy(name string, o PolicyOptions) (Policy, error) {
	if o.NonblockWait == 0 {
		o.NonblockWait = DefaultNonblockWait
	}
	if o.GetattrWait == 0 {
		o.GetattrWait = DefaultServerParams().DelegReturnWait
	}
	switch name {
	case "kernel":
		return kernelPolicy{}, nil
	case "seed-getattr-exempt":
		return seedGetattrExempt{}, nil
	case "local-read-exempt":
		return localReadExempt{}, nil
	case "nonblock-wait":
		return NonblockWait{Bound: o.NonblockWait}, nil
	case "cb-getattr-gate":
		return cbGetattrGate{wait: o.GetattrWait}, nil
	case "no-write-deleg":
		return noWriteDeleg{}, nil
	case "exempt-all-local":
		return exemptAllLocal{}, nil
	case "no-deleg":
		return noDeleg{}, nil
	}
	names := append(PolicyNames(), ConfigPolicyNames()...)
	sort.Strings(names)
	return nil, fmt.Errorf("unknown policy %q (allowed: %s)", name, strings.Join(names, ", "))
}
