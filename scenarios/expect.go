package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// Outcome is one expectation checked against a run.
type Outcome struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"` // what was seen, when it failed
}

// Applies reports whether expectation e is meant for this profile and
// policy.
func (e ExpectSpec) Applies(profile, policy string) bool {
	return (len(e.Profiles) == 0 || slices.Contains(e.Profiles, profile)) &&
		(len(e.Policies) == 0 || slices.Contains(e.Policies, policy))
}

// Label is the expectation's name, or a description built from it.
func (e ExpectSpec) Label() string {
	if e.Name != "" {
		return e.Name
	}
	var parts []string
	switch {
	case e.Op != "":
		parts = append(parts, e.Op)
		if e.Result != "" {
			parts = append(parts, "→ "+e.Result)
		}
		for _, v := range []struct {
			name string
			val  *int64
		}{{"size", e.Size}, {"bytes", e.Bytes}} {
			if v.val != nil {
				parts = append(parts, fmt.Sprintf("%s=%d", v.name, *v.val))
			}
		}
		if e.Data != nil {
			parts = append(parts, fmt.Sprintf("data=%d", *e.Data))
		}
		if e.LatencyMin != nil {
			parts = append(parts, fmt.Sprintf("latency ≥ %v", e.LatencyMin.T()))
		}
		if e.LatencyMax != nil {
			parts = append(parts, fmt.Sprintf("latency ≤ %v", e.LatencyMax.T()))
		}
		if e.Attempts != nil {
			parts = append(parts, fmt.Sprintf("attempts=%d", *e.Attempts))
		}
		if e.Deleg != "" {
			parts = append(parts, "deleg="+e.Deleg)
		}
		if e.Why != "" {
			parts = append(parts, "why="+e.Why)
		}
	case e.Count != "":
		parts = append(parts, "count "+e.Count)
		if e.Eq != nil {
			parts = append(parts, fmt.Sprintf("= %d", *e.Eq))
		}
		if e.Min != nil {
			parts = append(parts, fmt.Sprintf("≥ %d", *e.Min))
		}
		if e.Max != nil {
			parts = append(parts, fmt.Sprintf("≤ %d", *e.Max))
		}
	default:
		parts = append(parts, fmt.Sprintf("all scripts finished = %v", *e.Finished))
	}
	return strings.Join(parts, " ")
}

// Check evaluates the expectations that apply to profile and policy.
func (sc *Scenario) Check(res *sim.Result, profile, policy string) []Outcome {
	var out []Outcome
	for _, e := range sc.Spec.Expect {
		if !e.Applies(profile, policy) {
			continue
		}
		detail := check(e, res)
		out = append(out, Outcome{Name: e.Label(), OK: detail == "", Detail: detail})
	}
	return out
}

// check returns "" if e holds, else what was seen.
func check(e ExpectSpec, res *sim.Result) string {
	switch {
	case e.Op != "":
		op, ok := res.Op(e.Op)
		if !ok {
			return fmt.Sprintf("%s never completed", e.Op)
		}
		return checkOp(e, op)
	case e.Count != "":
		n := count(res, e.Count)
		if (e.Eq != nil && n != *e.Eq) || (e.Min != nil && n < *e.Min) || (e.Max != nil && n > *e.Max) {
			return fmt.Sprintf("counted %d", n)
		}
	default:
		if done := len(res.Unfinished) == 0; done != *e.Finished {
			return fmt.Sprintf("unfinished: %v", res.Unfinished)
		}
	}
	return ""
}

func checkOp(e ExpectSpec, op model.Op) string {
	lat := op.End - op.Start
	var bad []string
	if e.Result != "" && op.Result != e.Result {
		bad = append(bad, "result "+op.Result)
	}
	if e.Size != nil && op.Size != *e.Size {
		bad = append(bad, fmt.Sprintf("size %d", op.Size))
	}
	if e.Bytes != nil && op.Bytes != *e.Bytes {
		bad = append(bad, fmt.Sprintf("bytes %d", op.Bytes))
	}
	if e.Data != nil && op.Data != *e.Data {
		bad = append(bad, fmt.Sprintf("data %d", op.Data))
	}
	if (e.LatencyMin != nil && lat < e.LatencyMin.T()) || (e.LatencyMax != nil && lat > e.LatencyMax.T()) {
		bad = append(bad, fmt.Sprintf("latency %v", lat))
	}
	if e.Attempts != nil && op.Attempts != *e.Attempts {
		bad = append(bad, fmt.Sprintf("attempts %d", op.Attempts))
	}
	if e.Deleg != "" && op.Deleg.String() != e.Deleg {
		bad = append(bad, "deleg "+op.Deleg.String())
	}
	if e.Why != "" && op.Why.String() != e.Why {
		bad = append(bad, "why "+op.Why.String())
	}
	if len(bad) == 0 {
		return ""
	}
	return "saw " + strings.Join(bad, ", ") + " (" + op.String() + ")"
}

func count(res *sim.Result, name string) int {
	if k, ok := model.ParseEventKind(name); ok {
		return res.EventCount(k)
	}
	k, _ := model.ParseMsgKind(name)
	return res.Sent[k]
}
