package model_test

import (
	"fmt"
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// TestShareDeny: OPEN's share reservations (RFC 8881 §18.16.3; nfsd's
// nfs4_file_get_access and nfs4_file_check_deny, run before any lease
// break): a second open whose access the first denies, or whose deny
// meets the first's access, gets NFS4ERR_SHARE_DENIED, whether it comes
// from another client or another open-owner of the same client. The same
// owner's own opens do not conflict (an upgrade), and local processes,
// which take no share reservations, are not affected.
func TestShareDeny(t *testing.T) {
	tests := []struct {
		first, second string // flags and deny of each open
		sameClient    bool   // the second open is another owner of c1
		want          string
	}{
		{"[O_RDONLY], deny: write", "[O_RDWR]", false, "NFS4ERR_SHARE_DENIED"},
		{"[O_RDONLY], deny: write", "[O_RDONLY]", false, "ok"},
		{"[O_RDWR], deny: none", "[O_RDONLY], deny: write", false, "NFS4ERR_SHARE_DENIED"},
		{"[O_RDONLY], deny: read", "[O_RDONLY]", false, "NFS4ERR_SHARE_DENIED"},
		{"[O_RDONLY], deny: both", "[O_WRONLY]", true, "NFS4ERR_SHARE_DENIED"},
		{"[O_RDONLY], deny: none", "[O_RDONLY], deny: read", true, "NFS4ERR_SHARE_DENIED"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s then %s same client %v", tt.first, tt.second, tt.sameClient), func(t *testing.T) {
			second := "  - name: c2\n    script:\n      - {at: 1s, op: open, file: f, flags: " + tt.second + "}\n"
			if tt.sameClient {
				second = "      - {at: 1s, op: open, file: f, owner: bob, flags: " + tt.second + "}\n"
			}
			res := run(t, `name: t
version: 1
files: [{name: f, exists: true, size: 10}]
clients:
  - name: c1
    script:
      - {op: open, file: f, owner: alice, flags: `+tt.first+`}
`+second+`locals:
  - name: l1
    script: [{at: 2s, op: open-write, file: f, startup: 0}]
`, scenarios.Options{})
			name := "c2#1"
			if tt.sameClient {
				name = "c1#2"
			}
			if o := op(t, res, name); o.Result != tt.want {
				t.Errorf("second open %v, want %s", o, tt.want)
			}
			if o := op(t, res, "l1#1"); o.Result != "ok" {
				t.Errorf("a local writer %v: share deny does not apply to it", o)
			}
		})
	}
}

// TestV40OpenOwnersConfirmedOnTheirOwn: each v4.0 open-owner's first OPEN
// needs OPEN_CONFIRM (RFC 7530 §16.18, NFS4_OO_CONFIRMED), and a
// delegation only comes with an OPEN of a confirmed owner
// (nfs4_open_delegation): a second owner's first open gets none even
// though the client's first owner is long confirmed.
func TestV40OpenOwnersConfirmedOnTheirOwn(t *testing.T) {
	res := run(t, `name: t
version: 1
files: [{name: f, exists: true, size: 10}]
clients:
  - name: c1
    version: "4.0"
    script:
      - {op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
      - {op: open, file: f, owner: bob, flags: [O_RDONLY]}
      - {op: close, file: f, owner: bob}
      - {op: open, file: f, owner: bob, flags: [O_RDONLY]}
`, scenarios.Options{})
	if n := res.Sent[model.MsgOpenConfirm]; n != 2 {
		t.Errorf("%d OPEN_CONFIRMs, want one per owner", n)
	}
	for name, want := range map[string]model.DelegType{"c1#1": model.DelegNone, "c1#3": model.DelegNone, "c1#5": model.DelegRead} {
		if o := op(t, res, name); o.Deleg != want {
			t.Errorf("%v: delegation %s, want %s", o, o.Deleg, want)
		}
	}
}

// TestOpenWant: what nfsd does with OPEN4_SHARE_ACCESS_WANT_* (RFC 8881
// §18.16.3). It honours no-deleg (nfsd4_process_open2: OPEN_DELEGATE_NONE_EXT,
// WND4_NOT_WANTED) and otherwise offers what the share access allows,
// whatever kind was wanted. A refusal is answered NONE_EXT when the OPEN
// carried want bits (nfsd4_open_deleg_none_ext): WND4_RESOURCE, since
// nfs4_open_delegation never passes it -EAGAIN (so never
// WND4_CONTENTION), WND4_CANCELLED for cancel; a plain OPEN gets a plain
// OPEN_DELEGATE_NONE. A 7.2 client asks for delegated timestamps and
// open-XOR-delegation, which are want bits too.
func TestOpenWant(t *testing.T) {
	tests := []struct {
		profile, flags, want string
		deleg                model.DelegType
		why                  model.WhyNoDeleg
	}{
		{"linux-6.12", "O_RDWR", "no-deleg", model.DelegNone, model.WhyNotWanted},
		{"linux-6.12", "O_RDWR", "read", model.DelegWrite, model.WhyNone},
		{"linux-6.12", "O_RDONLY", "write", model.DelegRead, model.WhyNone},
		{"linux-6.12", "O_WRONLY", "any", model.DelegNone, model.WhyResource},
		{"linux-6.12", "O_WRONLY", "signal", model.DelegNone, model.WhyResource},
		{"linux-6.12", "O_WRONLY", "cancel", model.DelegNone, model.WhyCancelled},
		{"linux-6.12", "O_RDWR", "cancel", model.DelegWrite, model.WhyNone},
		{"linux-6.12", "O_WRONLY", "", model.DelegNone, model.WhyNone},
		{"linux-7.2", "O_RDWR", "no-deleg", model.DelegNone, model.WhyNotWanted},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/want=%s", tt.profile, tt.flags, tt.want), func(t *testing.T) {
			want := ""
			if tt.want != "" {
				want = ", want: " + tt.want
			}
			res := run(t, header+`clients:
  - name: c1
    version: "4.1"
    script: [{op: open, file: f, flags: [O_CREAT, `+tt.flags+`]`+want+`}]
`, scenarios.Options{Profile: tt.profile})
			o := op(t, res, "c1#1")
			if o.Deleg.Lease() != tt.deleg || o.Why != tt.why {
				t.Errorf("%v: %s (%s), want %s (%s)", o, o.Deleg, o.Why, tt.deleg, tt.why)
			}
		})
	}
}

// TestOpenWantRefusedByState: a refusal for the server's state is told
// WND4_RESOURCE as well (a recently recalled file, here), and a 7.2
// client's OPEN, which asks for delegated timestamps and
// open-XOR-delegation, gets a NONE_EXT reply without asking for a kind.
func TestOpenWantRefusedByState(t *testing.T) {
	for _, profile := range []string{"linux-6.12", "linux-7.2"} {
		t.Run(profile, func(t *testing.T) {
			res := run(t, header+`clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
      - {at: 2s, op: open, file: f, flags: [O_RDWR], want: any}
      - {op: close, file: f}
      - {op: open, file: f, flags: [O_RDWR]}
locals:
  - name: l1
    script: [{at: 1s, op: lsattr, file: f, startup: 0}]
`, scenarios.Options{Profile: profile})
			if o := op(t, res, "c1#3"); o.Deleg != model.DelegNone || o.Why != model.WhyResource {
				t.Errorf("want any, recently recalled: %v (%s), want WND4_RESOURCE", o, o.Why)
			}
			plain := model.WhyNone
			if profile == "linux-7.2" {
				plain = model.WhyResource
			}
			if o := op(t, res, "c1#5"); o.Deleg != model.DelegNone || o.Why != plain {
				t.Errorf("no want: %v (%q), want %q", o, o.Why, plain)
			}
		})
	}
}
