package model

// This file holds what a policy defined outside Go (package policyfile)
// needs to reproduce the built-ins exactly: the kernel's own decisions,
// the names of access kinds and actions, and no-deleg, the policy of a
// server whose configuration allows no delegations.

// noDeleg grants no delegation at all: a server run with
// fs.leases-enable=0. generic_add_lease (fs/locks.c) refuses every new
// lease with EINVAL when leases_enable is 0, so nfs4_set_delegation
// fails and nfsd answers the OPEN without a delegation; a userspace
// F_SETLEASE fails the same way. Leases already held are not touched
// (lm_change on one's own lease comes before the check), so the setting
// only takes effect for opens after it is made.
type noDeleg struct{ kernelPolicy }

func (noDeleg) Name() string              { return "no-deleg" }
func (noDeleg) Grant(GrantInfo) DelegType { return DelegNone }

// ConfigPolicyNames lists the built-in policies that model a server
// configuration rather than a kernel change; they are accepted by
// LookupPolicy but not among PolicyNames, the kernel changes compared by
// default.
func ConfigPolicyNames() []string { return []string{"no-deleg"} }

// KernelDecision is what the profile's kernel does with a conflicting
// access: a blocking or O_NONBLOCK (nonBlock) local open, a local stat or
// metadata change, or another client's OPEN, GETATTR or metadata change.
// wait is nfsd's NFSD_DELEGRETURN_TIMEOUT (ServerParams.DelegReturnWait).
// It is the ConflictInfo.Kernel every policy is handed.
func KernelDecision(p Profile, a AccessKind, nonBlock bool, wait Time) Decision {
	return kernelDecision(p, a, nonBlock, wait)
}

// KernelGrant is the delegation the profile's grant rules offer an OPEN
// with the given share access from a client of the given minor version
// (nfs4_open_delegation), before server state (callback path, grace,
// recent recalls, other opens) is considered. It is the GrantInfo.Kernel
// every policy is handed.
func KernelGrant(p Profile, minor int, access Access) DelegType {
	return kernelGrant(p, minor, access)
}

// AccessKindNames lists the access kinds by name, in AccessKind order.
func AccessKindNames() []string { return append([]string(nil), accessKindNames[:]...) }

// ParseAccessKind returns the access kind with the given name
// ("local-open", "remote-getattr", ...).
func ParseAccessKind(s string) (AccessKind, bool) {
	for i, n := range accessKindNames {
		if n == s {
			return AccessKind(i), true
		}
	}
	return 0, false
}

// ActionNames lists the actions by name, in Action order.
func ActionNames() []string { return append([]string(nil), actionNames[:]...) }

// ParseAction returns the action with the given name ("recall-wait").
func ParseAction(s string) (Action, bool) {
	for i, n := range actionNames {
		if n == s {
			return Action(i), true
		}
	}
	return 0, false
}
