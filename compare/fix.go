package compare

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// Kind says what deploying a fix takes.
type Kind string

// Kinds of fix.
const (
	KindBaseline Kind = "baseline"           // today's kernel: nothing to deploy
	KindKernel   Kind = "kernel patch"       // a change to nfsd or the VFS
	KindConfig   Kind = "configuration"      // a setting that exists today
	KindApp      Kind = "application change" // a change to the program that meets the lease
)

// A Fix is one row of the decision table: something an engineer facing
// the failure can deploy today (a configuration, an application change)
// or propose (a kernel policy), applied to a scenario as --set overrides
// and a policy. Apply works on any scenario it makes sense for, and says
// why when it does not.
type Fix struct {
	Name   string `json:"name"`
	Kind   Kind   `json:"kind"`
	Origin string `json:"origin"` // where the idea comes from
	Deploy string `json:"deploy"` // what exactly is changed, and where
	// Documented is the documented behaviour the fix changes, with its
	// source; empty for a policy, whose changes are read off its
	// decisions (see Probe).
	Documented string `json:"documented,omitempty"`
	// Notes are further properties of the fix that runs cannot show,
	// with their sources.
	Notes string `json:"notes,omitempty"`

	apply  func(sc *scenarios.Scenario) ([]string, error)
	policy string       // the policy its runs use ("" = kernel)
	value  model.Policy // or a policy value (a policy file)
}

// Variant is what a fix does to one scenario: the overrides and the
// policy its runs use.
type Variant struct {
	Sets   []string     `json:"sets"`
	Policy string       `json:"policy"`
	Value  model.Policy `json:"-"`
}

// ErrNotApplicable marks the error of a fix that does not apply to a
// scenario (it wraps scenarios.ErrInvalid: bad input when asked for).
var ErrNotApplicable = fmt.Errorf("%w: fix does not apply", scenarios.ErrInvalid)

// NotApplicableError says why a fix does not apply to a scenario.
type NotApplicableError struct {
	Fix, Scenario, Why string
}

func (e *NotApplicableError) Error() string {
	return fmt.Sprintf("%s does not apply to %s: %s", e.Fix, e.Scenario, e.Why)
}

// Unwrap makes the error match ErrNotApplicable and scenarios.ErrInvalid.
func (e *NotApplicableError) Unwrap() error { return ErrNotApplicable }

// Apply returns what the fix does to sc, or an error wrapping
// ErrNotApplicable saying why it does not apply.
func (f Fix) Apply(sc *scenarios.Scenario) (Variant, error) {
	v := Variant{Policy: f.policy, Value: f.value}
	if v.Policy == "" {
		v.Policy = "kernel"
	}
	if f.value != nil {
		v.Policy = f.value.Name()
	}
	if f.apply == nil {
		return v, nil
	}
	sets, err := f.apply(sc)
	if err != nil {
		var na *NotApplicableError
		if errors.As(err, &na) {
			err = errors.New(na.Why)
		}
		return Variant{}, &NotApplicableError{Fix: f.Name, Scenario: sc.Name(), Why: err.Error()}
	}
	v.Sets = sets
	return v, nil
}

// PolicyValue returns the policy value a fix runs with, if it was built
// from one (PolicyFix).
func (f Fix) PolicyValue() model.Policy { return f.value }

// App-retry's loop: tries in all and the pause between them. Chosen, not
// measured: a shell loop (`until lsattr f; do sleep 0.1; done`, bounded);
// the pause is longer than a recall takes at no added delay (≈ 5 ms,
// facts.md), so the second try normally finds the delegation gone.
const (
	AppRetryAttempts = 3
	AppRetryDelay    = 100 * time.Millisecond
)

// Kernel-policy fixes: origins, named honestly.
var policyOrigins = map[string]struct{ origin, deploy string }{
	"kernel": {"Linux nfsd today (write delegations since 6.6, commit 1d3dd1d56ce8)",
		"nothing"},
	"seed-getattr-exempt": {"a written analysis of bugzilla 219278 (its \"local GETATTR exemption\"); the reporter proposed no fix",
		"an exemption in nfsd4_deleg_getattr_conflict, which no local process reaches"},
	"local-read-exempt": {"candidate kernel change in delegsim's design notes",
		"a leases_conflict exception for local readers of FL_DELEG leases (fs/locks.c)"},
	"nonblock-wait": {"candidate kernel change in delegsim's design notes",
		"a bounded wait (default NFSD_DELEGRETURN_TIMEOUT, 30 ms) in __break_lease for O_NONBLOCK openers of FL_DELEG leases"},
	"cb-getattr-gate": {"candidate kernel change in delegsim's design notes, after nfsd's own CB_GETATTR for remote GETATTR (6.9+)",
		"an lm_break variant that sends CB_GETATTR from the local opener's context before recalling"},
	"no-write-deleg": {"the behaviour before 6.6, when nfsd granted read delegations only",
		"no write delegation in nfs4_open_delegation"},
}

// PolicyFix is the fix of running a built-in policy.
func PolicyFix(name string) (Fix, error) {
	if _, err := model.LookupPolicy(name, model.PolicyOptions{}); err != nil {
		return Fix{}, fmt.Errorf("%w: %w", scenarios.ErrInvalid, err)
	}
	f := Fix{Name: name, Kind: KindKernel, policy: name,
		Origin: "built-in policy " + name, Deploy: "the policy's rules in nfsd and fs/locks.c"}
	if o, ok := policyOrigins[name]; ok {
		f.Origin, f.Deploy = o.origin, o.deploy
	}
	if name == "kernel" {
		f.Kind = KindBaseline
	}
	return f, nil
}

// ValueFix is the fix of running a policy value, such as one read from a
// policy file (origin names the file).
func ValueFix(p model.Policy, origin string) Fix {
	return Fix{Name: p.Name(), Kind: KindKernel, value: p, Origin: origin,
		Deploy: "the policy's rules in nfsd and fs/locks.c"}
}

// options are the fixes that exist today, in the order tables list them.
var options = []Fix{
	{Name: "app-retry", Kind: KindApp,
		Origin: "the usual userspace workaround for EAGAIN",
		Deploy: fmt.Sprintf("the program that meets the lease (or its caller) retries EAGAIN: %d tries, %s apart", AppRetryAttempts, AppRetryDelay),
		Documented: "none: open(2) documents EWOULDBLOCK for an O_NONBLOCK open of a file with a conflicting lease; " +
			"retrying is the documented way to handle it",
		Notes: "every program that can meet the lease must be changed (lsattr, nginx, backup tools...); " +
			"a retry re-runs the whole program here (stat, start-up, open)",
		apply: nonblockSteps("app-retry", func(l string, j int) []string {
			p := fmt.Sprintf("locals.%s.script.%d.retry.", l, j)
			return []string{p + fmt.Sprintf("attempts=%d", AppRetryAttempts), p + "delay=" + AppRetryDelay.String()}
		})},
	{Name: "blocking-open", Kind: KindApp,
		Origin: "userspace: open regular files without O_NONBLOCK",
		Deploy: "patch e2fsprogs (lib/e2p/fgetflags.c opens O_RDONLY|O_NONBLOCK) and nginx (ngx_open_file_wrapper, NGX_FILE_NONBLOCK) " +
			"to open regular files without O_NONBLOCK",
		Documented: "none: a blocking open sleeps until the lease is broken (open(2), F_SETLEASE(2const))",
		Notes: "the open sleeps until DELEGRETURN (≈ 2d + 5 ms), and up to fs.lease-break-time (45 s) if the client is unreachable; " +
			"an nginx worker's event loop stalls for every connection meanwhile; fgetflags stats first and opens only regular files " +
			"and directories, so lsattr cannot hang on a FIFO, but nginx uses O_NONBLOCK \"not to hang on FIFO files\" " +
			"(ngx_open_file_cache.c) and must keep it for them; a blocking lsattr succeeds with the size of the stat() it made before the open, " +
			"stale where the holder had unflushed data (what the checker reports as a stale read)",
		apply: nonblockSteps("blocking-open", func(l string, j int) []string {
			return []string{fmt.Sprintf("locals.%s.script.%d.blocking=true", l, j)}
		})},
	{Name: "mount-v4.0", Kind: KindConfig,
		Origin:     "the known workaround: mount with vers=4.0",
		Deploy:     "client mount option vers=4.0 on every client",
		Documented: "none (nfs(5): vers=4.0)",
		Notes: "nfsd never grants a write delegation to v4.0 (nfs4_open_delegation: write access and minor version 0), " +
			"and a read delegation only to a confirmed open-owner (NFS4_OO_CONFIRMED), so a new owner's first open gets none; " +
			"v4.0 has no sessions (no exactly-once semantics, RFC 8881 §2.10.6) and none of 4.1/4.2's features (pNFS, SEEK, COPY)",
		apply: mountV40},
	{Name: "leases-disabled", Kind: KindConfig, policy: "no-deleg",
		Origin: "an existing server setting: fs.leases-enable=0 (proc(5))",
		Deploy: "server sysctl fs.leases-enable=0",
		Documented: "F_SETLEASE fails with EINVAL for every process on the server (generic_add_lease, fs/locks.c), " +
			"e.g. Samba's kernel oplocks",
		Notes: "no delegation of any kind, for any client: every open, attribute and read goes to the server; " +
			"leases granted before the change stay until returned (the check is on new leases only)"},
	{Name: "wronly-writer", Kind: KindApp,
		Origin:     "release behaviour: before 6.17 nfsd offers a write delegation only for SHARE_ACCESS_BOTH (nfs4_open_delegation)",
		Deploy:     "the writer opens O_WRONLY instead of O_RDWR",
		Documented: "none",
		Notes: "helps only before 6.17, which grants write delegations to O_WRONLY opens too; " +
			"the writer cannot read through that descriptor; no write delegation, so no write caching across close",
		apply: wronlyWriter},
}

// OptionNames lists the fixes that exist today (userspace and
// configuration), in table order.
func OptionNames() []string {
	var out []string
	for _, f := range options {
		out = append(out, f.Name)
	}
	return out
}

// DefaultFixes are the rows compared when none are named: the built-in
// kernel policies, then the options that exist today.
func DefaultFixes() []string { return append(model.PolicyNames(), OptionNames()...) }

// LookupFix returns the named fix: a built-in policy, an option (see
// OptionNames), or options joined with '+' applied together
// ("mount-v4.0+app-retry").
func LookupFix(name string) (Fix, error) {
	if parts := strings.Split(name, "+"); len(parts) > 1 {
		return combine(name, parts)
	}
	for _, f := range options {
		if f.Name == name {
			return f, nil
		}
	}
	f, err := PolicyFix(name)
	if err != nil {
		return Fix{}, fmt.Errorf("%w: unknown fix %q (policies: %s; options: %s; or options joined with +)",
			scenarios.ErrInvalid, name, strings.Join(append(model.PolicyNames(), model.ConfigPolicyNames()...), ", "),
			strings.Join(OptionNames(), ", "))
	}
	return f, nil
}

// combine applies several fixes together: their overrides in order, and
// at most one policy other than the kernel.
func combine(name string, parts []string) (Fix, error) {
	var fs []Fix
	pol := ""
	for _, p := range parts {
		f, err := LookupFix(p)
		if err != nil {
			return Fix{}, err
		}
		if f.policy != "" && f.policy != "kernel" {
			if pol != "" {
				return Fix{}, fmt.Errorf("%w: %s: %s and %s both choose a policy", scenarios.ErrInvalid, name, pol, f.policy)
			}
			pol = f.policy
		}
		fs = append(fs, f)
	}
	c := Fix{Name: name, Kind: fs[0].Kind, policy: pol}
	var origins, deploys, docs, notes []string
	for _, f := range fs {
		origins = append(origins, f.Name+": "+f.Origin)
		deploys = append(deploys, f.Deploy)
		if f.Documented != "" {
			docs = append(docs, f.Name+": "+f.Documented)
		}
		if f.Notes != "" {
			notes = append(notes, f.Name+": "+f.Notes)
		}
		if f.Kind == KindKernel {
			c.Kind = KindKernel
		}
	}
	c.Origin, c.Deploy = strings.Join(origins, "; "), strings.Join(deploys, "; ")
	c.Documented, c.Notes = strings.Join(docs, "; "), strings.Join(notes, "; ")
	c.apply = func(sc *scenarios.Scenario) ([]string, error) {
		var sets []string
		for _, f := range fs {
			v, err := f.Apply(sc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			sets = append(sets, v.Sets...)
		}
		return sets, nil
	}
	return c, nil
}

// nonblockSteps builds an apply function that changes every step of a
// local process that opens with O_NONBLOCK (lsattr, nginx) and has no
// retry loop or blocking open of its own.
func nonblockSteps(name string, sets func(local string, step int) []string) func(*scenarios.Scenario) ([]string, error) {
	return func(sc *scenarios.Scenario) ([]string, error) {
		var out []string
		for _, l := range sc.Spec.Locals {
			for j, st := range l.Script {
				if (st.Op == model.OpLsattr.String() || st.Op == model.OpNginx.String()) && !st.Blocking && st.Retry.Attempts <= 1 {
					out = append(out, sets(l.Name, j)...)
				}
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no server-local process opens with O_NONBLOCK (lsattr, nginx) without a retry loop or a blocking open already")
		}
		return out, nil
	}
}

// mountV40 mounts every v4.1+ client with vers=4.0.
func mountV40(sc *scenarios.Scenario) ([]string, error) {
	var out []string
	for _, c := range sc.Spec.Clients {
		if c.Version != "4.0" {
			out = append(out, fmt.Sprintf("clients.%s.version=4.0", c.Name))
		}
	}
	if len(out) == 0 {
		if len(sc.Spec.Clients) == 0 {
			return nil, fmt.Errorf("the scenario has no NFS client")
		}
		return nil, fmt.Errorf("every client already mounts with vers=4.0")
	}
	return out, nil
}

// wronlyWriter opens O_WRONLY where a client opens O_RDWR and does not
// read the file before closing it.
func wronlyWriter(sc *scenarios.Scenario) ([]string, error) {
	var out, reads []string
	for _, c := range sc.Spec.Clients {
		for j, st := range c.Script {
			if st.Op != model.OpOpen.String() || !slices.Contains(st.Flags, "O_RDWR") {
				continue
			}
			if k := readBeforeClose(c.Script[j+1:], st.File); k >= 0 {
				reads = append(reads, fmt.Sprintf("%s reads %s (script[%d]) through its O_RDWR open", c.Name, st.File, j+1+k))
				continue
			}
			flags := slices.Clone(st.Flags)
			flags[slices.Index(flags, "O_RDWR")] = "O_WRONLY"
			out = append(out, fmt.Sprintf("clients.%s.script.%d.flags=[%s]", c.Name, j, strings.Join(flags, ",")))
		}
	}
	if len(out) == 0 {
		if len(reads) > 0 {
			return nil, fmt.Errorf("%s: an O_WRONLY open could not serve it", strings.Join(reads, "; "))
		}
		return nil, fmt.Errorf("no client opens a file O_RDWR")
	}
	return out, nil
}

// readBeforeClose returns the index in steps of a read of file before the
// file's next close, or -1.
func readBeforeClose(steps []scenarios.ClientStep, file string) int {
	for i, st := range steps {
		if st.File != file {
			continue
		}
		switch st.Op {
		case model.OpRead.String():
			return i
		case model.OpClose.String():
			return -1
		}
	}
	return -1
}
