package compare

import (
	"fmt"
	"math"
	"strings"

	"github.com/delegsim/delegsim/model"
)

// judge fills in each row's "what it breaks" cells and its verdict,
// against the baseline: the kernel row if compared, else the first row.
func (t *Table) judge() {
	if len(t.Rows) == 0 {
		return
	}
	base := t.Rows[0]
	for _, r := range t.Rows {
		if r.Name == "kernel" {
			base = r
		}
	}
	for i := range t.Rows {
		r := &t.Rows[i]
		isBase := r.Name == base.Name
		r.Needs = needs(r.Fix)
		r.Changes = documented(*r)
		r.NfsdThread = nfsdText(r.Probe, model.Time(r.NfsdHoldMs*1e6))
		r.ClientCost = clientCost(*r, base, isBase)
		r.Safety = safety(*r, t.Trials)
		r.Verdict = t.verdict(*r, base, isBase)
	}
}

func needs(f Fix) string {
	switch f.Kind {
	case KindBaseline:
		return "nothing (today's kernel)"
	case KindKernel:
		return "kernel patch: " + f.Deploy
	case KindConfig:
		return "configuration: " + f.Deploy
	}
	return "application change: " + f.Deploy
}

// documented is the documented-behaviour cell: what the policy's
// decisions change (Probe), then what the fix's own description says.
func documented(r Row) string {
	var parts []string
	if len(r.Probe.Changes) > 0 {
		parts = append(parts, "yes: "+strings.Join(r.Probe.Changes, "; "))
	}
	if r.Documented != "" {
		parts = append(parts, r.Documented)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// changesDocumented reports whether the row's policy changes documented
// behaviour.
func (r Row) changesDocumented() bool { return len(r.Probe.Changes) > 0 }

// clientCost compares the clients' requests and delegations with the
// baseline's (or, for the baseline, states them).
func clientCost(r, base Row, isBase bool) string {
	if isBase {
		return fmt.Sprintf("%.1f client RPCs per run; %.2f write and %.2f read delegations granted", r.ClientRPCs, r.WriteGrants, r.ReadGrants)
	}
	var parts []string
	for k := 0; k < model.MsgKindCount; k++ {
		name := model.MsgKind(k).String()
		if d := r.RPCs[name] - base.RPCs[name]; math.Abs(d) >= 0.05 {
			parts = append(parts, fmt.Sprintf("%+.2f %s", d, name))
		}
	}
	if len(parts) > 0 {
		parts = []string{"per run " + strings.Join(parts, ", ")}
	}
	if r.WriteGrants < base.WriteGrants-0.005 {
		parts = append(parts, fmt.Sprintf("write delegations %.2f per run (baseline %.2f): writes and opens no longer cached across close",
			r.WriteGrants, base.WriteGrants))
	}
	if r.ReadGrants < base.ReadGrants-0.005 {
		parts = append(parts, fmt.Sprintf("read delegations %.2f per run (baseline %.2f): reopens revalidate with the server", r.ReadGrants, base.ReadGrants))
	}
	if r.WriteGrants > base.WriteGrants+0.005 || r.ReadGrants > base.ReadGrants+0.005 {
		parts = append(parts, fmt.Sprintf("more delegations: %.2f write, %.2f read per run (baseline %.2f, %.2f)",
			r.WriteGrants, r.ReadGrants, base.WriteGrants, base.ReadGrants))
	}
	if len(parts) == 0 {
		return "none: the baseline's RPCs and delegations"
	}
	return strings.Join(parts, "; ")
}

// safety is the stale-read and lost-write cell: what the runs' checks and
// the exhaustive search found.
func safety(r Row, trials int) string {
	var runs []string
	if r.StaleCTO > 0 {
		runs = append(runs, fmt.Sprintf("close-to-open broken in %d runs (%d stale reads)", r.StaleCTO, r.StaleReads))
	}
	if r.LostWrites > 0 {
		runs = append(runs, fmt.Sprintf("acknowledged write lost in %d runs", r.LostWrites))
	}
	if r.Broken > 0 {
		runs = append(runs, fmt.Sprintf("a safety invariant broken in %d runs", r.Broken))
	}
	s := fmt.Sprintf("runs: none in %d", trials)
	if len(runs) > 0 {
		s = "runs: " + strings.Join(runs, ", ")
	}
	if r.Explore == nil {
		return s + "; exploration: not run"
	}
	e := r.Explore
	switch {
	case e.Stale:
		return s + fmt.Sprintf("; exploration: stale read at depth %d", e.Depth)
	case e.Other != "":
		return s + "; exploration: " + e.Other + " broken"
	}
	return s + "; exploration: " + e.String()
}

// verdict is the row's one line: the first clause says what happens to
// the local access; the rest name the price (stale data, documented
// behaviour, waiting, lost delegations, extra RPCs, revocations).
func (t *Table) verdict(r, base Row, isBase bool) string {
	what := t.AccessKind
	if what == "" {
		what = "the local access"
	}
	var parts []string
	switch {
	case isBase && r.Fail == 0:
		parts = append(parts, "baseline: "+what+" never fails here")
	case isBase:
		parts = append(parts, fmt.Sprintf("baseline: %s fails in %s of runs", what, pct(r.Fail)))
	case base.Fail == 0 && r.Fail == 0:
		parts = append(parts, what+" never fails here")
	case r.Fail == 0:
		parts = append(parts, "fixes "+what)
	case r.FailLo <= base.Fail && base.Fail <= r.FailHi:
		parts = append(parts, fmt.Sprintf("no change: %s still fails (%s)", what, pct(r.Fail)))
	case r.Fail < base.Fail:
		parts = append(parts, fmt.Sprintf("%s fails less often (%s)", what, pct(r.Fail)))
	default:
		parts = append(parts, fmt.Sprintf("worse: %s fails in %s of runs", what, pct(r.Fail)))
	}
	return strings.Join(append(parts, costs(r, base, isBase)...), "; ")
}

// costs names what a fix costs compared with the baseline (or, for the
// baseline itself, in absolute terms).
func costs(r, base Row, isBase bool) []string {
	var out []string
	baseUnsafe := base.StaleCTO > 0 || base.Explore != nil && base.Explore.Stale
	switch {
	case r.StaleCTO > 0:
		out = append(out, fmt.Sprintf("stale data possible (close-to-open broken in %d runs)", r.StaleCTO))
	case r.Explore != nil && r.Explore.Stale && !isBase && baseUnsafe:
		out = append(out, "stale data possible, as under the baseline (found by exploration)")
	case r.Explore != nil && r.Explore.Stale:
		out = append(out, "stale data possible (found by exploration)")
	case r.StaleLin > 0:
		out = append(out, fmt.Sprintf("not linearizable in %d runs (close-to-open holds)", r.StaleLin))
	}
	if r.LostWrites > 0 {
		out = append(out, fmt.Sprintf("writes lost in %d runs", r.LostWrites))
	}
	if !isBase && r.changesDocumented() {
		out = append(out, "changes documented behaviour")
	}
	if !isBase && r.Probe.NfsdBound == model.Forever && r.Probe.KernelNfsdBound != model.Forever {
		out = append(out, "nfsd threads may wait without a bound")
	}
	if !isBase && r.P99Ms > base.P99Ms+1 {
		out = append(out, fmt.Sprintf("local access p99 %.1f ms (baseline %.1f ms)", r.P99Ms, base.P99Ms))
	}
	if !isBase && base.Grants > 0 && r.Grants == 0 {
		out = append(out, "no delegations granted: clients lose caching")
	} else if !isBase && base.WriteGrants > 0 && r.WriteGrants == 0 {
		out = append(out, "no write delegations: clients lose write caching")
	}
	if !isBase && base.ClientRPCs > 0 && r.ClientRPCs > base.ClientRPCs*1.05 {
		out = append(out, fmt.Sprintf("+%.0f%% client RPCs", 100*(r.ClientRPCs/base.ClientRPCs-1)))
	}
	if !isBase && r.CBGetattrs > 0 && base.CBGetattrs == 0 {
		out = append(out, fmt.Sprintf("%.1f CB_GETATTR per run", r.CBGetattrs))
	}
	if !isBase && base.Recalls > 0 && r.Recalls == 0 && r.Grants > 0 {
		out = append(out, "the delegation survives")
	}
	if r.Lost > 0 {
		out = append(out, fmt.Sprintf("%.2f delegations revoked per run", r.Lost))
	}
	return out
}

func pct(p float64) string { return fmt.Sprintf("%.0f%%", 100*p) }
