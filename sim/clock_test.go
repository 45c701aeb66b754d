package sim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// TestClockNeverRunsBackwards is issue 16's reproduction: with a latency
// of lognormal:3ms,1e308 (now refused by ParseDist, handed to the engine
// here directly) a message sent at 142.5 ms "arrived" at 0 ms, because the
// draw overflowed model.Time. Draws are clamped to sim.MaxDelay, so every
// message arrives after it was sent and the steps' times never decrease.
func TestClockNeverRunsBackwards(t *testing.T) {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sc.Resolve(scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"lognormal:3ms,1e308", "lognormal:3ms,30", "exponential:1000000h", "normal:1ms,2000000h"} {
		cfg := sc.Config(r, scenarios.Options{Trace: true})
		huge := sim.UncheckedDist(spec)
		for i := range cfg.Clients {
			cfg.Clients[i].Fore.Latency, cfg.Clients[i].Callback.Latency = huge, huge
		}
		res := sim.Run(cfg)
		for _, m := range res.Messages {
			if !m.Dropped && m.Arrives < m.Sent {
				t.Errorf("%s: %v sent at %v arrives at %v", spec, m.Msg.Kind, m.Sent, m.Arrives)
			}
		}
		for i := 1; i < len(res.StepRecords); i++ {
			if res.StepRecords[i].At < res.StepRecords[i-1].At {
				t.Fatalf("%s: step %d at %v after step %d at %v", spec, i, res.StepRecords[i].At, i-1, res.StepRecords[i-1].At)
			}
		}
	}
}

// TestScenarioRefusesOverflowingDelays: the same parameters in a scenario
// are bad input, with the field and the allowed range named.
func TestScenarioRefusesOverflowingDelays(t *testing.T) {
	_, err := scenarios.Load("bz219278", []string{"clients.c1.latency=lognormal:3ms,1e308"})
	want := fmt.Sprintf("clients[0].latency: lognormal:3ms,1e+308 can draw delays beyond %v (allowed: 0 to %v)", sim.MaxDelay, sim.MaxDelay)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one with %q", err, want)
	}
}
