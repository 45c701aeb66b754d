package explain

import (
	"fmt"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// Story is one run told step by step: the lanes of a sequence diagram,
// the narrated steps, the arrows between lanes and the notes on them.
// Every renderer (text, Mermaid, HTML) draws from the same Story, so they
// agree on what happened.
type Story struct {
	Scenario    string
	Description string
	Profile     string
	Policy      string
	Seed        uint64
	End         model.Time
	Lanes       []Lane
	Steps       []Step
	Arrows      []Arrow
	Notes       []Note
	Ops         []model.Op
	Unfinished  []string
	// Caption, if set, replaces the scenario, profile, policy and seed
	// in headings: a story read from a packet capture (delegsim trace)
	// has none of those.
	Caption string
}

// heading is the one-line heading of the text and Mermaid renderings.
func (st *Story) heading() string {
	if st.Caption != "" {
		return st.Caption
	}
	return fmt.Sprintf("%s   profile %s   policy %s   seed %d", st.Scenario, st.Profile, st.Policy, st.Seed)
}

// LaneKind says what a lane of the sequence diagram stands for.
type LaneKind uint8

// Lanes, in the order the diagram shows them: each client's application
// and kernel NFS client, the network, nfsd, the VFS lease layer of the
// server host, and each server-local process.
const (
	LaneApp LaneKind = iota
	LaneNFSClient
	LaneNetwork
	LaneNfsd
	LaneVFS
	LaneLocal
)

// Lane is one participant of the sequence diagram.
type Lane struct {
	ID    string // short identifier, unique, safe in Mermaid: "A1", "C1", "NET", "NFSD", "VFS", "L1"
	Label string // "c1 app", "c1 NFS client", "network", "nfsd", "VFS lease", "l1 local process"
	Kind  LaneKind
	Actor model.ActorID // the model actor behind the lane (the server for network, nfsd and VFS)
}

// Step is one narrated actor step: when, who, what happened and the rule
// behind it, and the delegation table right after it.
type Step struct {
	At    model.Time
	Actor string // the model actor that stepped: "server", "c1", "l1"
	What  string
	Why   string // the kernel function or RFC section behind the rule
	Table Table
	Sim   int // index in sim.Result.StepRecords
}

// ArrowKind says what an arrow stands for.
type ArrowKind uint8

// Arrow kinds. Messages are the model's messages (RPCs, callbacks, system
// calls and their replies); calls and returns are a client application's
// system calls into its NFS client; lease arrows are the VFS lease layer
// and nfsd acting on each other (setting, breaking, removing a lease).
const (
	ArrowRequest ArrowKind = iota // a request message, delivered
	ArrowReply                    // a reply message, delivered
	ArrowDropped                  // a message lost on the network
	ArrowCall                     // application → NFS client system call
	ArrowReturn                   // NFS client → application return
	ArrowLease                    // nfsd ↔ VFS lease
)

// IsMessage reports whether the arrow is one of the run's messages.
func (k ArrowKind) IsMessage() bool { return k <= ArrowDropped }

// Arrow goes from one lane to another, from the row of the step that sent
// it to the row of the step that received it (the same row for arrows
// that take no time).
type Arrow struct {
	Kind     ArrowKind
	From, To int // lane indexes
	Row, End int // step indexes: sent, received (End == Row for instant arrows)
	Label    string
	Sent     model.Time
	Arrives  model.Time // meaningful for delivered messages
	// InFlight marks a message still on its way when the story ends (a
	// path through the explorer's states that goes on): drawn like a lost
	// one, to the network lane, its Label saying so.
	InFlight bool
}

// Note is a remark written over a lane at a step: a failure, a revocation,
// a crash.
type Note struct {
	Lane int
	Row  int
	Text string
}

// Table is the delegation table and what surrounds it after a step: nfsd's
// delegations and their leases, the server's files, what each client
// caches, and the accesses blocked on a lease break.
type Table struct {
	Delegations []DelegRow  `json:"delegations"`
	Files       []FileRow   `json:"files"`
	Clients     []ClientRow `json:"clients"`
	Waiters     []string    `json:"waiters"`
}

// DelegRow is one delegation nfsd holds.
type DelegRow struct {
	Stateid uint32 `json:"stateid"`
	File    string `json:"file"`
	Holder  string `json:"holder"`
	Type    string `json:"type"`
	Lease   string `json:"lease"` // the VFS lease behind it: "write" or "read" (after a downgrade)
	State   string `json:"state"` // "granted", "recalling since 139.026 ms", ...
}

// FileRow is a file as the server sees it.
type FileRow struct {
	Name   string `json:"name"`
	Exists bool   `json:"exists"`
	Size   int64  `json:"size"`
	Change uint64 `json:"change"`
	Data   string `json:"data"`
}

// ClientRow is what one client holds for one file: a delegation, dirty
// pages, or both.
type ClientRow struct {
	Client string `json:"client"`
	File   string `json:"file"`
	Deleg  string `json:"deleg"`
	Dirty  bool   `json:"dirty"`
}

// Build runs the scenario once with tracing on and tells its story. o
// chooses policy, profile and seed as for scenarios.Scenario.Run; o.Trace
// is forced on and any o.Observe is still called.
func Build(sc *scenarios.Scenario, o scenarios.Options) (*Story, error) {
	r, err := sc.Resolve(o)
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", sc.Name(), err)
	}
	o.Trace = true
	var cfg sim.Config
	var tables []Table
	user := o.Observe
	o.Observe = func(now model.Time, actors []model.Actor) {
		tables = append(tables, snapshot(now, actors, cfg.Names))
		if user != nil {
			user(now, actors)
		}
	}
	cfg = sc.Config(r, o)
	// Observe runs once per step, so Tell finds one table per step.
	return Tell(sc, r, sim.Run(cfg), tables)
}

// BuildSchedule tells the story of a schedule replayed step by step on
// the scenario (explore.Replay): an explorer's counterexample, drawn and
// narrated as Build draws a simulated run. o chooses policy, profile and
// seed, which must be the schedule's (see explore.ReplayFile); sc must be
// loaded with the schedule's --set overrides.
func BuildSchedule(sc *scenarios.Scenario, o scenarios.Options, sch *explore.Schedule) (*Story, error) {
	o.Trace, o.Observe = false, nil
	m, r, err := explore.FromScenario(sc, o, explore.ModelOptions{MaxDelay: sch.MaxDelay, MinDelay: sch.MinDelay})
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", sc.Name(), err)
	}
	var tables []Table
	res, err := explore.Replay(m, sch, explore.ReplayOptions{Trace: true, File: "schedule",
		Observe: func(now model.Time, actors []model.Actor) { tables = append(tables, snapshot(now, actors, m.Names)) }})
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", sc.Name(), err)
	}
	return Tell(sc, r, res, tables)
}

// snapshot copies the state an explanation shows after a step.
func snapshot(now model.Time, actors []model.Actor, names []string) Table {
	srv := actors[0].(*model.Server)
	files := srv.Files()
	var t Table
	for _, d := range srv.Delegations() {
		state := "granted"
		switch {
		case d.Recalling:
			state = "recalling since " + fmtMs(d.RecallAt)
		case d.DowngradePending || d.UnlockPending:
			state = "lease breaking"
		}
		if !d.LeaseAgrees() {
			state += ", VFS lease now " + d.LeaseType.String()
		}
		t.Delegations = append(t.Delegations, DelegRow{Stateid: d.ID, File: files[d.File].Name,
			Holder: actorName(names, d.Client), Type: d.Type.String(), Lease: d.LeaseType.String(), State: state})
	}
	for _, f := range files {
		t.Files = append(t.Files, FileRow{Name: f.Name, Exists: f.Exists, Size: f.Size, Change: f.Change, Data: DataName(f.Data)})
	}
	for _, a := range actors[1:] {
		c, ok := a.(*model.Client)
		if !ok {
			continue
		}
		for i, f := range files {
			d, dirty := c.Delegation(model.FileID(i)), c.Dirty(model.FileID(i))
			if d != model.DelegNone || dirty {
				t.Clients = append(t.Clients, ClientRow{Client: c.Name(), File: f.Name, Deleg: d.String(), Dirty: dirty})
			}
		}
	}
	for _, w := range srv.Waiters() {
		s := fmt.Sprintf("%s waits on %s since %s", actorName(names, w.From), files[w.File].Name, fmtMs(w.Since))
		switch {
		case w.OnCB:
			s += " for a CB_GETATTR answer"
		case w.Bound == model.Forever:
			s += " until the lease goes"
		default:
			s += fmt.Sprintf(" (at most %s)", w.Bound)
		}
		t.Waiters = append(t.Waiters, s)
	}
	return t
}

func actorName(names []string, id model.ActorID) string {
	if int(id) < len(names) {
		return names[id]
	}
	return fmt.Sprintf("actor %d", id)
}

// fmtMs renders virtual time as the reports do: milliseconds, three
// decimals.
func fmtMs(t model.Time) string { return fmt.Sprintf("%.3f ms", float64(t)/1e6) }

// DataName renders a data value as "initial" or "w<actor>.<n>", the n-th
// write of the actor with that index (see model.DataValue).
func DataName(d uint64) string {
	if d == 0 {
		return "initial"
	}
	return fmt.Sprintf("w%d.%d", d>>32, d&0xffffffff)
}
