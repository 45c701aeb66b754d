package explore

import (
	"fmt"
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// DefaultQuantile is the quantile of a distribution that bounds a delay
// drawn from it when the distribution has no maximum (normal, log-normal,
// exponential): a message is taken to arrive within the sum of these
// bounds of its sender's processing, its link's latency and its
// receiver's processing.
const DefaultQuantile = 0.999

// DefaultMaxTime is the time after which no timer fires, as in sim when a
// run sets no MaxTime.
const DefaultMaxTime = time.Hour

// ModelOptions tune how a run is turned into a Model.
type ModelOptions struct {
	// MaxDelay, if positive, bounds the time from sending to delivery of
	// every message, instead of the bounds derived from the scenario's
	// distributions.
	MaxDelay model.Time
	// Quantile bounds unbounded distributions (default DefaultQuantile).
	Quantile float64
	// MinDelay keeps every message from arriving before the lower bounds
	// of its delays (its ready time): a fixed 50 ms link is then 50 ms,
	// not anything up to 50 ms. Without it every message may arrive as
	// soon as it is sent: a coarser model, with every behaviour of the
	// exact one and more (stale reads no run with the scenario's delays
	// can show: the kernel on open-dirty-local-read, issue 16), whose
	// space is smaller when delays vary widely (bz219278 with three
	// clients: 19.7 million states, against more than 100 million) and far
	// larger when they are fixed (open-dirty-local-read: more than 10
	// million against 40,448). delegsim explore, compare, report and
	// serve (and so the Cursors serve drives) set it; the zero value keeps
	// the coarser model for the callers written for it.
	MinDelay bool
}

// Channel is one FIFO connection. Each client has four (fore channel up
// and down, callback channel down and up) and each local process two
// (its system calls and their answers).
type Channel struct {
	From, To model.ActorID
	Kind     model.Channel
	// Lossy: the link's loss probability is positive, so the explorer
	// may drop any message on it.
	Lossy bool

	client     int // index in Model.net, for client channels
	partitions []sim.Window
	// Delay bounds: processing before the link, then latency; a
	// DELEGRETURN also waits for the client's reaction before the link
	// and the server's extra processing after it. The upper bounds make a
	// message's due time, the lower ones (…Lo) its ready time.
	proc, lat, drReact, drServer         model.Time
	procLo, latLo, drReactLo, drServerLo model.Time
	// drReplyLo bounds nfsd's time to DELEGRETURN's reply from below
	// (sim's DelegReturnReply, shorter than other replies' RPC time).
	drReplyLo model.Time
}

// Model is one run of a scenario prepared for exploration: the actors in
// their initial state and the network's rules. It is immutable and may be
// explored many times.
type Model struct {
	// Names are the actors' names, indexed by model.ActorID.
	Names []string
	// Channels lists the connections, clients' first.
	Channels []Channel
	// Until and MaxTime are sim.Config's: a run may end once quiet after
	// Until, and no timer fires after MaxTime.
	Until, MaxTime model.Time
	// Init is every file's initial content, for the consistency check.
	Init map[string]checker.Value
	// Files names the server's files, by model.FileID.
	Files []string
	// Provenance, recorded in schedules: the scenario, policy, profile and
	// seed the actors were built with, the --set overrides and the delay
	// bound option.
	Scenario, Policy, Profile string
	Seed                      uint64
	Sets                      []string
	MaxDelay                  model.Time // 0: bounds from the scenario

	actors   []model.Actor // before InStart
	clients  int
	minDelay bool         // ModelOptions.MinDelay
	crashes  []model.Time // per client; -1: none
}

// New prepares a built run for exploration. The actors of cfg are cloned,
// never stepped.
func New(cfg sim.Config, o ModelOptions) (*Model, error) {
	if len(cfg.Actors) == 0 {
		return nil, fmt.Errorf("explore: a run needs at least the server")
	}
	srv, ok := cfg.Actors[0].(*model.Server)
	if !ok {
		return nil, fmt.Errorf("explore: actor 0 is a %T, not the server", cfg.Actors[0])
	}
	if len(cfg.Names) != len(cfg.Actors) {
		return nil, fmt.Errorf("explore: %d names for %d actors", len(cfg.Names), len(cfg.Actors))
	}
	q := o.Quantile
	if q <= 0 || q >= 1 {
		q = DefaultQuantile
	}
	m := &Model{Names: cfg.Names, Until: cfg.Until, MaxTime: cfg.MaxTime, MaxDelay: o.MaxDelay,
		clients: len(cfg.Clients), minDelay: o.MinDelay, Init: map[string]checker.Value{}}
	if m.MaxTime == 0 {
		m.MaxTime = DefaultMaxTime
	}
	for _, f := range srv.Files() {
		m.Files = append(m.Files, f.Name)
		m.Init[f.Name] = checker.Value{Size: f.Size, Data: f.Data}
	}
	for i, a := range cfg.Actors {
		if _, ok := a.(snapshotter); !ok {
			return nil, fmt.Errorf("explore: actor %s (a %T) has no AppendSnapshot", cfg.Names[i], a)
		}
		m.actors = append(m.actors, a.Clone())
	}
	up := func(d sim.Dist) model.Time { return upper(d, q) }
	lo := func(d sim.Dist) model.Time { return lower(d, q) }
	for i, cn := range cfg.Clients {
		id := model.ActorID(1 + i)
		fore, cb := cn.Fore, cn.Callback
		// The order matches channelIndex: fore up, fore down, callback
		// down, callback up. Processing bounds mirror sim's send: the
		// server's RPC time on replies, its callback queue on callbacks,
		// the client's reaction on callback replies and DELEGRETURN.
		m.Channels = append(m.Channels,
			Channel{From: id, To: model.ServerID, Kind: model.ChanFore, Lossy: fore.Loss > 0, client: i,
				partitions: fore.Partitions, lat: up(fore.Latency), latLo: lo(fore.Latency),
				drReact: up(cn.Reaction), drReactLo: lo(cn.Reaction),
				drServer: up(cfg.Server.DelegReturn) + up(cfg.Server.Setattr), drServerLo: lo(cfg.Server.DelegReturn)}, // Setattr only with FlagSetattrTimes
			Channel{From: model.ServerID, To: id, Kind: model.ChanFore, Lossy: fore.Loss > 0, client: i,
				partitions: fore.Partitions, lat: up(fore.Latency), latLo: lo(fore.Latency),
				proc: up(cfg.Server.RPC), procLo: lo(cfg.Server.RPC), drReplyLo: min(lo(cfg.Server.RPC), lo(cfg.Server.DelegReturnReply))},
			Channel{From: model.ServerID, To: id, Kind: model.ChanCallback, Lossy: cb.Loss > 0, client: i,
				partitions: cb.Partitions, lat: up(cb.Latency), latLo: lo(cb.Latency),
				proc: up(cfg.Server.CBQueue), procLo: lo(cfg.Server.CBQueue)},
			Channel{From: id, To: model.ServerID, Kind: model.ChanCallback, Lossy: cb.Loss > 0, client: i,
				partitions: cb.Partitions, lat: up(cb.Latency), latLo: lo(cb.Latency),
				proc: up(cn.Reaction), procLo: lo(cn.Reaction)})
		crash := model.Time(-1)
		if cn.HasCrash {
			crash = cn.CrashAt
		}
		m.crashes = append(m.crashes, crash)
	}
	for id := 1 + len(cfg.Clients); id < len(cfg.Actors); id++ {
		m.Channels = append(m.Channels,
			Channel{From: model.ActorID(id), To: model.ServerID, Kind: model.ChanLocal},
			Channel{From: model.ServerID, To: model.ActorID(id), Kind: model.ChanLocal,
				proc: up(cfg.Server.Syscall), procLo: lo(cfg.Server.Syscall)})
	}
	return m, nil
}

// FromScenario builds the run a scenario describes under o (profile,
// policy, seed) and prepares it for exploration. Start-up times and
// renewd phases are drawn from the seed as for a simulated run; every
// other delay only bounds when a message may arrive.
func FromScenario(sc *scenarios.Scenario, o scenarios.Options, mo ModelOptions) (*Model, scenarios.Resolved, error) {
	r, err := sc.Resolve(o)
	if err != nil {
		return nil, r, err
	}
	o.Trace, o.Observe = false, nil
	m, err := New(sc.Config(r, o), mo)
	if err != nil {
		return nil, r, fmt.Errorf("scenario %s: %w", sc.Name(), err)
	}
	m.Scenario, m.Policy, m.Profile, m.Seed = sc.Name(), r.Policy.Name(), r.Profile.Name, r.Seed
	return m, r, nil
}

// Clients returns the number of NFS clients; actors 1..Clients() are
// clients, the rest after them local processes.
func (m *Model) Clients() int { return m.clients }

// ChannelName names channel i as schedules do: "c1->server fore".
func (m *Model) ChannelName(i int) string {
	c := m.Channels[i]
	return fmt.Sprintf("%s->%s %s", m.Names[c.From], m.Names[c.To], c.Kind)
}

// channelIndex returns the channel a message travels on.
func (m *Model) channelIndex(msg *model.Message) int {
	if msg.Kind.Channel() == model.ChanLocal {
		if msg.From == model.ServerID {
			return 4*m.clients + 2*(int(msg.To)-1-m.clients) + 1
		}
		return 4*m.clients + 2*(int(msg.From)-1-m.clients)
	}
	if msg.From == model.ServerID {
		base := 4 * (int(msg.To) - 1)
		if msg.Kind.Channel() == model.ChanFore {
			return base + 1
		}
		return base + 2
	}
	base := 4 * (int(msg.From) - 1)
	if msg.Kind.Channel() == model.ChanFore {
		return base
	}
	return base + 3
}

// due returns the latest time a message sent now on channel c arrives, and
// false if a partition that never heals swallows it. A message sent
// inside a partition window is held until the window ends, as sim does.
func (m *Model) due(c *Channel, now model.Time, msg *model.Message) (model.Time, bool) {
	if m.MaxDelay > 0 {
		t, ok := heldUntil(c.partitions, now)
		if !ok {
			return 0, false
		}
		return t + m.MaxDelay, true
	}
	proc, extra := c.proc, model.Time(0)
	if msg.Kind == model.MsgDelegReturn && !msg.Reply {
		proc, extra = proc+c.drReact, c.drServer
	}
	t, ok := heldUntil(c.partitions, now+proc)
	if !ok {
		return 0, false
	}
	return t + c.lat + extra, true
}

// ready returns the earliest time a message sent now on channel c can
// arrive: as due, with the lower bounds of the delays. A fixed latency of
// 50 ms is a window of one instant, not [0, 50 ms]: a CB_RECALL round
// trip over it cannot take 0 ms. heldUntil is monotone, so ready never
// exceeds due.
func (m *Model) ready(c *Channel, now model.Time, msg *model.Message) model.Time {
	if m.MaxDelay > 0 || !m.minDelay {
		t, _ := heldUntil(c.partitions, now)
		return t
	}
	proc, extra := c.procLo, model.Time(0)
	switch {
	case msg.Kind == model.MsgDelegReturn && !msg.Reply:
		proc, extra = proc+c.drReactLo, c.drServerLo
	case msg.Kind == model.MsgDelegReturn && c.From == model.ServerID:
		proc = c.drReplyLo
	}
	t, _ := heldUntil(c.partitions, now+proc)
	return t + c.latLo + extra
}

// heldUntil is sim.Link's rule: a message sent at t inside a partition
// window leaves when the window ends, or never.
func heldUntil(ws []sim.Window, t model.Time) (model.Time, bool) {
	for _, w := range ws {
		if t >= w.From && (w.Forever || t < w.To) {
			if w.Forever {
				return 0, false
			}
			t = w.To
		}
	}
	return t, true
}
