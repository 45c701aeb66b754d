package scenarios

import (
	"fmt"
	"math/rand/v2"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// Timing holds a kernel's processing times, the defaults a scenario
// overrides. They are medians calibrated from the recall timings measured
// at zero added delay in facts.md (CB_RECALL reaches the client +2.9 ms
// after the lease break on 6.12, +4.8 ms on 7.2; the client sends
// DELEGRETURN ~0.6–0.8 ms later; the lease is gone +5.0 ms / +15.1 ms),
// with log-normal spread.
type Timing struct {
	RPC, CBQueue, DelegReturn, Reaction sim.Dist
}

// TimingFor returns the default processing times of a profile.
func TimingFor(p model.Profile) Timing {
	if p.WriteDelegWronly { // 6.17+, measured on 7.2
		return Timing{RPC: sim.MustDist("200us"), CBQueue: sim.MustDist("lognormal:4.8ms,0.3"),
			DelegReturn: sim.MustDist("lognormal:9.5ms,0.4"), Reaction: sim.MustDist("lognormal:800us,0.3")}
	}
	return Timing{RPC: sim.MustDist("200us"), CBQueue: sim.MustDist("lognormal:2.9ms,0.3"),
		DelegReturn: sim.MustDist("lognormal:1.5ms,0.5"), Reaction: sim.MustDist("lognormal:600us,0.3")}
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
	pol, err := model.LookupPolicy(firstNonEmpty(o.Policy, s.Policy, "kernel"), opts)
	if err != nil {
		return Resolved{}, fmt.Errorf("%w: %w", ErrInvalid, err)
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

// Config builds one run. Random draws that belong to the scenario rather
// than the network (start-up times, renewd phases) come from the seed's
// named streams too, so the same seed gives the same run.
func (sc *Scenario) Config(r Resolved, o Options) sim.Config {
	s := &sc.Spec
	st := sim.NewStreams(r.Seed)
	tm := TimingFor(r.Profile)
	fileIDs := map[string]model.FileID{}
	var names []string
	var fspecs []model.FileSpec
	for i, f := range s.Files {
		fileIDs[f.Name] = model.FileID(i)
		names = append(names, f.Name)
		fspecs = append(fspecs, model.FileSpec{Name: f.Name, Exists: f.Exists, Size: f.Size})
	}
	sp := s.Server
	par := model.ServerParams{Lease: sp.Lease.T(), CBTimeout: sp.CBTimeout.T(), CBResend: sp.CBResend.T(),
		LeaseBreakTime: sp.LeaseBreakTime.T(), DelegReturnWait: sp.DelegReturnWait.T(),
		BlockPeriod: sp.BlockPeriod.T(), Grace: sp.Grace.T()}
	nActors := 1 + len(s.Clients) + len(s.Locals)
	cfg := sim.Config{Seed: r.Seed, Until: s.Until.T(), Trace: o.Trace, Observe: o.Observe,
		Server: sim.ServerTiming{RPC: orDist(sp.RPC, tm.RPC), CBQueue: orDist(sp.CBQueue, tm.CBQueue),
			DelegReturn: orDist(sp.DelegReturn, tm.DelegReturn), Syscall: orDist(sp.Syscall, sim.Dist{})}}
	srvCfg := model.ServerConfig{Profile: r.Profile, Params: par, Policy: r.Policy, Files: fspecs, Actors: nActors}
	cfg.Names = append(cfg.Names, "server")
	cfg.Actors = append(cfg.Actors, nil) // the server, built once clients are known
	lease := model.NewServer(srvCfg).Params().Lease
	for i, c := range s.Clients {
		id := model.ActorID(1 + i)
		minor := 2
		if c.Version != "" {
			minor = versions[c.Version]
		}
		srvCfg.Clients = append(srvCfg.Clients, model.ClientInfo{ID: id, Minor: minor, CBUp: !c.CallbackDown})
		phase := model.Time(st.Get(c.Name + "/renew").Int64N(int64(2 * lease / 3)))
		if c.RenewPhase != nil {
			phase = c.RenewPhase.T()
		}
		mc := model.ClientConfig{ID: id, Name: c.Name, Index: int(id), Minor: minor, Files: names,
			Lease: lease, RenewPhase: phase, DelayMin: c.DelayMin.T(), DelayMax: c.DelayMax.T(),
			WritebackExpire: c.WritebackExpire.T(), WritebackInterval: c.WritebackInterval.T()}
		if c.CloseFlush == "start" {
			mc.CloseFlush = model.FlushStart
		}
		for _, stp := range c.Script {
			acc, _ := openAccess(stp.Flags)
			k, _ := model.ParseOpKind(stp.Op)
			cs := model.ClientStep{After: stp.After.T(), Kind: k, File: fileIDs[stp.File], Access: acc, Bytes: stp.Bytes}
			for _, f := range stp.Flags {
				cs.Create = cs.Create || f == "O_CREAT"
				cs.Excl = cs.Excl || f == "O_EXCL"
			}
			if stp.At != nil {
				cs.At, cs.HasAt = stp.At.T(), true
			}
			mc.Script = append(mc.Script, cs)
		}
		cfg.Actors = append(cfg.Actors, model.NewClient(mc))
		cfg.Names = append(cfg.Names, c.Name)
		cfg.Clients = append(cfg.Clients, clientNet(c, tm))
	}
	for i, l := range s.Locals {
		id := model.ActorID(1 + len(s.Clients) + i)
		rng := st.Get(l.Name + "/startup")
		lc := model.LocalConfig{ID: id, Name: l.Name, Index: int(id), Files: names}
		for _, stp := range l.Script {
			lc.Script = append(lc.Script, localStep(stp, fileIDs, rng))
		}
		cfg.Actors = append(cfg.Actors, model.NewLocal(lc))
		cfg.Names = append(cfg.Names, l.Name)
	}
	cfg.Actors[0] = model.NewServer(srvCfg)
	return cfg
}

func clientNet(c ClientSpec, tm Timing) sim.ClientNet {
	both := orDist(c.Latency, sim.Dist{})
	n := sim.ClientNet{Reaction: orDist(c.Reaction, tm.Reaction),
		Fore: link(c.Fore, both), Callback: link(c.Callback, both)}
	if c.CrashAt != nil {
		n.CrashAt, n.HasCrash = c.CrashAt.T(), true
	}
	return n
}

func link(l LinkSpec, def sim.Dist) sim.Link {
	out := sim.Link{Latency: orDist(l.Latency, def), Loss: l.Loss}
	for _, w := range l.Partitions {
		win := sim.Window{From: w.From.T(), Forever: w.To == nil}
		if w.To != nil {
			win.To = w.To.T()
		}
		out.Partitions = append(out.Partitions, win)
	}
	return out
}

func localStep(stp LocalStep, fileIDs map[string]model.FileID, rng *rand.Rand) model.LocalStep {
	k, _ := model.ParseOpKind(stp.Op)
	ls := model.LocalStep{After: stp.After.T(), Kind: k, File: fileIDs[stp.File], Bytes: stp.Bytes,
		Retry: model.Retry{Attempts: stp.Retry.Attempts, Delay: stp.Retry.Delay.T(), Backoff: stp.Retry.Backoff}}
	if ls.Retry.Backoff == 0 {
		ls.Retry.Backoff = 1
	}
	if stp.At != nil {
		ls.At, ls.HasAt = stp.At.T(), true
	}
	startup := DefaultStartup
	if k == model.OpNginx {
		startup = sim.Dist{} // a running server: no exec before the open
	}
	startup = orDist(stp.Startup, startup)
	for a := 0; a < max(1, ls.Retry.Attempts); a++ {
		ls.Startup = append(ls.Startup, startup.Sample(rng))
	}
	return ls
}

// Run builds and runs the scenario once.
func (sc *Scenario) Run(o Options) (*sim.Result, Resolved, error) {
	r, err := sc.Resolve(o)
	if err != nil {
		return nil, r, err
	}
	return sim.Run(sc.Config(r, o)), r, nil
}
