package model

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Forever is a wait bound that never expires.
const Forever Time = math.MaxInt64

// Profile holds the behaviour of one kernel release, server (nfsd and the
// VFS) and client (fs/nfs and the VM) alike: the traces delegsim is checked
// against run the same release on both sides. Each field names the change
// that introduced it and the release it first shipped in (see
// docs/scenarios.md, "Profiles", for the table).
type Profile struct {
	Name string
	// WriteDelegWronly: a v4.1+ O_WRONLY open (SHARE_ACCESS_WRITE) gets a
	// write delegation. Before 6.17 only SHARE_ACCESS_BOTH did
	// (nfs4_set_delegation; 6.6.0 already had "nfsd: don't hand out write
	// delegations on O_WRONLY opens", merged with write delegations in the
	// 6.6 merge window).
	WriteDelegWronly bool
	// CBGetattr: another client's GETATTR against a write delegation is
	// answered via CB_GETATTR (nfsd4_deleg_getattr_conflict, 6.9+) instead of
	// a recall.
	CBGetattr bool
	// BlockedSwapBug: delegation_blocked clears the new half of its bloom
	// filter instead of the old one when it swaps, so a recalled file is
	// blocked for 0–30 s instead of 30–60 s. Fixed by "nfsd: fix
	// delegation_blocked() to block correctly for at least 30 seconds"
	// (6.12 merge window, backported to 6.6.57 and 6.11.4; 6.6.0 and 6.9,
	// end-of-life before the fix, shipped the bug).
	BlockedSwapBug bool
	// CBRunningGuard: nfsd_break_one_deleg skips a lease break while the
	// delegation's callback is running (NFSD4_CALLBACK_RUNNING, "nfsd:
	// prevent callback tasks running concurrently", 6.15). Before, only a
	// callback still queued was skipped, so every lm_break sent a CB_RECALL.
	CBRunningGuard bool
	// OpenXorDeleg: a 4.2 OPEN that gets a delegation gets no open stateid
	// (OPEN4_RESULT_NO_OPEN_STATEID, RFC 9754; nfsd "implement
	// OPEN_ARGS_SHARE_ACCESS_WANT_OPEN_XOR_DELEGATION", 6.14). The Linux
	// client (6.11+) asks for it whenever the server advertises it.
	OpenXorDeleg bool
	// DelegTimestamps: a 4.2 client that asks (OPEN4_SHARE_ACCESS_WANT_
	// DELEG_TIMESTAMPS) gets OPEN_DELEGATE_WRITE_ATTRS_DELEG /
	// READ_ATTRS_DELEG: it owns mtime and atime while it holds the
	// delegation, nfsd freezes c/mtime on the file (FMODE_NOCMTIME) and
	// takes the times from the client's SETATTR in the DELEGRETURN compound
	// or stamps them at return (nfsd4_finalize_deleg_timestamps). Added in
	// 6.14, off by default from 6.15 (CONFIG_NFSD_V4_DELEG_TIMESTAMPS,
	// default n), on by default again from 7.0 (runtime switch
	// nfsd_delegts_enabled = true).
	DelegTimestamps bool
	// ReturnBeforeCBReply: the client sends DELEGRETURN before its reply to
	// CB_RECALL (seen on every 7.2 capture; 6.12 replies first).
	ReturnBeforeCBReply bool
	// FreshBdiFlush: the flusher writes back a freshly mounted NFS
	// superblock's dirty pages at its first wake-up, dirty_writeback (5 s)
	// after they were dirtied: a bdi with no writeout history has a zero
	// share of the background threshold (__wb_calc_thresh), so
	// wb_over_bg_thresh is true. From 6.14 ("mm/page-writeback:
	// consolidate wb_thresh bumping logic into __wb_calc_thresh") the share
	// is raised to (thresh - dirty)/8 and small amounts wait for
	// dirty_expire (30 s) like on any other disk.
	FreshBdiFlush bool
	// DirDeleg: the client asks GET_DIR_DELEGATION when it revalidates a
	// directory (the 7.2 captures: SEQUENCE PUTFH GET_DIR_DELEGATION on
	// the export during the unmount's path walk) and nfsd grants a read
	// delegation on it (nfsd_get_dir_deleg), recalled when a name in the
	// directory changes. nfsd answers GDD4_UNAVAIL from 6.10 until it
	// grants them; the 6.x clients of the other profiles do not ask.
	DirDeleg bool
}

var profiles = map[string]Profile{
	"linux-6.6":  {Name: "linux-6.6", BlockedSwapBug: true, FreshBdiFlush: true},
	"linux-6.9":  {Name: "linux-6.9", CBGetattr: true, BlockedSwapBug: true, FreshBdiFlush: true},
	"linux-6.12": {Name: "linux-6.12", CBGetattr: true, FreshBdiFlush: true},
	"linux-6.17": {Name: "linux-6.17", CBGetattr: true, WriteDelegWronly: true, CBRunningGuard: true,
		OpenXorDeleg: true},
	"linux-7.2": {Name: "linux-7.2", CBGetattr: true, WriteDelegWronly: true, CBRunningGuard: true,
		OpenXorDeleg: true, DelegTimestamps: true, ReturnBeforeCBReply: true, DirDeleg: true},
}

// DefaultProfile is the profile used when a scenario names none.
const DefaultProfile = "linux-6.12"

// LookupProfile returns the named profile.
func LookupProfile(name string) (Profile, error) {
	if p, ok := profiles[name]; ok {
		return p, nil
	}
	return Profile{}, fmt.Errorf("unknown profile %q (allowed: %s)", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists every accepted profile name, oldest release first.
func ProfileNames() []string {
	var names []string
	for n := range profiles {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return versionLess(names[i], names[j]) })
	return names
}

func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "linux-%d.%d", &am, &an)
	fmt.Sscanf(b, "linux-%d.%d", &bm, &bn)
	if am != bm {
		return am < bm
	}
	return an < bn
}

// ServerParams are nfsd's and the VFS's timers. Zero fields take the
// kernel's defaults (DefaultServerParams).
type ServerParams struct {
	Lease           Time // nfsd lease time (nfsd4_init_leases_net): 90 s
	CBTimeout       Time // callback RPC timeout, max(lease/10, 1 s) (max_cb_time)
	CBResend        Time // CB_RECALL answered NFS4ERR_DELAY is resent after this (nfsd4_cb_recall_done)
	LeaseBreakTime  Time // fs.lease-break-time: reader downgrade deadline (fs/locks.c)
	DelegReturnWait Time // nfsd thread wait for DELEGRETURN / CB_GETATTR: HZ/34 (NFSD_DELEGRETURN_TIMEOUT)
	BlockPeriod     Time // delegation_blocked bloom filter swap period: 30 s
	Grace           Time // nfsd's own grace period ends at this time; 0: not in grace
	// NFSv3 enabled (nfsd_needs_lockd): nfsd also starts lockd, whose grace
	// period keeps locks_in_grace() true, and with it every delegation
	// refused, for LockdGrace after nfsd started (set_grace_period).
	NFSv3 bool
	// Started is when nfsd (and lockd) started, if HasStarted; otherwise
	// long before the run, out of every grace period.
	Started    Time
	HasStarted bool
	LockdGrace Time // lockd's grace: 5 × nlm_timeout (10 s) = 50 s (get_lockd_grace_period)
}

// DefaultServerParams returns the kernel defaults.
func DefaultServerParams() ServerParams {
	return ServerParams{
		Lease:           90 * time.Second,
		CBResend:        2 * time.Second,
		LeaseBreakTime:  45 * time.Second,
		DelegReturnWait: 30 * time.Millisecond,
		BlockPeriod:     30 * time.Second,
		LockdGrace:      50 * time.Second,
	}
}

// WithDefaults returns p with its zero fields set to the kernel defaults.
func (p ServerParams) WithDefaults() ServerParams {
	d := DefaultServerParams()
	if p.Lease == 0 {
		p.Lease = d.Lease
	}
	if p.CBTimeout == 0 {
		// max_cb_time: max(lease/10, 1s).
		p.CBTimeout = max(p.Lease/10, time.Second)
	}
	if p.CBResend == 0 {
		p.CBResend = d.CBResend
	}
	if p.LeaseBreakTime == 0 {
		p.LeaseBreakTime = d.LeaseBreakTime
	}
	if p.DelegReturnWait == 0 {
		p.DelegReturnWait = d.DelegReturnWait
	}
	if p.BlockPeriod == 0 {
		p.BlockPeriod = d.BlockPeriod
	}
	if p.LockdGrace == 0 {
		p.LockdGrace = d.LockdGrace
	}
	return p
}

// inGrace is locks_in_grace(): nfsd's own grace period, or lockd's when
// NFSv3 is on (both register a lock manager on the net's grace list).
func (p *ServerParams) inGrace(now Time) bool {
	if now < p.Grace {
		return true
	}
	return p.NFSv3 && p.HasStarted && now >= p.Started && now < p.Started+p.LockdGrace
}
