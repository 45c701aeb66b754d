package checker

import (
	"github.com/delegsim/delegsim/model"
)

// Monitor watches one run step by step: give its Observe method to
// sim.Config.Observe. After every step it checks the state invariants,
// keeping the first violation of each, and it records every content the
// server's files held, for LostWrites. A Monitor serves one run.
type Monitor struct {
	names []string
	first []*InvariantViolation // by index in Invariants
	held  map[fileData]bool
	last  []uint64 // by FileID: the contents seen at the previous step
}

type fileData struct {
	file string
	data uint64
}

// NewMonitor returns a monitor for a run whose actors have the given
// names (sim.Config.Names), used in the violations' details.
func NewMonitor(names []string) *Monitor {
	return &Monitor{names: names, first: make([]*InvariantViolation, len(Invariants)), held: make(map[fileData]bool)}
}

// Observe checks the invariants not yet violated in this run on the
// actors' state after a step; actors[0] is the server.
func (m *Monitor) Observe(now model.Time, actors []model.Actor) {
	srv, ok := actors[0].(*model.Server)
	if !ok {
		return
	}
	st := State{Now: now, Server: srv, Names: m.names}
	for i, inv := range Invariants {
		if m.first[i] != nil {
			continue
		}
		if d := inv.Check(st); d != "" {
			m.first[i] = &InvariantViolation{Invariant: inv.Name, At: now, Detail: d, Finding: inv.Finding}
		}
	}
	files := srv.Files()
	for len(m.last) < len(files) {
		m.last = append(m.last, 0)
	}
	for i := range files {
		// What name i shows is the inode behind it (links and renames
		// over a name make names share or swap inodes).
		f := files[srv.Inode(model.FileID(i))]
		if f.Data != m.last[i] {
			m.last[i] = f.Data
			m.held[fileData{files[i].Name, f.Data}] = true
		}
	}
}

// Violations returns the first violation of each invariant violated so
// far, in the order of Invariants.
func (m *Monitor) Violations() []InvariantViolation {
	var out []InvariantViolation
	for _, v := range m.first {
		if v != nil {
			out = append(out, *v)
		}
	}
	return out
}

// Held reports whether the server's file held the contents data after
// some step (data 0, the initial contents, is always held).
func (m *Monitor) Held(file string, data uint64) bool {
	return data == 0 || m.held[fileData{file, data}]
}
