package model_test

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// holder is a client that writes into its page cache at 1 s and keeps
// the file open: only the flusher writes the pages back.
const holder = header + `clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {at: 1s, op: write, file: f, bytes: 312000}
`

// TestFlusherByRelease: the flusher wakes dirty_writeback (5 s) after a
// clean superblock's first dirty page (wb_wakeup_delayed) and every 5 s
// while pages stay dirty. Before 6.14 a freshly mounted bdi has no share
// of the background threshold (__wb_calc_thresh: no writeout
// completions), so the first wake-up writes everything — the 6.12 dirty
// holder capture's WRITE 5.1 s after the write. From 6.14 the share is
// raised to (thresh - dirty)/8 and the pages wait for dirty_expire (30 s):
// the 7.2 capture still had size 0 after 12 s. Once the bdi has written
// anything back, the old rule holds on 6.12 too.
func TestFlusherByRelease(t *testing.T) {
	tests := []struct {
		name, profile, script string
		at                    time.Duration
	}{
		{"fresh bdi, 6.12", "linux-6.12", holder, 6 * time.Second},
		{"fresh bdi, 6.9", "linux-6.9", holder, 6 * time.Second},
		{"fresh bdi, 6.17", "linux-6.17", holder, 31 * time.Second},
		{"fresh bdi, 7.2", "linux-7.2", holder, 31 * time.Second},
		// A close flushed earlier: the bdi has completions.
		{"written bdi, 6.12", "linux-6.12", header + `clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 10}
      - {op: close, file: f}
      - {op: open, file: f, flags: [O_RDWR]}
      - {at: 1s, op: write, file: f, bytes: 312000}
`, 35 * time.Second}, // the flusher's work was queued by the first write, at 0 s: 5, 10, ... 35 s
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.script, scenarios.Options{Profile: tt.profile})
			wb := events(res, model.EvWriteback)
			if len(wb) != 1 || wb[0].At.Truncate(time.Second) != tt.at {
				t.Fatalf("writeback %v: want one at %v", wb, tt.at)
			}
		})
	}
}

// TestRenewdSchedule: renewd's first run is 2/3 lease after the lease was
// established (nfs4_schedule_state_renewal: renew_phase 60 s for a client
// mounted as the run starts). It sends RENEW when the last renewal is
// more than a third of a lease old or delegations are held
// (nfs4_renew_state), and runs again 2/3 lease after the latest renewal,
// at least 5 s on: the client's own requests push it back.
func TestRenewdSchedule(t *testing.T) {
	tests := []struct {
		name, script string
		renews       []time.Duration // RENEWs sent
	}{
		{"idle", "[]", []time.Duration{60 * time.Second, 120 * time.Second, 180 * time.Second}},
		// A GETATTR at 50 s renewed the lease: at 60 s it is 10 s old, so
		// no RENEW; the next run is at 50 s + 60 s.
		{"busy", "[{at: 50s, op: stat, file: f}]", []time.Duration{110 * time.Second, 170 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, "name: t\nversion: 1\nuntil: 190s\nfiles: [{name: f, exists: true}]\nclients:\n  - name: c1\n    renew_phase: 60s\n    script: "+tt.script+"\n", scenarios.Options{Trace: true})
			var got []time.Duration
			for _, m := range sentKinds(res, model.MsgRenew, false) {
				got = append(got, m.Sent)
			}
			if len(got) < len(tt.renews) {
				t.Fatalf("RENEWs at %v, want %v", got, tt.renews)
			}
			for i, want := range tt.renews {
				if got[i] < want || got[i] > want+20*time.Millisecond {
					t.Errorf("RENEW %d at %v, want at %v (+ reply times)", i, got[i], want)
				}
			}
		})
	}
}

// TestCreatingOpenReferencesDelegation: nfs_inode_set_delegation sets
// NFS_DELEGATION_REFERENCED, so the OPEN that got the delegation counts
// as a use: the first renewd run only clears the flag, the second returns
// the delegation (nfs_expire_unreferenced_delegations), 60–120 s after
// the last use.
func TestCreatingOpenReferencesDelegation(t *testing.T) {
	res := run(t, "name: t\nversion: 1\nuntil: 200s\nfiles: [{name: f}]\nclients:\n  - name: c1\n    renew_phase: 30s\n    script:\n      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}\n      - {op: close, file: f}\n", scenarios.Options{})
	idle := events(res, model.EvIdleReturn)
	if len(idle) != 1 || idle[0].At < 90*time.Second || idle[0].At > 91*time.Second {
		t.Fatalf("idle returns %v: want one at the second renewd run (30 s + 60 s)", idle)
	}
}

// TestAttributeCache: without a delegation, stat answers from the
// attribute cache while it is fresh (nfs_getattr:
// nfs_attribute_cache_expired): acregmin 3 s after a change, doubling to
// acregmax while nothing changes; noac and actimeo set the times. A read
// after OPEN sends READ unless the cached data matches the change
// attribute the OPEN returned (close-to-open).
func TestAttributeCache(t *testing.T) {
	const file = "name: t\nversion: 1\nfiles: [{name: f, exists: true, size: 10}]\nclients:\n  - name: c1\n"
	tests := []struct {
		name, opts, script string
		getattrs, reads    int
	}{
		{"second stat within acregmin", "", "[{op: stat, file: f}, {after: 1s, op: stat, file: f}]", 1, 0},
		{"second stat after acregmin", "", "[{op: stat, file: f}, {after: 4s, op: stat, file: f}]", 2, 0},
		// Unchanged at 4 s: the timeout doubles to 6 s.
		{"timeout doubles", "", "[{op: stat, file: f}, {after: 4s, op: stat, file: f}, {after: 5s, op: stat, file: f}]", 2, 0},
		{"noac", "    noac: true\n", "[{op: stat, file: f}, {after: 1ms, op: stat, file: f}]", 2, 0},
		{"actimeo", "    actimeo: 30s\n", "[{op: stat, file: f}, {after: 20s, op: stat, file: f}]", 1, 0},
		{"read after open", "", "[{op: open, file: f, flags: [O_RDONLY]}, {op: read, file: f}, {op: read, file: f}]", 0, 1},
		{"reopen, unchanged", "", "[{op: open, file: f, flags: [O_RDONLY]}, {op: read, file: f}, {op: close, file: f}, {op: open, file: f, flags: [O_RDONLY]}, {op: read, file: f}]", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A local writer keeps nfsd from granting a read delegation,
			// which would answer everything from the client's cache.
			res := run(t, file+tt.opts+"    script: "+tt.script+"\nlocals:\n  - name: l1\n    script: [{op: open-write, file: f, startup: 0, hold: 100s}]\n", scenarios.Options{})
			if g := res.Sent[model.MsgGetattr]; g != tt.getattrs {
				t.Errorf("%d GETATTRs, want %d", g, tt.getattrs)
			}
			if r := res.Sent[model.MsgRead]; r != tt.reads {
				t.Errorf("%d READs, want %d", r, tt.reads)
			}
		})
	}
}

// TestDelayBackoffCap: NFS4ERR_DELAY back-off doubles from 100 ms and is
// capped at 15 s (NFS4_POLL_RETRY_MAX, nfs4_update_delay); the delay
// lives in the system call's nfs4_exception, so the next call starts
// again at 100 ms.
func TestDelayBackoffCap(t *testing.T) {
	res := run(t, header+`clients:
  - name: c1
    callback: {partitions: [{from: 0s}]}
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
  - name: c2
    script:
      - {at: 1s, op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
      - {at: 150s, op: setattr, file: f}
`, scenarios.Options{Trace: true})
	var tries []time.Duration
	for _, m := range sentKinds(res, model.MsgOpen, false) {
		if m.Msg.From == 2 {
			tries = append(tries, m.Sent)
		}
	}
	var gaps []time.Duration
	for i := 1; i < len(tries); i++ {
		gaps = append(gaps, (tries[i] - tries[i-1]).Round(100*time.Millisecond))
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 6400, 12800, 15000, 15000}
	for i, w := range want {
		if i >= len(gaps) || gaps[i] != w*time.Millisecond+gapRTT(res, i) {
			t.Fatalf("gaps between OPENs %v: want %v ms (plus each reply's trip)", gaps, want)
		}
	}
	if sa := op(t, res, "c2#3"); sa.Attempts != 1 {
		t.Errorf("setattr %v: a new call, no delay left over", sa)
	}
}

// gapRTT is the time the i-th NFS4ERR_DELAY reply took, rounded as the
// gaps are: the back-off starts when the reply arrives.
func gapRTT(res *sim.Result, i int) time.Duration {
	n := 0
	for _, m := range res.Messages {
		if m.Msg.Kind == model.MsgOpen && m.Msg.Reply && m.Msg.To == 2 && m.Msg.Status == model.NFS4ErrDelay {
			if n == i {
				return (m.Arrives - m.Sent).Round(100 * time.Millisecond)
			}
			n++
		}
	}
	return 0
}
