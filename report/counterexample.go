package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/explain"
	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/scenarios"
)

// Counterexample is the schedule that shows a fix unsafe on a workload,
// told as a sequence diagram.
type Counterexample struct {
	Scenario string // the workload's name
	Arg      string // the workload as given on the command line
	Sets     []string
	Fix      string
	Policy   string
	Property string // "close-to-open", "invariant one-write-deleg", ...
	Detail   string
	Depth    int
	// Shortest: found breadth first, so no shorter schedule breaks a
	// property; else the depth-first one, within Strategy's bound.
	Shortest  bool
	Strategy  string
	MaxStates int
	Schedule  string // the schedule file's text
	// Seed, when no schedule was found within the bounds, is the
	// simulated run drawn instead: the first of the table's runs that
	// broke a property.
	Seed    uint64
	Story   *explain.Story
	SVG     string // explain's sequence diagram of the story, one <svg> element
	Mermaid string
	// Missing says why no schedule is shown for a fix found unsafe in the
	// runs only.
	Missing string
}

// File is the schedule's file name in a report directory.
func (c Counterexample) File() string {
	return fmt.Sprintf("counterexample-%s-%s.txt", c.Scenario, c.Fix)
}

// unsafe reports whether a row was found to break consistency or an
// invariant, in its runs or its exploration.
func unsafe(r compare.Row) bool {
	return r.StaleCTO > 0 || r.LostWrites > 0 || r.Broken > 0 || r.Explore != nil && r.Explore.Unsafe()
}

// counterexamples finds and tells a counterexample for every unsafe row
// of every table.
func (r *Report) counterexamples() error {
	tables := append([]*compare.Table{r.Main}, r.Safety...)
	args := append([]string{r.Options.Scenario}, r.Options.Safety...)
	total := 0
	for _, t := range tables {
		for _, row := range t.Rows {
			if unsafe(row) {
				total++
			}
		}
	}
	o := &r.Options
	o.stage("counterexamples", "searches", total)
	for i, t := range tables {
		sets := []string(nil)
		if i == 0 {
			sets = r.Options.Sets
		}
		sc, err := scenarios.Load(args[i], sets)
		if err != nil {
			return err
		}
		for _, row := range t.Rows {
			if !unsafe(row) {
				continue
			}
			c, err := r.counterexample(sc, args[i], sets, row)
			if serr := o.stopped("the counterexamples"); serr != nil {
				return serr
			}
			if err != nil {
				return fmt.Errorf("counterexample for %s on %s: %w", row.Name, t.Scenario, err)
			}
			r.Counterexamples = append(r.Counterexamples, c)
			o.done("counterexamples", "searches", len(r.Counterexamples), total)
		}
	}
	return nil
}

// counterexample searches breadth first for the shortest schedule
// breaking a property of row's run, then depth first as compare did, and
// tells what it finds.
func (r *Report) counterexample(sc *scenarios.Scenario, arg string, sets []string, row compare.Row) (Counterexample, error) {
	c := Counterexample{Scenario: sc.Name(), Arg: arg, Sets: append(append([]string{}, sets...), row.Sets...),
		Fix: row.Name, Policy: row.Policy}
	rsc := sc
	if len(row.Sets) > 0 {
		var err error
		if rsc, err = sc.With(row.Sets...); err != nil {
			return c, err
		}
	}
	o := scenarios.Options{Profile: r.Main.Profile, Policy: row.Policy, PolicyValue: row.Value,
		Seed: r.Options.Seed, HasSeed: r.Options.HasSeed}
	m, _, err := explore.FromScenario(rsc, o, explore.ModelOptions{MinDelay: true})
	if err != nil {
		return c, err
	}
	m.Sets = c.Sets
	cons := checker.CloseToOpen
	searches := []explore.Options{
		{Strategy: explore.BFS, MaxStates: r.Options.CounterexampleStates, Consistency: &cons, Context: r.Options.Context},
		{Strategy: explore.DFS, MaxStates: r.compareOptionsStates(), Consistency: &cons, Context: r.Options.Context},
	}
	var ce *explore.Counterexample
	for _, so := range searches {
		rep := explore.Explore(m, so)
		if rep.Interrupted {
			return c, r.Options.stopped("the counterexamples")
		}
		if ce = rep.Counterexample; ce != nil {
			c.Shortest, c.Strategy, c.MaxStates = so.Strategy == explore.BFS, so.Strategy.String(), so.MaxStates
			break
		}
	}
	switch {
	case ce != nil:
		c.Property, c.Detail, c.Depth = ce.Property, ce.Detail, ce.Depth
		var sch bytes.Buffer
		if err := ce.Schedule.Format(&sch); err != nil {
			return c, err
		}
		c.Schedule = sch.String()
		if c.Story, err = explain.BuildSchedule(rsc, o, ce.Schedule); err != nil {
			return c, err
		}
	case row.UnsafeSeed != 0:
		// No schedule within the bounds, but a simulated run broke a
		// property: draw that run.
		c.Seed = row.UnsafeSeed
		o.Seed, o.HasSeed = row.UnsafeSeed, true
		res, _, err := rsc.Run(o)
		if err != nil {
			return c, err
		}
		init := checker.InitialValues(rsc.Config(mustResolve(rsc, o), o).Actors)
		lin := checker.CheckLinearizability(res.Ops, init, cons, compare.CheckTimeout)
		c.Property, c.Detail = "run", lin.String()
		if lin.Verdict == checker.Violation {
			c.Property = lin.Consistency.String()
			for _, sr := range lin.StaleReads {
				c.Detail += "\n" + sr.String()
			}
		}
		if c.Story, err = explain.Build(rsc, o); err != nil {
			return c, err
		}
	default:
		c.Missing = fmt.Sprintf("no schedule within %d states breadth first or %d depth first", r.Options.CounterexampleStates, r.compareOptionsStates())
		return c, nil
	}
	var svg, mer bytes.Buffer
	if err := c.Story.WriteSVG(&svg, fmt.Sprintf("ce%d", len(r.Counterexamples)+1)); err != nil {
		return c, err
	}
	if err := c.Story.WriteMermaid(&mer); err != nil {
		return c, err
	}
	c.SVG, c.Mermaid = svg.String(), mer.String()
	return c, nil
}

func (r *Report) compareOptionsStates() int {
	n := r.Options.ExploreStates
	if n <= 0 {
		n = compare.DefaultExploreStates
	}
	return n
}

// exploreCommand is the `delegsim explore` line that finds c's schedule.
func (r *Report) exploreCommand(c Counterexample) string {
	parts := []string{"delegsim", "explore", quote(c.Arg)}
	for _, s := range c.Sets {
		parts = append(parts, "--set", quote(s))
	}
	parts = append(parts, r.policyFlag(c.Fix, c.Policy)...)
	parts = append(parts, "--profile", r.Main.Profile, "--strategy", c.Strategy,
		"--max-states", fmt.Sprint(c.MaxStates), "--consistency", "close-to-open", "--out", c.File())
	if r.Options.HasSeed {
		parts = append(parts, "--seed", fmt.Sprint(r.Options.Seed))
	}
	return strings.Join(parts, " ")
}

// explainCommand draws c's diagram from its schedule file.
func (r *Report) explainCommand(c Counterexample) string {
	parts := []string{"delegsim", "explain", quote(c.Arg)}
	for _, s := range c.Sets {
		parts = append(parts, "--set", quote(s))
	}
	parts = append(parts, r.policyFlag(c.Fix, c.Policy)...)
	parts = append(parts, "--schedule", c.File(), "--format", "html", "--out", strings.TrimSuffix(c.File(), ".txt")+".html")
	return strings.Join(parts, " ")
}

func mustResolve(sc *scenarios.Scenario, o scenarios.Options) scenarios.Resolved {
	r, _ := sc.Resolve(o) // resolved by compare before
	return r
}

// runCommand is the `delegsim explain` line that draws c's run, when c
// is a simulated run rather than a schedule.
func (r *Report) explainRunCommand(c Counterexample) string {
	parts := []string{"delegsim", "explain", quote(c.Arg)}
	for _, s := range c.Sets {
		parts = append(parts, "--set", quote(s))
	}
	parts = append(parts, r.policyFlag(c.Fix, c.Policy)...)
	parts = append(parts, "--profile", r.Main.Profile, "--seed", fmt.Sprint(c.Seed), "--format", "html")
	return strings.Join(parts, " ")
}
