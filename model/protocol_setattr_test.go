package model_test

import (
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// TestClientSetattr: what a SETATTR sets (RFC 8881 §18.30, notify_change
// in nfsd_setattr) and what the Linux client does first. nfs_setattr
// writes back dirty pages; a mode change makes the file writeable
// (nfs4_inode_make_writeable: a read delegation is returned first); a
// size or times change under a delegation keeps it. The holder's own
// SETATTR conflicts with nothing (nfsd_breaker_owns_lease, v4.1+).
func TestClientSetattr(t *testing.T) {
	tests := []struct {
		name, flags, set string
		size             int64 // the file's size afterwards
		writes, returns  int   // WRITEs and DELEGRETURNs sent
		mtime            bool  // the SETATTR moved mtime
	}{
		{"truncate a dirty file under a write delegation", "O_RDWR", "{set: [size], size: 3}", 3, 1, 0, true},
		{"chmod under a write delegation", "O_RDWR", "{set: [mode]}", 200, 1, 0, false},
		{"touch under a write delegation", "O_RDWR", "{set: [times]}", 200, 1, 0, true},
		{"chmod under a read delegation returns it first", "O_RDONLY", "{set: [mode]}", 100, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write := "      - {op: write, file: f, bytes: 100}\n"
			if tt.flags == "O_RDONLY" {
				write = ""
			}
			res := run(t, `name: t
version: 1
files: [{name: f, exists: true, size: 100}]
clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [`+tt.flags+`]}
`+write+`      - {op: setattr, file: f, `+tt.set[1:]+`
      - {op: stat, file: f}
`, scenarios.Options{})
			sa := op(t, res, "c1#"+map[bool]string{true: "3", false: "2"}[write != ""])
			if sa.Kind != model.OpSetattr || sa.Result != "ok" {
				t.Fatalf("setattr %v", sa)
			}
			if n := res.Sent[model.MsgWrite]; n != tt.writes {
				t.Errorf("%d WRITEs, want %d (dirty pages first)", n, tt.writes)
			}
			if n := res.Sent[model.MsgDelegReturn]; n != tt.returns {
				t.Errorf("%d DELEGRETURNs, want %d", n, tt.returns)
			}
			if n := res.Sent[model.MsgCBRecall]; n != 0 {
				t.Errorf("%d CB_RECALLs for the holder's own SETATTR", n)
			}
			srv := res.Actors[0].(*model.Server)
			if f := srv.Files()[0]; f.Size != tt.size || (f.Mtime > sa.Start) != tt.mtime {
				t.Errorf("file afterwards: size %d mtime %v; want size %d, mtime moved %v", f.Size, f.Mtime, tt.size, tt.mtime)
			}
		})
	}
}

// TestOpenTrunc: O_TRUNC with O_CREAT puts size 0 in the OPEN's create
// attributes and nfsd truncates in the OPEN (nfsd4_truncate →
// nfsd_setattr); without O_CREAT the VFS truncates after the open
// (handle_truncate), and the client sends a SETATTR of size 0 carrying
// the open's stateid. That stateid names the client even on v4.0
// (nfs4_preprocess_stateid_op), so a v4.0 holder's own read delegation
// is no conflict, where a SETATTR of times, which carries no stateid,
// recalls it (see TestV40HolderOwnOpen).
func TestOpenTrunc(t *testing.T) {
	tests := []struct {
		name, version, flags string
		setattrs, recalls    int
	}{
		{"O_CREAT|O_TRUNC truncates in the OPEN", "4.2", "O_CREAT, O_TRUNC, O_RDWR", 0, 0},
		{"O_TRUNC alone sends SETATTR of size 0", "4.2", "O_TRUNC, O_WRONLY", 1, 0},
		{"a v4.0 holder's O_TRUNC names itself with the stateid", "4.0", "O_TRUNC, O_WRONLY", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, v40ReadDeleg[:len("name: t\nversion: 1\nfiles: [{name: f, exists: true, size: 10}]\nclients:\n  - name: c1\n")]+
				`    version: "`+tt.version+`"
    script:
      - {op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
      - {op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
      - {after: 1s, op: open, file: f, flags: [`+tt.flags+`]}
      - {op: stat, file: f}
`, scenarios.Options{})
			if o := op(t, res, "c1#5"); o.Result != "ok" {
				t.Fatalf("open %v", o)
			}
			if n := res.Sent[model.MsgSetattr]; n != tt.setattrs {
				t.Errorf("%d SETATTRs, want %d", n, tt.setattrs)
			}
			if n := res.Sent[model.MsgCBRecall]; n != tt.recalls {
				t.Errorf("%d CB_RECALLs, want %d", n, tt.recalls)
			}
			if f := res.Actors[0].(*model.Server).Files()[0]; f.Size != 0 {
				t.Errorf("size %d after O_TRUNC", f.Size)
			}
		})
	}
}

// TestRemoveReturnsTheDelegationFirst: nfs4_proc_remove returns the
// client's delegation before REMOVE (nfs4_inode_return_delegation: dirty
// pages written back, DELEGRETURN, wait), so a holder's REMOVE recalls
// nothing, and another client's REMOVE of a delegated file recalls it and
// waits in nfsd (nfsd_wait_for_delegreturn). A REMOVE of a name that does
// not exist is NFS4ERR_NOENT.
func TestRemoveReturnsTheDelegationFirst(t *testing.T) {
	res := run(t, header+`clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 100}
      - {op: remove, file: f}
      - {op: remove, file: f}
`, scenarios.Options{})
	if o := op(t, res, "c1#3"); o.Result != "ok" {
		t.Fatalf("remove %v", o)
	}
	if res.Sent[model.MsgCBRecall] != 0 || res.Sent[model.MsgDelegReturn] != 1 || res.Sent[model.MsgWrite] != 1 {
		t.Errorf("CB_RECALL %d, DELEGRETURN %d, WRITE %d: want 0, 1, 1", res.Sent[model.MsgCBRecall], res.Sent[model.MsgDelegReturn], res.Sent[model.MsgWrite])
	}
	if o := op(t, res, "c1#4"); o.Result != "NFS4ERR_NOENT" {
		t.Errorf("second remove %v, want NFS4ERR_NOENT", o)
	}
}
