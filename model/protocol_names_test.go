package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// holderF is a v4.2 client that creates f, writes 100 bytes and keeps
// the write delegation after its close.
const holderF = `clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 100}
      - {op: close, file: f}
`

// TestLocalNameChangesBreakTheDelegation: every change of the inode from
// the server host breaks a write delegation and waits for the return
// (try_break_deleg, then break_deleg_wait): link(2) on the source inode
// (vfs_link), rename(2) over a name on the inode it replaces
// (vfs_rename), truncate(2) (vfs_truncate → break_lease), chmod(2) and
// utimes(2) (notify_change). Their effect on the file follows
// notify_change: a truncation replaces the data and moves mtime, a mode
// or a link moves only ctime, utimes sets mtime.
func TestLocalNameChangesBreakTheDelegation(t *testing.T) {
	tests := []struct {
		name, step string
		size       int64 // f's size afterwards
		mtimeMoves bool  // f's mtime moved past the client's write
	}{
		{"link", "{op: local-link, file: f, to: g, startup: 0}", 100, false},
		{"truncate", "{op: truncate, file: f, size: 10, startup: 0}", 10, true},
		{"chmod", "{op: chmod, file: f, startup: 0}", 100, false},
		{"utimes", "{op: utimes, file: f, startup: 0}", 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, "name: t\nversion: 1\nfiles: [{name: f}, {name: g}]\n"+holderF+`locals:
  - name: l1
    script:
      - {at: 1s, `+tt.step[1:]+`
      - {op: local-stat, file: f, startup: 0}
`, scenarios.Options{})
			if n := res.Sent[model.MsgCBRecall]; n != 1 {
				t.Fatalf("%d CB_RECALLs, want 1", n)
			}
			ch := op(t, res, "l1#1")
			ret := events(res, model.EvReturn)
			if ch.Result != "ok" || len(ret) != 1 || ch.End != ret[0].At {
				t.Fatalf("%v: want ok as the delegation comes back (%v)", ch, ret)
			}
			st := op(t, res, "l1#2")
			if st.Size != tt.size {
				t.Errorf("size %d after %s, want %d", st.Size, tt.name, tt.size)
			}
			if moved := st.Mtime >= time.Second; moved != tt.mtimeMoves {
				t.Errorf("mtime %v after %s: moved %v, want %v", st.Mtime, tt.name, moved, tt.mtimeMoves)
			}
		})
	}
}

// TestLinkMakesOneFileOfTwoNames: after link(2) the new name reaches the
// same inode (RFC 8881 §18.9): data written through one name is read
// through the other, and removing one name leaves the file (its link
// count drops). A LINK to an existing name is NFS4ERR_EXIST, a local
// link EEXIST.
func TestLinkMakesOneFileOfTwoNames(t *testing.T) {
	res := run(t, `name: t
version: 1
files: [{name: f}, {name: g}, {name: h, exists: true}]
clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
      - {op: link, file: f, to: g}
      - {op: link, file: f, to: h}
locals:
  - name: l1
    script:
      - {at: 1s, op: open-write, file: g, bytes: 42, startup: 0}
      - {op: unlink, file: f, startup: 0}
      - {op: cat, file: g, startup: 0}
      - {op: local-link, file: g, to: h, startup: 0}
`, scenarios.Options{})
	if o := op(t, res, "c1#3"); o.Result != "ok" {
		t.Fatalf("LINK: %v", o)
	}
	if o := op(t, res, "c1#4"); o.Result != "NFS4ERR_EXIST" {
		t.Errorf("LINK onto an existing name: %v, want NFS4ERR_EXIST", o)
	}
	if o := op(t, res, "l1#3"); o.Result != "ok" || o.Bytes != 42 {
		t.Errorf("reading g after writing through it and removing f: %v, want its 42 bytes", o)
	}
	if o := op(t, res, "l1#4"); o.Result != "EEXIST" {
		t.Errorf("local link onto an existing name: %v, want EEXIST", o)
	}
}

// TestRenameOverADelegatedTarget: RENAME over an existing name breaks the
// delegation on the inode it replaces as well as the source's
// (vfs_rename: try_break_deleg on both). A second client's read
// delegation on the target is recalled; the renaming client keeps its
// own write delegation on the source (nfs4_inode_make_writeable keeps
// write delegations on v4.1+) and returns its own delegation on the
// target first (nfs4_proc_rename_setup: nfs4_inode_return_delegation).
// Afterwards the target name holds the source's contents and the source
// name is gone.
func TestRenameOverADelegatedTarget(t *testing.T) {
	tests := []struct {
		name          string
		targetHolder  string // who holds a read delegation on the target
		recalls       int
		renamerReturn int // DELEGRETURNs the renaming client sends first
	}{
		{"another client holds the target", "c1", 1, 0},
		{"the renamer holds the target", "c2", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opener := `      - {op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
`
			c1, c2 := "", ""
			if tt.targetHolder == "c1" {
				c1 = opener
			} else {
				c2 = opener
			}
			res := run(t, `name: t
version: 1
files: [{name: f, exists: true, size: 10}, {name: g}]
clients:
  - name: c1
    script:
      - {op: stat, file: f}
`+c1+`  - name: c2
    script:
`+c2+`      - {at: 1s, op: open, file: g, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: g, bytes: 5}
      - {op: close, file: g}
      - {at: 2s, op: rename, file: g, to: f}
locals:
  - name: l1
    script:
      - {at: 3s, op: local-stat, file: g, startup: 0}
      - {op: local-stat, file: f, startup: 0}
`, scenarios.Options{})
			if n := res.Sent[model.MsgCBRecall]; n < tt.recalls || (tt.recalls == 0 && n != 0) {
				t.Errorf("%d CB_RECALLs before the rename, want %d", n, tt.recalls)
			}
			rn := op(t, res, "c2#"+map[string]string{"c1": "4", "c2": "6"}[tt.targetHolder])
			if rn.Kind != model.OpRename || rn.Result != "ok" {
				t.Fatalf("rename: %v", rn)
			}
			if got := returnsBy(res, 2, rn.End); got != tt.renamerReturn {
				t.Errorf("c2 returned %d delegations by the rename's end, want %d", got, tt.renamerReturn)
			}
			if o := op(t, res, "l1#1"); o.Result != "ENOENT" {
				t.Errorf("the source name after the rename: %v, want ENOENT", o)
			}
			if o := op(t, res, "l1#2"); o.Result != "ok" || o.Size != 5 {
				t.Errorf("the target name after the rename: %v, want the source's 5 bytes", o)
			}
		})
	}
}

// returnsBy counts the delegations client (by actor id) returned by time t.
func returnsBy(res *sim.Result, client model.ActorID, t time.Duration) int {
	n := 0
	for _, e := range events(res, model.EvReturn) {
		if e.Client == client && e.At <= t {
			n++
		}
	}
	return n
}

// TestRenameWritesBackTheTargetItReturns: before renaming over a name
// whose file it holds a delegation of, the Linux client returns that
// delegation the way nfs4_inode_return_delegation does: dirty pages first
// (nfs_wb_all), then DELEGRETURN. The renamed file's data is what the
// target name shows afterwards, and the target's old data, written back,
// was held by the server (no write lost).
func TestRenameWritesBackTheTargetItReturns(t *testing.T) {
	res := run(t, `name: t
version: 1
files: [{name: f}, {name: g}]
clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 7}
      - {op: open, file: g, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: g, bytes: 3}
      - {op: close, file: g}
      - {op: rename, file: g, to: f}
locals:
  - name: l1
    script: [{at: 1s, op: cat, file: f, startup: 0}]
`, scenarios.Options{Trace: true})
	if o := op(t, res, "c1#6"); o.Result != "ok" {
		t.Fatalf("rename %v", o)
	}
	var order []string
	for _, m := range res.Messages {
		f := !m.Msg.Reply && (m.Msg.Kind == model.MsgWrite || m.Msg.Kind == model.MsgDelegReturn) && m.Msg.File == 0
		if f || (!m.Msg.Reply && m.Msg.Kind == model.MsgRename) {
			order = append(order, m.Msg.Kind.String())
		}
		if m.Msg.Kind == model.MsgRename {
			break
		}
	}
	if got := strings.Join(order, " "); got != "WRITE DELEGRETURN RENAME" {
		t.Errorf("requests about f: %s, want WRITE DELEGRETURN RENAME", got)
	}
	if o := op(t, res, "l1#1"); o.Bytes != 3 {
		t.Errorf("f after the rename: %v, want g's 3 bytes", o)
	}
}
