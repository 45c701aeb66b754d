package model_test

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// writer72 creates and writes a file as the 7.2 capture's client does,
// keeping it open; local stats watch the server's inode.
const writer72 = header + `clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {at: 50ms, op: write, file: f, bytes: 26}
      - {op: fsync, file: f}
locals:
  - name: l1
    script:
      - {at: 100ms, op: local-stat, file: f, startup: 0}
      - {at: 200ms, op: cat, file: f, startup: 0}
      - {at: 300ms, op: local-stat, file: f, startup: 0}
`

// TestDelegatedTimestamps: a 4.2 client that asks gets
// OPEN_DELEGATE_WRITE_ATTRS_DELEG where the release offers it (RFC 9754
// §4; nfsd 6.14, default off in 6.15–6.19, on from 7.0). While it is out
// nfsd's file has FMODE_NOCMTIME: the client's WRITE changes data and
// size but neither mtime nor the change attribute, so a local stat shows
// the new size with the old mtime. The client owns mtime; its DELEGRETURN
// compound sets it with SETATTR (vet_deleg_attrs), which moves ctime and
// the change attribute.
func TestDelegatedTimestamps(t *testing.T) {
	for _, tt := range []struct {
		profile string
		deleg   model.DelegType
	}{{"linux-7.2", model.DelegWriteAttrs}, {"linux-6.17", model.DelegWrite}, {"linux-6.12", model.DelegWrite}} {
		t.Run(tt.profile, func(t *testing.T) {
			res := run(t, writer72, scenarios.Options{Profile: tt.profile, Trace: true})
			if g := events(res, model.EvGrant); len(g) != 1 || g[0].Deleg != tt.deleg {
				t.Fatalf("grants %v: want %s", g, tt.deleg)
			}
			write := op(t, res, "c1#2")
			st1, st2 := op(t, res, "l1#1"), op(t, res, "l1#3")
			if st1.Size != 26 {
				t.Fatalf("stat after the fsync %v: want the new size", st1)
			}
			if tt.deleg == model.DelegWriteAttrs {
				if st1.Mtime != 0 || st1.Change != 1 {
					t.Errorf("stat under WRITE_ATTRS_DELEG %v: want the creation's mtime 0 and change 1 (FMODE_NOCMTIME)", st1)
				}
				if st2.Mtime != write.Start || st2.Change <= st1.Change {
					t.Errorf("stat after the return %v: want the client's mtime %v and a new change attribute", st2, write.Start)
				}
				dr := sentKinds(res, model.MsgDelegReturn, false)
				if len(dr) != 1 || dr[0].Msg.Flags&model.FlagSetattrTimes == 0 || dr[0].Msg.Mtime != write.Start {
					t.Errorf("DELEGRETURN %v: want SETATTR of the client's mtime in its compound", dr)
				}
				return
			}
			if st1.Mtime == 0 || st1.Change == 1 {
				t.Errorf("stat %v: want the WRITE's mtime and change", st1)
			}
		})
	}
}

// TestFinalizeDelegTimestamps: a file written through nfsd under a
// WRITE_ATTRS_DELEG delegation whose client never set its times is stamped
// when the lease goes (nfsd4_finalize_deleg_timestamps); here the
// delegation is revoked, so no SETATTR ever comes.
func TestFinalizeDelegTimestamps(t *testing.T) {
	res := run(t, header+`clients:
  - name: c1
    callback: {partitions: [{from: 1s}]}
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 26}
      - {op: fsync, file: f}
locals:
  - name: l1
    script:
      - {at: 2s, op: open-write, file: f, startup: 0}
      - {op: local-stat, file: f, startup: 0}
`, scenarios.Options{Profile: "linux-7.2"})
	rev := events(res, model.EvRevoke)
	if len(rev) != 1 {
		t.Fatalf("revocations %v: want one", rev)
	}
	if st := op(t, res, "l1#2"); st.Mtime != rev[0].At {
		t.Errorf("stat %v: want mtime stamped at the revocation (%v)", st, rev[0].At)
	}
}

// TestOpenXorDelegation: a 4.2 OPEN that gets a delegation gets no open
// stateid where the server implements it (OPEN4_RESULT_NO_OPEN_STATEID,
// RFC 9754 §5; nfsd 6.14): the client writes with the delegation stateid
// and its close sends no CLOSE. A file still open at the recall has no
// open state at the server, so it is first opened with
// CLAIM_DELEG_CUR_FH, then returned (nfs_delegation_claim_opens). On 6.12
// the OPEN's open stateid stands: a plain DELEGRETURN, and CLOSE later.
func TestOpenXorDelegation(t *testing.T) {
	const s = header + `clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 26}
      - {op: fsync, file: f}
      - {at: 2s, op: close, file: f}
locals:
  - name: l1
    script: [{at: 1s, op: lsattr, file: f, startup: 0}]
`
	tests := []struct {
		profile       string
		closes, claim int
	}{{"linux-6.12", 1, 0}, {"linux-6.17", 1, 1}, {"linux-7.2", 1, 1}}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			res := run(t, s, scenarios.Options{Profile: tt.profile, Trace: true})
			if n := res.Sent[model.MsgClose]; n != tt.closes {
				t.Errorf("%d CLOSEs, want %d", n, tt.closes)
			}
			claims := 0
			for _, m := range sentKinds(res, model.MsgOpen, false) {
				if m.Msg.Flags&model.FlagClaimDelegCur != 0 {
					claims++
				}
			}
			if claims != tt.claim {
				t.Errorf("%d CLAIM_DELEG_CUR_FH opens, want %d", claims, tt.claim)
			}
			if len(events(res, model.EvReturn)) != 1 || len(events(res, model.EvGrant)) != 1 {
				t.Errorf("want one grant and one return")
			}
			for _, m := range sentKinds(res, model.MsgWrite, false) {
				if xor := tt.closes == 0; xor && m.Msg.Stateid != 2 {
					t.Errorf("WRITE with stateid %d, want the delegation's (2)", m.Msg.Stateid)
				}
			}
		})
	}
}

// TestDelegReturnCostPlacement: nfsd's DELEGRETURN work before
// generic_delete_lease delays the lease removal, and a blocked local
// opener proceeds at the removal, before the reply reaches the client.
// A 7.x client sends DELEGRETURN before its CB_RECALL reply, and its
// compound's SETATTR of delegated times adds its cost before the removal.
func TestDelegReturnCostPlacement(t *testing.T) {
	const s = header + `server: {delegreturn: 2ms, setattr: 30ms, delegreturn_reply: 1ms, rpc: 10ms, cb_queue: 0}
clients:
  - name: c1
    reaction: 0
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 10}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 1s, op: cat, file: f, startup: 0}]
`
	for _, tt := range []struct {
		profile     string
		wait        time.Duration // the cat's wait for the removal
		returnFirst bool
	}{{"linux-6.12", 2 * time.Millisecond, false}, {"linux-7.2", 32 * time.Millisecond, true}} {
		t.Run(tt.profile, func(t *testing.T) {
			res := run(t, s, scenarios.Options{Profile: tt.profile, Trace: true})
			cat := op(t, res, "l1#1")
			if got := cat.End - cat.Start; got != tt.wait {
				t.Errorf("cat waited %v, want %v", got, tt.wait)
			}
			reply := sentKinds(res, model.MsgDelegReturn, true)
			if len(reply) != 1 || reply[0].Sent != cat.End || reply[0].Arrives != cat.End+time.Millisecond {
				t.Errorf("DELEGRETURN reply %v: want it sent at the removal, arriving 1 ms later", reply)
			}
			var order []model.MsgKind
			for _, m := range res.Messages {
				if m.Msg.From == 1 && (m.Msg.Kind == model.MsgDelegReturn || m.Msg.Kind == model.MsgCBRecall) {
					order = append(order, m.Msg.Kind)
				}
			}
			if first := order[0] == model.MsgDelegReturn; first != tt.returnFirst {
				t.Errorf("client sent %v: DELEGRETURN first = %v, want %v", order, first, tt.returnFirst)
			}
		})
	}
}

// TestOpenXorNoClose: without a recall, an open-XOR-delegation open is
// closed without any CLOSE (7.2 capture: OPEN, WRITE, no CLOSE).
func TestOpenXorNoClose(t *testing.T) {
	for _, tt := range []struct {
		profile string
		closes  int
	}{{"linux-6.12", 1}, {"linux-7.2", 0}} {
		res := run(t, header+"clients:\n  - name: c1\n    script:\n      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}\n      - {op: write, file: f, bytes: 26}\n      - {op: close, file: f}\n", scenarios.Options{Profile: tt.profile})
		if n := res.Sent[model.MsgClose]; n != tt.closes {
			t.Errorf("%s: %d CLOSEs, want %d", tt.profile, n, tt.closes)
		}
	}
}
