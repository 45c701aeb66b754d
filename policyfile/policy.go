// Package policyfile reads recall policies written in YAML, so that a fix
// can be tried without writing Go. A policy file names the policy and
// lists rules: for each kind of conflicting access (a local open, stat or
// metadata change, or another client's OPEN, GETATTR or metadata change;
// reading or writing; blocking or not; against a read or a write
// delegation) the action the server takes, and for each OPEN the
// delegation it offers. Rules are tried in order and the first that
// matches decides; an access or OPEN no rule matches gets what the
// kernel profile does. Every built-in policy of package model is
// expressible this way and ships as a file (Builtin), which gives
// byte-identical runs. The format is in docs/policies.md.
//
// Files are validated strictly: an unknown key, a misspelt access kind or
// action, a wait inside nfsd without a bound, a write delegation offered
// to NFSv4.0 are errors naming file, line, field and the allowed values.
// A parsed Policy implements model.Policy and holds no mutable state;
// package model knows nothing of YAML.
package policyfile

import (
	"github.com/delegsim/delegsim/model"
)

// Policy is a policy read from a file. It implements model.Policy.
type Policy struct {
	name        string
	Description string
	File        string // where it was read from
	grants      []grantRule
	conflicts   []conflictRule
}

// grantRule offers a delegation to the OPENs it matches. A nil match
// field matches anything.
type grantRule struct {
	open   []model.Access    // share access of the OPEN
	minor  []int             // client's minor version
	kernel []model.DelegType // what the kernel would offer
	offer  offer
}

// offer is a grant rule's answer: the kernel's, or a fixed type.
type offer struct {
	kernel bool
	deleg  model.DelegType
}

// conflictRule decides the conflicting accesses it matches.
type conflictRule struct {
	access    []model.AccessKind
	write     *bool
	nonBlock  *bool
	holder    []model.DelegType
	recalling *bool
	action    action
}

// step is one action with its bound; kernel means the kernel's decision
// for the access.
type step struct {
	kernel bool
	act    model.Action
	wait   model.Time
}

// action is a rule's decision: one step, or a CB_GETATTR round with the
// steps to take when the holder's answer shows the server's view stale
// (then) and when no answer comes within the bound (unanswered).
type action struct {
	step
	then, unanswered step
}

// Name implements model.Policy.
func (p *Policy) Name() string { return p.name }

// Grant implements model.Policy.
func (p *Policy) Grant(g model.GrantInfo) model.DelegType {
	for i := range p.grants {
		r := &p.grants[i]
		if in(r.open, g.Access) && in(r.minor, g.Minor) && in(r.kernel, g.Kernel) {
			if r.offer.kernel {
				return g.Kernel
			}
			return r.offer.deleg
		}
	}
	return g.Kernel
}

// Conflict implements model.Policy.
func (p *Policy) Conflict(c model.ConflictInfo) model.Decision {
	for i := range p.conflicts {
		r := &p.conflicts[i]
		if in(r.access, c.Access) && is(r.write, c.Write) && is(r.nonBlock, c.NonBlock) &&
			in(r.holder, c.Holder.Lease()) && is(r.recalling, c.Recalling) {
			// holder names the delegation's kind: a write-attrs
			// delegation (delegated timestamps) is a write delegation.
			return r.action.decide(c.Kernel)
		}
	}
	return c.Kernel
}

// decide turns the rule's action into a decision, given the kernel's.
func (a action) decide(kern model.Decision) model.Decision {
	if a.kernel {
		return kern
	}
	d := model.Decision{Action: a.act, Wait: a.wait}
	if a.act == model.ActCBGetattr {
		d.Then, d.ThenWait = a.then.resolve(kern)
		d.Unanswered, d.UnansweredWait = a.unanswered.resolve(kern)
	}
	return d
}

// resolve returns a CB_GETATTR follow-up step's action and bound. The
// kernel's decision is never a CB_GETATTR round here: validation keeps
// "kernel" follow-ups off remote GETATTRs, the one access for which the
// kernel sends CB_GETATTR.
func (s step) resolve(kern model.Decision) (model.Action, model.Time) {
	if s.kernel {
		return kern.Action, kern.Wait
	}
	return s.act, s.wait
}

func in[T comparable](set []T, v T) bool {
	if set == nil {
		return true
	}
	for _, x := range set {
		if x == v {
			return true
		}
	}
	return false
}

func is(want *bool, v bool) bool { return want == nil || *want == v }
