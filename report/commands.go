package report

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/compare"
)

// quote quotes s for a POSIX shell if it needs it.
func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// policyFile returns the file a policy-file row's policy came from, or "".
func (r *Report) policyFile(fix string) string {
	for i, f := range r.Options.Extra {
		if f.Name == fix && i < len(r.Options.PolicyFiles) {
			return r.Options.PolicyFiles[i]
		}
	}
	return ""
}

// policyFlag is the flag that selects a row's policy on a command line.
func (r *Report) policyFlag(fix, policy string) []string {
	if f := r.policyFile(fix); f != "" {
		return []string{"--policy-file", quote(f)}
	}
	return []string{"--policy", policy}
}

// fixNames lists a table's rows that --fixes names (the rest come from
// --policy-file).
func (r *Report) fixNames(t *compare.Table) []string {
	var out []string
	for _, row := range t.Rows {
		if r.policyFile(row.Name) == "" {
			out = append(out, row.Name)
		}
	}
	return out
}

func (r *Report) policyFileFlags() []string {
	var out []string
	for _, f := range r.Options.PolicyFiles {
		out = append(out, "--policy-file", quote(f))
	}
	return out
}

// compareCommand is the `delegsim compare` line that prints table t.
func (r *Report) compareCommand(arg string, sets []string, t *compare.Table) string {
	parts := []string{"delegsim", "compare", quote(arg)}
	for _, s := range sets {
		parts = append(parts, "--set", quote(s))
	}
	parts = append(parts, "--fixes", quote(strings.Join(r.fixNames(t), ",")))
	parts = append(parts, r.policyFileFlags()...)
	co := r.Options.compareOptions()
	states := co.ExploreStates
	if co.Explorer == nil {
		states = 0
	}
	parts = append(parts, "--profile", t.Profile, "--trials", fmt.Sprint(t.Trials), "--seed", fmt.Sprint(t.Seed),
		"--explore-states", fmt.Sprint(states))
	return strings.Join(parts, " ")
}

// runCommand is the `delegsim run` line of a row's first trial.
func (r *Report) runCommand(arg string, sets []string, t *compare.Table, row compare.Row) string {
	parts := []string{"delegsim", "run", quote(arg)}
	for _, s := range append(append([]string{}, sets...), row.Sets...) {
		parts = append(parts, "--set", quote(s))
	}
	parts = append(parts, r.policyFlag(row.Name, row.Policy)...)
	parts = append(parts, "--profile", t.Profile, "--seed", fmt.Sprint(t.Seed))
	return strings.Join(parts, " ")
}

// reportCommand is the `delegsim report` line that writes this report.
func (r *Report) reportCommand() string {
	o := r.Options
	parts := []string{"delegsim", "report", quote(o.Scenario)}
	for _, s := range o.Sets {
		parts = append(parts, "--set", quote(s))
	}
	if len(o.Fixes) > 0 {
		parts = append(parts, "--fixes", quote(strings.Join(o.Fixes, ",")))
	}
	parts = append(parts, r.policyFileFlags()...)
	if o.Profile != "" {
		parts = append(parts, "--profile", o.Profile)
	}
	if o.HasSeed {
		parts = append(parts, "--seed", fmt.Sprint(o.Seed))
	}
	if o.Trials > 0 && o.Trials != compare.DefaultTrials {
		parts = append(parts, "--trials", fmt.Sprint(o.Trials))
	}
	if o.ExploreStates != 0 && o.ExploreStates != compare.DefaultExploreStates {
		states := o.ExploreStates
		if states < 0 {
			states = 0
		}
		parts = append(parts, "--explore-states", fmt.Sprint(states))
	}
	if o.SweepTrials != DefaultSweepTrials {
		parts = append(parts, "--sweep-trials", fmt.Sprint(max(o.SweepTrials, 0)))
	}
	if o.Vary != "" {
		parts = append(parts, "--vary", quote(o.Vary))
	}
	for _, s := range o.SweepSets {
		parts = append(parts, "--sweep-set", quote(s))
	}
	if o.CounterexampleStates != DefaultCounterexampleStates {
		parts = append(parts, "--counterexample-states", fmt.Sprint(o.CounterexampleStates))
	}
	if o.Safety != nil && !(len(o.Safety) == 1 && o.Safety[0] == DefaultSafety) {
		parts = append(parts, "--safety", quote(strings.Join(o.Safety, ",")))
	}
	return strings.Join(append(parts, "--out", "DIR"), " ")
}

// commands lists the command lines that reproduce every number.
func (r *Report) commands() []Command {
	var out []Command
	out = append(out, Command{"this report", r.reportCommand()})
	out = append(out, Command{"the decision table on " + r.Main.Scenario, r.compareCommand(r.Options.Scenario, r.Options.Sets, r.Main)})
	for i, t := range r.Safety {
		out = append(out, Command{"the decision table on " + t.Scenario, r.compareCommand(r.Options.Safety[i], nil, t)})
	}
	if r.Sweep != nil {
		out = append(out, Command{"the sweep behind the figures (" + SweepDir + "/results.csv and the figures)", r.sweepCommand(SweepDir)})
	}
	for _, row := range r.Main.Rows {
		what := fmt.Sprintf("trial 1 of %s on %s (trial i: --seed %d+i-1)", row.Name, r.Main.Scenario, r.Main.Seed)
		if len(row.Sets) > 0 {
			// run checks the scenario's expectations, written for the
			// unchanged workload; a fix that works breaks some of them.
			what += "; expectations about the unchanged scenario may fail"
		}
		out = append(out, Command{what, r.runCommand(r.Options.Scenario, r.Options.Sets, r.Main, row)})
	}
	for _, c := range r.Counterexamples {
		if c.Seed != 0 {
			out = append(out, Command{fmt.Sprintf("the run of %s on %s that broke %s", c.Fix, c.Scenario, c.Property), r.explainRunCommand(c)})
		}
		if c.Schedule == "" {
			continue
		}
		out = append(out, Command{fmt.Sprintf("the counterexample of %s on %s", c.Fix, c.Scenario), r.exploreCommand(c)},
			Command{"its sequence diagram", r.explainCommand(c)})
	}
	return out
}
