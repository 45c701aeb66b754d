package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/internal/version"
	"github.com/delegsim/delegsim/scenarios"
)

// call sends one request to h and returns the status and body.
func call(t testing.TB, h http.Handler, method, target, host string, hdr map[string]string, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host = host
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

var jsonHdr = map[string]string{"Content-Type": "application/json"}

// post sends a JSON request from the page's own origin.
func post(t testing.TB, h http.Handler, path string, v any) (int, string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return call(t, h, "POST", path, "127.0.0.1:8080", map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:8080"}, string(b))
}

// errorOf is the message of an error answer.
func errorOf(body string) string {
	var e struct{ Error string }
	json.Unmarshal([]byte(body), &e)
	return e.Error
}

// pathView asks for the view of a path and fails the test unless it
// comes.
func pathView(t testing.TB, h http.Handler, req PathRequest) *PathResponse {
	t.Helper()
	code, body := post(t, h, "/api/path", req)
	if code != http.StatusOK {
		t.Fatalf("POST /api/path %+v: %d %s", req, code, body)
	}
	var resp PathResponse
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	return &resp
}

// TestGuard: the server answers its own page on loopback names and IP
// addresses, and refuses what a DNS-rebinding or cross-site page would
// send, oversized bodies and bodies that are not JSON.
func TestGuard(t *testing.T) {
	h := testServer(t, Options{}).Handler()
	good := `{"run":{"scenario":"bz219278"},"steps":[]}`
	for _, tc := range []struct {
		name, method, target, host string
		hdr                        map[string]string
		body                       string
		want                       int
	}{
		{"page on loopback", "GET", "/", "127.0.0.1:8080", nil, "", 200},
		{"page as localhost", "GET", "/", "localhost:8080", nil, "", 200},
		{"page on IPv6 loopback", "GET", "/app.js", "[::1]:8080", nil, "", 200},
		{"page on a LAN address (--addr 0.0.0.0)", "GET", "/", "192.0.2.7:8080", nil, "", 200},
		{"rebinding name", "GET", "/", "evil.example:8080", nil, "", 403},
		{"rebinding name on the API", "GET", "/api/catalog", "attacker.localhost.example", nil, "", 403},
		{"cross-site link to the page", "GET", "/", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 200},
		{"cross-site API call", "GET", "/api/catalog", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 403},
		{"foreign Origin", "POST", "/api/path", "127.0.0.1:8080",
			map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, good, 403},
		{"Origin of another port", "POST", "/api/path", "127.0.0.1:8080",
			map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:9999"}, good, 403},
		{"null Origin", "POST", "/api/path", "127.0.0.1:8080",
			map[string]string{"Content-Type": "application/json", "Origin": "null"}, good, 403},
		{"own Origin", "POST", "/api/path", "127.0.0.1:8080",
			map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:8080"}, good, 200},
		{"form post", "POST", "/api/path", "127.0.0.1:8080",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, good, 415},
		{"body too large", "POST", "/api/open", "127.0.0.1:8080", jsonHdr,
			`{"name":"x","text":"` + strings.Repeat("a", MaxBody) + `"}`, 413},
		{"unknown field", "POST", "/api/path", "127.0.0.1:8080", jsonHdr, `{"run":{"scenario":"bz219278"},"sudo":true}`, 400},
		{"two values", "POST", "/api/path", "127.0.0.1:8080", jsonHdr, good + good, 400},
		{"not JSON", "POST", "/api/path", "127.0.0.1:8080", jsonHdr, `run=bz219278`, 400},
		{"wrong method", "DELETE", "/api/path", "127.0.0.1:8080", nil, "", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(t, h, tc.method, tc.target, tc.host, tc.hdr, tc.body)
			if code != tc.want {
				t.Errorf("%d, want %d: %.200s", code, tc.want, body)
			}
		})
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "localhost"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q does not keep the page to its own server", csp)
	}
}

// TestBounds: a request may not expand more than MaxSteps states, walk
// more than MaxWalk steps, or name a scenario the server does not offer
// (a path least of all).
func TestBounds(t *testing.T) {
	h := testServer(t, Options{}).Handler()
	long := make([]string, MaxSteps+1)
	for i := range long {
		long[i] = "wait"
	}
	for _, tc := range []struct {
		name string
		req  PathRequest
		want string
	}{
		{"long path", PathRequest{Run: Run{Scenario: "bz219278"}, Steps: long}, "more than the server's bound of 5000"},
		{"long walk", PathRequest{Run: Run{Scenario: "bz219278"}, Walk: MaxWalk + 1}, "a random walk takes 0 to 1000 steps"},
		{"negative walk", PathRequest{Run: Run{Scenario: "bz219278"}, Walk: -1}, "a random walk takes 0 to 1000 steps"},
		{"compare doubles the work", PathRequest{Run: Run{Scenario: "bz219278"}, Steps: long[:MaxSteps/2+1], Compare: "kernel"}, "more than the server's bound"},
		{"a path as scenario", PathRequest{Run: Run{Scenario: "../../etc/passwd"}}, `unknown scenario "../../etc/passwd"`},
		{"a yaml file as scenario", PathRequest{Run: Run{Scenario: "testdata/x.yaml"}}, "unknown scenario"},
		{"unknown policy", PathRequest{Run: Run{Scenario: "bz219278", Policy: "nope"}}, "nope"},
		{"bad seed", PathRequest{Run: Run{Scenario: "bz219278", Seed: "-1"}}, `seed "-1"`},
		{"bad set", PathRequest{Run: Run{Scenario: "bz219278", Sets: []string{"clients.c9.latency=1ms"}}}, "c9"},
		{"many sets", PathRequest{Run: Run{Scenario: "bz219278", Sets: make([]string, MaxSets+1)}}, "at most 16"},
		{"bad max delay", PathRequest{Run: Run{Scenario: "bz219278", MaxDelay: "soon"}}, `max_delay "soon"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, h, "/api/path", tc.req)
			if code != http.StatusBadRequest || !strings.Contains(errorOf(body), tc.want) {
				t.Errorf("%d %s, want 400 with %q", code, body, tc.want)
			}
		})
	}
}

// labels are the labels of a view's choices, each checked to have a why.
func labels(t *testing.T, v *PathResponse) string {
	t.Helper()
	var out []string
	for _, c := range v.Choices {
		if c.Why == "" {
			t.Errorf("choice %q has no why", c.Text)
		}
		out = append(out, c.Label)
	}
	return strings.Join(out, "|")
}

// inFlight finds the first message in flight on the connection named.
func inFlight(t *testing.T, v *PathResponse, channel string) MsgView {
	t.Helper()
	for _, c := range v.State.Channels {
		if c.Name == channel && len(c.Msgs) > 0 {
			return c.Msgs[0]
		}
	}
	t.Fatalf("nothing in flight on %s", channel)
	return MsgView{}
}

// TestPathFollowsTheExplorer: the page's view of a path lists the
// transitions the explorer enables there, each with a label and a why;
// a step that is not enabled stops the path there, with the reason.
//
// The page explores the exact model, as `delegsim explore` does: once
// lsattr's open has hit the lease, the EAGAIN (a system call's answer)
// is due at once while the CB_RECALL cannot reach c1 before nfsd's
// callback queue and the link have taken their least time, so the
// CB_RECALL cannot overtake the EAGAIN. Only the coarser model, which
// lets any message arrive as soon as it is sent, offers that race.
func TestPathFollowsTheExplorer(t *testing.T) {
	h := testServer(t, Options{}).Handler()
	v := pathView(t, h, PathRequest{Run: Run{Scenario: "bz219278"}, Steps: lsattrPath})
	if v.Run.Policy != "kernel" || v.Run.Profile != "linux-6.12" || v.Run.Seed != "1" || v.Run.ZeroMinDelay {
		t.Errorf("run resolved to %+v", v.Run)
	}
	if got, want := labels(t, v), "deliver open → EAGAIN to l1"; got != want {
		t.Errorf("choices %q, want %q", got, want)
	}
	if m := inFlight(t, v, "server->c1 callback"); !strings.HasPrefix(m.Label, "CB_RECALL") || m.Ready != "140.173 ms" || m.Due != "146.354 ms" {
		t.Errorf("the CB_RECALL in flight: %+v, want it to arrive between 140.173 and 146.354 ms", m)
	}
	if m := inFlight(t, v, "server->l1 local"); m.Ready != "now" {
		t.Errorf("the EAGAIN in flight: %+v, want it ready now", m)
	}
	coarse := pathView(t, h, PathRequest{Run: Run{Scenario: "bz219278", ZeroMinDelay: true},
		Steps: slices.DeleteFunc(slices.Clone(lsattrPath), func(s string) bool { return s == "wait" })})
	if got, want := labels(t, coarse), "deliver CB_RECALL(f, stateid 2) to c1|deliver open → EAGAIN to l1"; got != want {
		t.Errorf("the coarser model's choices %q, want %q", got, want)
	}
	if !strings.Contains(coarse.Schedule, "\nseed 1\ntimer") || strings.Contains(coarse.Schedule, "min-delay") {
		t.Errorf("the coarser model's schedule has a min-delay line:\n%s", coarse.Schedule)
	}
	if !strings.Contains(v.Schedule, "\nmin-delay\n") {
		t.Errorf("the exact model's schedule lacks its min-delay line:\n%s", v.Schedule)
	}
	if len(v.State.Delegations) != 1 || !strings.HasPrefix(v.State.Delegations[0].State, "recalling") {
		t.Errorf("delegations %+v", v.State.Delegations)
	}
	if len(v.State.Leases) != 1 || v.State.Leases[0].Type != "F_WRLCK" || !strings.Contains(v.State.Leases[0].State, "FL_DOWNGRADE_PENDING") {
		t.Errorf("the VFS lease %+v, want nfsd's write lease breaking for lsattr's read", v.State.Leases)
	}
	if !strings.Contains(v.SVG, "lm_break → nfsd_break_deleg_cb") || len(v.Rows) == 0 {
		t.Errorf("the diagram does not show the lease break")
	}
	if v.Checks.Violation {
		t.Errorf("checks %+v", v.Checks)
	}

	bad := append(append([]string(nil), lsattrPath[:3]...), "timer l1 open/0", "wait")
	v = pathView(t, h, PathRequest{Run: Run{Scenario: "bz219278"}, Steps: bad})
	if v.Diverged == nil || v.Diverged.At != 3 || len(v.Steps) != 3 || !strings.Contains(v.Diverged.Reason, "is not enabled") {
		t.Errorf("a step that is not enabled: diverged %+v after %d steps", v.Diverged, len(v.Steps))
	}
}

// TestScheduleDownloadReplays: the schedule the page saves replays with
// `delegsim run SCENARIO --schedule FILE` (explore.ReplayFile) to the
// history the page showed.
func TestScheduleDownloadReplays(t *testing.T) {
	h := testServer(t, Options{}).Handler()
	steps := append(append([]string(nil), lsattrPath...), "deliver server->l1 local")
	q := url.Values{"scenario": {"bz219278"}, "policy": {"kernel"}, "path": {strings.Join(steps, pathSep)}}
	code, body := call(t, h, "GET", "/api/schedule?"+q.Encode(), "127.0.0.1:8080", nil, "")
	if code != 200 || !strings.HasPrefix(body, "# delegsim schedule") {
		t.Fatalf("GET /api/schedule: %d %.200s", code, body)
	}
	file := filepath.Join(t.TempDir(), "bz219278.sched")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := explore.ReplayFile(sc, scenarios.Options{}, nil, file)
	if err != nil {
		t.Fatalf("the saved schedule does not replay: %v\n%s", err, body)
	}
	op, ok := res.Op("l1#1")
	if !ok || op.Result != "EAGAIN" {
		t.Errorf("replayed l1#1 = %v, want the EAGAIN the page showed", op)
	}
	q.Set("path", "wait")
	if code, _ := call(t, h, "GET", "/api/schedule?"+q.Encode(), "127.0.0.1:8080", nil, ""); code != 400 {
		t.Errorf("a schedule of a step that is not enabled: %d, want 400", code)
	}
	q.Set("path", "timer c1 script/0")
	q.Set("zero_min_delay", "yes")
	if code, body := call(t, h, "GET", "/api/schedule?"+q.Encode(), "127.0.0.1:8080", nil, ""); code != 400 || !strings.Contains(errorOf(body), "zero_min_delay") {
		t.Errorf("zero_min_delay=yes: %d %s, want 400", code, body)
	}
	q.Set("zero_min_delay", "1")
	if code, body := call(t, h, "GET", "/api/schedule?"+q.Encode(), "127.0.0.1:8080", nil, ""); code != 200 || strings.Contains(body, "min-delay") {
		t.Errorf("a schedule of the coarser model: %d %s, want no min-delay line", code, body)
	}
}

// TestOpenCounterexample: a counterexample written by `delegsim explore
// --out` opens in the page, which shows the violation and marks the
// stale read's row. One found with --zero-min-delay (a schedule without
// a min-delay line) opens in the coarser model its steps need, and the
// schedule the page saves keeps saying so.
func TestOpenCounterexample(t *testing.T) {
	sc, err := scenarios.Load("open-dirty-local-read", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := testServer(t, Options{}).Handler()
	for _, minDelay := range []bool{true, false} {
		t.Run(fmt.Sprintf("min-delay=%v", minDelay), func(t *testing.T) {
			testOpenCounterexample(t, h, sc, minDelay)
		})
	}
}

func testOpenCounterexample(t *testing.T, h http.Handler, sc *scenarios.Scenario, minDelay bool) {
	m, _, err := explore.FromScenario(sc, scenarios.Options{Policy: "local-read-exempt"}, explore.ModelOptions{MinDelay: minDelay})
	if err != nil {
		t.Fatal(err)
	}
	rep := explore.Explore(m, explore.Options{})
	if rep.Counterexample == nil {
		t.Fatal("no counterexample to open")
	}
	code, body := post(t, h, "/api/open", OpenRequest{Name: "cx.sched", Text: rep.Counterexample.Schedule.String()})
	if code != 200 {
		t.Fatalf("POST /api/open: %d %s", code, body)
	}
	var start Start
	if err := json.Unmarshal([]byte(body), &start); err != nil {
		t.Fatal(err)
	}
	if start.Run.ZeroMinDelay == minDelay {
		t.Errorf("a schedule with min-delay %v opens with zero_min_delay %v", minDelay, start.Run.ZeroMinDelay)
	}
	v := pathView(t, h, PathRequest{Run: start.Run, Steps: start.Steps})
	if v.Diverged != nil || len(v.Steps) != rep.Counterexample.Depth {
		t.Fatalf("the counterexample's path: %d steps, diverged %+v", len(v.Steps), v.Diverged)
	}
	if v.Schedule != rep.Counterexample.Schedule.String() {
		t.Errorf("the page's schedule differs from the counterexample's:\n%s\nwant\n%s", v.Schedule, rep.Counterexample.Schedule)
	}
	var c2o *ConsistencyView
	for i := range v.Checks.Consistency {
		if v.Checks.Consistency[i].Model == "close-to-open" {
			c2o = &v.Checks.Consistency[i]
		}
	}
	if c2o == nil || c2o.Verdict != "violation" || len(c2o.Rows) == 0 || len(c2o.Detail) == 0 {
		t.Errorf("close-to-open verdict %+v, want a violation with the stale read's row", c2o)
	}
	// local-read-exempt does not promise close-to-open (explore.Promise):
	// the page shows the violation without calling it a broken promise.
	if v.Checks.Violation || c2o.Promised {
		t.Errorf("violation %v, promised %v: local-read-exempt promises no close-to-open", v.Checks.Violation, c2o.Promised)
	}
	for _, tc := range []struct{ text, want string }{
		{"scenario nope\npolicy kernel\nprofile linux-6.12\nseed 1\n", `scenario "nope" is not one this server offers`},
		{"jump\n", `unknown line "jump"`},
		{"scenario bz219278\n", `missing header line "policy"`},
	} {
		code, body := post(t, h, "/api/open", OpenRequest{Name: "x.sched", Text: tc.text})
		if code != 400 || !strings.Contains(errorOf(body), tc.want) {
			t.Errorf("open %q: %d %s, want 400 with %q", tc.text, code, body, tc.want)
		}
	}
}

// TestCompare: the same path under nonblock-wait runs like the kernel's
// until lsattr's open hits the lease; there the kernel answers EAGAIN
// at once and nonblock-wait lets the open wait (policy NonblockWait).
func TestCompare(t *testing.T) {
	h := testServer(t, Options{}).Handler()
	v := pathView(t, h, PathRequest{Run: Run{Scenario: "bz219278", Policy: "kernel"}, Steps: lsattrPath, Compare: "nonblock-wait"})
	if v.Other == nil || v.Other.Run.Policy != "nonblock-wait" {
		t.Fatalf("no second column: %+v", v.Other)
	}
	if v.Differs != len(lsattrPath)-1 {
		t.Errorf("differs at step %d, want %d (the open); notes %q vs %q", v.Differs, len(lsattrPath)-1,
			v.Steps[len(v.Steps)-1].Note, v.Other.Steps[len(v.Other.Steps)-1].Note)
	}
	var kernel, wait []string
	for _, c := range v.Choices {
		kernel = append(kernel, c.Label)
	}
	for _, c := range v.Other.Choices {
		wait = append(wait, c.Label)
	}
	if strings.Join(kernel, "|") == strings.Join(wait, "|") || strings.Contains(strings.Join(wait, "|"), "EAGAIN") {
		t.Errorf("kernel %q and nonblock-wait %q: nonblock-wait should not have answered EAGAIN", kernel, wait)
	}
	if len(v.Other.State.Waiters) != 1 {
		t.Errorf("nonblock-wait's waiters %q, want lsattr's open waiting", v.Other.State.Waiters)
	}
}

// TestTours: every tour is a schedule that `delegsim run --schedule`
// replays, ends as its #expect lines say, and has a caption for most
// steps worth one.
func TestTours(t *testing.T) {
	s := testServer(t, Options{})
	if len(s.tours) < 5 {
		t.Fatalf("%d tours", len(s.tours))
	}
	for _, tour := range s.tours {
		t.Run(tour.ID, func(t *testing.T) {
			data, err := tourFiles.ReadFile("tours/" + tour.ID + ".sched")
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), tour.ID+".sched")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			sc, err := scenarios.Load(tour.Run.Scenario, tour.Run.Sets)
			if err != nil {
				t.Fatal(err)
			}
			res, _, err := explore.ReplayFile(sc, scenarios.Options{}, tour.Run.Sets, file)
			if err != nil {
				t.Fatal(err)
			}
			if len(tour.Expect) == 0 {
				t.Error("no #expect line")
			}
			if tour.Run.ZeroMinDelay {
				t.Error("the tour has no min-delay line: tours follow the exact model, as the page does")
			}
			for _, e := range tour.Expect {
				name, result, _ := strings.Cut(e, " ")
				op, ok := res.Op(name)
				if !ok || op.Result != result {
					t.Errorf("#expect %s: got %v", e, op)
				}
			}
			captions := 0
			for _, c := range tour.Captions {
				if c != "" {
					captions++
				}
			}
			if tour.About == "" || captions < 4 {
				t.Errorf("about %q, %d captions", tour.About, captions)
			}
			v := pathView(t, s.Handler(), PathRequest{Run: tour.Run, Steps: tour.Steps})
			if v.Diverged != nil {
				t.Errorf("the page cannot follow the tour: %+v", v.Diverged)
			}
		})
	}
}

// TestTourDirtyRecallVerdicts: at the end of the dirty-recall tour the
// page says what docs/tutorial.md §8 says: linearizability violated,
// close-to-open (what the kernel promises) kept.
func TestTourDirtyRecallVerdicts(t *testing.T) {
	s := testServer(t, Options{})
	for _, tour := range s.tours {
		if tour.ID != "7-dirty-recall" {
			continue
		}
		v := pathView(t, s.Handler(), PathRequest{Run: tour.Run, Steps: tour.Steps})
		got := map[string]string{}
		for _, c := range v.Checks.Consistency {
			got[c.Model] = c.Verdict
		}
		if got["linearizable"] != "violation" || got["close-to-open"] != "ok" || v.Checks.Violation {
			t.Errorf("verdicts %v, violation %v", got, v.Checks.Violation)
		}
		return
	}
	t.Fatal("no tour 7-dirty-recall")
}

// TestRandomWalkDeterministic: a walk is drawn from its seed alone, so a
// shared walk is the same walk; it stops where the run ends.
func TestRandomWalkDeterministic(t *testing.T) {
	h := testServer(t, Options{}).Handler()
	req := PathRequest{Run: Run{Scenario: "bz219278-2c2l"}, Walk: 40, WalkSeed: 7}
	a, b := pathView(t, h, req), pathView(t, h, req)
	if a.Schedule != b.Schedule || len(a.Steps) == 0 {
		t.Errorf("two walks with seed 7 differ, or are empty:\n%s\n%s", a.Schedule, b.Schedule)
	}
	req.Walk = MaxWalk
	if v := pathView(t, h, req); !v.Ended || len(v.Steps) >= MaxWalk {
		t.Errorf("a long walk ended %v after %d steps", v.Ended, len(v.Steps))
	}
}

// TestStaysUpUnderRandomCalls sends 1,000 random API calls, valid and
// not, and checks every one gets a 2xx or 4xx answer in JSON and the
// server still answers a good request after them.
func TestStaysUpUnderRandomCalls(t *testing.T) {
	s := testServer(t, Options{})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	rng := rand.New(rand.NewPCG(15, 1))
	names := append(scenarios.Names(), "nope", "../x.yaml", "")
	policies := []string{"", "kernel", "nonblock-wait", "cb-getattr-gate", "bogus"}
	words := []string{"deliver", "lose", "timer", "wait", "crash", "c1->server", "server->c1", "fore", "callback", "local", "script/0", "open/0", "c1", "l1", "x"}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	// known keeps paths the server accepted, to extend them by real choices.
	var known []PathRequest
	client := ts.Client()
	for i := range 1000 {
		var method, path, ctype, body string
		method, ctype = "POST", "application/json"
		switch k := rng.IntN(10); {
		case k < 5 && len(known) > 0: // extend a known path by one of its choices, or undo
			req := known[rng.IntN(len(known))]
			v := pathViewNoFail(client, ts.URL, req)
			if v != nil && len(v.Choices) > 0 && rng.IntN(4) > 0 {
				req.Steps = append(append([]string(nil), req.Steps...), v.Choices[rng.IntN(len(v.Choices))].Text)
			} else if len(req.Steps) > 0 {
				req.Steps = req.Steps[:len(req.Steps)-1]
			}
			req.Compare = pick(policies)
			b, _ := json.Marshal(req)
			path, body = "/api/path", string(b)
		case k < 7:
			req := PathRequest{Run: Run{Scenario: pick(names), Policy: pick(policies)}, Walk: rng.IntN(60) - 5, WalkSeed: rng.Uint64()}
			for range rng.IntN(4) {
				req.Steps = append(req.Steps, pick(words)+" "+pick(words)+" "+pick(words))
			}
			b, _ := json.Marshal(req)
			path, body = "/api/path", string(b)
		case k < 8:
			path, body = "/api/open", fmt.Sprintf(`{"name":"r.sched","text":%q}`, "scenario "+pick(names)+"\npolicy kernel\nprofile linux-6.12\nseed 1\n"+pick(words)+" "+pick(words))
		case k < 9:
			method, path = "GET", "/api/schedule?"+url.Values{"scenario": {pick(names)}, "path": {pick(words) + " " + pick(words)}}.Encode()
		default: // garbage
			junk := make([]byte, rng.IntN(300))
			for j := range junk {
				junk[j] = byte(rng.IntN(256))
			}
			path, body = pick([]string{"/api/path", "/api/open", "/api/catalog"}), string(junk)
			if rng.IntN(2) == 0 {
				ctype = "text/plain"
			}
		}
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("call %d (%s %s): %v", i, method, path, err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("call %d (%s %s %.200s): %d %s", i, method, path, body, resp.StatusCode, data)
		}
		if path == "/api/path" && resp.StatusCode == 200 {
			var pr PathRequest
			json.Unmarshal([]byte(body), &pr)
			var v PathResponse
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			pr.Steps, pr.Walk = nil, 0
			for _, st := range v.Steps {
				pr.Steps = append(pr.Steps, st.Text)
			}
			known = append(known, pr)
		}
		// The mux's own 405 (a POST to a GET route) is plain text.
		if !json.Valid(data) && !strings.HasPrefix(path, "/api/schedule") && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("call %d: answer is not JSON: %.200s", i, data)
		}
	}
	if len(known) < 100 {
		t.Errorf("only %d of 1000 calls were good paths: the test hardly explored", len(known))
	}
	if v := pathViewNoFail(client, ts.URL, PathRequest{Run: Run{Scenario: "bz219278"}, Steps: lsattrPath}); v == nil || len(v.Choices) != 1 {
		t.Fatal("the server does not answer a good request after the random calls")
	}
}

// pathViewNoFail asks a running server for a path's view; nil if it
// does not answer 200.
func pathViewNoFail(c *http.Client, base string, req PathRequest) *PathResponse {
	b, _ := json.Marshal(req)
	resp, err := c.Post(base+"/api/path", "application/json", bytes.NewReader(b))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil
	}
	var v PathResponse
	if json.NewDecoder(resp.Body).Decode(&v) != nil {
		return nil
	}
	return &v
}

// TestVersion: the catalog and every path's view name the delegsim that
// computed them (internal/version), and the page shows it.
func TestVersion(t *testing.T) {
	h := testServer(t, Options{}).Handler()
	code, body := call(t, h, "GET", "/api/catalog", "127.0.0.1:8080", nil, "")
	var c Catalog
	if code != 200 || json.Unmarshal([]byte(body), &c) != nil || c.Version != version.String() {
		t.Errorf("catalog: %d, version %q, want %q", code, c.Version, version.String())
	}
	if v := pathView(t, h, PathRequest{Run: Run{Scenario: "bz219278"}}); v.Version != version.String() {
		t.Errorf("path view: version %q, want %q", v.Version, version.String())
	}
	_, page := call(t, h, "GET", "/", "127.0.0.1:8080", nil, "")
	_, script := call(t, h, "GET", "/app.js", "127.0.0.1:8080", nil, "")
	if !strings.Contains(page, `<footer id="version">`) || !strings.Contains(script, `$("version").textContent = "delegsim " + c.delegsim_version`) {
		t.Error("the page does not show the version")
	}
}
