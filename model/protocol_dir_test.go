package model_test

import (
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// TestDirectoryDelegation: on 7.2 the client asks GET_DIR_DELEGATION when
// it revalidates the directory and nfsd grants a read delegation on it
// (nfsd_get_dir_deleg; the 7.2 captures), which the client then trusts
// instead of asking again. A change of names in the directory from the
// server host breaks it and waits for its return (vfs_unlink, vfs_rename,
// vfs_link: try_break_deleg on the parent, then break_deleg_wait), where
// a change of a file's contents or attributes does not. The 6.12 client
// asks for none (its nfsd would answer GDD4_UNAVAIL).
func TestDirectoryDelegation(t *testing.T) {
	tests := []struct {
		profile, step string
		recalls       int
	}{
		{"linux-7.2", "{op: unlink, file: f, startup: 0}", 1},
		{"linux-7.2", "{op: local-rename, file: f, to: g, startup: 0}", 1},
		{"linux-7.2", "{op: local-link, file: f, to: g, startup: 0}", 1},
		{"linux-7.2", "{op: local-rename, file: f, startup: 0}", 1},
		{"linux-7.2", "{op: chmod, file: f, startup: 0}", 0},
		{"linux-7.2", "{op: open-write, file: f, bytes: 5, startup: 0}", 0},
		{"linux-6.12", "{op: unlink, file: f, startup: 0}", 0},
	}
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.step, func(t *testing.T) {
			res := run(t, `name: t
version: 1
files: [{name: d, dir: true}, {name: f, exists: true}, {name: g}]
clients:
  - name: c1
    script:
      - {op: lookup, file: d}
      - {op: lookup, file: d}
locals:
  - name: l1
    script: [{at: 1s, `+tt.step[1:]+`]
`, scenarios.Options{Profile: tt.profile})
			held := model.DelegNone
			if tt.profile == "linux-7.2" {
				held = model.DelegRead
			}
			if o := op(t, res, "c1#1"); o.Deleg != held {
				t.Errorf("lookup %v: delegation %s, want %s", o, o.Deleg, held)
			}
			if n := res.Sent[model.MsgGetDirDeleg]; (held == model.DelegRead) != (n == 1) {
				t.Errorf("%d GET_DIR_DELEGATIONs: once on 7.2, never on 6.12", n)
			}
			if n := res.Sent[model.MsgCBRecall]; n != tt.recalls {
				t.Errorf("%d CB_RECALLs, want %d", n, tt.recalls)
			}
			if l := op(t, res, "l1#1"); l.Result != "ok" || (tt.recalls == 1 && l.End == l.Start) {
				t.Errorf("%v: want ok, after the directory's delegation came back", l)
			}
		})
	}
}

// TestReadUsesTheDelegationStateid: a READ carries the stateid
// nfs4_select_rw_stateid picks, the delegation's while one is held (the
// 6.12 captures' WRITE too), and nfsd checks it (nfsd4_read:
// nfs4_preprocess_stateid_op). Once the delegation is gone the client
// reads with its open stateid.
func TestReadUsesTheDelegationStateid(t *testing.T) {
	res := run(t, `name: t
version: 1
files: [{name: f, exists: true, size: 10}]
clients:
  - name: c1
    noac: true
    script:
      - {op: open, file: f, flags: [O_RDONLY]}
      - {op: read, file: f}
      - {after: 5s, op: read, file: f}
locals:
  - name: l1
    script:
      - {at: 1s, op: open-write, file: f, bytes: 20, startup: 0}
`, scenarios.Options{Trace: true})
	if o := op(t, res, "c1#3"); o.Result != "ok" || o.Bytes != 20 {
		t.Fatalf("read %v: want the local writer's 20 bytes", o)
	}
	var sids []uint32
	for _, m := range res.Messages {
		if m.Msg.Kind == model.MsgRead && !m.Msg.Reply {
			sids = append(sids, m.Msg.Stateid)
		}
		if m.Msg.Kind == model.MsgRead && m.Msg.Reply && m.Msg.Status != model.StatusOK {
			t.Errorf("READ answered %s", m.Msg.Status)
		}
	}
	// The OPEN gave open stateid 1 and delegation stateid 2.
	if len(sids) != 2 || sids[0] != 2 || sids[1] != 1 {
		t.Errorf("READs carried stateids %v, want [2 1]: the delegation's, then the open's", sids)
	}
}
