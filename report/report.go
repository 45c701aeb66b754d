// Package report writes the evidence a patch proposal for bugzilla 219278
// needs, as one self-contained HTML page and one Markdown file (for a
// mailing-list post or a bug comment): the question, the scenario, the
// decision table of package compare with its verdicts and what each fix
// breaks, the failure-versus-delay and latency figures of a sweep over
// the same fixes (packages sweep and plots), the same table on a workload
// where skipping a recall shows as stale reads, the shortest
// counterexample of every unsafe fix drawn as a sequence diagram
// (packages explore and explain), and the exact commands and seeds that
// reproduce every number, with delegsim's version and the kernel profile.
//
// A report depends only on its Options: the same options give the same
// files, byte for byte.
package report

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/internal/version"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sweep"
)

// Defaults for Options.
const (
	DefaultSweepTrials = 1000
	// DefaultCounterexampleStates bounds the breadth-first search for the
	// shortest counterexample of one fix. Chosen so that one search takes
	// well under a second (the explorer visits ~1M states/s per core); a
	// fix whose shortest counterexample lies deeper gets the depth-first
	// one that compare's search found, marked as not shortest.
	DefaultCounterexampleStates = 500_000
	// DefaultSafety is the workload where a fix that skips a recall shows
	// its price: local readers of files whose delegation holder has data
	// the server has not seen.
	DefaultSafety = "open-dirty-local-read"
)

// DefaultVaryRange is the one-way delay range the sweep varies on the
// scenario's first client, as the default sweep does for bz219278.
const DefaultVaryRange = "0ms:200ms:10ms"

// Options say what to report on.
type Options struct {
	Scenario string   // a built-in name or a .yaml path, as given on the command line
	Sets     []string // --set overrides of the scenario
	// Fixes, Extra, Profile, Seed, HasSeed, Trials, ExploreStates and
	// Workers are compare.Options'; PolicyFiles name the files Extra's
	// policies came from, for the commands.
	Fixes         []string
	Extra         []compare.Fix
	PolicyFiles   []string
	Profile       string
	Seed          uint64
	HasSeed       bool
	Trials        int
	ExploreStates int
	Workers       int
	// Safety names the workloads the fixes are also compared on, for
	// stale reads and lost writes; nil: DefaultSafety (unless it is the
	// scenario itself), empty non-nil: none.
	Safety []string
	// Vary is the sweep's grid (sweep.ParseVary); "": the first client's
	// one-way delay (clients.NAME.latency) over DefaultVaryRange.
	// SweepSets are overrides for the sweep only; nil: the default sweep's
	// when the scenario is its (bz219278: lsattr at 1 s, after the create
	// at any delay). SweepTrials: trials per point and fix, 0:
	// DefaultSweepTrials, negative: no sweep.
	Vary        string
	SweepSets   []string
	SweepTrials int
	// CounterexampleStates bounds each shortest-counterexample search; 0:
	// DefaultCounterexampleStates.
	CounterexampleStates int
	// Version is delegsim's version (internal/version); "": this
	// binary's.
	Version string
	// Context, if set, stops the work once it is done, within a row's
	// trials, a batch of the sweep's or a few thousand states of a
	// search: Build then returns an error wrapping the context's cause,
	// and no report.
	Context context.Context
	// Progress, if set, is told where the work is: each stage as it
	// starts (Done 0), then as its units get done. Calls come from one
	// goroutine at a time.
	Progress func(Stage)
}

// Stage is where the work of Build is: the stage under way ("compare
// bz219278", "sweep", "counterexamples"), and within it Done of Total
// units (Total 0: not known ahead).
type Stage struct {
	Name, Unit  string
	Done, Total int
}

// Report is everything a report shows.
type Report struct {
	Options  Options
	Question string
	Scenario *scenarios.Scenario
	YAML     string         // the scenario's source, overrides applied
	Main     *compare.Table // the decision table on the scenario
	Safety   []*compare.Table
	Sweep    *sweep.Results // nil without a sweep
	Figures  []Figure
	// Counterexamples holds, for each table and each row found unsafe,
	// the counterexample drawn.
	Counterexamples []Counterexample
	Commands        []Command
}

// Command is a command line and what it reproduces.
type Command struct {
	What string
	Line string
}

// stage reports the start of a stage.
func (o *Options) stage(name, unit string, total int) {
	if o.Progress != nil {
		o.Progress(Stage{Name: name, Unit: unit, Total: total})
	}
}

// done reports progress within a stage.
func (o *Options) done(name, unit string, done, total int) {
	if o.Progress != nil {
		o.Progress(Stage{Name: name, Unit: unit, Done: done, Total: total})
	}
}

// ctx is the context the work runs under.
func (o *Options) ctx() context.Context {
	if o.Context == nil {
		return context.Background()
	}
	return o.Context
}

// stopped returns an error if the context has stopped the work, naming
// the stage it stopped.
func (o *Options) stopped(stage string) error {
	if err := o.ctx().Err(); err != nil {
		return fmt.Errorf("report: stopped during %s: %w", stage, context.Cause(o.ctx()))
	}
	return nil
}

func (o Options) compareOptions() compare.Options {
	co := compare.Options{Fixes: o.Fixes, Extra: o.Extra, Profile: o.Profile, Seed: o.Seed, HasSeed: o.HasSeed,
		Trials: o.Trials, ExploreStates: o.ExploreStates, Workers: o.Workers, Explorer: compare.Exhaustive, Context: o.Context}
	if co.Trials <= 0 {
		co.Trials = compare.DefaultTrials
	}
	if co.ExploreStates == 0 {
		co.ExploreStates = compare.DefaultExploreStates
	}
	if co.ExploreStates < 0 {
		co.Explorer = nil
	}
	return co
}

// Build runs everything the report shows. Errors wrap scenarios.ErrInvalid
// when the options are bad.
func Build(o Options) (*Report, error) {
	if o.Scenario == "" {
		return nil, fmt.Errorf("%w: report needs a scenario", scenarios.ErrInvalid)
	}
	if o.CounterexampleStates == 0 {
		o.CounterexampleStates = DefaultCounterexampleStates
	}
	if o.SweepTrials == 0 {
		o.SweepTrials = DefaultSweepTrials
	}
	if o.Safety == nil && o.Scenario != DefaultSafety {
		o.Safety = []string{DefaultSafety}
	}
	if o.Version == "" {
		o.Version = version.String()
	}
	sc, err := scenarios.Load(o.Scenario, o.Sets)
	if err != nil {
		return nil, err
	}
	r := &Report{Options: o, Scenario: sc}
	y, err := sc.YAML()
	if err != nil {
		return nil, err
	}
	r.YAML = string(y)
	co := o.compareOptions()
	if r.Main, err = o.compare(sc, co); err != nil {
		return nil, err
	}
	for _, name := range o.Safety {
		ssc, err := scenarios.Load(name, nil)
		if err != nil {
			return nil, fmt.Errorf("safety workload: %w", err)
		}
		sco := co
		sco.Profile = r.Main.Profile // the same kernel throughout
		t, err := o.compare(ssc, sco)
		var na *compare.NotApplicableError
		if errors.As(err, &na) {
			// A fix named for the scenario may not fit the workload:
			// compare the rest there.
			sco.Fixes = applicable(ssc, co.Fixes)
			t, err = o.compare(ssc, sco)
		}
		if err != nil {
			return nil, fmt.Errorf("safety workload %s: %w", name, err)
		}
		r.Safety = append(r.Safety, t)
	}
	if o.SweepTrials > 0 {
		if err := r.sweep(); err != nil {
			return nil, err
		}
	}
	if err := r.counterexamples(); err != nil {
		return nil, err
	}
	r.Question = r.question()
	r.Commands = r.commands()
	return r, nil
}

// compare builds the decision table on sc, reporting each row done.
func (o *Options) compare(sc *scenarios.Scenario, co compare.Options) (*compare.Table, error) {
	stage := "compare " + sc.Name()
	o.stage(stage, "rows", 0)
	rows := 0
	co.Progress = func() {
		rows++
		o.done(stage, "rows", rows, 0)
	}
	t, err := compare.Compare(sc, co)
	if serr := o.stopped(stage); serr != nil {
		return nil, serr
	}
	return t, err
}

// applicable keeps the fixes that apply to sc.
func applicable(sc *scenarios.Scenario, fixes []string) []string {
	var out []string
	for _, n := range fixes {
		f, err := compare.LookupFix(n)
		if err != nil {
			continue
		}
		if _, err := f.Apply(sc); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// baseRow is the table's baseline: the kernel row, else the first.
func baseRow(t *compare.Table) compare.Row {
	for _, r := range t.Rows {
		if r.Name == "kernel" {
			return r
		}
	}
	return t.Rows[0]
}

// question states what the report answers.
func (r *Report) question() string {
	t := r.Main
	b := baseRow(t)
	what := t.AccessKind
	if what == "" {
		what = "the server-local access"
	}
	s := fmt.Sprintf("On %s (%s), %s %s fails in %s of %d runs under %s.", t.Scenario, t.Profile, what, t.Access,
		pctOf(b.Fail), t.Trials, map[bool]string{true: "today's kernel", false: b.Name}[b.Name == "kernel"])
	s += " Which fix removes the failure, what does deploying it take, and what does it break: documented behaviour, " +
		"nfsd threads, the clients' RPCs and caching, consistency?"
	var fixes []string
	for _, row := range t.Rows {
		if row.Fail == 0 && b.Fail > 0 {
			fixes = append(fixes, row.Name)
		}
	}
	if len(fixes) > 0 {
		s += fmt.Sprintf(" Of the %d fixes compared, %s never fail here.", len(t.Rows), strings.Join(fixes, ", "))
	}
	return s
}

func pctOf(p float64) string { return fmt.Sprintf("%.0f%%", 100*p) }
