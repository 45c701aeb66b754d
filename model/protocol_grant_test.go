package model_test

import (
	"strings"
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

func refusals(t *testing.T, yaml string, o scenarios.Options) (grants int, why string) {
	t.Helper()
	res := run(t, yaml, o)
	for _, e := range events(res, model.EvDelegRefused) {
		why = e.Why
	}
	return len(events(res, model.EvGrant)), why
}

// TestWritersBlockDelegations: nfsd4_check_conflicting_opens counts every
// writer of the inode (i_writecount): a local process holding the file
// open for write is a non-NFSv4 writer and no client gets a delegation
// of any kind. An aliased file (fi_aliased: another filehandle reaches
// the inode) cannot have its writers told apart, so even the opening
// client's own write open refuses it. An OPEN for write of a setuid or
// setgid file gets none (nfsd4_verify_setuid_write).
func TestWritersBlockDelegations(t *testing.T) {
	tests := []struct {
		name, file, local, flags string
		grants                   int
		why                      string
	}{
		{"no local writer", "{name: f, exists: true}", "", "O_RDWR", 1, ""},
		{"local writer holds it open", "{name: f, exists: true}", "{op: open-write, file: f, startup: 0, hold: 10s}", "O_RDWR", 0, "i_writecount"},
		{"local writer holds it open, client reads", "{name: f, exists: true}", "{op: open-write, file: f, startup: 0, hold: 10s}", "O_RDONLY", 0, "i_writecount"},
		{"local reader holds it open", "{name: f, exists: true}", "{op: open-read, file: f, startup: 0, hold: 10s}", "O_RDWR", 1, ""},
		{"local writer closed again", "{name: f, exists: true}", "{op: open-write, file: f, startup: 0}", "O_RDWR", 1, ""},
		{"aliased, client writes", "{name: f, exists: true, aliased: true}", "", "O_RDWR", 0, "fi_aliased"},
		{"aliased, client reads", "{name: f, exists: true, aliased: true}", "", "O_RDONLY", 1, ""},
		{"setuid, client writes", "{name: f, exists: true, setuid: true}", "", "O_RDWR", 0, "nfsd4_verify_setuid_write"},
		{"setuid, client reads", "{name: f, exists: true, setuid: true}", "", "O_RDONLY", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := "name: t\nversion: 1\nfiles: [" + tt.file + "]\nclients:\n  - name: c1\n    script:\n      - {at: 1s, op: open, file: f, flags: [" + tt.flags + "]}\n"
			if tt.local != "" {
				y += "locals:\n  - name: l1\n    script: [" + tt.local + "]\n"
			}
			grants, why := refusals(t, y, scenarios.Options{})
			if grants != tt.grants || !strings.Contains(why, tt.why) {
				t.Errorf("%d grants (refused: %q), want %d (refused for %q)", grants, why, tt.grants, tt.why)
			}
		})
	}
}

// TestLockdGrace: with NFSv3 enabled nfsd starts lockd too
// (nfsd_needs_lockd), whose grace period, 5 × nlm_timeout = 50 s
// (get_lockd_grace_period), keeps locks_in_grace() true: no delegation
// until it ends, even when nfsd skips its own grace (no clients to
// reclaim).
func TestLockdGrace(t *testing.T) {
	tests := []struct {
		server string
		at     string
		grants int
	}{
		{"{started: 0s}", "10s", 1},              // NFSv4 only: no lockd
		{"{nfsv3: true, started: 0s}", "10s", 0}, // lockd in grace
		{"{nfsv3: true, started: 0s}", "49s", 0},
		{"{nfsv3: true, started: 0s}", "51s", 1},
		{"{nfsv3: true}", "10s", 1}, // started long before the run
		{"{nfsv3: true, started: 0s, lockd_grace: 20s}", "21s", 1},
	}
	for _, tt := range tests {
		t.Run(tt.server+"/"+tt.at, func(t *testing.T) {
			y := header + "server: " + tt.server + "\nclients:\n  - name: c1\n    script: [{at: " + tt.at + ", op: open, file: f, flags: [O_CREAT, O_RDWR]}]\n"
			if grants, why := refusals(t, y, scenarios.Options{}); grants != tt.grants {
				t.Errorf("%d grants (refused: %q), want %d", grants, why, tt.grants)
			}
		})
	}
}

// TestDelegationBlockedByRelease: delegation_blocked keeps a recalled
// file from a new delegation for 30–60 s since "nfsd: fix
// delegation_blocked() to block correctly for at least 30 seconds" (6.12
// merge window, backported to 6.6.57); 6.6.0 and 6.9 cleared the wrong
// half of the filter at the swap, blocking for 0–30 s. The recall is at
// 1 s; the filter swaps at the first check more than 30 s after that.
func TestDelegationBlockedByRelease(t *testing.T) {
	const scenario = header + `clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
      - {at: 20s, op: open, file: f, flags: [O_RDWR]}
      - {op: close, file: f}
      - {at: 40s, op: open, file: f, flags: [O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 1s, op: lsattr, file: f, startup: 0}]
`
	tests := []struct {
		profile string
		grants  int // the first, then the one at 40 s only with the bug
	}{
		{"linux-6.6", 2},
		{"linux-6.9", 2},
		{"linux-6.12", 1},
		{"linux-7.2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			if grants, _ := refusals(t, scenario, scenarios.Options{Profile: tt.profile}); grants != tt.grants {
				t.Errorf("%d grants, want %d", grants, tt.grants)
			}
		})
	}
}
