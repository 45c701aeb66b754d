package compare

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/model"
)

// Probe is what a policy does, read off its decisions rather than off
// runs: the policy is asked about every kind of conflicting access, as
// the server would ask it, and its answers are compared with the
// kernel's. It yields the properties a run of one scenario cannot show:
// whether the policy changes documented behaviour, and how long it lets
// an nfsd thread wait.
type Probe struct {
	// Changes lists the documented behaviours the policy changes, each
	// with its source; empty if none.
	Changes []string `json:"changes"`
	// NfsdBound is the longest an nfsd thread may wait on one conflicting
	// request (another client's OPEN, GETATTR, SETATTR/REMOVE/RENAME);
	// model.Forever if the policy lets it wait without a bound.
	NfsdBound model.Time `json:"nfsd_bound_ns"`
	// KernelNfsdBound is the same for the kernel.
	KernelNfsdBound model.Time `json:"kernel_nfsd_bound_ns"`
}

// probeCase is one question asked of a policy.
type probeCase struct {
	access   model.AccessKind
	write    bool
	nonBlock bool
	holder   model.DelegType
}

func probeCases() []probeCase {
	var out []probeCase
	for a := model.AccessLocalOpen; a <= model.AccessRemoteMeta; a++ {
		for _, w := range []bool{false, true} {
			for _, nb := range []bool{false, true} {
				if nb && a != model.AccessLocalOpen {
					continue // only a local open can be non-blocking
				}
				for _, h := range []model.DelegType{model.DelegWrite, model.DelegRead} {
					if h == model.DelegRead && !w {
						continue // readers do not conflict with read delegations
					}
					out = append(out, probeCase{a, w, nb, h})
				}
			}
		}
	}
	return out
}

// ProbePolicy asks p about every conflicting access and every OPEN under
// profile prof, with nfsd's wait bound wait (ServerParams.DelegReturnWait).
func ProbePolicy(p model.Policy, prof model.Profile, wait model.Time) Probe {
	pr := Probe{}
	for _, c := range probeCases() {
		kern := model.KernelDecision(prof, c.access, c.nonBlock, wait)
		info := model.ConflictInfo{Profile: prof, Access: c.access, Write: c.write, NonBlock: c.nonBlock,
			Holder: c.holder, Kernel: kern}
		d := p.Conflict(info)
		if !c.access.IsLocal() {
			pr.NfsdBound = max(pr.NfsdBound, bound(d))
			pr.KernelNfsdBound = max(pr.KernelNfsdBound, bound(kern))
		}
		if d == kern {
			continue
		}
		if s := change(c, d, kern); s != "" && !contains(pr.Changes, s) {
			pr.Changes = append(pr.Changes, s)
		}
	}
	for minor := 0; minor <= 2; minor++ {
		for _, acc := range []model.Access{model.AccessRead, model.AccessWrite, model.AccessBoth} {
			kern := model.KernelGrant(prof, minor, acc)
			got := p.Grant(model.GrantInfo{Profile: prof, Minor: minor, Access: acc, Kernel: kern})
			var s string
			switch {
			case got == model.DelegWrite && minor == 0:
				s = "grants NFSv4.0 clients write delegations, whose own GETATTRs nfsd cannot tell apart (RFC 7530 §16.7.5)"
			case got == model.DelegWrite && acc&model.AccessWrite == 0:
				s = "grants a write delegation to a read-only OPEN (RFC 8881 §18.16.3: the delegation cannot exceed the open's access)"
			}
			if s != "" && !contains(pr.Changes, s) {
				pr.Changes = append(pr.Changes, s)
			}
		}
	}
	return pr
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// bound is the longest the access may wait under a decision.
func bound(d model.Decision) model.Time {
	switch d.Action {
	case model.ActRecallWait:
		return d.Wait
	case model.ActCBGetattr:
		then := model.Time(0)
		if d.Then == model.ActRecallWait {
			then = d.ThenWait
		}
		if d.Unanswered == model.ActRecallWait {
			then = max(then, d.UnansweredWait)
		}
		if d.Wait == model.Forever || then == model.Forever {
			return model.Forever
		}
		return d.Wait + then
	}
	return 0
}

// passes reports whether a decision can let the access through while
// the delegation stays: at once, or after a CB_GETATTR answer.
func passes(d model.Decision) bool {
	return d.Action == model.ActAllow || d.Action == model.ActCBGetattr
}

// change names the documented behaviour a decision changes, where the
// kernel decides kern; "" if none.
func change(c probeCase, d, kern model.Decision) string {
	who := map[model.AccessKind]string{model.AccessLocalOpen: "a local open", model.AccessLocalStat: "a local stat",
		model.AccessLocalMeta: "a local unlink/rename/chmod", model.AccessRemoteOpen: "another client's OPEN",
		model.AccessRemoteGetattr: "another client's GETATTR", model.AccessRemoteMeta: "another client's SETATTR/REMOVE/RENAME"}[c.access]
	switch {
	case c.access == model.AccessLocalOpen && c.nonBlock && kern.Action == model.ActRecallFail:
		switch d.Action {
		case model.ActRecallWait:
			return fmt.Sprintf("an O_NONBLOCK open sleeps up to %s for the recall instead of failing at once with EWOULDBLOCK "+
				"(open(2); F_SETLEASE(2const): the breaker's non-blocking open fails immediately)", fmtBound(d.Wait))
		case model.ActCBGetattr:
			return fmt.Sprintf("an O_NONBLOCK open sleeps up to %s for a CB_GETATTR answer "+
				"(open(2) and F_SETLEASE(2const) promise EWOULDBLOCK at once), and passes the write delegation when the holder is clean "+
				"(RFC 8881 §10.4: no other access while a write delegation is held)", fmtBound(bound(d)))
		case model.ActAllow:
			return "an O_NONBLOCK open neither fails nor breaks the write lease (F_SETLEASE(2const): a conflicting open breaks it)"
		case model.ActDeny:
			return "an O_NONBLOCK open fails without starting the recall, so it fails for as long as the delegation is held " +
				"(F_SETLEASE(2const): the failed open still breaks the lease)"
		}
	case c.access == model.AccessLocalStat:
		if d.Action != model.ActAllow {
			return "a local stat can fail or wait on a delegation (stat(2) takes no lease, vfs_getattr)"
		}
	case passes(d) && c.holder == model.DelegWrite && c.access != model.AccessRemoteGetattr:
		if d.Action == model.ActCBGetattr {
			return who + " passes a write delegation after a CB_GETATTR shows the holder clean " +
				"(RFC 8881 §10.4: no other access while a write delegation is held; §10.4.3 allows CB_GETATTR for GETATTR only)"
		}
		return who + " passes a write delegation without a recall (RFC 8881 §10.4: no other access while a write delegation is held)"
	case passes(d) && c.holder == model.DelegRead && c.write:
		return who + " writes past a read delegation without a recall (RFC 8881 §10.4)"
	case c.access == model.AccessRemoteGetattr && d.Action == model.ActAllow:
		return "another client's GETATTR is answered from the server's possibly stale attributes (RFC 8881 §10.4.3: recall or CB_GETATTR first)"
	case d.Action == model.ActDeny && kern.Action != model.ActDeny:
		return who + " is refused without a recall, so it fails for as long as the delegation is held"
	}
	return ""
}

func fmtBound(t model.Time) string {
	if t == model.Forever {
		return "forever"
	}
	return t.String()
}

// nfsdText describes the nfsd-thread column: the policy's bound, the
// kernel's, and the longest wait seen in the runs.
func nfsdText(p Probe, seen model.Time) string {
	var b strings.Builder
	switch {
	case p.NfsdBound == model.Forever:
		b.WriteString("yes, unbounded: a conflicting request can hold an nfsd thread until the delegation goes " +
			"(nfsd_wait_for_delegreturn: the timeout prevents deadlock when all nfsd threads wait)")
	case p.NfsdBound == p.KernelNfsdBound:
		fmt.Fprintf(&b, "no more than today: ≤%s per conflicting request (each wait NFSD_DELEGRETURN_TIMEOUT)", fmtBound(p.NfsdBound))
	default:
		fmt.Fprintf(&b, "≤%s per conflicting request (today ≤%s)", fmtBound(p.NfsdBound), fmtBound(p.KernelNfsdBound))
	}
	fmt.Fprintf(&b, "; longest seen here %s", fmtMs(seen))
	return b.String()
}

func fmtMs(t model.Time) string {
	if t == 0 {
		return "0 ms"
	}
	return fmt.Sprintf("%.1f ms", float64(t)/1e6)
}
