package scenarios

import (
	"github.com/delegsim/delegsim/sim"
)

// Spec is a scenario file as written. Every field is documented in
// docs/scenarios.md; durations are Go durations ("20ms", "1.5s") and
// distributions use sim.Dist's text form ("lognormal:3ms,0.3").
type Spec struct {
	Name        string         `yaml:"name"`
	Version     int            `yaml:"version"`
	Description string         `yaml:"description"`
	Profile     string         `yaml:"profile"`
	Profiles    []string       `yaml:"profiles"` // profiles the scenario is meant for; default: all
	Policy      string         `yaml:"policy"`
	Seed        uint64         `yaml:"seed"`
	Until       Dur            `yaml:"until"`
	PolicyOpts  PolicyOptsSpec `yaml:"policy_options"`
	Files       []FileSpec     `yaml:"files"`
	Server      ServerSpec     `yaml:"server"`
	Clients     []ClientSpec   `yaml:"clients"`
	Locals      []LocalSpec    `yaml:"locals"`
	Expect      []ExpectSpec   `yaml:"expect"`
}

// PolicyOptsSpec tunes parameterised policies.
type PolicyOptsSpec struct {
	NonblockWait Dur `yaml:"nonblock_wait"`
	GetattrWait  Dur `yaml:"getattr_wait"`
}

// FileSpec is a file on the server at the start.
type FileSpec struct {
	Name    string `yaml:"name"`
	Exists  bool   `yaml:"exists"`
	Size    int64  `yaml:"size"`
	Aliased bool   `yaml:"aliased"` // reachable through another filehandle (fi_aliased)
	Setuid  bool   `yaml:"setuid"`  // S_ISUID or S_ISGID set
	Dir     bool   `yaml:"dir"`     // the directory the other files live in
}

// ServerSpec overrides nfsd's timers and processing times.
type ServerSpec struct {
	Lease           Dur       `yaml:"lease"`
	CBTimeout       Dur       `yaml:"cb_timeout"`
	CBResend        Dur       `yaml:"cb_resend"`
	LeaseBreakTime  Dur       `yaml:"lease_break_time"`
	DelegReturnWait Dur       `yaml:"delegreturn_wait"`
	BlockPeriod     Dur       `yaml:"block_period"`
	Grace           Dur       `yaml:"grace"`
	NFSv3           bool      `yaml:"nfsv3"`
	Started         *Dur      `yaml:"started"`
	LockdGrace      Dur       `yaml:"lockd_grace"`
	RPC             *sim.Dist `yaml:"rpc"`
	CBQueue         *sim.Dist `yaml:"cb_queue"`
	DelegReturn     *sim.Dist `yaml:"delegreturn"`
	Setattr         *sim.Dist `yaml:"setattr"`
	DelegReturnRep  *sim.Dist `yaml:"delegreturn_reply"`
	Syscall         *sim.Dist `yaml:"syscall"`
}

// LinkSpec is one channel of a client.
type LinkSpec struct {
	Latency    *sim.Dist    `yaml:"latency"`
	Loss       float64      `yaml:"loss"`
	Partitions []WindowSpec `yaml:"partitions"`
}

// WindowSpec is a partition; without `to` it never heals.
type WindowSpec struct {
	From Dur  `yaml:"from"`
	To   *Dur `yaml:"to"`
}

// ClientSpec is an NFS client host and its application's script.
type ClientSpec struct {
	Name              string       `yaml:"name"`
	Version           string       `yaml:"version"`
	CloseFlush        string       `yaml:"close_flush"`
	Reaction          *sim.Dist    `yaml:"reaction"`
	Latency           *sim.Dist    `yaml:"latency"`    // both channels, unless set per channel
	Loss              float64      `yaml:"loss"`       // the client's network: both channels
	Partitions        []WindowSpec `yaml:"partitions"` // the client's network: both channels
	Fore              LinkSpec     `yaml:"fore"`
	Callback          LinkSpec     `yaml:"callback"`
	CallbackDown      bool         `yaml:"callback_down"` // callback path not up at start
	CrashAt           *Dur         `yaml:"crash_at"`
	RenewPhase        *Dur         `yaml:"renew_phase"`
	DelayMin          Dur          `yaml:"delay_min"`
	DelayMax          Dur          `yaml:"delay_max"`
	WritebackExpire   Dur          `yaml:"writeback_expire"`
	WritebackInterval Dur          `yaml:"writeback_interval"`
	NoAC              bool         `yaml:"noac"`
	Actimeo           *Dur         `yaml:"actimeo"`
	ACRegMin          *Dur         `yaml:"acregmin"`
	ACRegMax          *Dur         `yaml:"acregmax"`
	// RecallAnswers script the answers to successive CB_RECALLs (the
	// last repeats): ok, keep, none or an NFS4ERR_* status.
	RecallAnswers []string     `yaml:"recall_answers"`
	Script        []ClientStep `yaml:"script"`
}

// ClientStep is one application call on a client.
type ClientStep struct {
	At    *Dur     `yaml:"at"`
	After Dur      `yaml:"after"`
	Op    string   `yaml:"op"`
	File  string   `yaml:"file"`
	Flags []string `yaml:"flags"`
	Bytes int64    `yaml:"bytes"`
	To    string   `yaml:"to"`    // rename, link: the new name
	Owner string   `yaml:"owner"` // the open-owner whose descriptor the step uses
	Deny  string   `yaml:"deny"`  // open: share deny
	Want  string   `yaml:"want"`  // open: delegation want
	Set   []string `yaml:"set"`   // setattr: size, mode, times
	Size  *int64   `yaml:"size"`  // setattr of size: the new size
}

// LocalSpec is a process (or a shell running commands) on the server.
type LocalSpec struct {
	Name   string      `yaml:"name"`
	Script []LocalStep `yaml:"script"`
}

// LocalStep is one command or system call on the server.
type LocalStep struct {
	At      *Dur      `yaml:"at"`
	After   Dur       `yaml:"after"`
	Op      string    `yaml:"op"`
	File    string    `yaml:"file"`
	Startup *sim.Dist `yaml:"startup"`
	Bytes   int64     `yaml:"bytes"`
	Retry   RetrySpec `yaml:"retry"`
	Poll    *PollSpec `yaml:"poll"`
	Hold    Dur       `yaml:"hold"`
	For     Dur       `yaml:"for"`
	To      string    `yaml:"to"`   // local-rename, local-link: the new name
	Size    *int64    `yaml:"size"` // truncate: the new size
	// Blocking: lsattr or nginx opens without O_NONBLOCK (a patched
	// program).
	Blocking bool `yaml:"blocking"`
}

// PollSpec repeats a local operation's system call until it gives a
// result.
type PollSpec struct {
	Until   string `yaml:"until"`
	Every   Dur    `yaml:"every"`
	Timeout Dur    `yaml:"timeout"`
}

// RetrySpec is an application retry loop.
type RetrySpec struct {
	Attempts int     `yaml:"attempts"`
	Delay    Dur     `yaml:"delay"`
	Backoff  float64 `yaml:"backoff"`
}

// ExpectSpec is one expected outcome. Exactly one of Op and Count is set.
type ExpectSpec struct {
	Name     string   `yaml:"name"`
	Profiles []string `yaml:"profiles"` // applies only under these profiles
	Policies []string `yaml:"policies"` // applies only under these policies
	// Op expectations: an operation's result, values and latency.
	Op         string  `yaml:"op"`
	Result     string  `yaml:"result"`
	Size       *int64  `yaml:"size"`
	Bytes      *int64  `yaml:"bytes"`
	Data       *uint64 `yaml:"data"`
	LatencyMin *Dur    `yaml:"latency_min"`
	LatencyMax *Dur    `yaml:"latency_max"`
	Attempts   *int    `yaml:"attempts"`
	Deleg      string  `yaml:"deleg"` // an OPEN's granted delegation
	Why        string  `yaml:"why"`   // an OPEN's OPEN_DELEGATE_NONE_EXT reason
	// Count expectations: how often an event or a request happened.
	Count string `yaml:"count"`
	Eq    *int   `yaml:"eq"`
	Min   *int   `yaml:"min"`
	Max   *int   `yaml:"max"`
	// Finished: every script ran to its end.
	Finished *bool `yaml:"finished"`
}
