package scenarios

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// Timing holds a kernel's processing times, the defaults a scenario
// overrides. They are medians calibrated from the timings measured at zero
// added delay in facts.md, with log-normal spread:
//   - CBQueue, Reaction, DelegReturn: CB_RECALL reaches the client +2.9 ms
//     after the lease break on 6.12 (+4.8 ms on 7.2), the client sends
//     DELEGRETURN ~0.6 ms (0.8 ms) later, the lease is gone +5.0 ms
//     (+15.1 ms).
//   - RPC, from a request's arrival to its reply: ~10 ms on the emulated
//     test machines. Two measurements agree on it: another client's
//     GETATTR answered through CB_GETATTR in ~15 ms (3.5 ms of callback +
//     the reply), and a second client's OPEN retried ≈110 ms after it was
//     sent (100 ms back-off + the NFS4ERR_DELAY reply), ≈140 ms in all.
//     State changes take effect on arrival; only the reply waits.
//   - DELEGRETURN is split where nfsd spends it (sim.ServerTiming): the
//     compound's work before generic_delete_lease (DelegReturn, 1.5 ms:
//     the lease is gone 1.5 ms after the client sent DELEGRETURN at zero
//     delay on 6.12), the SETATTR of delegated times that 7.2 clients
//     put in the compound (Setattr: 7.2's lease goes 9.5 ms after the
//     DELEGRETURN, 8 ms more than 6.12's), and the reply after the
//     removal (DelegReturnReply, 1.1 ms: the median, over the eight 6.12
//     captures, from the lease removal to the client's
//     nfs4_delegreturn_exit).
type Timing struct {
	RPC, CBQueue, DelegReturn, Setattr, DelegReturnReply, Reaction sim.Dist
}

var (
	timing612 = Timing{RPC: sim.MustDist("lognormal:10ms,0.4"), CBQueue: sim.MustDist("lognormal:2.9ms,0.3"),
		DelegReturn: sim.MustDist("lognormal:1.5ms,0.5"), Setattr: sim.MustDist("lognormal:8ms,0.5"),
		DelegReturnReply: sim.MustDist("lognormal:1.1ms,0.6"), Reaction: sim.MustDist("lognormal:600us,0.3")}
	timing72 = Timing{RPC: sim.MustDist("lognormal:10ms,0.4"), CBQueue: sim.MustDist("lognormal:4.8ms,0.3"),
		DelegReturn: sim.MustDist("lognormal:1.5ms,0.5"), Setattr: sim.MustDist("lognormal:8ms,0.5"),
		DelegReturnReply: sim.MustDist("lognormal:1.1ms,0.6"), Reaction: sim.MustDist("lognormal:800us,0.3")}
)

// TimingFor returns the default processing times of a profile: 6.6–6.16
// use the 6.12 measurements, 6.17+ the 7.2 ones.
func TimingFor(p model.Profile) Timing {
	if p.WriteDelegWronly {
		return timing72
	}
	return timing612
}

// DefaultStartup is how long a freshly started command (lsattr, cat, stat,
// chmod...) takes to reach its system call: 40–120 ms, median ~64 ms on
// the emulated test machines (facts.md).
var DefaultStartup = sim.MustDist("lognormal:64ms,0.3")

// Options choose what the command line may override.
type Options struct {
	Profile string // "" = the scenario's, else linux-6.12
	Policy  string // "" = the scenario's, else kernel
	Seed    uint64
	HasSeed bool // Seed given (else the scenario's, else 1)
	Trace   bool
	Observe func(now model.Time, actors []model.Actor)

	// PolicyValue, if set, is used instead of a named policy: a user's own
	// model.Policy. It takes precedence over Policy and the scenario's.
	PolicyValue model.Policy
}

// Resolved is what a run actually used.
type Resolved struct {
	Profile model.Profile
	Policy  model.Policy
	Seed    uint64
}

// Resolve picks profile, policy and seed from options and scenario.
func (sc *Scenario) Resolve(o Options) (Resolved, error) {
	s := &sc.Spec
	pname := firstNonEmpty(o.Profile, s.Profile, model.DefaultProfile)
	prof, err := model.LookupProfile(pname)
	if err != nil {
		return Resolved{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	opts := model.PolicyOptions{NonblockWait: s.PolicyOpts.NonblockWait.T(), GetattrWait: s.PolicyOpts.GetattrWait.T()}
	pol := o.PolicyValue
	if pol == nil {
		pol, err = model.LookupPolicy(firstNonEmpty(o.Policy, s.Policy, "kernel"), opts)
		if err != nil {
			return Resolved{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	seed := uint64(1)
	switch {
	case o.HasSeed:
		seed = o.Seed
	case s.Seed != 0:
		seed = s.Seed
	}
	return Resolved{Profile: prof, Policy: pol, Seed: seed}, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func orDist(d *sim.Dist, def sim.Dist) sim.Dist {
	if d != nil {
		return *d
	}
	return def
}

// compiled is the part of a run that does not depend on the seed,
// profile or policy: built once per Scenario and shared by every run
// (actors never modify their configuration).
type compiled struct {
	files   []string
	fspecs  []model.FileSpec
	minors  []int
	scripts [][]model.ClientStep
	answers [][]model.RecallAnswer // per client: scripted CB_RECALL answers
	locals  [][]model.LocalStep    // Startup left empty: drawn per run
	startup [][]sim.Dist           // per local, per step
	names   []string               // server, clients, locals
	// fixed holds, for a local whose start-up times are all fixed, its
	// script with them filled in: the same in every run, so shared.
	fixed [][]model.LocalStep
}

func (sc *Scenario) compile() *compiled {
	sc.once.Do(func() {
		s := &sc.Spec
		c := &compiled{names: []string{"server"}}
		fileIDs := map[string]model.FileID{}
		for i, f := range s.Files {
			fileIDs[f.Name] = model.FileID(i)
			c.files = append(c.files, f.Name)
			c.fspecs = append(c.fspecs, model.FileSpec{Name: f.Name, Exists: f.Exists, Size: f.Size,
				Aliased: f.Aliased, Setuid: f.Setuid, Dir: f.Dir})
		}
		for _, cl := range s.Clients {
			minor := 2
			if cl.Version != "" {
				minor = versions[cl.Version]
			}
			c.minors = append(c.minors, minor)
			c.names = append(c.names, cl.Name)
			var script []model.ClientStep
			owners := map[string]uint8{"": 0}
			for _, stp := range cl.Script {
				k, _ := model.ParseOpKind(stp.Op)
				cs := model.ClientStep{After: stp.After.T(), Kind: k, File: fileIDs[stp.File], Bytes: stp.Bytes,
					Deny: denyModes[stp.Deny]}
				if k == model.OpOpen {
					cs.Access, _ = openAccess(stp.Flags)
				}
				for _, f := range stp.Flags {
					cs.Create = cs.Create || f == "O_CREAT"
					cs.Excl = cs.Excl || f == "O_EXCL"
					cs.Trunc = cs.Trunc || f == "O_TRUNC"
				}
				if _, ok := owners[stp.Owner]; !ok {
					owners[stp.Owner] = uint8(len(owners))
				}
				cs.Owner = owners[stp.Owner]
				cs.Want, _ = model.ParseWant(stp.Want)
				if stp.To != "" {
					cs.Target, cs.HasTarget = fileIDs[stp.To], true
				}
				for _, a := range stp.Set {
					cs.Attrs |= setAttrs[a]
				}
				if stp.Size != nil {
					cs.Size = *stp.Size
				}
				if stp.At != nil {
					cs.At, cs.HasAt = stp.At.T(), true
				}
				script = append(script, cs)
			}
			c.scripts = append(c.scripts, script)
			var answers []model.RecallAnswer
			for _, a := range cl.RecallAnswers {
				answers = append(answers, recallAnswers[a])
			}
			c.answers = append(c.answers, answers)
		}
		for _, l := range s.Locals {
			c.names = append(c.names, l.Name)
			var steps []model.LocalStep
			var dists []sim.Dist
			for _, stp := range l.Script {
				ls, d := localStep(stp, fileIDs)
				steps = append(steps, ls)
				dists = append(dists, d)
			}
			c.locals = append(c.locals, steps)
			c.startup = append(c.startup, dists)
			c.fixed = append(c.fixed, nil)
			if !slices.ContainsFunc(dists, func(d sim.Dist) bool { return !d.IsFixed() }) {
				c.fixed[len(c.fixed)-1] = drawStartups(c, len(c.locals)-1, nil)
			}
		}
		sc.comp = c
	})
	return sc.comp
}

// Config builds one run. Random draws that belong to the scenario rather
// than the network (start-up times, renewd phases) come from the seed's
// named streams too, so the same seed gives the same run.
func (sc *Scenario) Config(r Resolved, o Options) sim.Config {
	s := &sc.Spec
	c := sc.compile()
	st := sim.NewStreams(r.Seed)
	tm := TimingFor(r.Profile)
	sp := s.Server
	par := model.ServerParams{Lease: sp.Lease.T(), CBTimeout: sp.CBTimeout.T(), CBResend: sp.CBResend.T(),
		LeaseBreakTime: sp.LeaseBreakTime.T(), DelegReturnWait: sp.DelegReturnWait.T(),
		BlockPeriod: sp.BlockPeriod.T(), Grace: sp.Grace.T(), NFSv3: sp.NFSv3, LockdGrace: sp.LockdGrace.T()}
	if sp.Started != nil {
		par.Started, par.HasStarted = sp.Started.T(), true
	}
	if !r.Profile.DelegTimestamps {
		// No client of this release puts SETATTR in DELEGRETURN: leave the
		// explorer's delay bounds as tight as they were.
		tm.Setattr = sim.Dist{}
	}
	nActors := len(c.names)
	cfg := sim.Config{Seed: r.Seed, Until: s.Until.T(), Trace: o.Trace, Observe: o.Observe, Names: c.names, Files: c.files,
		Actors:  make([]model.Actor, 1, nActors),
		Clients: make([]sim.ClientNet, 0, len(s.Clients)),
		Server: sim.ServerTiming{RPC: orDist(sp.RPC, tm.RPC), CBQueue: orDist(sp.CBQueue, tm.CBQueue),
			DelegReturn: orDist(sp.DelegReturn, tm.DelegReturn), Setattr: orDist(sp.Setattr, tm.Setattr),
			DelegReturnReply: orDist(sp.DelegReturnRep, tm.DelegReturnReply), Syscall: orDist(sp.Syscall, sim.Dist{})}}
	srvCfg := model.ServerConfig{Profile: r.Profile, Params: par, Policy: r.Policy, Files: c.fspecs, Actors: nActors,
		Clients: make([]model.ClientInfo, 0, len(s.Clients))}
	lease := par.WithDefaults().Lease
	for i, cl := range s.Clients {
		id := model.ActorID(1 + i)
		srvCfg.Clients = append(srvCfg.Clients, model.ClientInfo{ID: id, Minor: c.minors[i], CBUp: !cl.CallbackDown})
		var phase model.Time
		if cl.RenewPhase != nil {
			phase = cl.RenewPhase.T()
		} else {
			phase = model.Time(st.Get(cl.Name + "/renew").Int64N(int64(2 * lease / 3)))
		}
		mc := model.ClientConfig{ID: id, Name: cl.Name, Index: int(id), Minor: c.minors[i], Files: c.files,
			Profile: r.Profile, Lease: lease, RenewPhase: phase, DelayMin: cl.DelayMin.T(), DelayMax: cl.DelayMax.T(),
			WritebackExpire: cl.WritebackExpire.T(), WritebackInterval: cl.WritebackInterval.T(), Script: c.scripts[i],
			NoAC: cl.NoAC, RecallAnswers: c.answers[i]}
		if cl.Actimeo != nil {
			mc.AttrMin, mc.AttrMax = cl.Actimeo.T(), cl.Actimeo.T()
			mc.NoAC = mc.NoAC || *cl.Actimeo == 0
		}
		if cl.ACRegMin != nil {
			mc.AttrMin = cl.ACRegMin.T()
		}
		if cl.ACRegMax != nil {
			mc.AttrMax = cl.ACRegMax.T()
		}
		if cl.CloseFlush == "start" {
			mc.CloseFlush = model.FlushStart
		}
		cfg.Actors = append(cfg.Actors, model.NewClient(mc))
		cfg.Clients = append(cfg.Clients, clientNet(cl, c.minors[i], tm))
	}
	for i, l := range s.Locals {
		id := model.ActorID(1 + len(s.Clients) + i)
		cfg.Actors = append(cfg.Actors, model.NewLocal(model.LocalConfig{ID: id, Name: l.Name, Index: int(id),
			Files: c.files, Script: c.localScript(i, &st, l.Name)}))
	}
	cfg.Actors[0] = model.NewServer(srvCfg)
	return cfg
}

// localScript returns local i's script for one run: its start-up times
// drawn from the process's own stream, or the shared script if they are
// all fixed.
func (c *compiled) localScript(i int, st *sim.Streams, name string) []model.LocalStep {
	if c.fixed[i] != nil {
		return c.fixed[i]
	}
	return drawStartups(c, i, func() *rand.Rand { return st.Get(name + "/startup") })
}

// drawStartups copies local i's script and draws each step's start-up
// time, one per attempt; stream is called for the random stream the
// first time one is needed (never if all are fixed).
func drawStartups(c *compiled, i int, stream func() *rand.Rand) []model.LocalStep {
	steps := append([]model.LocalStep(nil), c.locals[i]...)
	n := 0
	for _, ls := range steps {
		n += max(1, ls.Retry.Attempts)
	}
	all := make([]model.Time, n)
	var rng *rand.Rand
	for j := range steps {
		k := max(1, steps[j].Retry.Attempts)
		steps[j].Startup, all = all[:k:k], all[k:]
		d := c.startup[i][j]
		for a := range steps[j].Startup {
			if d.IsFixed() {
				steps[j].Startup[a] = d.Median()
				continue
			}
			if rng == nil {
				rng = stream()
			}
			steps[j].Startup[a] = d.Sample(rng)
		}
	}
	return steps
}

// clientNet builds a client's network. The client-level loss and
// partitions are the client's network failing: both connections. A
// v4.1+ client has one TCP connection, its backchannel included, so the
// fore and callback channels also share their order; the per-channel
// settings are what-ifs (a hung callback service, a firewall that drops
// only the v4.0 server-to-client callback connection). A what-if that
// cuts only the callbacks of a v4.1+ client treats them as a channel of
// their own, or the held callbacks would stall the whole connection.
func clientNet(c ClientSpec, minor int, tm Timing) sim.ClientNet {
	both := orDist(c.Latency, sim.Dist{})
	cbOwn := len(c.Callback.Partitions) > 0 || c.Callback.Loss > 0
	n := sim.ClientNet{Reaction: orDist(c.Reaction, tm.Reaction),
		Fore: link(c.Fore, both, c), Callback: link(c.Callback, both, c), SharedConn: minor >= 1 && !cbOwn}
	if c.CrashAt != nil {
		n.CrashAt, n.HasCrash = c.CrashAt.T(), true
	}
	return n
}

func link(l LinkSpec, def sim.Dist, c ClientSpec) sim.Link {
	out := sim.Link{Latency: orDist(l.Latency, def), Loss: max(l.Loss, c.Loss)}
	for _, w := range append(append([]WindowSpec(nil), c.Partitions...), l.Partitions...) {
		win := sim.Window{From: w.From.T(), Forever: w.To == nil}
		if w.To != nil {
			win.To = w.To.T()
		}
		out.Partitions = append(out.Partitions, win)
	}
	return out
}

func localStep(stp LocalStep, fileIDs map[string]model.FileID) (model.LocalStep, sim.Dist) {
	k, _ := model.ParseOpKind(stp.Op)
	ls := model.LocalStep{After: stp.After.T(), Kind: k, File: fileIDs[stp.File], Bytes: stp.Bytes,
		Retry: model.Retry{Attempts: stp.Retry.Attempts, Delay: stp.Retry.Delay.T(), Backoff: stp.Retry.Backoff},
		Hold:  stp.Hold.T(), For: stp.For.T(), Blocking: stp.Blocking}
	if stp.To != "" {
		ls.Target, ls.HasTarget = fileIDs[stp.To], true
	}
	if stp.Size != nil {
		ls.Size = *stp.Size
	}
	if p := stp.Poll; p != nil {
		until, _ := parseResult(p.Until)
		ls.Poll = model.Poll{Active: true, Until: until, Every: p.Every.T(), Timeout: p.Timeout.T()}
	}
	if ls.Retry.Backoff == 0 {
		ls.Retry.Backoff = 1
	}
	if stp.At != nil {
		ls.At, ls.HasAt = stp.At.T(), true
	}
	startup := DefaultStartup
	if k == model.OpNginx || k == model.OpSleep {
		startup = sim.Dist{} // a running server: no exec before the open
	}
	return ls, orDist(stp.Startup, startup)
}

// Run builds and runs the scenario once.
func (sc *Scenario) Run(o Options) (*sim.Result, Resolved, error) {
	r, err := sc.Resolve(o)
	if err != nil {
		return nil, r, err
	}
	return sim.Run(sc.Config(r, o)), r, nil
}
