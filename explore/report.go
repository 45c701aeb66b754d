package explore

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report for people. Everything in it is
// deterministic: timing goes to TimingLine.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "explore %s   profile %s   policy %s   seed %d\n", r.Scenario, r.Profile, r.Policy, r.Seed)
	delays := "message delays bounded by the scenario's distributions"
	if r.MaxDelay != "" {
		delays = "every message arrives within " + r.MaxDelay
	}
	fmt.Fprintf(&b, "strategy %s   max-depth %d   max-states %d   %s\n\n", r.Strategy, r.MaxDepth, r.MaxStates, delays)

	fmt.Fprintf(&b, "states:     %d generated, %d distinct, depth %d\n", r.Generated, r.Distinct, r.Depth)
	switch {
	case r.Symmetries > 1:
		fmt.Fprintf(&b, "symmetry:   states counted up to %d symmetries of the run and a renaming of stateids and xids\n", r.Symmetries)
	case r.Symmetries == 1:
		b.WriteString("symmetry:   no symmetry of the run; states counted up to a renaming of stateids and xids\n")
	}
	if sh := r.Shard; sh != nil && r.MergedShards > 0 {
		fmt.Fprintf(&b, "shards:     %d merged, split at depth %d (%d states there, %d above it); states below it that several shards reached are counted by each\n",
			r.MergedShards, sh.Depth, sh.Frontier, sh.PrefixStates)
	} else if sh != nil {
		fmt.Fprintf(&b, "shard:      %d of %d, split at depth %d: %d of its %d states, and the %d above it (counted by shard 0)\n",
			sh.Index, sh.Of, sh.Depth, sh.Own, sh.Frontier, sh.PrefixStates)
	}
	switch {
	case r.Exhausted:
		b.WriteString("search:     exhausted: every reachable state was visited\n")
	case r.Interrupted && r.Counterexample == nil:
		b.WriteString("search:     NOT exhausted: interrupted\n")
	case r.Bound != "":
		fmt.Fprintf(&b, "search:     NOT exhausted: the %s bound was hit (%s); raise --%s to go further\n", r.Bound, r.boundValue(), r.Bound)
	default:
		b.WriteString("search:     stopped at the first violation\n")
	}
	fmt.Fprintf(&b, "histories:  %d complete histories (%d terminal states", r.Histories, r.Terminal)
	if r.Unfinished > 0 {
		fmt.Fprintf(&b, ", %d with a script that never finished", r.Unfinished)
	}
	b.WriteString(")\n\nproperties:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, inv := range r.Invariants {
		switch {
		case inv.States == 0:
			fmt.Fprintf(tw, "  ok\t%s\tinvariant, held in every state\n", inv.Name)
		case inv.Finding:
			fmt.Fprintf(tw, "  finding\t%s\tknown kernel behaviour, in %d states\n", inv.Name, inv.States)
		default:
			fmt.Fprintf(tw, "  VIOLATED\t%s\tinvariant, broken in %d states\n", inv.Name, inv.States)
		}
	}
	if c := r.Consistency; c != nil {
		promise := "promised by the policy"
		if !c.Promised {
			promise = "not promised by the policy"
		}
		switch {
		case c.Violations > 0:
			fmt.Fprintf(tw, "  VIOLATED\t%s\t%s; violated in %d of %d complete histories checked\n", c.Model, promise, c.Violations, c.Checked)
		case c.Checked == 0:
			fmt.Fprintf(tw, "  unknown\t%s\t%s; NOT checked: the search reached no complete history\n", c.Model, promise)
		case c.Unknown > 0:
			fmt.Fprintf(tw, "  unknown\t%s\t%s; %d of %d histories undecided in time\n", c.Model, promise, c.Unknown, c.Checked)
		default:
			fmt.Fprintf(tw, "  ok\t%s\t%s; held in all %d complete histories\n", c.Model, promise, c.Checked)
		}
	}
	tw.Flush()
	for _, inv := range r.Invariants {
		if inv.States > 0 {
			fmt.Fprintf(&b, "  first %s\n", inv.First)
		}
	}

	if len(r.Outcomes) > 0 {
		fmt.Fprintf(&b, "\noutcomes: in how many of the %d complete histories each operation ended so\n", r.Histories)
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, o := range r.Outcomes {
			fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%d of %d\n", o.Op, o.Kind, o.File, o.Result, o.Histories, r.Histories)
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "\nevents reached: %s\n", strings.Join(r.Events, ", "))

	if c := r.Counterexample; c != nil {
		fmt.Fprintf(&b, "\ncounterexample (%s, %d steps", c.Property, c.Depth)
		if r.Strategy == BFS.String() {
			b.WriteString(", a shortest one")
		}
		fmt.Fprintf(&b, "):\n  %s\n\nhistory:\n", strings.ReplaceAll(c.Detail, "\n", "\n  "))
		for _, op := range c.opsLines() {
			fmt.Fprintf(&b, "  %s\n", op)
		}
		b.WriteString("\nschedule:\n")
		for _, line := range strings.Split(strings.TrimRight(c.Schedule.String(), "\n"), "\n") {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	fmt.Fprintf(&b, "\nverdict: %s\n", r.VerdictText())
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) boundValue() string {
	switch r.Bound {
	case "max-depth":
		return fmt.Sprint(r.MaxDepth)
	case "max-memory":
		return fmt.Sprintf("%d MiB", r.MaxMemory>>20)
	}
	return fmt.Sprint(r.MaxStates)
}

// TimingLine summarises how long the search took; it is not part of the
// deterministic report.
func (r *Report) TimingLine() string {
	return fmt.Sprintf("explored %d distinct states in %.2fs (%.0f states/s on %d workers); visited set %.1f bytes/state",
		r.Distinct, r.Elapsed.Seconds(), r.StatesPerSecond(), max(r.Workers, 1), float64(r.VisitedBytes)/float64(max(1, r.Distinct)))
}

// jsonCounterexample is a Counterexample as JSON.
type jsonCounterexample struct {
	Property string   `json:"property"`
	Detail   string   `json:"detail"`
	Depth    int      `json:"depth"`
	Schedule []string `json:"schedule"`
	Ops      []string `json:"history"`
}

// WriteJSON writes the report for programs.
func (r *Report) WriteJSON(w io.Writer) error {
	type alias Report
	out := struct {
		*alias
		Verdict        Verdict             `json:"verdict"`
		Counterexample *jsonCounterexample `json:"counterexample,omitempty"`
	}{alias: (*alias)(r), Verdict: r.Verdict()}
	if c := r.Counterexample; c != nil {
		jc := &jsonCounterexample{Property: c.Property, Detail: c.Detail, Depth: c.Depth, Schedule: []string{}, Ops: []string{}}
		for _, st := range c.Schedule.Steps {
			jc.Schedule = append(jc.Schedule, st.Text)
		}
		jc.Ops = append(jc.Ops, c.opsLines()...)
		out.Counterexample = jc
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// opsLines is the counterexample's history, one operation a line.
func (c *Counterexample) opsLines() []string {
	if c.Ops == nil {
		return c.opsText
	}
	out := make([]string, len(c.Ops))
	for i, op := range c.Ops {
		out[i] = op.String()
	}
	return out
}
