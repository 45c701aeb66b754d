package checker

import (
	"slices"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/model"
)

// A server with file f, clients c1 and c2 (v4.2; c2's callback path is
// down, so it gets no delegation) and a local process l1, driven by
// messages as nfsd would receive them.
var invNames = []string{"server", "c1", "c2", "l1"}

const (
	c1 model.ActorID = 1
	c2 model.ActorID = 2
	l1 model.ActorID = 3
)

type serverRig struct {
	t   *testing.T
	srv *model.Server
	xid uint32
}

func newServerRig(t *testing.T) *serverRig {
	prof, err := model.LookupProfile(model.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	srv := model.NewServer(model.ServerConfig{Profile: prof, Files: []model.FileSpec{{Name: "f", Exists: true}},
		Clients: []model.ClientInfo{{ID: c1, Minor: 2, CBUp: true}, {ID: c2, Minor: 2}}, Actors: 4})
	var out model.Output
	srv.Step(0, &model.Input{Kind: model.InStart}, &out)
	return &serverRig{t: t, srv: srv}
}

// send delivers a request at time ms and returns the server's output.
func (r *serverRig) send(ms float64, m model.Message) model.Output {
	r.xid++
	m.To, m.XID = model.ServerID, r.xid
	var out model.Output
	r.srv.Step(at(ms), &model.Input{Kind: model.InDeliver, Msg: m}, &out)
	return out
}

// fire fires the server's timer of the given kind for the first delegation.
func (r *serverRig) fire(ms float64, k model.TimerKind) {
	ds := r.srv.Delegations()
	if len(ds) == 0 {
		r.t.Fatalf("no delegation to fire %s for", k)
	}
	var out model.Output
	r.srv.Step(at(ms), &model.Input{Kind: model.InTimer, Timer: model.TimerKey{Kind: k, Arg: ds[0].ID}}, &out)
}

func (r *serverRig) check(ms float64) []string {
	var got []string
	for _, v := range CheckState(at(ms), []model.Actor{r.srv}, invNames...) {
		got = append(got, v.String())
	}
	return got
}

func openBoth(from model.ActorID) model.Message {
	return model.Message{Kind: model.MsgOpen, From: from, File: 0, Access: model.AccessBoth}
}

func TestInvariants(t *testing.T) {
	cases := []struct {
		name  string
		drive func(r *serverRig)
		at    float64
		want  []string
	}{
		{
			name:  "a write delegation alone breaks nothing",
			drive: func(r *serverRig) { r.send(0, openBoth(c1)) },
			at:    1,
		},
		{
			// nfsd4_check_conflicting_opens ignores c2's read-only open.
			name: "a write delegation beside another client's read open is a finding",
			drive: func(r *serverRig) {
				r.send(0, model.Message{Kind: model.MsgOpen, From: c2, Access: model.AccessRead})
				r.send(1, openBoth(c1))
			},
			at:   2,
			want: []string{"finding at 2.000ms: write-deleg-exclusive: file f: write delegation to c1 while c2 has it open (R)"},
		},
		{
			name: "a blocked reader waits while the recall is out",
			drive: func(r *serverRig) {
				r.send(0, openBoth(c1))
				r.send(100, model.Message{Kind: model.MsgSysOpen, From: l1, Access: model.AccessRead})
			},
			at: 40_000,
		},
		{
			// time_out_leases: the reader proceeds, nfsd still lists the
			// write delegation.
			name: "the 45 s reader downgrade splits lease and delegation",
			drive: func(r *serverRig) {
				r.send(0, openBoth(c1))
				r.send(100, model.Message{Kind: model.MsgSysOpen, From: l1, Access: model.AccessRead})
				r.fire(45_100, model.TimerDowngrade)
			},
			at:   45_100,
			want: []string{"finding at 45100.000ms: lease-agrees: file f: nfsd lists a write delegation to c1 but the VFS lease is read"},
		},
		{
			name: "a recall out for longer than a lease and the laundromat's slack",
			drive: func(r *serverRig) {
				r.send(0, openBoth(c1))
				r.send(100, model.Message{Kind: model.MsgSysOpen, From: l1, Access: model.AccessRead, NonBlk: true})
			},
			at: 100 + 92_001,
			want: []string{
				"violation at 92101.000ms: recall-bounded: file f: recall of c1's delegation outstanding for 1m32.001s (bound 1m32s)",
			},
		},
		{
			name: "a blocked writer waiting past a lease",
			drive: func(r *serverRig) {
				r.send(0, openBoth(c1))
				r.send(100, model.Message{Kind: model.MsgSysOpen, From: l1, Access: model.AccessWrite})
			},
			at: 100 + 92_001,
			want: []string{
				"violation at 92101.000ms: recall-bounded: file f: recall of c1's delegation outstanding for 1m32.001s (bound 1m32s)",
				"violation at 92101.000ms: wait-bounded: file f: l1 waiting for 1m32.001s (bound 1m30s)",
			},
		},
		{
			name: "the returned delegation ends the recall and the wait",
			drive: func(r *serverRig) {
				r.send(0, openBoth(c1))
				r.send(100, model.Message{Kind: model.MsgSysOpen, From: l1, Access: model.AccessWrite})
				r.send(110, model.Message{Kind: model.MsgDelegReturn, From: c1, Stateid: r.srv.Delegations()[0].ID})
			},
			at: 100 + 92_001,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newServerRig(t)
			tc.drive(r)
			if got := r.check(tc.at); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("violations\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestMonitorKeepsFirstViolationAndHeldContents(t *testing.T) {
	r := newServerRig(t)
	m := NewMonitor(invNames)
	actors := []model.Actor{r.srv}
	r.send(0, openBoth(c1))
	m.Observe(at(0), actors)
	r.send(1, model.Message{Kind: model.MsgWrite, From: c1, Size: 10, Data: model.DataValue(1, 1)})
	m.Observe(at(1), actors)
	r.send(2, model.Message{Kind: model.MsgSysOpen, From: l1, Access: model.AccessRead})
	m.Observe(at(2), actors)
	r.fire(45_002, model.TimerDowngrade)
	m.Observe(at(45_002), actors)
	m.Observe(at(46_000), actors)

	got := m.Violations()
	if len(got) != 1 || got[0].Invariant != "lease-agrees" || got[0].At != at(45_002) || !got[0].Finding {
		t.Errorf("violations %v, want the first lease-agrees finding at 45002 ms only", got)
	}
	for _, tc := range []struct {
		data uint64
		want bool
	}{{0, true}, {model.DataValue(1, 1), true}, {model.DataValue(1, 2), false}} {
		if m.Held("f", tc.data) != tc.want {
			t.Errorf("Held(f, %s) = %v, want %v", DataName(tc.data), !tc.want, tc.want)
		}
	}
}

func TestInvariantNamesAreUnique(t *testing.T) {
	var names []string
	for _, inv := range Invariants {
		if inv.Finding != (inv.Note != "") {
			t.Errorf("%s: a finding needs a note saying why the kernel does it, and only a finding has one", inv.Name)
		}
		names = append(names, inv.Name)
	}
	names = append(names, LostWrite)
	slices.Sort(names)
	if len(slices.Compact(names)) != len(Invariants)+1 {
		t.Errorf("duplicate invariant names: %v", names)
	}
}
