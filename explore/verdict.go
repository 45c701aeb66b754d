package explore

import "fmt"

// Verdict is what a search established.
type Verdict string

// Verdicts.
const (
	// VerdictOK: every reachable state was visited, every invariant held
	// in each and the consistency model in every complete history, of
	// which there was at least one (or consistency was not checked).
	VerdictOK Verdict = "ok"
	// VerdictViolated: a counterexample was found.
	VerdictViolated Verdict = "violated"
	// VerdictUndecided: the search ended before deciding, at a bound or
	// an interruption, or it checked no complete history; nothing was
	// found in what it did visit.
	VerdictUndecided Verdict = "undecided"
)

// Verdict is the report's verdict. A search that checked no complete
// history proves nothing about consistency, even when exhausted (every
// run ended with a script unfinished, say), so it is undecided.
func (r *Report) Verdict() Verdict {
	switch {
	case r.Counterexample != nil:
		return VerdictViolated
	case !r.Exhausted:
		return VerdictUndecided
	case r.Consistency != nil && r.Consistency.Checked == 0:
		return VerdictUndecided
	}
	return VerdictOK
}

// VerdictText is the verdict for people, with why a search is undecided.
func (r *Report) VerdictText() string {
	switch r.Verdict() {
	case VerdictViolated:
		return "VIOLATED (" + r.Counterexample.Property + ")"
	case VerdictOK:
		return "ok: exhausted, no violation"
	}
	if r.Exhausted {
		return "UNDECIDED: exhausted, but no run completed, so no history was checked against " + r.Consistency.Model
	}
	why := "interrupted"
	if r.Bound != "" {
		why = fmt.Sprintf("the %s bound (%s) was hit", r.Bound, r.boundValue())
	}
	checked := ""
	if r.Consistency != nil {
		checked = fmt.Sprintf(" and the %d complete histories checked", r.Consistency.Checked)
	}
	return fmt.Sprintf("UNDECIDED: %s; no violation in the %d distinct states visited%s", why, r.Distinct, checked)
}
