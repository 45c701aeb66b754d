package explain

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func story(t *testing.T, scenario string, o scenarios.Options) *Story {
	t.Helper()
	sc, err := scenarios.Load(scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Build(sc, o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func render(t *testing.T, st *Story, write func(*Story, *bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := write(st, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func text(st *Story, b *bytes.Buffer) error    { return st.WriteText(b) }
func mermaid(st *Story, b *bytes.Buffer) error { return st.WriteMermaid(b) }
func htmlOut(st *Story, b *bytes.Buffer) error { return st.WriteHTML(b) }

// TestNarration pins the lines that carry each scenario's lesson: what
// happened, and the kernel function or RFC section behind it.
func TestNarration(t *testing.T) {
	tests := []struct {
		name, scenario, policy, profile string
		want                            []string
	}{
		{"the failed lsattr open starts the recall", "bz219278", "kernel", "", []string{
			"OPEN(f, RW, create, excl) from c1 granted with a write delegation (stateid 2) — nfsd4_open → nfs4_open_delegation",
			"CLOSE(f) from c1: open state released; c1 keeps its delegation",
			"stat(f) from l1 answered: size=0 change=1 — vfs_getattr takes no lease",
			"open(f, O_RDONLY|O_NONBLOCK) from l1 hits c1's write lease: CB_RECALL queued, EAGAIN returned — __break_lease queues CB_RECALL via nfsd_break_deleg_cb and, for O_NONBLOCK, returns EWOULDBLOCK at once",
			"`lsattr f` fails: Resource temporarily unavailable (EAGAIN)",
			"c1 gets CB_RECALL for f: answers at once, then sends DELEGRETURN(f, stateid 2) — nfs4_callback_recall answers at once; nfs_end_delegation_return (issync=0)",
			"DELEGRETURN from c1: delegation 2 and its lease removed — nfsd4_delegreturn",
		}},
		{"the GETATTR exemption changes nothing", "bz219278", "seed-getattr-exempt", "", []string{
			"hits c1's write lease: CB_RECALL queued, EAGAIN returned",
		}},
		{"exempting local reads lets lsattr through without a recall", "bz219278", "local-read-exempt", "", []string{
			"from l1 let through despite c1's write delegation: no recall",
			"policy local-read-exempt: leases_conflict would conflict",
		}},
		{"a bounded wait outlasts the recall", "bz219278", "nonblock-wait", "", []string{
			"hits c1's write lease: CB_RECALL queued, the call waits at most 30ms",
			"DELEGRETURN from c1: delegation 2 and its lease removed; l1's waiting open proceeds",
		}},
		{"CB_GETATTR before the recall", "bz219278", "cb-getattr-gate", "", []string{
			"policy cb-getattr-gate asks the holder with CB_GETATTR first",
			"c1 answers CB_GETATTR from its cache: size=0 change=1 — nfs4_callback_getattr",
			"CB_GETATTR answer from c1: size=0 change=1; l1's waiting open proceeds",
		}},
		{"no write delegation, nothing to break", "bz219278", "no-write-deleg", "", []string{
			"OPEN(f, RW, create, excl) from c1 granted, no delegation — policy no-write-deleg offers no delegation here",
		}},
		{"a v4.0 client never gets a write delegation", "bz219278-v40", "", "", []string{
			"granted, no delegation — nfs4_open_delegation: never a write delegation to NFSv4.0",
		}},
		{"another client's OPEN gets NFS4ERR_DELAY", "second-client-open", "", "", []string{
			"OPEN(f, R) from c2 conflicts with c1's write delegation: CB_RECALL queued, NFS4ERR_DELAY returned — nfsd_open_break_lease",
			"c2 retries after NFS4ERR_DELAY: sends OPEN(f, R) — nfs4_delay",
		}},
		{"6.9+ answers GETATTR with CB_GETATTR", "second-client-getattr", "", "linux-6.12", []string{
			"GETATTR(f) from c2 conflicts with c1's write delegation: nfsd asks the holder with CB_GETATTR and waits — nfsd4_deleg_getattr_conflict (6.9+)",
		}},
		{"6.6 recalls on GETATTR", "second-client-getattr", "", "linux-6.6", []string{
			"GETATTR(f) from c2 conflicts with c1's write delegation: CB_RECALL queued, nfsd waits up to 30 ms for DELEGRETURN — nfsd4_deleg_getattr_conflict (before 6.9)",
		}},
		{"a silent client is expired after a lease", "client-unreachable", "", "", []string{
			"CB_RECALL to c1 unanswered after 9s: backchannel to c1 marked faulty; CB_RECALL sent again",
			"lease-break-time passed: c1's write lease on f downgraded to read — time_out_leases",
			"c1's write delegation now stands on a read lease, which a reader does not break",
			"l2's waiting open proceeds; client silent for a lease, state dropped; its delegation goes with it",
			"the reply tells c1 its backchannel is faulty",
		}},
		{"the v4.0 client recovers a lost callback path", "callback-path-down", "", "", []string{
			"CB_RECALL to c1 unanswered after 9s: callback path to c1 marked down",
			"RENEW from c1 → NFS4ERR_CB_PATH_DOWN: its callback path is down",
			"SETCLIENTID from c1: nfsd sets up the callback path again and probes it with CB_NULL",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, story(t, tt.scenario, scenarios.Options{Policy: tt.policy, Profile: tt.profile}), text)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("explain %s --policy %q --profile %q: missing\n  %s\nin\n%s", tt.scenario, tt.policy, tt.profile, w, got)
				}
			}
		})
	}
}

// TestGolden keeps the whole bz219278 story, in every format, under
// review: `go test ./explain -update` rewrites testdata/.
func TestGolden(t *testing.T) {
	st := story(t, "bz219278", scenarios.Options{})
	for _, f := range []struct {
		file  string
		write func(*Story, *bytes.Buffer) error
	}{{"bz219278.txt", text}, {"bz219278.mmd", mermaid}, {"bz219278.html", htmlOut}} {
		got := render(t, st, f.write)
		path := filepath.Join("testdata", f.file)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./explain -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from the golden file; if the change is intended, run go test ./explain -update and review the diff", path)
		}
	}
}

// TestEveryScenario tells every built-in scenario under every policy: each
// step says what happened, every server step says why, and there is one
// message arrow per message the run sent.
func TestEveryScenario(t *testing.T) {
	for _, name := range scenarios.Names() {
		for _, pol := range model.PolicyNames() {
			sc, err := scenarios.Load(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			st, err := Build(sc, scenarios.Options{Policy: pol})
			if err != nil {
				t.Fatalf("%s/%s: %v", name, pol, err)
			}
			res, _, err := sc.Run(scenarios.Options{Policy: pol, Trace: true})
			if err != nil {
				t.Fatal(err)
			}
			msgs := 0
			for _, a := range st.Arrows {
				if a.Kind.IsMessage() {
					msgs++
				}
				if a.Row < 0 || a.End < a.Row || a.End >= len(st.Steps) {
					t.Errorf("%s/%s: arrow %q rows %d→%d outside 0..%d", name, pol, a.Label, a.Row, a.End, len(st.Steps)-1)
				}
			}
			if msgs != len(res.Messages) {
				t.Errorf("%s/%s: %d message arrows for %d messages", name, pol, msgs, len(res.Messages))
			}
			for _, s := range st.Steps {
				if s.What == "" {
					t.Errorf("%s/%s: step at %s by %s says nothing", name, pol, fmtMs(s.At), s.Actor)
				}
				if s.Actor == "server" && s.Why == "" {
					t.Errorf("%s/%s: server step %q gives no reason", name, pol, s.What)
				}
			}
		}
	}
}

// TestDeterministic: same scenario, policy and seed, byte-identical output.
func TestDeterministic(t *testing.T) {
	for _, w := range []func(*Story, *bytes.Buffer) error{text, mermaid, htmlOut} {
		o := scenarios.Options{Policy: "nonblock-wait", Seed: 7, HasSeed: true}
		a := render(t, story(t, "certbot-nginx", o), w)
		b := render(t, story(t, "certbot-nginx", o), w)
		if a != b {
			t.Error("two builds of the same run differ")
		}
	}
}

// TestObserveStillCalled: Build chains a caller's Observe hook.
func TestObserveStillCalled(t *testing.T) {
	calls := 0
	st := story(t, "bz219278", scenarios.Options{Observe: func(model.Time, []model.Actor) { calls++ }})
	if calls == 0 || calls < len(st.Steps) {
		t.Errorf("Observe called %d times for %d shown steps", calls, len(st.Steps))
	}
}

// TestBuildSchedule: an explorer's counterexample is told like a run: one
// narrated step per actor step of the replay, the stale read it ends in
// among the outcomes, and a diagram whose message arrows match the
// replay's messages.
func TestBuildSchedule(t *testing.T) {
	sc, err := scenarios.Load("open-dirty-local-read", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := scenarios.Options{Policy: "local-read-exempt"}
	m, _, err := explore.FromScenario(sc, o, explore.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep := explore.Explore(m, explore.Options{})
	if rep.Counterexample == nil {
		t.Fatal("no counterexample under local-read-exempt")
	}
	st, err := BuildSchedule(sc, o, rep.Counterexample.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	if st.Policy != "local-read-exempt" || len(st.Steps) == 0 || len(st.Arrows) == 0 {
		t.Fatalf("story of %s: %d steps, %d arrows", st.Policy, len(st.Steps), len(st.Arrows))
	}
	var stale bool
	for _, op := range st.Ops {
		stale = stale || (op.Name() == "l2#1" && op.OK() && op.Size == 0)
	}
	if !stale {
		t.Errorf("the story's outcomes lack the stale lsattr of g: %v", st.Ops)
	}
	var text strings.Builder
	if err := st.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "let through despite c1's write delegation") {
		t.Errorf("narration lacks the exempted open:\n%s", text.String())
	}
}
