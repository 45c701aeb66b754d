package checker

import (
	"strings"
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// dirtyClient returns client c1 after open(f, O_RDWR) and a write: its
// page cache holds data the server has not seen.
func dirtyClient(t *testing.T) *model.Client {
	c := model.NewClient(model.ClientConfig{ID: c1, Name: "c1", Index: 1, Minor: 2, Files: []string{"f", "g"},
		Script: []model.ClientStep{{Kind: model.OpOpen, Access: model.AccessBoth}, {Kind: model.OpWrite, Bytes: 10}}})
	var out model.Output
	step := func(in model.Input) {
		out.Reset()
		c.Step(0, &in, &out)
	}
	step(model.Input{Kind: model.InStart})
	step(model.Input{Kind: model.InTimer, Timer: model.TimerKey{Kind: model.TimerScript}})
	open := out.Msgs[0]
	step(model.Input{Kind: model.InDeliver, Msg: model.Message{Kind: model.MsgOpen, Reply: true, From: model.ServerID,
		To: c1, XID: open.XID, Stateid: 7}})
	step(model.Input{Kind: model.InTimer, Timer: model.TimerKey{Kind: model.TimerScript}})
	if !c.Dirty(0) {
		t.Fatal("the client's write left no dirty pages")
	}
	return c
}

func TestLostWrites(t *testing.T) {
	w1 := write("c1", 1, 2, Value{10, model.DataValue(1, 1)})
	w2 := write("c1", 3, 4, Value{20, model.DataValue(1, 2)})
	lw := localWrite("l1", 5, 6, Value{30, model.DataValue(3, 1)})
	ev := func(ms float64, k model.EventKind, actor, client model.ActorID, file model.FileID) sim.TimedEvent {
		return sim.TimedEvent{At: at(ms), Event: model.Event{Kind: k, Actor: actor, Client: client, File: file}}
	}
	cases := []struct {
		name   string
		ops    []model.Op
		events []sim.TimedEvent
		held   []uint64 // contents the server's f held
		dirty  bool     // c1 still has dirty pages of f at the end
		lost   []string // names of the writes reported lost
	}{
		{name: "a write that reached the server", ops: history(w1), held: []uint64{w1.Data}},
		{name: "a write that never reached the server", ops: history(w1), lost: []string{"c1#1"}},
		{name: "a write covered by a later write of its writer", ops: history(w1, w2), held: []uint64{w2.Data}},
		{name: "a later write lost, an earlier one kept", ops: history(w1, w2), held: []uint64{w1.Data}, lost: []string{"c1#2"}},
		{name: "a write still in the page cache at the end", ops: history(w1), dirty: true},
		{name: "a failed write is no acknowledged write", ops: history(failed(w1, "EBADF"))},
		{name: "a local write that never reached the server", ops: history(lw), lost: []string{"l1#1"}},
		{name: "the writer crashed", ops: history(w1), events: []sim.TimedEvent{ev(3, model.EvCrash, c1, 0, 0)}},
		{name: "the writer expired", ops: history(w1), events: []sim.TimedEvent{ev(3, model.EvExpire, 0, c1, 0)}},
		{name: "the writer's delegation of the file was revoked", ops: history(w1),
			events: []sim.TimedEvent{ev(3, model.EvRevoke, 0, c1, 0)}},
		// The client hearing of a revocation that came before the write
		// excuses nothing: the delegation was gone when the data was
		// cached (RFC 8881 §10.5 covers data cached under it).
		{name: "hearing of an earlier revocation does not excuse it", ops: history(w1),
			events: []sim.TimedEvent{ev(0.5, model.EvRevoke, 0, c1, 0), ev(3, model.EvRevokeSeen, c1, c1, 0)}, lost: []string{"c1#1"}},
		{name: "a revocation of another file does not excuse it", ops: history(w1),
			events: []sim.TimedEvent{ev(3, model.EvRevoke, 0, c1, 1)}, lost: []string{"c1#1"}},
		{name: "a revocation before the write does not excuse it", ops: history(w1),
			events: []sim.TimedEvent{ev(0.5, model.EvRevoke, 0, c1, 0)}, lost: []string{"c1#1"}},
		{name: "another client's expiry does not excuse it", ops: history(w1),
			events: []sim.TimedEvent{ev(3, model.EvExpire, 0, c2, 0)}, lost: []string{"c1#1"}},
		{name: "a later close reported the loss", ops: history(w1, failed(closeF("c1", 3, 4), "NFS4ERR_BAD_STATEID"))},
		{name: "a failed fsync reported the loss", ops: history(w1, failed(fsync("c1", 3, 4), "NFS4ERR_EXPIRED"))},
		{name: "a close that failed before the write does not", ops: history(failed(closeF("c1", 0, 0.5), "EBADF"), w1),
			lost: []string{"c1#2"}},
	}
	prof, _ := model.LookupProfile(model.DefaultProfile)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := model.NewServer(model.ServerConfig{Profile: prof, Files: []model.FileSpec{{Name: "f"}, {Name: "g"}}, Actors: 4})
			client := model.NewClient(model.ClientConfig{ID: c1, Name: "c1", Files: []string{"f", "g"}})
			if tc.dirty {
				client = dirtyClient(t)
			}
			res := &sim.Result{Names: invNames, Ops: tc.ops, Events: tc.events, End: at(100),
				Actors: []model.Actor{srv, client, model.NewClient(model.ClientConfig{ID: c2, Name: "c2"}), model.NewLocal(model.LocalConfig{ID: l1, Name: "l1"})}}
			held := func(file string, data uint64) bool {
				for _, d := range tc.held {
					if file == "f" && d == data {
						return true
					}
				}
				return false
			}
			var got []string
			for _, v := range LostWrites(res, held) {
				if v.Invariant != LostWrite || v.Finding || v.At != res.End {
					t.Errorf("violation %v: want %s at the end of the run, not a finding", v, LostWrite)
				}
				got = append(got, strings.Fields(v.Detail)[0])
			}
			if strings.Join(got, " ") != strings.Join(tc.lost, " ") {
				t.Errorf("lost %q, want %q", got, tc.lost)
			}
		})
	}
}

func TestLostWriteAccount(t *testing.T) {
	prof, _ := model.LookupProfile(model.DefaultProfile)
	srv := model.NewServer(model.ServerConfig{Profile: prof, Files: []model.FileSpec{{Name: "f"}}, Actors: 2})
	res := &sim.Result{Names: []string{"server", "c1"}, End: at(100),
		Ops:    history(write("c1", 1, 2, Value{10, model.DataValue(1, 1)})),
		Actors: []model.Actor{srv, model.NewClient(model.ClientConfig{ID: 1, Name: "c1", Files: []string{"f"}})}}
	got := LostWrites(res, func(string, uint64) bool { return false })
	const want = "violation at 100.000ms: no-lost-write: c1#1 write f at 1.000ms (size 10, data=w1.1) returned ok but never reached the server, and no crash, revocation, client expiry or failed close/fsync was reported"
	if len(got) != 1 || got[0].String() != want {
		t.Errorf("got %v\nwant %s", got, want)
	}
}
