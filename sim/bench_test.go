package sim_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// longScenario returns a scenario in which two clients repeatedly write
// files a local process keeps reading with lsattr and cat: thousands of
// grants, recalls, EAGAINs and returns per run. A round is three steps of
// each client's script and two of the local's, so rounds is at most
// scenarios.MaxSteps/3.
func longScenario(b testing.TB, rounds int) *scenarios.Scenario {
	var y strings.Builder
	y.WriteString("name: long\nversion: 1\nfiles: [{name: f}, {name: g}]\nclients:\n")
	for _, c := range []struct{ name, file string }{{"c1", "f"}, {"c2", "g"}} {
		fmt.Fprintf(&y, "  - name: %s\n    latency: lognormal:1ms,0.3\n    script:\n", c.name)
		for i := 0; i < rounds; i++ {
			fmt.Fprintf(&y, "      - {after: 200ms, op: open, file: %s, flags: [O_CREAT, O_RDWR]}\n", c.file)
			fmt.Fprintf(&y, "      - {op: write, file: %s, bytes: 4096}\n", c.file)
			fmt.Fprintf(&y, "      - {op: close, file: %s}\n", c.file)
		}
	}
	y.WriteString("locals:\n  - name: l1\n    script:\n")
	for i := 0; i < rounds; i++ {
		y.WriteString("      - {after: 50ms, op: lsattr, file: f, startup: 10ms}\n")
		y.WriteString("      - {after: 50ms, op: cat, file: g, startup: 10ms}\n")
	}
	src, err := scenarios.Parse("long.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	sc, err := src.Scenario()
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

// BenchmarkEngineEvents measures the simulator's event rate on a long run
// (the longest scripts a scenario may have: 66 s of virtual time), where
// per-run set-up no longer matters: events/s is the figure the core issue
// asks for.
func BenchmarkEngineEvents(b *testing.B) {
	sc := longScenario(b, scenarios.MaxSteps/3)
	r, err := sc.Resolve(scenarios.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var runner sim.Runner
	events := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Seed = uint64(i)
		res := runner.Run(sc.Config(r, scenarios.Options{}))
		events += res.Steps
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}

// The hold model: a fixed population of messages, each, when it arrives,
// sending the next one after a random delay, so that the event queue
// keeps its size. Through the engine it is holdPairs clients each
// bouncing one request off the server over a fore channel with a
// log-normal latency (the server answers after a fixed RPC time); the
// reference is the same work written as the smallest loop there is: a
// binary heap of (time, sequence, client, direction), the same latency
// distribution and random streams, FIFO per direction. The engine's event
// rate as a fraction of the reference's, measured in the same run, is
// what the simulator's per-event overheads cost.
const (
	holdPairs = 16
	holdUntil = 10 * time.Second
)

var holdLatency = sim.MustDist("lognormal:1ms,0.3")

// holdActor answers every request with a reply and every reply with the
// next request: one message in flight per client at all times.
type holdActor struct{ id model.ActorID }

func (h *holdActor) Step(now model.Time, in *model.Input, out *model.Output) {
	switch {
	case in.Kind == model.InStart && h.id != model.ServerID:
		out.Msgs = append(out.Msgs, model.Message{Kind: model.MsgGetattr, From: h.id, To: model.ServerID})
	case in.Kind == model.InDeliver && h.id == model.ServerID:
		out.Msgs = append(out.Msgs, model.Message{Kind: model.MsgGetattr, Reply: true, From: model.ServerID, To: in.Msg.From, XID: in.Msg.XID})
	case in.Kind == model.InDeliver:
		out.Msgs = append(out.Msgs, model.Message{Kind: model.MsgGetattr, From: h.id, To: model.ServerID, XID: in.Msg.XID + 1})
	}
}

func (h *holdActor) Clone() model.Actor          { c := *h; return &c }
func (h *holdActor) AppendState(b []byte) []byte { return b }

func holdConfig(seed uint64) sim.Config {
	cfg := sim.Config{Seed: seed, MaxTime: holdUntil, Server: sim.ServerTiming{RPC: sim.Fixed(100 * time.Microsecond)},
		Actors: []model.Actor{&holdActor{id: model.ServerID}}, Names: []string{"server"}}
	for i := range holdPairs {
		cfg.Actors = append(cfg.Actors, &holdActor{id: model.ActorID(1 + i)})
		cfg.Names = append(cfg.Names, fmt.Sprintf("c%d", i+1))
		cfg.Clients = append(cfg.Clients, sim.ClientNet{Fore: sim.Link{Latency: holdLatency}})
	}
	return cfg
}

// holdEvent is an entry of the reference loop's heap.
type holdEvent struct {
	at     model.Time
	seq    uint64
	client int32
	up     bool // a request travelling to the server
}

func (a holdEvent) before(b holdEvent) bool { return a.at < b.at || (a.at == b.at && a.seq < b.seq) }

// holdReference runs the hold model as the minimal loop and returns the
// number of events.
func holdReference(seed uint64) int {
	st := sim.NewStreams(seed)
	type link struct {
		r    *rand.Rand
		last model.Time
	}
	up, down := make([]link, holdPairs), make([]link, holdPairs)
	for i := range holdPairs {
		up[i].r = st.Get(fmt.Sprintf("c%d/fore/up", i+1))
		down[i].r = st.Get(fmt.Sprintf("c%d/fore/down", i+1))
	}
	var h []holdEvent
	var seq uint64
	push := func(ev holdEvent) {
		ev.seq = seq
		seq++
		h = append(h, ev)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !h[i].before(h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
	}
	pop := func() holdEvent {
		top := h[0]
		n := len(h) - 1
		h[0] = h[n]
		h = h[:n]
		for i := 0; ; {
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && h[c+1].before(h[c]) {
				c++
			}
			if !h[c].before(h[i]) {
				break
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
		return top
	}
	send := func(now model.Time, l *link, client int32, toServer bool, proc model.Time) {
		at := max(now+proc+holdLatency.Sample(l.r), l.last)
		l.last = at
		push(holdEvent{at: at, client: client, up: toServer})
	}
	for i := range holdPairs {
		send(0, &up[i], int32(i), true, 0)
	}
	events := holdPairs + 1 // the engine's start steps
	for len(h) > 0 && h[0].at <= holdUntil {
		ev := pop()
		events++
		if ev.up {
			send(ev.at, &down[ev.client], ev.client, false, 100*time.Microsecond)
		} else {
			send(ev.at, &up[ev.client], ev.client, true, 0)
		}
	}
	return events
}

// BenchmarkEngineHold runs the hold model through the engine and through
// the reference loop, alternately, and reports both event rates, per
// second of the benchmark thread's CPU time, and their ratio
// (engine/ref: the closer to 1 the better).
func BenchmarkEngineHold(b *testing.B) {
	defer lockThread()()
	var runner sim.Runner
	var engineEvents, refEvents int
	var engineTime, refTime time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cfg := holdConfig(uint64(i))
		t0 := threadCPU()
		res := runner.Run(cfg)
		t1 := threadCPU()
		n := holdReference(uint64(i))
		t2 := threadCPU()
		engineEvents += res.Steps
		refEvents += n
		engineTime += t1 - t0
		refTime += t2 - t1
		if res.Steps != n {
			b.Fatalf("engine %d events, reference %d", res.Steps, n)
		}
	}
	er, rr := float64(engineEvents)/engineTime.Seconds(), float64(refEvents)/refTime.Seconds()
	b.ReportMetric(er, "events/s")
	b.ReportMetric(rr, "ref-events/s")
	b.ReportMetric(er/rr, "engine/ref")
}

// BenchmarkQueueThreshold runs the hold model and the long scenario with
// the event queue turning into a heap past each threshold, to choose
// sortedMax (events per second of CPU time; callgrind's instruction
// counts are the steadier measure on a shared machine).
func BenchmarkQueueThreshold(b *testing.B) {
	sc := longScenario(b, 200)
	r, err := sc.Resolve(scenarios.Options{})
	if err != nil {
		b.Fatal(err)
	}
	workloads := []struct {
		name string
		cfg  func(seed uint64) sim.Config
	}{
		{"hold", holdConfig},
		{"long", func(seed uint64) sim.Config { r.Seed = seed; return sc.Config(r, scenarios.Options{}) }},
	}
	for _, w := range workloads {
		for _, n := range []int{0, 8, 16, 32, 128} {
			b.Run(fmt.Sprintf("%s/%d", w.name, n), func(b *testing.B) {
				defer func(old int) { *sim.SortedMax = old }(*sim.SortedMax)
				*sim.SortedMax = n
				defer lockThread()()
				var runner sim.Runner
				events := 0
				var cpu time.Duration
				for i := 0; b.Loop(); i++ {
					t0 := threadCPU()
					events += runner.Run(w.cfg(uint64(i))).Steps
					cpu += threadCPU() - t0
				}
				b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
			})
		}
	}
}
