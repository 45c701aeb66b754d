package scenarios_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// smallRun bounds the simulated run a fuzzed scenario gets: every input
// must load, build and run without a panic, quickly.
func smallRun(t *testing.T, sc *scenarios.Scenario) {
	steps := 0
	for _, c := range sc.Spec.Clients {
		steps += len(c.Script)
	}
	for _, l := range sc.Spec.Locals {
		steps += len(l.Script)
	}
	r, err := sc.Resolve(scenarios.Options{})
	if err != nil {
		if !errors.Is(err, scenarios.ErrInvalid) {
			t.Fatalf("Resolve: %v does not match ErrInvalid", err)
		}
		return
	}
	if steps > 40 {
		return
	}
	cfg := sc.Config(r, scenarios.Options{})
	cfg.MaxTime = 20e9 // 20 s of simulated time
	res := sim.Run(cfg)
	sc.Check(res, r.Profile.Name, r.Policy.Name())
}

// FuzzLoad: any bytes given as a scenario file are a valid scenario, which
// then resolves, builds and runs, or an error that matches ErrInvalid and
// begins with the file's name; never a panic.
func FuzzLoad(f *testing.F) {
	for _, n := range scenarios.Names() {
		data, err := os.ReadFile(n + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "name: [", "---\n---\n", "name: x\x00", "a: &a [*a]", "version: 1e999",
		"name: t\nversion: 1\nlocals: [{name: l1, script: [{op: cat, file: f, retry: {attempts: 1000}}]}]\nfiles: [{name: f}]\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := scenarios.Parse("f.yaml", data)
		var sc *scenarios.Scenario
		if err == nil {
			sc, err = src.Scenario()
		}
		if err != nil {
			if !errors.Is(err, scenarios.ErrInvalid) || !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error %q: want ErrInvalid naming f.yaml", err)
			}
			return
		}
		smallRun(t, sc)
	})
}

// FuzzSet: any --set override of a built-in scenario is applied and gives
// a valid scenario, or is refused with an error that matches ErrInvalid
// and names the scenario; never a panic.
func FuzzSet(f *testing.F) {
	for _, s := range []string{
		"clients.c1.latency=20ms", "clients.c1.latency=lognormal:3ms,1e308", "clients.0.callback.loss=1.5",
		"locals.l1.script.1.retry={attempts: 3, delay: 100ms}", "policy=nonblock-wait", "server.lease=0s",
		"files=[]", "clients=[]", "clients.c1=7", "locals.l1.script.0.at=-1s", "=", "x", "a.b.c.d=1",
		"clients.c1.script=[{op: write, file: f, bytes: 9223372036854775807}]", "until=1000000h",
		"clients.c1.latency=empirical:", "clients.c1.latency=uniform:5ms..1ms", "expect.0.op=l9#9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, assign string) {
		sc, err := scenarios.Load("bz219278", []string{assign})
		if err != nil {
			if !errors.Is(err, scenarios.ErrInvalid) || !strings.HasPrefix(err.Error(), "scenarios/bz219278.yaml") {
				t.Fatalf("--set %q: error %q: want ErrInvalid naming the scenario", assign, err)
			}
			return
		}
		smallRun(t, sc)
	})
}
