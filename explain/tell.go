package explain

import (
	"fmt"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// Tell tells the story of a run that has already happened: a traced sim
// run, or a path through the explorer's states (explore.Cursor's Result).
// res must carry the structured trace (StepRecords and Messages), and
// tables one Snapshot per step record, taken right after that step.
// Messages still in flight at the end are drawn as such.
func Tell(sc *scenarios.Scenario, r scenarios.Resolved, res *sim.Result, tables []Table) (*Story, error) {
	if len(tables) != len(res.StepRecords) {
		return nil, fmt.Errorf("explain %s: %d table snapshots for %d steps", sc.Name(), len(tables), len(res.StepRecords))
	}
	st := &Story{Scenario: sc.Name(), Description: sc.Spec.Description, Profile: r.Profile.Name,
		Policy: r.Policy.Name(), Seed: r.Seed, End: res.End, Ops: res.Ops, Unfinished: res.Unfinished}
	n := newNarrator(sc, r, res, tables, st)
	n.tell()
	return st, nil
}

// Snapshot is the table an explanation shows after a step: nfsd's
// delegations and their VFS leases, the server's files, the clients'
// caches and the accesses blocked on a lease break. actors are a run's
// actors (the server first), names their names.
func Snapshot(now model.Time, actors []model.Actor, names []string) Table {
	return snapshot(now, actors, names)
}

// MessageLabel is how the diagram labels a message: "CB_RECALL(f,
// stateid 2)", "OPEN ok, write deleg 2", "open → EAGAIN". Kinds without a
// label of their own are named by the model's String methods.
func MessageLabel(m model.Message, file string) string { return msgLabel(m, file) }
