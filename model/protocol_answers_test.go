package model_test

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// TestRecallAnswers: nfsd's reaction to each answer a client can give a
// CB_RECALL (nfsd4_cb_recall_done, nfsd4_cb_done): NFS4ERR_DELAY is
// resent every 2 s without limit; NFS4ERR_BAD_STATEID and
// NFS4ERR_BADHANDLE once (dl_retries); any other error, or an ok without
// a DELEGRETURN, ends the callback; no answer times the callback out
// after max_cb_time (9 s), and a v4.1+ backchannel then resends it. Every
// delegation not returned is revoked one lease after the recall, when a
// blocked writer finally proceeds.
func TestRecallAnswers(t *testing.T) {
	tests := []struct {
		answers string
		recalls int           // CB_RECALLs sent
		done    time.Duration // when the blocked writer proceeds
		revoked bool
	}{
		{"[ok]", 1, 0, false},
		{"[NFS4ERR_DELAY, NFS4ERR_DELAY, ok]", 3, 4 * time.Second, false},
		{"[NFS4ERR_DELAY]", 0, 91 * time.Second, true}, // resent for the whole lease
		{"[NFS4ERR_BAD_STATEID]", 2, 91 * time.Second, true},
		{"[NFS4ERR_BADHANDLE]", 2, 91 * time.Second, true},
		{"[NFS4ERR_RESOURCE]", 1, 91 * time.Second, true},
		{"[keep]", 1, 91 * time.Second, true},
		{"[none]", 0, 91 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.answers, func(t *testing.T) {
			res := run(t, header+`clients:
  - name: c1
    renew_phase: 59s
    recall_answers: `+tt.answers+`
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 1s, op: open-write, file: f, startup: 0}]
`, scenarios.Options{})
			if n := res.Sent[model.MsgCBRecall]; tt.recalls > 0 && n != tt.recalls {
				t.Errorf("%d CB_RECALLs, want %d", n, tt.recalls)
			}
			w := op(t, res, "l1#1")
			if w.Result != "ok" {
				t.Fatalf("writer %v", w)
			}
			waited := w.End - w.Start
			if tt.done == 0 && waited > 50*time.Millisecond {
				t.Errorf("writer waited %v, want the few ms of a return", waited)
			}
			if tt.done > 0 && (waited < tt.done-time.Second || waited > tt.done+100*time.Millisecond) {
				t.Errorf("writer waited %v, want about %v", waited, tt.done)
			}
			if got := len(events(res, model.EvRevoke)) == 1; got != tt.revoked {
				t.Errorf("revoked %v, want %v", got, tt.revoked)
			}
		})
	}
}

// TestRevokedDelegationStateid: after revocation nfsd keeps a v4.1+
// client's delegation on cl_revoked (revoke_delegation): I/O with its
// stateid gets NFS4ERR_DELEG_REVOKED, and every SEQUENCE reply carries
// SEQ4_STATUS_RECALLABLE_STATE_REVOKED until the client's TEST_STATEID
// finds it (NFS4ERR_DELEG_REVOKED) and FREE_STATEID frees it
// (RFC 8881 §8.2.3, §18.46.3). The Linux client then drops the
// delegation and sends its I/O again with its open stateid (6.12 kept
// one from the OPEN): the data it wrote after the revocation still
// reaches the server. A v4.0 client's revoked delegation is destroyed:
// its stateid is unknown (NFS4ERR_BAD_STATEID).
func TestRevokedDelegationStateid(t *testing.T) {
	res := run(t, header+`until: 150s
clients:
  - name: c1
    renew_phase: 50s
    recall_answers: [keep]
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 10}
      - {at: 100s, op: write, file: f, bytes: 10}
      - {op: fsync, file: f}
locals:
  - name: l1
    script: [{at: 1s, op: cat, file: f, startup: 0}]
`, scenarios.Options{Trace: true})
	if len(events(res, model.EvRevoke)) != 1 {
		t.Fatal("no revocation")
	}
	if got := replies(res, model.MsgWrite, model.NFS4ErrDelegRevoked); got != 1 {
		t.Errorf("%d WRITEs answered NFS4ERR_DELEG_REVOKED, want 1", got)
	}
	if res.Sent[model.MsgTestStateid] > 1 || res.Sent[model.MsgFreeStateid] != 1 {
		t.Errorf("TEST_STATEID %d, FREE_STATEID %d: want at most one test and one free",
			res.Sent[model.MsgTestStateid], res.Sent[model.MsgFreeStateid])
	}
	if fs := op(t, res, "c1#4"); fs.Result != "ok" {
		t.Errorf("fsync %v: want ok, the data written again with the open stateid", fs)
	}
	if f := res.Actors[0].(*model.Server).Files()[0]; f.Size != 20 {
		t.Errorf("server size %d, want 20", f.Size)
	}
	if len(events(res, model.EvRevokeSeen)) != 1 {
		t.Errorf("the client did not drop the revoked delegation")
	}
}

// TestRevokedHolderLosesWrite: when the open the Linux client needs to
// recover after a revocation cannot be had (another client's OPEN
// denies writing; open-XOR-delegation on 7.2 left the client no open
// stateid), the open state is lost (nfs4_state_mark_recovery_failed) and
// the dirty pages with it. A close or fsync would report EIO; without
// one the application never hears, and the lost-write check finds the
// write made after the revocation.
func TestRevokedHolderLosesWrite(t *testing.T) {
	for _, tail := range []string{"", "      - {at: 150s, op: close, file: f}\n"} {
		res := run(t, header+`profile: linux-7.2
until: 180s
clients:
  - name: c1
    recall_answers: [keep]
    renew_phase: 50s
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 100}
      - {at: 100s, op: write, file: f, bytes: 100}
`+tail+`  - name: c2
    script: [{at: 1s, op: open, file: f, flags: [O_RDWR], deny: write}]
`, scenarios.Options{Trace: true})
		if got := replies(res, model.MsgOpen, model.NFS4ErrShareDenied); got != 1 {
			t.Fatalf("%d OPENs denied, want c1's recovery OPEN", got)
		}
		lost := checker.LostWrites(res, func(string, uint64) bool { return false })
		if tail == "" {
			if len(lost) != 1 || lost[0].Invariant != checker.LostWrite {
				t.Errorf("without a close: %v, want c1#3 lost", lost)
			}
			continue
		}
		if cl := op(t, res, "c1#4"); cl.Result != "EIO" {
			t.Errorf("close %v: want EIO, the write-back error", cl)
		}
		if len(lost) != 0 {
			t.Errorf("with a failed close the application was told: %v", lost)
		}
	}
}

// replies counts the replies of kind k with status st (runs with
// Options.Trace).
func replies(res *sim.Result, k model.MsgKind, st model.Status) int {
	n := 0
	for _, m := range res.Messages {
		if m.Msg.Reply && m.Msg.Kind == k && m.Msg.Status == st {
			n++
		}
	}
	return n
}
