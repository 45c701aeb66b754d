package model_test

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// TestSecondBreakSendsAnotherRecall: __break_lease calls lm_break again
// only for a break of a new kind (a writer after a reader's
// FL_DOWNGRADE_PENDING), and nfsd_break_one_deleg then queues another
// CB_RECALL. From 6.15 it skips the break while the first callback is
// still running (NFSD4_CALLBACK_RUNNING); once that one has completed, a
// new break sends a new CB_RECALL. Before 6.15 only a callback still
// waiting in the workqueue was skipped, so every lm_break sent one.
func TestSecondBreakSendsAnotherRecall(t *testing.T) {
	// The client answers CB_RECALL NFS4ERR_DELAY-free but slowly: its
	// callback channel takes 300 ms each way, so the first CB_RECALL is
	// running when the writer comes at +100 ms, and done (answered, the
	// DELEGRETURN still on its way) at +700 ms.
	const scenario = header + `clients:
  - name: c1
    callback: {latency: 300ms}
    fore: {latency: 500ms}
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 5s, op: lsattr, file: f, startup: 0}]
  - name: l2
    script: [{at: %s, op: open-write, file: f, startup: 0}]
`
	tests := []struct {
		profile, writerAt string
		recalls           int
	}{
		{"linux-6.12", "5100ms", 2}, // lm_break again while the first runs: sent anyway
		{"linux-6.17", "5100ms", 1}, // skipped: NFSD4_CALLBACK_RUNNING
		{"linux-6.17", "5700ms", 2}, // the first has completed: another one
		{"linux-6.12", "5700ms", 2},
	}
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.writerAt, func(t *testing.T) {
			res := run(t, sprintf(scenario, tt.writerAt), scenarios.Options{Profile: tt.profile})
			if n := res.Sent[model.MsgCBRecall]; n != tt.recalls {
				t.Errorf("%d CB_RECALLs, want %d", n, tt.recalls)
			}
			if rev := events(res, model.EvRevoke); len(rev) != 0 {
				t.Errorf("revoked: %v", rev)
			}
		})
	}
}

// TestNfsdWaitsForNoLease: nfsd_wait_for_delegreturn waits until no lease
// at all is left on the inode (nfsd4_deleg_present), not until the
// conflicting ones are gone. A v4.1 client holding a read delegation that
// sets the file's times breaks only the other client's read delegation
// (its own is no conflict: nfsd_breaker_owns_lease, and the Linux client
// keeps it for a SETATTR of times); the other returns at once, but the
// setter's own lease is still there, so nfsd times out after 30 ms and
// answers NFS4ERR_DELAY. The retry finds no conflict.
func TestNfsdWaitsForNoLease(t *testing.T) {
	res := run(t, `name: t
version: 1
files: [{name: f, exists: true, size: 10}]
clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
  - name: c2
    script:
      - {at: 100ms, op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
      - {at: 1s, op: setattr, file: f, set: [times]}
`, scenarios.Options{})
	if g := events(res, model.EvGrant); len(g) != 2 {
		t.Fatalf("%d grants, want a read delegation each", len(g))
	}
	if n := res.Sent[model.MsgCBRecall]; n != 1 {
		t.Errorf("%d CB_RECALLs, want 1 (c1's)", n)
	}
	rm := op(t, res, "c2#3")
	if rm.Result != "ok" || rm.Attempts != 2 {
		t.Fatalf("setattr %v: want ok on the second try", rm)
	}
	ret := events(res, model.EvReturn)
	delay := events(res, model.EvNfsdDelay)
	if len(ret) != 1 || len(delay) != 1 || delay[0].At != time.Second+30*time.Millisecond || ret[0].At > delay[0].At {
		t.Errorf("return %v, NFS4ERR_DELAY %v: want c1's return, then the 30 ms wait running out", ret, delay)
	}
}
