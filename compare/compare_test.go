package compare

import (
	"bytes"
	"strings"
	"testing"

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

func row(t *testing.T, tb *Table, policy string) Row {
	t.Helper()
	for _, r := range tb.Rows {
		if r.Policy == policy {
			return r
		}
	}
	t.Fatalf("no row for %s", policy)
	return Row{}
}

// TestBugVerdicts is the decision table for bugzilla 219278: the kernel
// fails every lsattr, the bug report's GETATTR exemption changes nothing,
// and each working fix has its price.
func TestBugVerdicts(t *testing.T) {
	tb := table(t, "bz219278", Options{Trials: 40, Explorer: Exhaustive, ExploreStates: 5000})
	if tb.Access != "l1#1" || tb.AccessKind != "lsattr" {
		t.Errorf("access %s (%s), want l1#1 (lsattr)", tb.Access, tb.AccessKind)
	}
	tests := []struct {
		policy  string
		fail    float64
		verdict string
	}{
		{"kernel", 1, "baseline: lsattr fails in 100% of runs"},
		{"seed-getattr-exempt", 1, "no change: lsattr still fails (100%)"},
		{"local-read-exempt", 0, "fixes lsattr; the delegation survives"},
		{"nonblock-wait", 0, "fixes lsattr; local access p99"},
		{"cb-getattr-gate", 0, "fixes lsattr; local access p99"},
		{"no-write-deleg", 0, "fixes lsattr; no delegations granted: clients lose caching"},
	}
	for _, tt := range tests {
		r := row(t, tb, tt.policy)
		if r.Fail != tt.fail {
			t.Errorf("%s: lsattr fails in %.2f of runs, want %.2f", tt.policy, r.Fail, tt.fail)
		}
		if !strings.HasPrefix(r.Verdict, tt.verdict) {
			t.Errorf("%s: verdict %q, want it to start %q", tt.policy, r.Verdict, tt.verdict)
		}
		if r.Explore == nil || !r.Explore.Exhausted || r.Explore.Stale {
			t.Errorf("%s: exploration %+v, want an exhausted search with no stale read", tt.policy, r.Explore)
		}
	}
	if k := row(t, tb, "kernel"); k.Recalls != 1 || k.Grants != 1 || k.Lost != 0 {
		t.Errorf("kernel: %.2f recalls, %.2f grants, %.2f lost per run; want one recall of one grant, none lost", k.Recalls, k.Grants, k.Lost)
	}
	if g := row(t, tb, "cb-getattr-gate"); g.CBGetattrs == 0 || g.Recalls != 0 {
		t.Errorf("cb-getattr-gate: %.2f CB_GETATTR, %.2f recalls per run; want CB_GETATTR instead of recalls", g.CBGetattrs, g.Recalls)
	}
}

// TestStaleReads: exempting local reads lets a server-local reader see
// data older than what the client had closed, a close-to-open violation
// the checker finds in every run.
func TestStaleReads(t *testing.T) {
	tb := table(t, "open-dirty-local-read", Options{Trials: 10, Policies: []string{"kernel", "local-read-exempt"}})
	r := row(t, tb, "local-read-exempt")
	if r.StaleCTO != 10 || r.StaleReads == 0 || !strings.Contains(r.Verdict, "stale data possible") {
		t.Errorf("local-read-exempt: %d/10 runs break close-to-open, %d stale reads, verdict %q", r.StaleCTO, r.StaleReads, r.Verdict)
	}
	if r.Explore != nil {
		t.Errorf("exploration ran without an Explorer: %+v", r.Explore)
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

func TestBadPolicy(t *testing.T) {
	sc, _ := scenarios.Load("bz219278", nil)
	if _, err := Compare(sc, Options{Policies: []string{"kernel", "nope"}, Trials: 1}); err == nil || !strings.Contains(err.Error(), `unknown policy "nope"`) {
		t.Errorf("err = %v, want unknown policy", err)
	}
}

func TestRenderings(t *testing.T) {
	tb := table(t, "bz219278", Options{Trials: 5, Policies: []string{"kernel", "no-write-deleg"}})
	var text, md bytes.Buffer
	tb.WriteText(&text)
	tb.WriteMarkdown(&md)
	for _, want := range []string{"bz219278 on linux-6.12: 5 runs per policy, seeds 1–5; the local access is l1#1 (lsattr)",
		"no-write-deleg", "not run"} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("text or markdown lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != 2+2+2 || !strings.HasPrefix(lines[3], "| ---") {
		t.Errorf("markdown table malformed:\n%s", md.String())
	}
}
