package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

func init() {
	register(command{name: "run", summary: "run a scenario once and check its expectations", run: runCmd})
}

// runFlags are the flags every command that builds runs shares.
type runFlags struct {
	policy, policyFile, profile, seed string
	sets                              multiFlag
}

func (f *runFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.policy, "policy", "", "recall policy `NAME` (default: the scenario's, else kernel; see delegsim list)")
	fs.StringVar(&f.policyFile, "policy-file", "", "use the policy in the YAML `FILE` instead (see docs/policies.md)")
	fs.StringVar(&f.profile, "profile", "", "kernel profile `NAME` (default: the scenario's, else "+model.DefaultProfile+")")
	fs.StringVar(&f.seed, "seed", "", "random `SEED`, a non-negative integer (default: the scenario's, else 1)")
	fs.Var(&f.sets, "set", "override a scenario field, `KEY=VALUE` (repeatable), e.g. clients.c1.latency=20ms")
}

// options checks the flags and returns the scenario options they give.
func (f *runFlags) options() (scenarios.Options, error) {
	o := scenarios.Options{Policy: f.policy, Profile: f.profile}
	if err := checkPolicyProfile(f.policy, f.profile); err != nil {
		return o, err
	}
	if f.policyFile != "" {
		if f.policy != "" {
			return o, usageErr("give --policy or --policy-file, not both")
		}
		pols, err := loadPolicyFiles([]string{f.policyFile})
		if err != nil {
			return o, err
		}
		o.PolicyValue = pols[0]
	}
	if f.seed != "" {
		s, err := strconv.ParseUint(f.seed, 10, 64)
		if err != nil {
			return o, usageErr("--seed %q is not a non-negative integer", f.seed)
		}
		o.Seed, o.HasSeed = s, true
	}
	return o, nil
}

// checkPolicyProfile refuses an unknown --policy or --profile as a bad
// flag, listing the names allowed.
func checkPolicyProfile(policy, profile string) error {
	if policy != "" {
		if _, err := model.LookupPolicy(policy, model.PolicyOptions{}); err != nil {
			return usageErr("--policy: %v", err)
		}
	}
	if profile != "" {
		if _, err := model.LookupProfile(profile); err != nil {
			return usageErr("--profile: %v", err)
		}
	}
	return nil
}

// load opens the scenario with overrides and resolves the options.
func (f *runFlags) load(arg string) (*scenarios.Scenario, scenarios.Options, error) {
	o, err := f.options()
	if err != nil {
		return nil, o, err
	}
	sc, err := loadScenario(arg, f.sets)
	if err != nil {
		return nil, o, err
	}
	if _, err := sc.Resolve(o); err != nil {
		return nil, o, err
	}
	return sc, o, nil
}

// loadScenario loads a built-in scenario, a file, or, for "-", standard
// input.
func loadScenario(arg string, sets []string) (*scenarios.Scenario, error) {
	if arg == stdoutPath {
		return scenarios.LoadFrom("(standard input)", stdin, sets)
	}
	return scenarios.Load(arg, sets)
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "SCENARIO [flags]", stderr)
	var rf runFlags
	rf.add(fs)
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	tracePath := fs.String("trace", "", "write the full trace (every message, timer and event) to `FILE` (- for standard output)")
	schedule := fs.String("schedule", "", "replay the schedule `FILE` (written by: delegsim explore --out) step by step instead of simulating time")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("run takes one scenario (a built-in name, a .yaml path, or - for standard input); see `delegsim list`"))
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return fail(stderr, err)
	}
	if err := checkOutputs("trace", *tracePath); err != nil {
		return fail(stderr, err)
	}
	sc, o, err := rf.load(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	o.Trace = *tracePath != ""
	var res *sim.Result
	var r scenarios.Resolved
	if *schedule != "" {
		res, r, err = explore.ReplayFile(sc, o, rf.sets, *schedule)
	} else {
		res, r, err = sc.Run(o)
	}
	if err != nil {
		return fail(stderr, err)
	}
	outcomes := sc.Check(res, r.Profile.Name, r.Policy.Name())
	if *tracePath != "" {
		if err := writeOutput(*tracePath, stdout, []byte(res.TraceText())); err != nil {
			return fail(stderr, err)
		}
	}
	rep := newRunReport(sc, r, res, outcomes)
	if *format == "json" {
		err = writeJSON(stdout, rep)
	} else {
		rep.text(stdout, res)
	}
	if err != nil {
		return fail(stderr, err)
	}
	if !rep.ok() {
		return exitFailed
	}
	return exitOK
}

// runReport is `run --format json`: a contract for scripts, written
// down as a JSON Schema in docs/run-report.schema.json.
type runReport struct {
	Scenario     string              `json:"scenario"`
	Policy       string              `json:"policy"`
	Profile      string              `json:"profile"`
	Seed         uint64              `json:"seed"`
	Expectations []scenarios.Outcome `json:"expectations"`
	Ops          []opReport          `json:"ops"`
	Events       []eventReport       `json:"events"`
	Unfinished   []string            `json:"unfinished,omitempty"`
	Counts       map[string]int      `json:"counts"`
}

// eventReport is one state change of the run: a delegation granted,
// recalled, returned, revoked... (model.EventKind names the kinds).
type eventReport struct {
	AtMs    float64 `json:"at_ms"`
	Kind    string  `json:"kind"`
	Client  string  `json:"client,omitempty"`  // the client concerned
	File    string  `json:"file,omitempty"`    // the file concerned
	Stateid uint32  `json:"stateid,omitempty"` // the delegation's stateid
	Type    string  `json:"type"`              // the delegation's type: none, read, write, read-attrs, write-attrs
	Why     string  `json:"why"`               // the rule, naming the kernel function or RFC section
}

type opReport struct {
	Actor    string   `json:"actor"`
	Op       string   `json:"op"`
	Name     string   `json:"name"`
	File     string   `json:"file"`
	StartMs  float64  `json:"start_ms"`
	EndMs    float64  `json:"end_ms"`
	Result   string   `json:"result"`
	Attempts int      `json:"attempts"`
	Size     *int64   `json:"size,omitempty"`
	Change   *uint64  `json:"change,omitempty"`
	Bytes    *int64   `json:"bytes,omitempty"`
	Data     *uint64  `json:"data,omitempty"`
	MtimeMs  *float64 `json:"mtime,omitempty"` // the modify time it saw, in ms of virtual time
	Deleg    string   `json:"deleg,omitempty"` // an OPEN's (or lookup's) granted delegation
	Why      string   `json:"why,omitempty"`   // an OPEN's OPEN_DELEGATE_NONE_EXT reason
}

func msOf(t model.Time) float64 { return float64(t) / 1e6 }

func newRunReport(sc *scenarios.Scenario, r scenarios.Resolved, res *sim.Result, outcomes []scenarios.Outcome) runReport {
	rep := runReport{Scenario: sc.Name(), Policy: r.Policy.Name(), Profile: r.Profile.Name, Seed: r.Seed,
		Expectations: outcomes, Unfinished: res.Unfinished, Counts: map[string]int{}}
	if rep.Expectations == nil {
		rep.Expectations = []scenarios.Outcome{}
	}
	for _, op := range res.Ops {
		o := opReport{Actor: op.Actor, Op: op.Kind.String(), Name: op.Name(), File: op.File,
			StartMs: msOf(op.Start), EndMs: msOf(op.End), Result: op.Result, Attempts: op.Attempts}
		if op.OK() {
			if op.Kind.ReadsAttrs() || op.Kind == model.OpSetattr || op.Kind == model.OpLookup {
				mt := msOf(op.Mtime)
				o.MtimeMs = &mt
			}
			if op.Kind == model.OpOpen || op.Kind == model.OpLookup {
				o.Deleg, o.Why = op.Deleg.String(), op.Why.String()
			}
			switch {
			case op.Kind.ReadsAttrs():
				o.Size, o.Change = &op.Size, &op.Change
			case op.Kind.ReadsData():
				o.Bytes, o.Data = &op.Bytes, &op.Data
			case op.Kind == model.OpWrite || op.Flushed || (op.Kind == model.OpOpenWrite && op.Data != 0) ||
				op.Kind == model.OpTruncate || op.Sets&model.AttrSize != 0:
				o.Size, o.Data = &op.Size, &op.Data
			}
		}
		rep.Ops = append(rep.Ops, o)
	}
	rep.Events = []eventReport{}
	for _, e := range res.Events {
		er := eventReport{AtMs: msOf(e.At), Kind: e.Kind.String(), Stateid: e.Stateid, Type: e.Deleg.String(), Why: e.Why}
		if int(e.Client) > 0 && int(e.Client) < len(res.Names) {
			er.Client = res.Names[e.Client]
		}
		if e.File >= 0 && int(e.File) < len(res.Files) && fileEvent(e.Kind) {
			er.File = res.Files[e.File]
		}
		rep.Events = append(rep.Events, er)
	}
	for k := 0; k < model.EventKindCount; k++ {
		if n := res.EventCount(model.EventKind(k)); n > 0 {
			rep.Counts[model.EventKind(k).String()] = n
		}
	}
	for k, n := range res.Sent {
		if n > 0 {
			rep.Counts[model.MsgKind(k).String()] = n
		}
	}
	return rep
}

// fileEvent reports whether events of kind k concern a file (the others,
// about a client's lease or callback path, leave File zero).
func fileEvent(k model.EventKind) bool {
	switch k {
	case model.EvExpire, model.EvCBPathDown, model.EvCBPathUp, model.EvCBRecovery, model.EvCourtesy, model.EvCrash:
		return false
	}
	return true
}

func (rep runReport) ok() bool {
	for _, e := range rep.Expectations {
		if !e.OK {
			return false
		}
	}
	return true
}

func (rep runReport) text(w io.Writer, res *sim.Result) {
	fmt.Fprintf(w, "scenario %s   profile %s   policy %s   seed %d\n\n", rep.Scenario, rep.Profile, rep.Policy, rep.Seed)
	fmt.Fprintln(w, "operations:")
	var tab bytes.Buffer
	tw := tabwriter.NewWriter(&tab, 0, 0, 2, ' ', 0)
	for _, op := range res.Ops {
		fmt.Fprintf(tw, "  %s\t%s %s\t%9.3f ms\t→ %9.3f ms\t%s\t%s\n", op.Name(), op.Kind, op.File,
			msOf(op.Start), msOf(op.End), op.Result, observed(op))
	}
	tw.Flush()
	for _, line := range strings.Split(strings.TrimSuffix(tab.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	if len(res.Unfinished) > 0 {
		fmt.Fprintf(w, "  still running at the end: %v\n", res.Unfinished)
	}
	fmt.Fprintln(w, "\ndelegation events:")
	for _, e := range res.Events {
		switch e.Kind {
		case model.EvWriteback, model.EvLocalWait, model.EvCBGetattrOK:
			continue
		}
		fmt.Fprintf(w, "  %9.3f ms  %-13s %s\n", msOf(e.At), e.Kind, e.Why)
	}
	if len(rep.Expectations) > 0 {
		fmt.Fprintln(w, "\nexpectations:")
		for _, e := range rep.Expectations {
			mark := "ok  "
			if !e.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "  %s  %s", mark, e.Name)
			if e.Detail != "" {
				fmt.Fprintf(w, " — %s", e.Detail)
			}
			fmt.Fprintln(w)
		}
	}
}

func observed(op model.Op) string {
	if !op.OK() {
		return ""
	}
	switch {
	case op.Kind.ReadsAttrs():
		return fmt.Sprintf("size=%d change=%d", op.Size, op.Change)
	case op.Kind.ReadsData():
		return fmt.Sprintf("bytes=%d data=%s", op.Bytes, dataName(op.Data))
	case op.Kind == model.OpOpen && op.Why != model.WhyNone:
		return "deleg=none (" + op.Why.String() + ")"
	case op.Kind == model.OpOpen || (op.Kind == model.OpLookup && op.Deleg.Held()):
		return "deleg=" + op.Deleg.String()
	case op.Kind == model.OpWrite:
		return fmt.Sprintf("size=%d data=%s (cached)", op.Size, dataName(op.Data))
	case op.Flushed:
		return fmt.Sprintf("flushed size=%d data=%s", op.Size, dataName(op.Data))
	case op.Kind == model.OpTruncate || op.Sets&model.AttrSize != 0:
		return fmt.Sprintf("truncated size=%d data=%s", op.Size, dataName(op.Data))
	}
	return ""
}

// dataName renders a data value as "initial" or "w<actor>.<n>": the n-th
// write of the actor with that index.
func dataName(d uint64) string {
	if d == 0 {
		return "initial"
	}
	return fmt.Sprintf("w%d.%d", d>>32, d&0xffffffff)
}
