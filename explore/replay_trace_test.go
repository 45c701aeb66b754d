package explore_test

import (
	"testing"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
)

// TestReplayStructuredTrace: a replay with Trace records the run as sim
// does, step by step, so that package explain can narrate a
// counterexample. Every delivered message names the step that sent it and
// the step that received it, that step was driven by that very message,
// and Observe is called once per actor step.
func TestReplayStructuredTrace(t *testing.T) {
	m := loadModel(t, "testdata/stale-local-read.yaml", "local-read-exempt", nil)
	rep := explore.Explore(m, explore.Options{})
	if !rep.Violated() {
		t.Fatal("no counterexample to replay")
	}
	observed := 0
	res, err := explore.Replay(m, rep.Counterexample.Schedule, explore.ReplayOptions{Trace: true,
		Observe: func(model.Time, []model.Actor) { observed++ }})
	if err != nil {
		t.Fatal(err)
	}
	if observed != len(res.StepRecords) || observed == 0 {
		t.Errorf("Observe called %d times for %d actor steps", observed, len(res.StepRecords))
	}
	delivered := 0
	for i, mr := range res.Messages {
		if mr.Step < 0 || mr.Step >= len(res.StepRecords) {
			t.Fatalf("message %d (%s): sending step %d out of range", i, mr.Msg, mr.Step)
		}
		if s := res.StepRecords[mr.Step].Msgs; i < s.From || i >= s.To {
			t.Errorf("message %d (%s) is not in its sending step's span %v", i, mr.Msg, s)
		}
		if mr.Recv < 0 {
			continue
		}
		delivered++
		in := res.StepRecords[mr.Recv].Input
		if in.Kind != model.InDeliver || in.Msg != mr.Msg || mr.Arrives < mr.Sent || mr.Arrives != res.StepRecords[mr.Recv].At {
			t.Errorf("message %d (%s) received by step %d, which took %v at %v", i, mr.Msg, mr.Recv, in.Kind, res.StepRecords[mr.Recv].At)
		}
	}
	deliveries := 0
	for _, st := range rep.Counterexample.Schedule.Steps {
		if len(st.Text) > 8 && st.Text[:8] == "deliver " {
			deliveries++
		}
	}
	if delivered != deliveries {
		t.Errorf("%d messages received, the schedule delivers %d", delivered, deliveries)
	}
	for _, sr := range res.StepRecords {
		if sr.Ops.To > len(res.Ops) || sr.Events.To > len(res.Events) {
			t.Fatalf("step spans %v %v beyond %d ops, %d events", sr.Ops, sr.Events, len(res.Ops), len(res.Events))
		}
	}
}
