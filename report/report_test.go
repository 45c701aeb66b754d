package report

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// small is a report cut down for tests: few trials and small search
// bounds, the same structure.
func small() Options {
	return Options{Scenario: "bz219278", Trials: 10, ExploreStates: 3000, SweepTrials: 30, Vary: "clients.c1.latency=0ms:100ms:50ms",
		CounterexampleStates: 300_000, Version: "test"} // the model of issue 11 needs 255,573 states breadth first
}

var (
	once   sync.Once
	built  *Report
	errRep error
	stages []Stage // what the small report's Build told its Progress
)

func smallReport(t *testing.T) *Report {
	t.Helper()
	once.Do(func() {
		o := small()
		o.Progress = func(s Stage) { stages = append(stages, s) }
		built, errRep = Build(o)
	})
	if errRep != nil {
		t.Fatal(errRep)
	}
	return built
}

// TestReportContents: the report holds what a patch proposal needs: the
// question, every fix with its verdict (kernel policies, application
// changes, configuration), the figures, the safety workload, a drawn
// counterexample for the fix that lets local readers past a delegation,
// and the commands behind the numbers.
func TestReportContents(t *testing.T) {
	r := smallReport(t)
	if !strings.Contains(r.Question, "lsattr l1#1 fails in 100% of 10 runs under today's kernel") {
		t.Errorf("question: %s", r.Question)
	}
	var names []string
	for _, row := range r.Main.Rows {
		names = append(names, row.Name)
	}
	for _, want := range []string{"kernel", "seed-getattr-exempt", "nonblock-wait", "app-retry", "blocking-open", "mount-v4.0", "leases-disabled", "wronly-writer"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("no %s row in %v", want, names)
		}
	}
	if len(r.Safety) != 1 || r.Safety[0].Scenario != DefaultSafety {
		t.Fatalf("safety tables: %d", len(r.Safety))
	}
	var figs []string
	for _, f := range r.Figures {
		figs = append(figs, f.Name)
		if !bytes.Contains(f.SVG, []byte("<svg")) || len(f.PNG) == 0 {
			t.Errorf("figure %s is empty", f.Name)
		}
	}
	if strings.Join(figs, ",") != "fail,latency,stale,cost" {
		t.Errorf("figures %v", figs)
	}
	var ce *Counterexample
	for i, c := range r.Counterexamples {
		if c.Fix == "local-read-exempt" && c.Scenario == DefaultSafety {
			ce = &r.Counterexamples[i]
		}
	}
	if ce == nil || !ce.Shortest || ce.Property != "close-to-open" || ce.Story == nil || !strings.Contains(ce.Mermaid, "sequenceDiagram") ||
		!strings.Contains(ce.Detail, "saw size 0") {
		t.Fatalf("local-read-exempt's counterexample: %+v", ce)
	}
	var cmds []string
	for _, c := range r.Commands {
		cmds = append(cmds, c.Line)
	}
	all := strings.Join(cmds, "\n")
	for _, want := range []string{
		"delegsim compare bz219278 --fixes kernel,seed-getattr-exempt,",
		"delegsim compare open-dirty-local-read --fixes ",
		"delegsim sweep bz219278 --set locals.l1.script.0.at=1s --vary clients.c1.latency=0ms:100ms:50ms --fixes ",
		"delegsim run bz219278 --set clients.c1.version=4.0 --policy kernel --profile linux-6.12 --seed 1",
		"delegsim run bz219278 --policy no-deleg --profile linux-6.12 --seed 1",
		"delegsim explore open-dirty-local-read --policy local-read-exempt --profile linux-6.12 --strategy bfs --max-states 300000 --consistency close-to-open --out counterexample-open-dirty-local-read-local-read-exempt.txt",
		"delegsim explain open-dirty-local-read --policy local-read-exempt --schedule counterexample-open-dirty-local-read-local-read-exempt.txt",
		"delegsim report bz219278 --trials 10 --explore-states 3000 --sweep-trials 30 --vary clients.c1.latency=0ms:100ms:50ms --counterexample-states 300000 --out DIR",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no command %q among\n%s", want, all)
		}
	}
}

// TestRenderings: the Markdown carries the tables, the figure links, the
// Mermaid diagrams and the commands; the page embeds every figure and
// diagram and names the version and profile.
func TestRenderings(t *testing.T) {
	r := smallReport(t)
	var md, page bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Which fix for bz219278?", "delegsim test · kernel profile linux-6.12", "| app-retry | application change |",
		"What each fix breaks:", "![How often each local operation fails", "(figures/fail.png)", "```mermaid\nsequenceDiagram",
		"## Reproduce every number", "```sh\n# this report\ndelegsim report bz219278"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	h := page.String()
	if n := strings.Count(h, `src="data:image/svg&#43;xml;base64,`); n != len(r.Figures) {
		t.Errorf("%d embedded figures, want %d", n, len(r.Figures))
	}
	drawn := 0
	for _, c := range r.Counterexamples {
		if c.Missing == "" {
			drawn++
		}
	}
	if n := strings.Count(h, `<div class="diagram"`); n != drawn || drawn == 0 || strings.Count(h, "<svg") < drawn {
		t.Errorf("%d diagrams, want %d", n, drawn)
	}
	for _, want := range []string{"delegsim test · kernel profile linux-6.12", "Content-Security-Policy", "What each fix breaks",
		`<g class="arrow request"`} {
		if !strings.Contains(h, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestDeterministic: a report depends on its options only.
func TestDeterministic(t *testing.T) {
	o := small()
	o.SweepTrials, o.Safety = -1, []string{}
	var out []string
	for range 2 {
		r, err := Build(o)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		r.WriteHTML(&b)
		r.WriteMarkdown(&b)
		out = append(out, b.String())
	}
	if out[0] != out[1] {
		t.Error("two builds with the same options differ")
	}
}

// TestNoCounterexampleWhenSafe: a report whose fixes are all safe says
// so instead of drawing nothing.
func TestNoCounterexampleWhenSafe(t *testing.T) {
	o := small()
	o.Fixes, o.SweepTrials, o.Safety = []string{"kernel", "mount-v4.0"}, -1, []string{}
	r, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	r.WriteHTML(&b)
	if len(r.Counterexamples) != 0 || !strings.Contains(b.String(), "No fix was found unsafe") || strings.Contains(b.String(), "<img") {
		t.Errorf("%d counterexamples; page without a sweep or counterexample:\n%.500s", len(r.Counterexamples), b.String())
	}
}

// TestProgressStages: Build tells its Progress each stage as it starts,
// then the units done in it, ending each with all of them done where
// their number is known.
func TestProgressStages(t *testing.T) {
	smallReport(t)
	var order []string
	last := map[string]Stage{}
	for _, s := range stages {
		if s.Done == 0 && (len(order) == 0 || order[len(order)-1] != s.Name) {
			order = append(order, s.Name)
		}
		if prev, ok := last[s.Name]; ok && s.Done < prev.Done {
			t.Errorf("%s went back from %d to %d %s", s.Name, prev.Done, s.Done, s.Unit)
		}
		last[s.Name] = s
	}
	if got := strings.Join(order, ", "); got != "compare bz219278, compare open-dirty-local-read, sweep, counterexamples" {
		t.Errorf("stages %q", got)
	}
	for name, s := range last {
		if s.Total > 0 && s.Done != s.Total || s.Total == 0 && s.Done == 0 {
			t.Errorf("%s ended at %d of %d %s", name, s.Done, s.Total, s.Unit)
		}
	}
	if s := last["compare bz219278"]; s.Unit != "rows" || s.Done != len(built.Main.Rows) {
		t.Errorf("compare ended at %d %s, the table has %d rows", s.Done, s.Unit, len(built.Main.Rows))
	}
}

// TestBuildStops: a cancelled context stops Build within the stage
// under way, with an error naming the stage and wrapping the cause, and
// no report.
func TestBuildStops(t *testing.T) {
	cause := errors.New("interrupted by a test")
	for _, stopAt := range []string{"compare bz219278", "sweep", "counterexamples"} {
		t.Run(stopAt, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			o := small()
			o.Context = ctx
			o.Progress = func(s Stage) {
				if s.Name == stopAt {
					cancel(cause)
				}
			}
			r, err := Build(o)
			if r != nil || !errors.Is(err, cause) || !strings.Contains(err.Error(), "stopped during") {
				t.Errorf("Build stopped at %s: report %v, error %v", stopAt, r != nil, err)
			}
		})
	}
}
