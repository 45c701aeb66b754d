// Package compare puts the built-in recall policies side by side on a
// scenario: for each, how often the server-local access fails, how long
// local accesses take, whether readers can see stale data, what the
// clients pay in RPCs and lost delegations, and a one-line verdict. It is
// what `delegsim compare` prints, a decision table for people choosing a
// fix for bugzilla 219278.
//
// Every policy runs the same trials: trial i uses seed Seed+i, so
// `delegsim run SCENARIO --policy P --seed S` replays any of them (the
// convention of `delegsim check`).
package compare

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/internal/parallel"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
	"github.com/delegsim/delegsim/sweep"
)

// Defaults for Options.
const (
	DefaultTrials        = 200
	DefaultExploreStates = 20_000
	// CheckTimeout bounds the linearizability search of one trial's
	// history; scenario histories take microseconds.
	CheckTimeout = 10 * time.Second
)

// Options say what to compare.
type Options struct {
	Policies []string // default: model.PolicyNames()
	Profile  string   // "": the scenario's
	Trials   int      // per policy; 0: DefaultTrials
	Seed     uint64   // first trial's seed
	HasSeed  bool     // Seed given; else the scenario's, else 1
	// ExploreStates bounds the exhaustive exploration run per policy (see
	// Explorer); 0 means DefaultExploreStates, negative means none.
	ExploreStates int
	// Explorer searches every interleaving of a policy's run for a stale
	// read, within a bound on distinct states. Nil: exploration is not
	// run and the table says so.
	Explorer Explorer
	Workers  int // parallel trials; 0: GOMAXPROCS
	// Context, if set, stops the comparison between two policies once it
	// is done: Compare then returns the rows made so far and an error
	// wrapping the context's cause.
	Context context.Context
	// Progress, if set, is called after each policy's row.
	Progress func()
}

// Explorer is an exhaustive search for close-to-open violations in one
// policy's run of a scenario, within maxStates distinct states.
type Explorer func(sc *scenarios.Scenario, o scenarios.Options, maxStates int) (ExploreResult, error)

// ExploreResult is what an exploration found.
type ExploreResult struct {
	States    int    `json:"states"`    // distinct states visited
	Exhausted bool   `json:"exhausted"` // every reachable state was visited
	Stale     bool   `json:"stale"`     // a schedule with a stale read (close-to-open violation) exists
	Depth     int    `json:"depth,omitempty"`
	Other     string `json:"other,omitempty"` // another property the search found broken first
}

// String renders the result for a table cell.
func (e ExploreResult) String() string {
	switch {
	case e.Stale:
		return fmt.Sprintf("yes (at depth %d)", e.Depth)
	case e.Other != "":
		return "stopped: " + e.Other
	case e.Exhausted:
		return fmt.Sprintf("none (all %d states)", e.States)
	}
	return fmt.Sprintf("none in %d states", e.States)
}

// Table is the comparison on one scenario. Its JSON form is the contract
// of `delegsim compare --format json`.
type Table struct {
	Scenario string `json:"scenario"`
	Profile  string `json:"profile"`
	Trials   int    `json:"trials"`
	Seed     uint64 `json:"seed"` // trial i used Seed+i
	// Access names the local access whose failure the table reports: the
	// first lease-breaking operation of a server-local process ("l1#1").
	Access     string `json:"access"`
	AccessKind string `json:"access_kind"` // "lsattr", "nginx", ...
	Rows       []Row  `json:"policies"`
}

// Row is one policy's figures, over all trials.
type Row struct {
	Policy string `json:"policy"`
	// Fail is the fraction of trials in which the access failed (or had
	// not returned when the run ended), with a 95% Wilson interval.
	Fail   float64 `json:"fail"`
	FailLo float64 `json:"fail_lo"`
	FailHi float64 `json:"fail_hi"`
	// AnyFail is the fraction of trials in which any local operation failed.
	AnyFail float64 `json:"any_local_fail"`
	// Latency percentiles, in milliseconds, of server-local lease-breaking
	// system calls (open, unlink, rename, chmod): from the call to its
	// return.
	P50Ms float64 `json:"latency_p50_ms"`
	P99Ms float64 `json:"latency_p99_ms"`
	// Trials whose history breaks close-to-open consistency or
	// linearizability (checker.CheckLinearizability), and the stale reads
	// found in them (close-to-open).
	StaleCTO   int `json:"stale_close_to_open"`
	StaleLin   int `json:"stale_linearizable"`
	StaleReads int `json:"stale_reads"`
	// Explore is the exhaustive search's result; nil if it was not run.
	Explore *ExploreResult `json:"explore"`
	// Means per trial.
	ClientRPCs float64 `json:"client_rpcs"`
	Grants     float64 `json:"grants"`
	Recalls    float64 `json:"recalls"`
	CBGetattrs float64 `json:"cb_getattrs"`
	Lost       float64 `json:"delegations_lost"` // revocations
	Verdict    string  `json:"verdict"`
}

// trial is what one run contributes.
type trial struct {
	accessFailed, anyFailed bool
	latencies               []model.Time
	cto, lin                checker.LinResult
	rpcs, grants, recalls   int
	cbGetattrs, lost        int
}

// Compare runs every policy on sc and builds the table. Trials run in
// parallel; the table depends only on the scenario and the options.
func Compare(sc *scenarios.Scenario, o Options) (*Table, error) {
	if o.Trials <= 0 {
		o.Trials = DefaultTrials
	}
	if len(o.Policies) == 0 {
		o.Policies = model.PolicyNames()
	}
	if o.ExploreStates == 0 {
		o.ExploreStates = DefaultExploreStates
	}
	base := scenarios.Options{Profile: o.Profile, Seed: o.Seed, HasSeed: o.HasSeed}
	r, err := sc.Resolve(base)
	if err != nil {
		return nil, fmt.Errorf("compare %s: %w", sc.Name(), err)
	}
	t := &Table{Scenario: sc.Name(), Profile: r.Profile.Name, Trials: o.Trials, Seed: r.Seed}
	t.Access, t.AccessKind = firstAccess(sc)
	for _, p := range o.Policies {
		if o.Context != nil && o.Context.Err() != nil {
			t.verdicts()
			return t, fmt.Errorf("compare %s: stopped after %d of %d policies: %w", sc.Name(), len(t.Rows), len(o.Policies), context.Cause(o.Context))
		}
		po := base
		po.Policy = p
		if _, err := sc.Resolve(po); err != nil {
			return nil, fmt.Errorf("compare %s: %w", sc.Name(), err)
		}
		trials := runTrials(sc, po, r.Seed, o)
		if o.Context != nil && o.Context.Err() != nil {
			break // the row is incomplete: drop it; the check below reports
		}
		row := summarize(p, trials)
		if o.Explorer != nil && o.ExploreStates > 0 {
			ex, err := o.Explorer(sc, po, o.ExploreStates)
			if err != nil {
				return nil, fmt.Errorf("compare %s: explore %s: %w", sc.Name(), p, err)
			}
			row.Explore = &ex
		}
		t.Rows = append(t.Rows, row)
		if o.Progress != nil {
			o.Progress()
		}
	}
	if o.Context != nil && o.Context.Err() != nil && len(t.Rows) < len(o.Policies) {
		t.verdicts()
		return t, fmt.Errorf("compare %s: stopped after %d of %d policies: %w", sc.Name(), len(t.Rows), len(o.Policies), context.Cause(o.Context))
	}
	t.verdicts()
	return t, nil
}

// leaseBreaking reports the local operations that break a lease: the accesses
// the bug is about. A local stat breaks none.
func leaseBreaking(k model.OpKind) bool { return k.IsLocal() && k != model.OpLocalStat }

// firstAccess names the scenario's first lease-breaking local operation:
// the earliest-starting step among each local process's first such step
// (steps without an absolute time count as starting at their delay).
func firstAccess(sc *scenarios.Scenario) (name, kind string) {
	best := model.Time(math.MaxInt64)
	for _, l := range sc.Spec.Locals {
		var at model.Time
		for i, st := range l.Script {
			k, _ := model.ParseOpKind(st.Op)
			if st.At != nil {
				at = st.At.T()
			} else {
				at += st.After.T()
			}
			if leaseBreaking(k) {
				if at < best {
					best, name, kind = at, fmt.Sprintf("%s#%d", l.Name, i+1), k.String()
				}
				break
			}
		}
	}
	return name, kind
}

func runTrials(sc *scenarios.Scenario, po scenarios.Options, seed uint64, o Options) []trial {
	out := make([]trial, o.Trials)
	access, _ := firstAccess(sc)
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	parallel.ForContext(ctx, o.Trials, o.Workers, func(i int) {
		to := po
		to.Seed, to.HasSeed, to.Trace = seed+uint64(i), true, true
		out[i] = runTrial(sc, to, access)
	})
	return out
}

func runTrial(sc *scenarios.Scenario, o scenarios.Options, access string) trial {
	r, _ := sc.Resolve(o) // checked by Compare
	cfg := sc.Config(r, o)
	init := checker.InitialValues(cfg.Actors)
	res := sim.Run(cfg)
	var t trial
	t.accessFailed = access != ""
	for _, op := range res.Ops {
		if !op.Kind.IsLocal() {
			continue
		}
		if !op.OK() {
			t.anyFailed = true
		}
		if op.Name() == access {
			t.accessFailed = !op.OK()
		}
	}
	if len(res.Unfinished) > 0 {
		for _, n := range res.Unfinished {
			if n != res.Names[0] && isLocal(sc, n) {
				t.anyFailed = true
			}
		}
	}
	t.latencies = syscallLatencies(res)
	t.cto = checker.CheckLinearizability(res.Ops, init, checker.CloseToOpen, CheckTimeout)
	t.lin = checker.CheckLinearizability(res.Ops, init, checker.Linearizable, CheckTimeout)
	t.rpcs = res.ClientRPCs()
	t.grants = res.EventCount(model.EvGrant)
	t.recalls = res.Sent[model.MsgCBRecall]
	t.cbGetattrs = res.Sent[model.MsgCBGetattr]
	t.lost = res.EventCount(model.EvRevoke)
	return t
}

func isLocal(sc *scenarios.Scenario, name string) bool {
	return slices.ContainsFunc(sc.Spec.Locals, func(l scenarios.LocalSpec) bool { return l.Name == name })
}

// syscallLatencies returns, for every lease-breaking system call of a
// local process, the time from the call to its answer (to the end of the
// run if it never returned).
func syscallLatencies(res *sim.Result) []model.Time {
	type key struct {
		actor model.ActorID
		xid   uint32
	}
	type call struct {
		sent, took model.Time
		answered   bool
	}
	calls := map[key]*call{}
	var order []*call
	for _, mr := range res.Messages {
		m := mr.Msg
		if m.Kind.Channel() != model.ChanLocal || m.Kind == model.MsgSysStat {
			continue
		}
		if !m.Reply {
			c := &call{sent: mr.Sent}
			calls[key{m.From, m.XID}] = c
			order = append(order, c)
			continue
		}
		if c, ok := calls[key{m.To, m.XID}]; ok && mr.Recv >= 0 {
			c.took, c.answered = mr.Arrives-c.sent, true
		}
	}
	out := make([]model.Time, 0, len(order))
	for _, c := range order {
		if !c.answered {
			c.took = res.End - c.sent
		}
		out = append(out, c.took)
	}
	return out
}

func summarize(policy string, ts []trial) Row {
	row := Row{Policy: policy}
	var lat []float64 // ms
	fails, any := 0, 0
	for _, t := range ts {
		if t.accessFailed {
			fails++
		}
		if t.anyFailed {
			any++
		}
		for _, l := range t.latencies {
			lat = append(lat, float64(l)/1e6)
		}
		if t.cto.Verdict == checker.Violation {
			row.StaleCTO++
		}
		if t.lin.Verdict == checker.Violation {
			row.StaleLin++
		}
		row.StaleReads += len(t.cto.StaleReads)
		row.ClientRPCs += float64(t.rpcs)
		row.Grants += float64(t.grants)
		row.Recalls += float64(t.recalls)
		row.CBGetattrs += float64(t.cbGetattrs)
		row.Lost += float64(t.lost)
	}
	n := float64(len(ts))
	rate := sweep.Wilson(fails, len(ts))
	row.Fail, row.FailLo, row.FailHi = rate.P, rate.Lo, rate.Hi
	row.AnyFail = float64(any) / n
	row.ClientRPCs /= n
	row.Grants /= n
	row.Recalls /= n
	row.CBGetattrs /= n
	row.Lost /= n
	row.P50Ms, row.P99Ms = roundMs(sweep.Percentile(lat, 0.50)), roundMs(sweep.Percentile(lat, 0.99))
	return row
}

// roundMs rounds milliseconds to the microsecond; no latency (no local
// access completed) reads as 0.
func roundMs(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return math.Round(x*1e3) / 1e3
}
