// Package runcheck runs a scenario many times, with independent latency
// draws, and checks every run: the state invariants after every step
// (checker.Invariants), the history invariant that no acknowledged write
// is lost (checker.LostWrites), and the consistency models
// (checker.CheckLinearizability). It is what `delegsim check` prints.
//
// Run i of a check uses seed Seed+i, so `delegsim run SCENARIO --seed S`
// replays any run the report names. The runs go in parallel; the report
// depends only on the scenario, the options and the seeds.
package runcheck

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/internal/parallel"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// DefaultTimeout is how long the search for a linearization of one run's
// history may take, per consistency model, before the run counts as
// unknown. Scenario histories have tens of operations and take
// microseconds.
const DefaultTimeout = 10 * time.Second

// Options say what to check.
type Options struct {
	// Scenario chooses policy and profile; Seed (with HasSeed) is the
	// first run's seed, else the scenario's, else 1.
	Scenario scenarios.Options
	Runs     int // at least 1
	// Consistency lists the models reported as properties; empty means
	// both. Both are always checked, so that the report can say when a
	// history violates linearizability yet holds under close-to-open.
	Consistency []checker.Consistency
	Timeout     time.Duration // per run and model; 0 means DefaultTimeout
	Workers     int           // parallel runs; 0 means GOMAXPROCS
	// Context, if set, stops the check early: no run starts once it is
	// done, and the report covers the runs before the first one that did
	// not (Report.Runs says how many, Report.Interrupted that it stopped).
	Context context.Context
	// Progress, if set, is called after each run from the goroutine that
	// ran it; it must be safe for concurrent use.
	Progress func()
}

// Kinds of property.
const (
	KindInvariant   = "invariant"   // checked after every step
	KindHistory     = "history"     // checked on the run's history at its end
	KindConsistency = "consistency" // a consistency model of the history
)

// Property is the verdict on one property over all runs.
type Property struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// OK is false if the property failed in some run (or, for a
	// consistency model, could not be decided in some run).
	OK bool `json:"ok"`
	// Finding marks a property whose failure is a known behaviour of the
	// real kernel (checker.Invariant.Finding): reported, but it does not
	// fail the check.
	Finding    bool `json:"finding,omitempty"`
	Violations int  `json:"violations"`        // runs in which it failed
	Unknown    int  `json:"unknown,omitempty"` // consistency: runs whose search ran out of time
	// ExampleSeed is the seed of the first run in which it failed; null
	// if it never did.
	ExampleSeed *uint64 `json:"example_seed"`
	// Example is a short human account of that run's violation.
	Example []string `json:"example,omitempty"`
	// Note says why a finding is the kernel's behaviour.
	Note string `json:"note,omitempty"`
}

// Report is the outcome of Check. Its JSON form is the contract of
// `delegsim check --format json`.
type Report struct {
	Scenario   string     `json:"scenario"`
	Policy     string     `json:"policy"`
	Profile    string     `json:"profile"`
	Runs       int        `json:"runs"`
	Seed       uint64     `json:"seed"` // the first run's; run i used Seed+i
	Properties []Property `json:"properties"`
	// Notes explain verdicts, such as a history that violates
	// linearizability but holds under close-to-open.
	Notes []string `json:"notes,omitempty"`
	// Interrupted: Options.Context stopped the check before all the runs
	// asked for (Asked); Runs counts those that were made.
	Interrupted bool `json:"interrupted,omitempty"`
	Asked       int  `json:"runs_asked,omitempty"`

	sc   *scenarios.Scenario
	opts Options
	html htmlRun
}

// htmlRun is the run WriteHTML shows.
type htmlRun struct {
	seed uint64
	c    checker.Consistency
}

// Failed reports whether a property that is not a finding failed.
func (r *Report) Failed() bool {
	for _, p := range r.Properties {
		if !p.OK && !p.Finding {
			return true
		}
	}
	return false
}

// Property returns the property with the given name.
func (r *Report) Property(name string) (Property, bool) {
	for _, p := range r.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// runResult is what one run contributes to the report.
type runResult struct {
	seed   uint64
	failed map[string][]string // property -> account of its violation
	// verdict is the run's verdict under each consistency model (both
	// are always checked).
	verdict [2]checker.Verdict
	// cause is, for a run that violates linearizability, what let the
	// first stale read through (see causeOf).
	cause cause
}

// Check runs sc o.Runs times and checks every run.
func Check(sc *scenarios.Scenario, o Options) (*Report, error) {
	if o.Runs < 1 {
		return nil, fmt.Errorf("runcheck: %d runs: need at least one", o.Runs)
	}
	if len(o.Consistency) == 0 {
		o.Consistency = []checker.Consistency{checker.Linearizable, checker.CloseToOpen}
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	r, err := sc.Resolve(o.Scenario)
	if err != nil {
		return nil, err
	}
	rep := &Report{Scenario: sc.Name(), Policy: r.Policy.Name(), Profile: r.Profile.Name, Runs: o.Runs,
		Seed: r.Seed, sc: sc, opts: o}

	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	results := make([]runResult, o.Runs)
	done := parallel.ForContext(ctx, o.Runs, o.Workers, func(i int) {
		results[i] = checkRun(sc, r, o, r.Seed+uint64(i))
		if o.Progress != nil {
			o.Progress()
		}
	})
	if done < o.Runs {
		results, rep.Runs, rep.Interrupted, rep.Asked = results[:done], done, true, o.Runs
	}

	rep.aggregate(results)
	return rep, nil
}

// checkRun runs the scenario once with the given seed and checks it.
func checkRun(sc *scenarios.Scenario, r scenarios.Resolved, o Options, seed uint64) runResult {
	res, lin := runOnce(sc, r, o, seed)
	out := runResult{seed: seed, failed: make(map[string][]string), verdict: [2]checker.Verdict{lin[0].Verdict, lin[1].Verdict}}
	for _, v := range res.violations {
		out.failed[v.Invariant] = []string{fmt.Sprintf("at %s: %s", fmtMs(v.At), v.Detail)}
	}
	for _, c := range []checker.Consistency{checker.Linearizable, checker.CloseToOpen} {
		l := lin[c]
		if l.Verdict == checker.Ok {
			continue
		}
		acc := l.Account(6)
		if l.Verdict == checker.Unknown {
			acc = []string{fmt.Sprintf("the search for a linearization ran out of time (%v)", o.Timeout)}
		} else if len(l.StaleReads) > 0 {
			acc = append(acc, leaseHistory(res.sim, l.StaleReads[0])...)
			if c == checker.Linearizable {
				out.cause = causeOf(res.sim, l.StaleReads[0])
			}
		}
		out.failed[c.String()] = acc
	}
	return out
}

type observed struct {
	sim        *sim.Result
	violations []checker.InvariantViolation
}

// runOnce runs one seed with a Monitor and checks its history under both
// consistency models.
func runOnce(sc *scenarios.Scenario, r scenarios.Resolved, o Options, seed uint64) (observed, [2]checker.LinResult) {
	so := o.Scenario
	so.Seed, so.HasSeed, so.Trace = seed, true, false
	r.Seed = seed
	cfg := sc.Config(r, so)
	init := checker.InitialValues(cfg.Actors)
	mon := checker.NewMonitor(cfg.Names)
	cfg.Observe = mon.Observe
	res := sim.Run(cfg)
	vs := append(mon.Violations(), checker.LostWrites(res, mon.Held)...)
	var lin [2]checker.LinResult
	for _, c := range []checker.Consistency{checker.Linearizable, checker.CloseToOpen} {
		lin[c] = checker.CheckLinearizability(res.Ops, init, c, o.Timeout)
	}
	return observed{sim: res, violations: vs}, lin
}

// leaseEvents are the events that tell the story of a file's delegation.
var leaseEvents = []model.EventKind{model.EvGrant, model.EvRecall, model.EvReturn, model.EvRevoke,
	model.EvDowngrade, model.EvExpire, model.EvWriteback, model.EvCBGetattrOK}

// fileEvents returns the delegation events of the read's file (and client
// expiries) up to the read's response.
func fileEvents(res *sim.Result, read model.Op) []sim.TimedEvent {
	srv, _ := res.Actors[0].(*model.Server)
	var out []sim.TimedEvent
	for _, e := range res.Events {
		if e.At > read.End || !slices.Contains(leaseEvents, e.Kind) {
			continue
		}
		if e.Kind != model.EvExpire && (srv == nil || int(e.File) >= len(srv.Files()) || srv.Files()[e.File].Name != read.File) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// leaseHistory is a line listing the last delegation events on the stale
// read's file before it returned.
func leaseHistory(res *sim.Result, s checker.StaleRead) []string {
	evs := fileEvents(res, s.Read)
	if len(evs) == 0 {
		return []string{"no delegation events on " + s.Read.File + " before the read"}
	}
	const keep = 6
	var parts []string
	if len(evs) > keep {
		parts = append(parts, "...")
		evs = evs[len(evs)-keep:]
	}
	for _, e := range evs {
		p := fmtMs(e.At) + " " + e.Kind.String()
		if e.Client != model.ServerID && int(e.Client) < len(res.Names) {
			p += " (" + res.Names[e.Client] + ")"
		}
		parts = append(parts, p)
	}
	return []string{"delegation events on " + s.Read.File + " up to the read: " + strings.Join(parts, "; ")}
}

// cause classifies what let a stale reader through, from the last change
// to the file's delegation before the read returned.
type cause uint8

const (
	causeUnknown   cause = iota
	causeReturn          // the holder returned its delegation before flushing
	causeDowngrade       // the VFS downgraded the holder's lease after lease-break-time
	causeRevoke          // the delegation was revoked, or its holder expired
	causeNoRecall        // the holder still held its delegation: the policy let the reader through
)

var causeText = [...]string{
	causeUnknown: "",
	causeReturn: "as on the real kernel, the client answered the recall without first flushing the dirty pages of a file it still has open " +
		"(nfs_end_delegation_return with issync=0), so the reader the recall let through saw the old data",
	causeDowngrade: "as on the real kernel, after fs.lease-break-time (45 s) the VFS downgraded the unreachable holder's write lease " +
		"to a read lease (time_out_leases) and let the reader through, while the holder still cached writes under the delegation nfsd still lists",
	causeRevoke: "the holder's delegation was revoked (or the holder expired) while it still cached writes, and it learns of that only later",
	causeNoRecall: "the policy let the reader through without a recall while the holder of a write delegation had " +
		"writes the server had not yet seen",
}

func causeOf(res *sim.Result, s checker.StaleRead) cause {
	c := causeUnknown
	for _, e := range fileEvents(res, s.Read) {
		switch e.Kind {
		case model.EvGrant:
			c = causeNoRecall
		case model.EvReturn:
			c = causeReturn
		case model.EvDowngrade:
			c = causeDowngrade
		case model.EvRevoke, model.EvExpire:
			c = causeRevoke
		}
	}
	return c
}

func fmtMs(t model.Time) string { return fmt.Sprintf("%.3fms", float64(t)/float64(time.Millisecond)) }
