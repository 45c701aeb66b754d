// Package compare puts the fixes for bugzilla 219278 side by side on a
// scenario: the kernel policies proposed or possible (package model's
// built-ins, or a policy file's), and what can be deployed today — an
// application that retries EAGAIN or opens without O_NONBLOCK, an NFSv4.0
// mount, fs.leases-enable=0, an O_WRONLY writer. For each it measures how
// often the server-local access fails, how long local accesses take,
// whether readers see stale data or writes get lost (in every run, and in
// an exhaustive search of interleavings), what the clients pay in RPCs and
// lost delegations, and how long an nfsd thread may be held; it states
// what documented behaviour the fix changes and what deploying it takes;
// and it gives a one-line verdict. It is what `delegsim compare` prints
// and what `delegsim report` builds on.
//
// A fix is a transformation of the scenario (Fix.Apply: --set overrides
// and a policy), so any scenario it makes sense for can be compared, and
// every number can be reproduced with `delegsim run SCENARIO --set ...
// --policy P --seed S`: trial i of every row uses seed Seed+i.
package compare

import (
	"context"
	"errors"
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
	// Fixes names the rows (see LookupFix): built-in policies, options,
	// or options joined with '+'. Empty: DefaultFixes, leaving out (and
	// listing in Table.Skipped) the options that do not apply to the
	// scenario; a named fix that does not apply is an error.
	Fixes []string
	// Extra rows after Fixes, such as ValueFix of a policy file.
	Extra   []Fix
	Profile string // "": the scenario's
	Trials  int    // per row; 0: DefaultTrials
	Seed    uint64 // first trial's seed
	HasSeed bool   // Seed given; else the scenario's, else 1
	// ExploreStates bounds the exhaustive exploration run per row (see
	// Explorer); 0 means DefaultExploreStates, negative means none.
	ExploreStates int
	// Explorer searches every interleaving of a row's run for a stale
	// read, within a bound on distinct states. Nil: exploration is not
	// run and the table says so.
	Explorer Explorer
	Workers  int // parallel trials; 0: GOMAXPROCS
	// Context, if set, stops the comparison once it is done, within a
	// row's trials: Compare then returns the rows finished so far, judged,
	// and an error wrapping the context's cause.
	Context context.Context
	// Progress, if set, is called after each row.
	Progress func()
}

// Explorer is an exhaustive search for close-to-open violations in one
// row's run of a scenario, within maxStates distinct states.
type Explorer func(sc *scenarios.Scenario, o scenarios.Options, maxStates int) (ExploreResult, error)

// ExploreResult is what an exploration found.
type ExploreResult struct {
	States    int    `json:"states"`    // distinct states visited
	Exhausted bool   `json:"exhausted"` // every reachable state was visited
	Stale     bool   `json:"stale"`     // a schedule with a stale read (close-to-open violation) exists
	Depth     int    `json:"depth,omitempty"`
	Other     string `json:"other,omitempty"` // another property the search found broken first
}

// Unsafe reports whether the search found a schedule breaking a property.
func (e ExploreResult) Unsafe() bool { return e.Stale || e.Other != "" }

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
	Access     string    `json:"access"`
	AccessKind string    `json:"access_kind"` // "lsattr", "nginx", ...
	Rows       []Row     `json:"rows"`
	Skipped    []Skipped `json:"skipped"` // default fixes that do not apply here
}

// Skipped is a default fix left out because it does not apply.
type Skipped struct {
	Fix string `json:"fix"`
	Why string `json:"why"`
}

// Row is one fix's figures, over all trials, and what it breaks.
type Row struct {
	Fix
	Variant
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
	// LostWrites counts trials in which an acknowledged write never
	// reached the server (checker.LostWrites); Broken, trials in which a
	// safety invariant (not a finding) was broken.
	LostWrites int `json:"lost_writes"`
	Broken     int `json:"invariants_broken"`
	// UnsafeSeed is the seed of the first trial that broke close-to-open,
	// lost a write or broke an invariant; 0 if none did.
	UnsafeSeed uint64 `json:"first_unsafe_seed,omitempty"`
	// Explore is the exhaustive search's result; nil if it was not run.
	Explore *ExploreResult `json:"explore"`
	// Means per trial.
	ClientRPCs  float64            `json:"client_rpcs"`
	RPCs        map[string]float64 `json:"requests"` // by kind: OPEN, GETATTR, CB_RECALL...
	Grants      float64            `json:"grants"`
	WriteGrants float64            `json:"write_grants"`
	ReadGrants  float64            `json:"read_grants"`
	Recalls     float64            `json:"recalls"`
	CBGetattrs  float64            `json:"cb_getattrs"`
	Lost        float64            `json:"delegations_lost"` // revocations
	// NfsdHoldMs is the longest time, over all trials, from a client
	// request's arrival at nfsd to its reply: how long a request held an
	// nfsd thread.
	NfsdHoldMs float64 `json:"nfsd_hold_max_ms"`
	// Probe is what the row's policy does, read off its decisions.
	Probe Probe `json:"probe"`
	// What the fix breaks, rendered for the table.
	Needs      string `json:"needs"`
	Changes    string `json:"documented_behaviour"`
	NfsdThread string `json:"nfsd_thread"`
	ClientCost string `json:"client_cost"`
	Safety     string `json:"safety"`
	Verdict    string `json:"verdict"`
}

// trial is what one run contributes.
type trial struct {
	accessFailed, anyFailed bool
	latencies               []model.Time
	cto, lin                checker.LinResult
	lost, broken            bool
	rpcs, grants, recalls   int
	writeGrants, readGrants int
	cbGetattrs, revoked     int
	sent                    [model.MsgKindCount]int
	nfsdHold                model.Time
}

// resolvedRow is a fix resolved on the scenario.
type resolvedRow struct {
	fix Fix
	v   Variant
	sc  *scenarios.Scenario
	o   scenarios.Options
}

// Compare runs every fix on sc and builds the table. Trials run in
// parallel; the table depends only on the scenario and the options.
func Compare(sc *scenarios.Scenario, o Options) (*Table, error) {
	if o.Trials <= 0 {
		o.Trials = DefaultTrials
	}
	if o.ExploreStates == 0 {
		o.ExploreStates = DefaultExploreStates
	}
	base := scenarios.Options{Profile: o.Profile, Seed: o.Seed, HasSeed: o.HasSeed}
	r, err := sc.Resolve(base)
	if err != nil {
		return nil, fmt.Errorf("compare %s: %w", sc.Name(), err)
	}
	t := &Table{Scenario: sc.Name(), Profile: r.Profile.Name, Trials: o.Trials, Seed: r.Seed, Skipped: []Skipped{}}
	t.Access, t.AccessKind = firstAccess(sc)
	rows, err := resolveRows(sc, base, o, t)
	if err != nil {
		return nil, fmt.Errorf("compare %s: %w", sc.Name(), err)
	}
	wait := model.ServerParams{DelegReturnWait: sc.Spec.Server.DelegReturnWait.T()}.WithDefaults().DelegReturnWait
	for _, rw := range rows {
		if o.Context != nil && o.Context.Err() != nil {
			break
		}
		trials := runTrials(rw.sc, rw.o, r.Seed, t.Access, o)
		if o.Context != nil && o.Context.Err() != nil {
			break // the row is incomplete: drop it
		}
		out := summarize(rw.fix, rw.v, trials, r.Seed)
		res, _ := rw.sc.Resolve(rw.o) // checked by resolveRows
		out.Probe = ProbePolicy(res.Policy, r.Profile, wait)
		if o.Explorer != nil && o.ExploreStates > 0 {
			ex, err := o.Explorer(rw.sc, rw.o, o.ExploreStates)
			if err != nil {
				return nil, fmt.Errorf("compare %s: explore %s: %w", sc.Name(), rw.fix.Name, err)
			}
			out.Explore = &ex
		}
		t.Rows = append(t.Rows, out)
		if o.Progress != nil {
			o.Progress()
		}
	}
	t.judge()
	if o.Context != nil && o.Context.Err() != nil && len(t.Rows) < len(rows) {
		return t, fmt.Errorf("compare %s: stopped after %d of %d rows: %w", sc.Name(), len(t.Rows), len(rows), context.Cause(o.Context))
	}
	return t, nil
}

// resolveRows looks up the fixes and applies each to the scenario.
func resolveRows(sc *scenarios.Scenario, base scenarios.Options, o Options, t *Table) ([]resolvedRow, error) {
	names, explicit := o.Fixes, len(o.Fixes) > 0
	if !explicit {
		names = DefaultFixes()
	}
	var fixes []Fix
	for _, n := range names {
		f, err := LookupFix(n)
		if err != nil {
			return nil, err
		}
		fixes = append(fixes, f)
	}
	fixes = append(fixes, o.Extra...)
	var rows []resolvedRow
	seen := map[string]bool{}
	for _, f := range fixes {
		if seen[f.Name] {
			return nil, fmt.Errorf("%w: two rows named %q", scenarios.ErrInvalid, f.Name)
		}
		seen[f.Name] = true
		v, err := f.Apply(sc)
		var na *NotApplicableError
		if errors.As(err, &na) && !explicit && f.value == nil {
			t.Skipped = append(t.Skipped, Skipped{Fix: f.Name, Why: na.Why})
			continue
		}
		if err != nil {
			return nil, err
		}
		rsc := sc
		if len(v.Sets) > 0 {
			if rsc, err = sc.With(v.Sets...); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		ro := base
		ro.Policy, ro.PolicyValue = v.Policy, v.Value
		if _, err := rsc.Resolve(ro); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		rows = append(rows, resolvedRow{fix: f, v: v, sc: rsc, o: ro})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no fix applies", scenarios.ErrInvalid)
	}
	return rows, nil
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

func runTrials(sc *scenarios.Scenario, po scenarios.Options, seed uint64, access string, o Options) []trial {
	out := make([]trial, o.Trials)
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
	mon := checker.NewMonitor(cfg.Names)
	cfg.Observe = mon.Observe
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
	for _, n := range res.Unfinished {
		if n != res.Names[0] && isLocal(sc, n) {
			t.anyFailed = true
		}
	}
	t.latencies = syscallLatencies(res)
	t.cto = checker.CheckLinearizability(res.Ops, init, checker.CloseToOpen, CheckTimeout)
	t.lin = checker.CheckLinearizability(res.Ops, init, checker.Linearizable, CheckTimeout)
	t.lost = len(checker.LostWrites(res, mon.Held)) > 0
	for _, v := range mon.Violations() {
		t.broken = t.broken || !v.Finding
	}
	t.rpcs = res.ClientRPCs()
	t.sent = res.Sent
	for _, e := range res.Events {
		if e.Kind == model.EvGrant {
			t.grants++
			switch e.Deleg {
			case model.DelegWrite:
				t.writeGrants++
			case model.DelegRead:
				t.readGrants++
			}
		}
	}
	t.recalls = res.Sent[model.MsgCBRecall]
	t.cbGetattrs = res.Sent[model.MsgCBGetattr]
	t.revoked = res.EventCount(model.EvRevoke)
	t.nfsdHold = nfsdHold(res)
	return t
}

func isLocal(sc *scenarios.Scenario, name string) bool {
	return slices.ContainsFunc(sc.Spec.Locals, func(l scenarios.LocalSpec) bool { return l.Name == name })
}

// nfsdHold is the longest time from a client request's arrival at nfsd
// to nfsd's reply: the time a request held an nfsd thread beyond its
// processing, which the model does at arrival (sim adds the RPC time to
// the reply on its way out). A request parked on a delegation
// (nfsd_wait_for_delegreturn, a CB_GETATTR wait) shows here.
func nfsdHold(res *sim.Result) model.Time {
	type key struct {
		client model.ActorID
		xid    uint32
	}
	arrived := map[key]model.Time{}
	var longest model.Time
	for _, mr := range res.Messages {
		m := mr.Msg
		if m.Kind.Channel() != model.ChanFore {
			continue
		}
		switch {
		case !m.Reply && m.To == model.ServerID && mr.Recv >= 0:
			arrived[key{m.From, m.XID}] = mr.Arrives
		case m.Reply && m.From == model.ServerID:
			if at, ok := arrived[key{m.To, m.XID}]; ok {
				longest = max(longest, mr.Sent-at)
			}
		}
	}
	return longest
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

func summarize(f Fix, v Variant, ts []trial, seed uint64) Row {
	row := Row{Fix: f, Variant: v, RPCs: map[string]float64{}}
	if row.Sets == nil {
		row.Sets = []string{}
	}
	var lat []float64 // ms
	fails, any := 0, 0
	var sent [model.MsgKindCount]int
	var hold model.Time
	for i, t := range ts {
		if t.accessFailed {
			fails++
		}
		if row.UnsafeSeed == 0 && (t.cto.Verdict == checker.Violation || t.lost || t.broken) {
			row.UnsafeSeed = seed + uint64(i)
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
		if t.lost {
			row.LostWrites++
		}
		if t.broken {
			row.Broken++
		}
		row.StaleReads += len(t.cto.StaleReads)
		row.ClientRPCs += float64(t.rpcs)
		row.Grants += float64(t.grants)
		row.WriteGrants += float64(t.writeGrants)
		row.ReadGrants += float64(t.readGrants)
		row.Recalls += float64(t.recalls)
		row.CBGetattrs += float64(t.cbGetattrs)
		row.Lost += float64(t.revoked)
		for k, c := range t.sent {
			sent[k] += c
		}
		hold = max(hold, t.nfsdHold)
	}
	n := float64(len(ts))
	rate := sweep.Wilson(fails, len(ts))
	row.Fail, row.FailLo, row.FailHi = rate.P, rate.Lo, rate.Hi
	row.AnyFail = float64(any) / n
	for _, p := range []*float64{&row.ClientRPCs, &row.Grants, &row.WriteGrants, &row.ReadGrants,
		&row.Recalls, &row.CBGetattrs, &row.Lost} {
		*p /= n
	}
	for k, c := range sent {
		mk := model.MsgKind(k)
		if c > 0 && mk.Channel() != model.ChanLocal {
			row.RPCs[mk.String()] = float64(c) / n
		}
	}
	row.NfsdHoldMs = roundMs(float64(hold) / 1e6)
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
