package model_test

import (
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// v40ReadDeleg is a v4.0 client holding a read delegation: its second
// open, once the open-owner is confirmed, gets one (nfs4_open_delegation).
const v40ReadDeleg = "name: t\nversion: 1\nfiles: [{name: f, exists: true, size: 10}]\nclients:\n  - name: c1\n    version: \"4.0\"\n    script:\n" +
	"      - {op: open, file: f, flags: [O_RDONLY]}\n      - {op: close, file: f}\n" +
	"      - {op: open, file: f, flags: [O_RDONLY]}\n      - {op: close, file: f}\n"

// TestV40HolderOwnOpen: a v4.0 OPEN names its clientid in the open-owner
// (nfsd4_process_open1 → set_client), so nfsd_breaker_owns_lease knows the
// holder and the client's own OPEN for write does not recall its read
// delegation. v4.0 REMOVE, RENAME and SETATTR of times carry no
// clientid: nfsd cannot tell the holder and would recall (RFC 7530
// §16.7.5). The Linux client avoids that for REMOVE and RENAME by
// returning the delegation first (nfs4_proc_remove:
// nfs4_inode_return_delegation; nfs4_proc_rename_setup:
// nfs4_inode_make_writeable), so only the SETATTR recalls. A SETATTR of
// size carries the open's stateid, which names the client (nfsd4_setattr:
// nfs4_preprocess_stateid_op → set_client): no recall. A v4.0 GETATTR
// never conflicts at all: GETATTR conflicts only with write delegations,
// which v4.0 clients never get.
func TestV40HolderOwnOpen(t *testing.T) {
	tests := []struct {
		name    string
		step    string
		recalls int
		returns int
		result  string
	}{
		{"own OPEN for write", "{op: open, file: f, flags: [O_RDWR]}", 0, 0, "ok"},
		{"own REMOVE", "{op: remove, file: f}", 0, 1, "ok"},
		{"own SETATTR of times", "{op: setattr, file: f}", 1, 1, "ok"},
		{"own RENAME", "{op: rename, file: f}", 0, 1, "ok"},
		{"own GETATTR", "{op: stat, file: f}", 0, 0, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, v40ReadDeleg+"      - {after: 1s, op: open, file: f, flags: [O_RDONLY]}\n      - "+tt.step+"\n", scenarios.Options{})
			if g := events(res, model.EvGrant); len(g) != 1 || g[0].Deleg != model.DelegRead {
				t.Fatalf("grants %v: want one read delegation", g)
			}
			if n := res.Sent[model.MsgCBRecall]; n != tt.recalls {
				t.Errorf("%d CB_RECALLs, want %d", n, tt.recalls)
			}
			if n := res.Sent[model.MsgDelegReturn]; n != tt.returns {
				t.Errorf("%d DELEGRETURNs, want %d", n, tt.returns)
			}
			if n := len(events(res, model.EvNfsdDelay)); tt.recalls == 0 && n != 0 {
				t.Errorf("%d NFS4ERR_DELAY answers to the holder's own request", n)
			}
			if o := op(t, res, "c1#6"); o.Result != tt.result {
				t.Errorf("%v: want %s", o, tt.result)
			}
		})
	}
}
