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

// Profile holds the nfsd grant and conflict rules of one kernel release
// range (see facts.md, "Grant rules by kernel profile").
type Profile struct {
	Name string
	// WriteDelegWronly: a v4.1+ O_WRONLY open (SHARE_ACCESS_WRITE) gets a
	// write delegation. Before 6.17 only SHARE_ACCESS_BOTH did
	// (nfs4_open_delegation).
	WriteDelegWronly bool
	// CBGetattr: another client's GETATTR against a write delegation is
	// answered via CB_GETATTR (nfsd4_deleg_getattr_conflict, 6.9+) instead of
	// a recall.
	CBGetattr bool
}

var profiles = map[string]Profile{
	"linux-6.6":  {Name: "linux-6.6"},
	"linux-6.9":  {Name: "linux-6.9", CBGetattr: true},
	"linux-6.12": {Name: "linux-6.12", CBGetattr: true},
	"linux-6.17": {Name: "linux-6.17", CBGetattr: true, WriteDelegWronly: true},
}

var profileAliases = map[string]string{"linux-7.2": "linux-6.17"}

// DefaultProfile is the profile used when a scenario names none.
const DefaultProfile = "linux-6.12"

// LookupProfile returns the named profile; aliases ("linux-7.2") resolve to
// the profile whose rules they share but keep their own name.
func LookupProfile(name string) (Profile, error) {
	if p, ok := profiles[name]; ok {
		return p, nil
	}
	if target, ok := profileAliases[name]; ok {
		p := profiles[target]
		p.Name = name
		return p, nil
	}
	return Profile{}, fmt.Errorf("unknown profile %q (allowed: %s)", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists every accepted profile name, aliases included.
func ProfileNames() []string {
	var names []string
	for n := range profiles {
		names = append(names, n)
	}
	for n := range profileAliases {
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
	Grace           Time // the grace period ends at this time; 0: not in grace
}

// DefaultServerParams returns the kernel defaults.
func DefaultServerParams() ServerParams {
	return ServerParams{
		Lease:           90 * time.Second,
		CBResend:        2 * time.Second,
		LeaseBreakTime:  45 * time.Second,
		DelegReturnWait: 30 * time.Millisecond,
		BlockPeriod:     30 * time.Second,
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
	return p
}
