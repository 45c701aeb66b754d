package compare

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

func table(t *testing.T, scenario string, o Options) *Table {
	t.Helper()
	sc, err := scenarios.Load(scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Compare(sc, o)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func rowOf(t *testing.T, tb *Table, fix string) Row {
	t.Helper()
	for _, r := range tb.Rows {
		if r.Name == fix {
			return r
		}
	}
	t.Fatalf("no row for %s", fix)
	return Row{}
}

// TestBugVerdicts is the decision table for bugzilla 219278: the kernel
// fails every lsattr, the GETATTR exemption changes nothing, and each
// working fix — kernel change, application change or configuration — has
// its price.
func TestBugVerdicts(t *testing.T) {
	tb := table(t, "bz219278", Options{Trials: 40, Explorer: Exhaustive, ExploreStates: 5000})
	if tb.Access != "l1#1" || tb.AccessKind != "lsattr" {
		t.Errorf("access %s (%s), want l1#1 (lsattr)", tb.Access, tb.AccessKind)
	}
	tests := []struct {
		fix     string
		kind    Kind
		fail    float64
		verdict string
	}{
		{"kernel", KindBaseline, 1, "baseline: lsattr fails in 100% of runs"},
		{"seed-getattr-exempt", KindKernel, 1, "no change: lsattr still fails (100%)"},
		{"local-read-exempt", KindKernel, 0, "fixes lsattr; changes documented behaviour; the delegation survives"},
		{"nonblock-wait", KindKernel, 0, "fixes lsattr; changes documented behaviour; local access p99"},
		{"cb-getattr-gate", KindKernel, 0, "fixes lsattr; changes documented behaviour; local access p99"},
		{"no-write-deleg", KindKernel, 0, "fixes lsattr; no delegations granted: clients lose caching"},
		{"app-retry", KindApp, 0, "fixes lsattr"},
		{"blocking-open", KindApp, 0, "fixes lsattr; local access p99"},
		{"mount-v4.0", KindConfig, 0, "fixes lsattr; no delegations granted"},
		{"leases-disabled", KindConfig, 0, "fixes lsattr; no delegations granted"},
		{"wronly-writer", KindApp, 0, "fixes lsattr; no delegations granted"},
	}
	if len(tb.Rows) != len(tests) || len(tb.Skipped) != 0 {
		t.Fatalf("%d rows (%d skipped: %v), want %d", len(tb.Rows), len(tb.Skipped), tb.Skipped, len(tests))
	}
	for i, tt := range tests {
		r := tb.Rows[i]
		if r.Name != tt.fix || r.Kind != tt.kind {
			t.Errorf("row %d: %s (%s), want %s (%s)", i, r.Name, r.Kind, tt.fix, tt.kind)
		}
		if r.Fail != tt.fail {
			t.Errorf("%s: lsattr fails in %.2f of runs, want %.2f", tt.fix, r.Fail, tt.fail)
		}
		if !strings.HasPrefix(r.Verdict, tt.verdict) {
			t.Errorf("%s: verdict %q, want it to start %q", tt.fix, r.Verdict, tt.verdict)
		}
		if r.Explore == nil || !r.Explore.Exhausted || r.Explore.Stale {
			t.Errorf("%s: exploration %+v, want an exhausted search with no stale read", tt.fix, r.Explore)
		}
	}
	if k := rowOf(t, tb, "kernel"); k.Recalls != 1 || k.WriteGrants != 1 || k.Lost != 0 {
		t.Errorf("kernel: %.2f recalls, %.2f write grants, %.2f lost per run; want one recall of one grant, none lost", k.Recalls, k.WriteGrants, k.Lost)
	}
	if g := rowOf(t, tb, "cb-getattr-gate"); g.CBGetattrs == 0 || g.Recalls != 0 {
		t.Errorf("cb-getattr-gate: %.2f CB_GETATTR, %.2f recalls per run; want CB_GETATTR instead of recalls", g.CBGetattrs, g.Recalls)
	}
}

// TestWhatEachFixBreaks: the columns a maintainer asks about, computed
// from runs where runs show it and read off the policy's decisions
// otherwise.
func TestWhatEachFixBreaks(t *testing.T) {
	tb := table(t, "bz219278", Options{Trials: 20})
	for _, tt := range []struct {
		fix   string
		field func(Row) string
		want  string
	}{
		// open(2): O_NONBLOCK fails at once with EWOULDBLOCK.
		{"nonblock-wait", func(r Row) string { return r.Changes }, "an O_NONBLOCK open sleeps up to 30ms"},
		// RFC 8881 §10.4: no access beside a write delegation.
		{"local-read-exempt", func(r Row) string { return r.Changes }, "passes a write delegation without a recall (RFC 8881 §10.4"},
		{"cb-getattr-gate", func(r Row) string { return r.Changes }, "after a CB_GETATTR shows the holder clean"},
		{"kernel", func(r Row) string { return r.Changes }, "none"},
		{"seed-getattr-exempt", func(r Row) string { return r.Changes }, "none"},
		{"app-retry", func(r Row) string { return r.Changes }, "none: open(2) documents EWOULDBLOCK"},
		{"leases-disabled", func(r Row) string { return r.Changes }, "F_SETLEASE fails with EINVAL"},
		// What deploying takes.
		{"seed-getattr-exempt", func(r Row) string { return r.Needs }, "kernel patch: "},
		{"mount-v4.0", func(r Row) string { return r.Needs }, "configuration: client mount option vers=4.0"},
		{"blocking-open", func(r Row) string { return r.Needs }, "application change: patch e2fsprogs"},
		{"seed-getattr-exempt", func(r Row) string { return r.Origin }, "the reporter proposed no fix"},
		// Client cost, from the runs: v4.0 confirms its open-owner and
		// loses the write delegation; the gate spends CB_GETATTRs.
		{"mount-v4.0", func(r Row) string { return r.ClientCost }, "+1.00 OPEN_CONFIRM"},
		{"mount-v4.0", func(r Row) string { return r.ClientCost }, "write delegations 0.00 per run (baseline 1.00)"},
		{"cb-getattr-gate", func(r Row) string { return r.ClientCost }, "+2.00 CB_GETATTR"},
		{"app-retry", func(r Row) string { return r.ClientCost }, "none: the baseline's RPCs and delegations"},
		// nfsd threads: no policy here waits longer inside nfsd than the
		// kernel (CB_GETATTR then a recall, 30 ms each).
		{"nonblock-wait", func(r Row) string { return r.NfsdThread }, "no more than today: ≤60ms per conflicting request"},
		{"kernel", func(r Row) string { return r.Safety }, "runs: none in 20; exploration: not run"},
	} {
		if got := tt.field(rowOf(t, tb, tt.fix)); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q lacks %q", tt.fix, got, tt.want)
		}
	}
}

// waitsInNfsd holds every conflicting remote request in nfsd until the
// delegation goes, with a bound far beyond the kernel's.
type waitsInNfsd struct{}

func (waitsInNfsd) Name() string                            { return "waits-in-nfsd" }
func (waitsInNfsd) Grant(g model.GrantInfo) model.DelegType { return g.Kernel }
func (waitsInNfsd) Conflict(c model.ConflictInfo) model.Decision {
	if !c.Access.IsLocal() {
		return model.Decision{Action: model.ActRecallWait, Wait: model.Forever}
	}
	return c.Kernel
}

// TestNfsdThread: a policy that parks another client's OPEN in nfsd
// until the recall ends is flagged, and the runs show how long the
// request held its thread; under the kernel nfsd answers NFS4ERR_DELAY at
// once.
func TestNfsdThread(t *testing.T) {
	tb := table(t, "second-client-open", Options{Trials: 5, Fixes: []string{"kernel"},
		Extra: []Fix{ValueFix(waitsInNfsd{}, "a test")}})
	w, k := rowOf(t, tb, "waits-in-nfsd"), rowOf(t, tb, "kernel")
	if !strings.HasPrefix(w.NfsdThread, "yes, unbounded") || !strings.Contains(w.Verdict, "nfsd threads may wait without a bound") {
		t.Errorf("waits-in-nfsd: %q; verdict %q", w.NfsdThread, w.Verdict)
	}
	if w.NfsdHoldMs <= 1 || k.NfsdHoldMs != 0 {
		t.Errorf("longest nfsd hold %.3f ms under waits-in-nfsd, %.3f ms under the kernel", w.NfsdHoldMs, k.NfsdHoldMs)
	}
}

// TestStaleReads: exempting local reads lets a server-local reader see
// data older than what the client had closed, a close-to-open violation
// the checker finds in every run.
func TestStaleReads(t *testing.T) {
	tb := table(t, "open-dirty-local-read", Options{Trials: 10, Fixes: []string{"kernel", "local-read-exempt"}})
	r := rowOf(t, tb, "local-read-exempt")
	if r.StaleCTO != 10 || r.StaleReads == 0 || !strings.Contains(r.Verdict, "stale data possible") ||
		!strings.HasPrefix(r.Safety, "runs: close-to-open broken in 10 runs") {
		t.Errorf("local-read-exempt: %d/10 runs break close-to-open, %d stale reads, verdict %q, safety %q", r.StaleCTO, r.StaleReads, r.Verdict, r.Safety)
	}
	if r.Explore != nil {
		t.Errorf("exploration ran without an Explorer: %+v", r.Explore)
	}
}

// TestFixesApplyGenerically: the options are transformations of any
// scenario they make sense for, and say why when they do not.
func TestFixesApplyGenerically(t *testing.T) {
	for _, tt := range []struct {
		scenario, fix string
		sets          []string
		why           string
	}{
		{"bz219278", "app-retry", []string{"locals.l1.script.0.retry.attempts=3", "locals.l1.script.0.retry.delay=100ms",
			"locals.l1.script.1.retry.attempts=3", "locals.l1.script.1.retry.delay=100ms"}, ""},
		{"certbot-nginx", "blocking-open", []string{"locals.nginx.script.0.blocking=true", "locals.nginx.script.1.blocking=true"}, ""},
		{"bz219278-2c2l", "mount-v4.0", []string{"clients.c1.version=4.0", "clients.c2.version=4.0"}, ""},
		{"certbot-nginx", "wronly-writer", []string{"clients.certbot.script.0.flags=[O_CREAT,O_EXCL,O_WRONLY]"}, ""},
		{"bz219278", "mount-v4.0+app-retry", []string{"clients.c1.version=4.0", "locals.l1.script.0.retry.attempts=3"}, ""},
		{"bz219278-v40", "mount-v4.0", nil, "every client already mounts with vers=4.0"},
		{"blocking-read-open", "app-retry", nil, "no server-local process opens with O_NONBLOCK"},
		{"second-client-open", "blocking-open", nil, "no server-local process opens with O_NONBLOCK"},
		{"dirty-recall-stale-read", "wronly-writer", nil, ""},
	} {
		sc, err := scenarios.Load(tt.scenario, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := LookupFix(tt.fix)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.Apply(sc)
		if tt.why != "" {
			if !errors.Is(err, ErrNotApplicable) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("%s on %s: err = %v, want %q", tt.fix, tt.scenario, err, tt.why)
			}
			continue
		}
		if err != nil {
			if tt.sets == nil && errors.Is(err, ErrNotApplicable) {
				continue // documented above as not applying
			}
			t.Errorf("%s on %s: %v", tt.fix, tt.scenario, err)
			continue
		}
		for _, s := range tt.sets {
			if !strings.Contains(strings.Join(v.Sets, " "), s) {
				t.Errorf("%s on %s: sets %v lack %s", tt.fix, tt.scenario, v.Sets, s)
			}
		}
		if _, err := sc.With(v.Sets...); err != nil {
			t.Errorf("%s on %s: %v", tt.fix, tt.scenario, err)
		}
	}
}

// TestNotApplicable: a default fix that does not apply is listed as
// skipped; one asked for by name is an error.
func TestNotApplicable(t *testing.T) {
	tb := table(t, "bz219278-v40", Options{Trials: 2})
	if len(tb.Skipped) != 1 || tb.Skipped[0].Fix != "mount-v4.0" || !strings.Contains(tb.SkippedText(), "every client already mounts with vers=4.0") {
		t.Errorf("skipped %+v", tb.Skipped)
	}
	sc, _ := scenarios.Load("bz219278-v40", nil)
	_, err := Compare(sc, Options{Trials: 2, Fixes: []string{"kernel", "mount-v4.0"}})
	if !errors.Is(err, scenarios.ErrInvalid) || !strings.Contains(err.Error(), "mount-v4.0 does not apply to bz219278-v40: every client already mounts with vers=4.0") {
		t.Errorf("err = %v", err)
	}
}

// TestDeterministic: the table depends on the options only, not on the
// number of workers.
func TestDeterministic(t *testing.T) {
	var out []string
	for _, w := range []int{1, 4} {
		tb := table(t, "certbot-nginx", Options{Trials: 30, Seed: 5, HasSeed: true, Workers: w})
		var b bytes.Buffer
		if err := WriteJSON(&b, []*Table{tb}); err != nil {
			t.Fatal(err)
		}
		out = append(out, b.String())
	}
	if out[0] != out[1] {
		t.Error("1 and 4 workers give different tables")
	}
}

func TestBadFix(t *testing.T) {
	sc, _ := scenarios.Load("bz219278", nil)
	for _, tc := range []struct {
		fixes []string
		want  string
	}{
		{[]string{"kernel", "nope"}, `unknown fix "nope"`},
		{[]string{"kernel", "kernel"}, `two rows named "kernel"`},
		{[]string{"leases-disabled+nonblock-wait"}, "both choose a policy"},
	} {
		if _, err := Compare(sc, Options{Fixes: tc.fixes, Trials: 1}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.fixes, err, tc.want)
		}
	}
}

func TestRenderings(t *testing.T) {
	tb := table(t, "bz219278", Options{Trials: 5, Fixes: []string{"kernel", "no-write-deleg", "mount-v4.0"}})
	var text, md bytes.Buffer
	tb.WriteText(&text)
	tb.WriteMarkdown(&md)
	for _, want := range []string{"bz219278 on linux-6.12: 5 runs per fix, seeds 1–5; the local access is l1#1 (lsattr)",
		"no-write-deleg", "not run", "mount-v4.0", "client mount option vers=4.0"} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("text or markdown lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	// Title, blank, head, rule, 3 rows, blank, "What each fix breaks:",
	// blank, head, rule, 3 rows.
	if len(lines) != 2+2+3+3+2+3 || !strings.HasPrefix(lines[3], "| ---") || !strings.HasPrefix(lines[11], "| ---") {
		t.Errorf("markdown tables malformed:\n%s", md.String())
	}
}
