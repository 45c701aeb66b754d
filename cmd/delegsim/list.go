package main

import (
	"fmt"
	"io"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

func init() {
	register(command{name: "list", summary: "list built-in scenarios, policies and kernel profiles", run: listCmd})
}

type listing struct {
	Scenarios []scenarioInfo `json:"scenarios"`
	Policies  []string       `json:"policies"`
	Fixes     []string       `json:"fixes"` // deployable fixes beyond the policies (delegsim compare --fixes)
	Profiles  []string       `json:"profiles"`
}

type scenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func listCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", "[flags]", stderr)
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fail(stderr, usageErr("list takes no arguments"))
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return fail(stderr, err)
	}
	var l listing
	for _, n := range scenarios.Names() {
		sc, err := scenarios.Load(n, nil)
		if err != nil {
			return fail(stderr, err)
		}
		l.Scenarios = append(l.Scenarios, scenarioInfo{Name: n, Description: sc.Spec.Description})
	}
	l.Policies = append(model.PolicyNames(), model.ConfigPolicyNames()...)
	l.Fixes = compare.OptionNames()
	l.Profiles = model.ProfileNames()
	if *format == "json" {
		if err := writeJSON(stdout, l); err != nil {
			return fail(stderr, err)
		}
		return exitOK
	}
	fmt.Fprintln(stdout, "scenarios:")
	for _, s := range l.Scenarios {
		fmt.Fprintf(stdout, "  %-24s %s\n", s.Name, firstSentence(s.Description))
	}
	fmt.Fprintln(stdout, "\npolicies:")
	for _, p := range l.Policies {
		fmt.Fprintf(stdout, "  %-24s %s\n", p, policyDoc[p])
	}
	fmt.Fprintln(stdout, "\nfixes that exist today (delegsim compare --fixes, beside the policies):")
	for _, n := range l.Fixes {
		f, _ := compare.LookupFix(n)
		fmt.Fprintf(stdout, "  %-24s %s: %s\n", n, f.Kind, f.Deploy)
	}
	fmt.Fprintln(stdout, "\nprofiles:")
	for _, p := range l.Profiles {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	return exitOK
}

func firstSentence(s string) string {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' {
			return s[:i+1]
		}
	}
	return s
}

// policyDoc is the one-line summary of each built-in policy.
var policyDoc = map[string]string{
	"kernel":              "what the chosen kernel profile does",
	"seed-getattr-exempt": "a written analysis's fix: local GETATTR never recalls (changes nothing: stat never recalled)",
	"local-read-exempt":   "local read-only opens ignore write delegations (no EAGAIN; stale reads possible)",
	"nonblock-wait":       "an O_NONBLOCK local open waits up to a bound (default 30ms) for DELEGRETURN",
	"cb-getattr-gate":     "a local read open asks the holder with CB_GETATTR first; recalls only if modified",
	"no-write-deleg":      "never grant write delegations",
	"no-deleg":            "no delegations at all: a server with fs.leases-enable=0",
}
