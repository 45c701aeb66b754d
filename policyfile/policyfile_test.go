package policyfile_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/policyfile"
	"github.com/delegsim/delegsim/scenarios"
)

// runs returns the trace and operations of a scenario under o, for every
// seed given.
func runs(t *testing.T, sc *scenarios.Scenario, o scenarios.Options, seeds []uint64) string {
	t.Helper()
	var b strings.Builder
	for _, s := range seeds {
		o.Seed, o.HasSeed, o.Trace = s, true, true
		res, _, err := sc.Run(o)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(res.TraceText())
		for _, op := range res.Ops {
			b.WriteString(op.String() + "\n")
		}
	}
	return b.String()
}

// identical checks that a file policy and a built-in give byte-identical
// runs on every built-in scenario, under each profile the scenario is
// meant for (all if it names none) that keep holds for.
func identical(t *testing.T, file *policyfile.Policy, builtin string, keep func(model.Profile) bool) {
	t.Helper()
	seeds := []uint64{1, 2, 3}
	compared := 0
	for _, name := range append(scenarios.Names(), "testdata/conflicts.yaml") {
		sc, err := scenarios.Load(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		profiles := sc.Spec.Profiles
		if len(profiles) == 0 {
			profiles = model.ProfileNames()
		}
		for _, pn := range profiles {
			prof, _ := model.LookupProfile(pn)
			if !keep(prof) {
				continue
			}
			want := runs(t, sc, scenarios.Options{Profile: pn, Policy: builtin}, seeds)
			got := runs(t, sc, scenarios.Options{Profile: pn, PolicyValue: file}, seeds)
			if got != want {
				t.Errorf("%s on %s: the file %s and the built-in %s give different runs", name, pn, file.File, builtin)
			}
			compared++
		}
	}
	if compared == 0 {
		t.Fatal("nothing compared")
	}
}

// TestBuiltinsAsFiles: every built-in policy ships as a file, and the
// file gives byte-identical runs (trace and history) on every built-in
// scenario and profile.
func TestBuiltinsAsFiles(t *testing.T) {
	want := append(model.PolicyNames(), model.ConfigPolicyNames()...)
	slices.Sort(want)
	if got := policyfile.BuiltinNames(); !slices.Equal(got, want) {
		t.Fatalf("shipped policy files %v, built-in policies %v", got, want)
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			p, err := policyfile.Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name() != name {
				t.Fatalf("file names the policy %q", p.Name())
			}
			identical(t, p, name, func(model.Profile) bool { return true })
		})
	}
}

// TestEveryActionExpressible: the kernel itself, spelled out rule by rule
// for 6.9–6.16 (every action but deny, every bound, both grant offers),
// runs as the kernel does; so does the unlisted unsafe test policy.
func TestEveryActionExpressible(t *testing.T) {
	p, err := policyfile.Load("testdata/kernel-6.12.yaml")
	if err != nil {
		t.Fatal(err)
	}
	identical(t, p, "kernel", func(pr model.Profile) bool { return pr.CBGetattr && !pr.WriteDelegWronly })
	p, err = policyfile.Load("testdata/exempt-all-local.yaml")
	if err != nil {
		t.Fatal(err)
	}
	identical(t, p, "exempt-all-local", func(model.Profile) bool { return true })
}

// TestDeny: deny fails the access without starting a recall, so the
// second lsattr fails too.
func TestDeny(t *testing.T) {
	p, err := policyfile.Parse("deny.yaml", []byte("name: deny-local\nconflicts:\n  - {access: local-open, action: deny}\n"))
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := scenarios.Load("bz219278", nil)
	res, _, err := sc.Run(scenarios.Options{PolicyValue: p})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"l1#1", "l1#2"} {
		if op, _ := res.Op(n); op.Result != "EAGAIN" {
			t.Errorf("%s: %s, want EAGAIN", n, op.Result)
		}
	}
	if res.Sent[model.MsgCBRecall] != 0 {
		t.Errorf("%d CB_RECALLs, want none", res.Sent[model.MsgCBRecall])
	}
}

// TestRejects: mistakes are errors naming the file, line, field and what
// is allowed.
func TestRejects(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"no name", "description: x\n", "bad.yaml:1: name: required"},
		{"bad name", "name: my policy\n", "bad.yaml:1: name: \"my policy\": use letters"},
		{"unknown top", "name: p\nrules: []\n", "bad.yaml:2: rules: unknown field \"rules\" (allowed here: name, description, grant, conflicts)"},
		{"unknown key", "name: p\nconflicts:\n  - {acess: local-open, action: allow}\n", "bad.yaml:3: conflicts[0].acess: unknown field \"acess\" (allowed here: access, mode, blocking, holder, recalling, action)"},
		{"access typo", "name: p\nconflicts:\n  - {access: local-opn, action: allow}\n", "bad.yaml:3: conflicts[0].access: unknown value \"local-opn\" (allowed: local-open, local-stat, local-meta, remote-open, remote-getattr, remote-meta)"},
		{"action typo", "name: p\nconflicts:\n  - {access: local-open, action: recal-fail}\n", "conflicts[0].action: \"recal-fail\": unknown action \"recal-fail\" (allowed: allow, recall-fail"},
		{"no action", "name: p\nconflicts:\n  - {access: local-open}\n", "bad.yaml:3: conflicts[0].action: required"},
		{"no bound", "name: p\nconflicts:\n  - {access: local-open, action: recall-wait}\n", "recall-wait needs a BOUND"},
		{"bad bound", "name: p\nconflicts:\n  - {access: local-open, action: recall-wait -5ms}\n", "bound \"-5ms\" is not a positive duration"},
		{"trailing", "name: p\nconflicts:\n  - {access: local-open, action: allow 30ms}\n", "unexpected \"30ms\""},
		{"cb without then", "name: p\nconflicts:\n  - {access: local-open, action: cb-getattr 30ms}\n", "cb-getattr needs \"then STEP\""},
		{"nested cb", "name: p\nconflicts:\n  - {access: local-open, action: cb-getattr 30ms then cb-getattr 5ms}\n", "cannot follow another"},
		{"kernel after cb on getattr", "name: p\nconflicts:\n  - {access: remote-getattr, action: cb-getattr 30ms then kernel}\n", "would be another CB_GETATTR round"},
		{"unbounded nfsd wait", "name: p\nconflicts:\n  - {access: remote-meta, action: recall-wait forever}\n", "bad.yaml:3: conflicts[0].action: \"recall-wait forever\": a wait inside nfsd needs a bound"},
		{"unbounded, any access", "name: p\nconflicts:\n  - {action: recall-wait forever}\n", "a wait inside nfsd needs a bound"},
		{"blocking off local-open", "name: p\nconflicts:\n  - {access: remote-open, blocking: false, action: allow}\n", "only a local open can be non-blocking"},
		{"blocking not bool", "name: p\nconflicts:\n  - {access: local-open, blocking: no-way, action: allow}\n", "\"no-way\" is not a boolean (allowed: true, false)"},
		{"stat writes", "name: p\nconflicts:\n  - {access: local-stat, mode: write, action: allow}\n", "a local stat never writes"},
		{"reader vs read deleg", "name: p\nconflicts:\n  - {mode: read, holder: read, action: allow}\n", "a reader never conflicts with a read delegation"},
		{"write deleg to 4.0", "name: p\ngrant:\n  - {open: both, offer: write}\n", "bad.yaml:3: grant[0].offer: a write delegation to an NFSv4.0 client"},
		{"write deleg on read open", "name: p\ngrant:\n  - {minor: [1, 2], offer: write}\n", "a write delegation for a read-only OPEN"},
		{"read deleg on wronly", "name: p\ngrant:\n  - {offer: read}\n", "a read delegation for an O_WRONLY OPEN"},
		{"bad offer", "name: p\ngrant:\n  - {offer: maybe}\n", "grant[0].offer: unknown value \"maybe\" (allowed: kernel, none, read, write)"},
		{"no offer", "name: p\ngrant:\n  - {open: read}\n", "grant[0].offer: required"},
		{"bad minor", "name: p\ngrant:\n  - {minor: 3, offer: none}\n", "grant[0].minor: unknown value \"3\" (allowed: 0, 1, 2)"},
		{"twice", "name: p\nname: q\n", "bad.yaml:2: name: given twice"},
		{"not yaml", "name: [\n", "bad.yaml:"},
		{"empty", "", "empty policy file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policyfile.Parse("bad.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestShippedFilesParse: the files in policies/ are the ones Builtin
// reads, and docs/policies.md's example parses.
func TestShippedFilesParse(t *testing.T) {
	for _, n := range policyfile.BuiltinNames() {
		data, err := os.ReadFile("policies/" + n + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		src, _ := policyfile.BuiltinSource(n)
		if string(data) != string(src) {
			t.Errorf("%s: embedded copy differs from the file", n)
		}
	}
}
