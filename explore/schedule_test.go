package explore_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// TestScheduleRoundTrip: a counterexample's schedule survives its text
// form, and replaying the parsed schedule gives the counterexample's
// history and the trace a person reads.
func TestScheduleRoundTrip(t *testing.T) {
	m := loadModel(t, "testdata/stale-local-read.yaml", "local-read-exempt", nil)
	rep := explore.Explore(m, explore.Options{})
	if !rep.Violated() {
		t.Fatal("no counterexample")
	}
	text := rep.Counterexample.Schedule.String()
	sch, err := explore.ParseSchedule("cx.sched", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if sch.Scenario != "stale-local-read" || sch.Policy != "local-read-exempt" || sch.Profile != "linux-6.12" || sch.Seed != 1 {
		t.Fatalf("header %+v", sch)
	}
	if len(sch.Steps) != len(rep.Counterexample.Schedule.Steps) {
		t.Fatalf("%d steps parsed, %d written", len(sch.Steps), len(rep.Counterexample.Schedule.Steps))
	}
	res, err := explore.Replay(m, sch, explore.ReplayOptions{Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, op := range res.Ops {
		got = append(got, op.String())
	}
	for _, op := range rep.Counterexample.Ops {
		want = append(want, op.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("replayed history:\n%s\ncounterexample:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	trace := res.TraceText()
	for _, line := range []string{
		"101.000ms server  recv open xid=1 file=f access=R <- l1",
		"101.000ms server  recv WRITE xid=3 file=f size=4096",
		"l1#1 cat f [101.000ms, 101.000ms] ok bytes=0 data=0",
	} {
		if !strings.Contains(trace, line) {
			t.Errorf("trace lacks %q:\n%s", line, trace)
		}
	}
	if res.Sent[model.MsgWrite] != 1 || len(res.Unfinished) != 0 {
		t.Errorf("sent %d WRITEs, unfinished %v", res.Sent[model.MsgWrite], res.Unfinished)
	}
}

// TestParseScheduleErrors: bad schedule files are refused with the line
// and what is wrong, as bad input.
func TestParseScheduleErrors(t *testing.T) {
	head := "scenario s\npolicy kernel\nprofile linux-6.12\nseed 1\n"
	tests := []struct {
		name, text, want string
	}{
		{"unknown line", head + "jump c1\n", "cx:5: unknown line \"jump\""},
		{"missing header", "policy kernel\nprofile linux-6.12\nseed 1\n", "missing header line \"scenario\""},
		{"header after steps", head + "wait\nseed 2\n", "cx:6: header line \"seed\" after the first step"},
		{"header twice", head + "policy kernel\n", "cx:5: policy given twice"},
		{"bad seed", "scenario s\npolicy kernel\nprofile p\nseed -1\n", "cx:4: seed \"-1\" is not a non-negative integer"},
		{"bad delay", head + "max-delay soon\n", "cx:5: max-delay \"soon\" is not a positive duration"},
		{"deliver without channel", head + "deliver c1\n", "cx:5: deliver takes FROM->TO CHANNEL"},
		{"timer without kind", head + "timer c1 script\n", "cx:5: timer takes ACTOR KIND/ARG"},
		{"bad set", head + "set nothing\n", "cx:5: set takes one KEY=VALUE override"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := explore.ParseSchedule("cx", []byte(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if !errors.Is(err, scenarios.ErrInvalid) {
				t.Errorf("%v is not bad input", err)
			}
		})
	}
}

// TestReplayErrors: a schedule that does not fit the run is refused at
// the step that does not fit.
func TestReplayErrors(t *testing.T) {
	m := loadModel(t, "bz219278", "kernel", nil)
	head := "scenario bz219278\npolicy kernel\nprofile linux-6.12\nseed 1\n"
	tests := []struct {
		name, steps, want string
	}{
		{"timer before its turn", "timer l1 script/0\n", "cx:5: \"timer l1 script/0\" is not enabled at 0.000ms (enabled: timer c1 script/0)"},
		{"empty channel", "timer c1 script/0\ndeliver server->c1 fore\n", "cx:6: \"deliver server->c1 fore\" is not enabled"},
		{"unknown actor", "timer c9 script/0\n", "cx:5: no actor \"c9\""},
		{"unknown channel", "deliver c1->l1 fore\n", "cx:5: no channel \"c1->l1 fore\""},
		{"unknown timer", "timer c1 alarm/0\n", "cx:5: unknown timer kind \"alarm\""},
		{"lossless link", "timer c1 script/0\nlose c1->server fore\n", "cx:6: \"lose c1->server fore\" is not enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sch, err := explore.ParseSchedule("cx", []byte(head+tt.steps))
			if err != nil {
				t.Fatal(err)
			}
			_, err = explore.Replay(m, sch, explore.ReplayOptions{File: "cx"})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, scenarios.ErrInvalid) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestReplayFile: a schedule file carries its run's policy, profile and
// seed; flags that contradict them are refused.
func TestReplayFile(t *testing.T) {
	m := loadModel(t, "testdata/stale-local-read.yaml", "local-read-exempt", nil)
	rep := explore.Explore(m, explore.Options{})
	path := filepath.Join(t.TempDir(), "cx.sched")
	if err := os.WriteFile(path, []byte(rep.Counterexample.Schedule.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load("testdata/stale-local-read.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, r, err := explore.ReplayFile(sc, scenarios.Options{}, nil, path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Policy.Name() != "local-read-exempt" || len(res.Ops) != 6 {
		t.Fatalf("policy %s, %d ops", r.Policy.Name(), len(res.Ops))
	}
	tests := []struct {
		o    scenarios.Options
		sets []string
		want string
	}{
		{scenarios.Options{Policy: "kernel"}, nil, "recorded with policy local-read-exempt, this run uses policy kernel"},
		{scenarios.Options{Seed: 7, HasSeed: true}, nil, "recorded with seed 1, this run uses seed 7"},
		{scenarios.Options{}, []string{"seed=2"}, "recorded with overrides [], this run has [seed=2]"},
	}
	for _, tt := range tests {
		if _, _, err := explore.ReplayFile(sc, tt.o, tt.sets, path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.o, err, tt.want)
		}
	}
	other, _ := scenarios.Load("bz219278", nil)
	if _, _, err := explore.ReplayFile(other, scenarios.Options{}, nil, path); err == nil ||
		!strings.Contains(err.Error(), "recorded for scenario stale-local-read, not bz219278") {
		t.Errorf("other scenario: %v", err)
	}
}
