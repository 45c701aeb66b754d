package compare

import (
	"fmt"
	"strings"
)

// verdicts writes each row's one-line verdict, judged against the
// baseline: the kernel policy if compared, else the first row. The first
// clause says what happens to the local access; the rest name the price
// (stale data, waiting, lost write delegations, extra RPCs, revocations).
func (t *Table) verdicts() {
	if len(t.Rows) == 0 {
		return
	}
	base := t.Rows[0]
	for _, r := range t.Rows {
		if r.Policy == "kernel" {
			base = r
		}
	}
	what := t.AccessKind
	if what == "" {
		what = "the local access"
	}
	for i := range t.Rows {
		r := &t.Rows[i]
		var parts []string
		switch {
		case r.Policy == base.Policy && r.Fail == 0:
			parts = append(parts, "baseline: "+what+" never fails here")
		case r.Policy == base.Policy:
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
		if r.Policy == base.Policy {
			r.Verdict = strings.Join(append(parts, costs(*r, base, true)...), "; ")
			continue
		}
		r.Verdict = strings.Join(append(parts, costs(*r, base, false)...), "; ")
	}
}

// costs names what a policy costs compared with the baseline (or, for the
// baseline itself, in absolute terms).
func costs(r, base Row, isBase bool) []string {
	var out []string
	switch {
	case r.StaleCTO > 0:
		out = append(out, fmt.Sprintf("stale data possible (close-to-open broken in %d runs)", r.StaleCTO))
	case r.Explore != nil && r.Explore.Stale:
		out = append(out, "stale data possible (found by exploration)")
	case r.StaleLin > 0:
		out = append(out, fmt.Sprintf("not linearizable in %d runs (close-to-open holds)", r.StaleLin))
	}
	if !isBase && r.P99Ms > base.P99Ms+1 {
		out = append(out, fmt.Sprintf("local access p99 %.1f ms (baseline %.1f ms)", r.P99Ms, base.P99Ms))
	}
	if !isBase && base.Grants > 0 && r.Grants == 0 {
		out = append(out, "no delegations granted: clients lose caching")
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
