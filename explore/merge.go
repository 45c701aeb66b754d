package explore

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/model"
)

// Sharded searches (Options.Shards, `delegsim explore --shard I/N`). Each
// shard explores every state above the shard frontier (a BFS depth), then
// only below the frontier states whose fingerprints fall to it; Merge
// joins the shards' JSON reports.
//
// What is deduplicated across shards: the prefix above the frontier
// (counted by shard 0 only), the frontier states (each counted by the
// shard it falls to), and complete histories (each shard lists its
// histories by fingerprint: the merged report's histories, outcomes and
// consistency verdicts are exactly an unsharded search's). What is not:
// a state below the frontier that several shards reach is visited and
// counted by each, so the merged distinct and terminal counts are upper
// bounds, and an invariant's state count may count a state more than
// once; an exhausted merged search has still visited every reachable
// state. A counterexample is the shortest any shard found (under BFS,
// each shard's is a shortest below its own frontier states).

// ReadReport reads a report WriteJSON wrote.
func ReadReport(r io.Reader) (*Report, error) {
	type alias Report
	var in struct {
		*alias
		Counterexample *jsonCounterexample `json:"counterexample,omitempty"`
	}
	rep := &Report{}
	in.alias = (*alias)(rep)
	// Lenient: delegsim's JSON carries fields (its version) the report
	// does not.
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return nil, fmt.Errorf("explore report: %w", err)
	}
	if c := in.Counterexample; c != nil {
		sch := &Schedule{Scenario: rep.Scenario, Policy: rep.Policy, Profile: rep.Profile, Seed: rep.Seed}
		for _, s := range c.Schedule {
			sch.Steps = append(sch.Steps, ScheduleStep{Text: s})
		}
		rep.Counterexample = &Counterexample{Property: c.Property, Detail: c.Detail, Depth: c.Depth, Schedule: sch, opsText: c.Ops}
	}
	for i := range rep.Outcomes {
		rep.Outcomes[i].actor, rep.Outcomes[i].seq = outcomeOrder(rep.Outcomes[i].Op)
	}
	return rep, nil
}

// outcomeOrder recovers an outcome's sort key from its name ("l1#2"):
// reports list actors in order, so the order of first appearance is kept
// by the caller; here the sequence number.
func outcomeOrder(op string) (actor, seq int) {
	_, s, _ := strings.Cut(op, "#")
	fmt.Sscan(s, &seq)
	return 0, seq
}

// Merge joins the reports of the shards of one sharded search (every
// shard I of N exactly once, all of the same run and options) into the
// report of the whole search; see above for what it deduplicates.
func Merge(reps []*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, fmt.Errorf("merge: no explore reports")
	}
	first := reps[0]
	if first.Shard == nil {
		return nil, fmt.Errorf("merge: the report of %s is not a shard's (explore --shard I/N)", first.Scenario)
	}
	n := first.Shard.Of
	seen := make([]bool, n)
	for _, r := range reps {
		switch {
		case r.Shard == nil:
			return nil, fmt.Errorf("merge: a report is not a shard's (explore --shard I/N)")
		case r.Scenario != first.Scenario || r.Policy != first.Policy || r.Profile != first.Profile || r.Seed != first.Seed ||
			r.Strategy != first.Strategy || r.MaxDepth != first.MaxDepth || r.MaxStates != first.MaxStates ||
			r.MaxDelay != first.MaxDelay || r.Symmetries != first.Symmetries:
			return nil, fmt.Errorf("merge: shard %d explored another run or with other options than shard %d", r.Shard.Index, first.Shard.Index)
		case r.Shard.Of != n || r.Shard.Depth != first.Shard.Depth || r.Shard.Frontier != first.Shard.Frontier:
			return nil, fmt.Errorf("merge: shard %d/%d does not split the search as shard %d/%d", r.Shard.Index, r.Shard.Of, first.Shard.Index, n)
		case r.Shard.Index < 0 || r.Shard.Index >= n || seen[r.Shard.Index]:
			return nil, fmt.Errorf("merge: shard %d/%d given twice or out of range", r.Shard.Index, n)
		}
		seen[r.Shard.Index] = true
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("merge: shard %d/%d is missing", i, n)
		}
	}
	slices.SortFunc(reps, func(a, b *Report) int { return cmp.Compare(a.Shard.Index, b.Shard.Index) })

	out := &Report{Scenario: first.Scenario, Policy: first.Policy, Profile: first.Profile, Seed: first.Seed,
		Strategy: first.Strategy, MaxDepth: first.MaxDepth, MaxStates: first.MaxStates, MaxDelay: first.MaxDelay,
		Symmetries: first.Symmetries, Exhausted: true, MergedShards: n,
		Shard: &ShardInfo{Index: -1, Of: n, Depth: first.Shard.Depth, Frontier: first.Shard.Frontier}}
	invs := map[string]*InvariantResult{}
	var invOrder []string
	events := map[string]bool{}
	histories := map[string]HistoryRecord{}
	for _, r := range reps {
		out.Generated += r.Generated
		out.Distinct += r.Distinct
		out.Depth = max(out.Depth, r.Depth)
		out.Terminal += r.Terminal
		out.Unfinished += r.Unfinished
		out.Exhausted = out.Exhausted && r.Exhausted
		if out.Bound == "" {
			out.Bound = r.Bound
		}
		if r.Shard.Index == 0 {
			out.Shard.PrefixStates = r.Shard.PrefixStates
		}
		out.Shard.Own += r.Shard.Own
		for _, inv := range r.Invariants {
			g := invs[inv.Name]
			if g == nil {
				g = &InvariantResult{Name: inv.Name, Finding: inv.Finding}
				invs[inv.Name] = g
				invOrder = append(invOrder, inv.Name)
			}
			g.States += inv.States
			if g.First == "" {
				g.First = inv.First
			}
		}
		for _, ev := range r.Events {
			events[ev] = true
		}
		for _, h := range r.HistorySet {
			histories[h.Hash] = h
		}
		if c := r.Counterexample; c != nil && (out.Counterexample == nil || c.Depth < out.Counterexample.Depth) {
			out.Counterexample = c
		}
		if r.Consistency != nil && out.Consistency == nil {
			out.Consistency = &ConsistencyResult{Model: r.Consistency.Model, Promised: r.Consistency.Promised}
		}
	}
	if out.Counterexample != nil {
		out.Exhausted = false
	}
	for _, name := range invOrder {
		out.Invariants = append(out.Invariants, *invs[name])
	}
	// Events in the order model.EventKind lists them, as every report.
	for ev := range events {
		out.Events = append(out.Events, ev)
	}
	slices.SortStableFunc(out.Events, func(a, b string) int { return cmp.Compare(eventRank(a), eventRank(b)) })
	if out.Events == nil {
		out.Events = []string{}
	}
	// Outcomes, recounted over the union of the shards' histories, in
	// the order of reports: by actor (as the shards list them), then
	// sequence number and result.
	actorRank := map[string]int{}
	for _, r := range reps {
		for _, o := range r.Outcomes {
			a, _, _ := strings.Cut(o.Op, "#")
			if _, ok := actorRank[a]; !ok {
				actorRank[a] = len(actorRank)
			}
		}
	}
	counts := map[string]*Outcome{}
	for _, h := range slices.Sorted(maps.Keys(histories)) {
		rec := histories[h]
		out.HistorySet = append(out.HistorySet, rec)
		if c := out.Consistency; c != nil && rec.Verdict != "" {
			c.Checked++
			switch rec.Verdict {
			case "violated":
				c.Violations++
			case "unknown":
				c.Unknown++
			}
		}
		for _, k := range rec.Outcomes {
			o := counts[k]
			if o == nil {
				f := strings.SplitN(k, " ", 4)
				if len(f) != 4 {
					return nil, fmt.Errorf("merge: outcome %q in a history record is not \"OP KIND FILE RESULT\"", k)
				}
				a, _, _ := strings.Cut(f[0], "#")
				if _, ok := actorRank[a]; !ok {
					actorRank[a] = len(actorRank)
				}
				_, seq := outcomeOrder(f[0])
				o = &Outcome{Op: f[0], Kind: f[1], File: f[2], Result: f[3], actor: actorRank[a], seq: seq}
				counts[k] = o
			}
			o.Histories++
		}
	}
	out.Histories = len(out.HistorySet)
	for _, o := range counts {
		out.Outcomes = append(out.Outcomes, *o)
	}
	slices.SortFunc(out.Outcomes, func(a, b Outcome) int {
		return cmp.Or(cmp.Compare(a.actor, b.actor), cmp.Compare(a.seq, b.seq), strings.Compare(a.Result, b.Result))
	})
	if out.Outcomes == nil {
		out.Outcomes = []Outcome{}
	}
	return out, nil
}

// eventRank orders event names as model.EventKind does.
func eventRank(name string) int {
	k, ok := model.ParseEventKind(name)
	if !ok {
		return model.EventKindCount
	}
	return int(k)
}
