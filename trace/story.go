package trace

import "time"

// Story is the delegation story of a capture: per client and per file,
// the opens, the delegations granted and what became of them, every
// callback, every error answer and the client's retries, inferred
// server-local accesses, callback faults and session resets, and a
// timeline of events that explains them. It is a pure function of the
// decoded exchanges, taken in call order (Build, Tell).
type Story struct {
	File        string
	Clients     []Client
	Files       []File
	Opens       []Open
	Delegations []Delegation
	Callbacks   []Callback
	Errors      []Error
	LocalBreaks []LocalBreak
	Faults      []Fault
	Events      []Event
	Figures     Figures
	Warnings    []Warning
	// Observations are the attribute values clients were shown (GETATTR
	// replies and CB_GETATTR answers) and the writes they made, for the
	// history check.
	Observations []Observation
	End          time.Duration // last exchange

	// For Calibrate: every reply time, and DELEGRETURN's.
	replies *replyTimes
	returns []returnGap
}

// origin is the request behind a callback: when it was sent, by whom.
type origin struct {
	at     time.Duration
	client int
}

// returnGap is a DELEGRETURN's call → reply, and whether its compound set
// delegated times first.
type returnGap struct {
	client int
	gap    time.Duration
	times  bool
}

// File is a file the story names: by the name it was opened or looked up
// with, else by its file handle's hash.
type File struct {
	Name string
	FH   string // nfs.fh.hash style CRC-32 of the handle
	Dir  bool
}

// Open is one OPEN and its answer.
type Open struct {
	Client   int
	File     int
	Frame    int
	At       time.Duration
	ReplyAt  time.Duration
	Access   string // "READ", "WRITE", "BOTH"
	Want     []string
	Create   bool
	Claim    string
	Status   string
	Deleg    string // delegation type in the reply ("NONE" if none, "" if the OPEN failed)
	Why      string // NONE_EXT reason
	Stateid  string // open stateid (all zeros with open-XOR-delegation)
	NoOpenID bool   // OPEN4_RESULT_NO_OPEN_STATEID
	Confirm  bool   // OPEN4_RESULT_CONFIRM (v4.0 new open-owner)
	Size     *uint64
	Change   *uint64
	Exchange int // index in Capture.Exchanges
}

// Delegation is one delegation and its fate. Times are from the first
// packet; nil means it did not happen in the capture.
type Delegation struct {
	Client      int
	File        int
	Stateid     string
	Type        string // READ, WRITE, READ_ATTRS_DELEG, WRITE_ATTRS_DELEG, DIRECTORY
	Frame       int    // the reply that granted it
	GrantedAt   time.Duration
	RecallAt    *time.Duration // first CB_RECALL sent
	RecallFrame int
	Recalls     int            // CB_RECALLs sent (retries included)
	RecallReply *time.Duration // first CB_RECALL answered
	ReturnSent  *time.Duration // DELEGRETURN call
	ReturnFrame int
	ReturnedAt  *time.Duration // DELEGRETURN answered NFS4_OK
	RevokedAt   *time.Duration
	Cause       string // what the recall was for, or how it ended without one
	// Derived figures (nil when the parts are missing).
	RecallLatency *time.Duration // CB_RECALL sent → DELEGRETURN answered
	Reaction      *time.Duration // CB_RECALL sent → DELEGRETURN sent: the client's reaction as seen on the wire
	ReturnReply   *time.Duration // DELEGRETURN call → reply: the server's processing of the return
	Truncate      bool

	cause *origin // the conflicting request, for Calibrate
}

// Callback is one callback RPC (CB_RECALL, CB_GETATTR, CB_RECALL_ANY,
// CB_NULL...).
type Callback struct {
	Client     int
	Op         string
	Frame      int
	ReplyFrame int
	At         time.Duration
	ReplyAt    *time.Duration
	Status     string // "" if unanswered
	Stateid    string
	File       int // -1 if none
	// CB_GETATTR answers.
	Size, Change *uint64

	asker *origin // the GETATTR a CB_GETATTR answers, for Calibrate
}

// Error is an error answer to a client's request, with the client's
// retry if it made one.
type Error struct {
	Client  int
	Op      string
	Status  string
	Frame   int
	At      time.Duration // the error reply
	File    int
	RetryAt *time.Duration // the same request sent again
	Backoff *time.Duration // error reply → retry
}

// LocalBreak is a lease break with no NFS cause in the capture: a process
// on the server (or a client the capture does not see) opened or changed
// the file.
type LocalBreak struct {
	File       int
	Delegation int // index in Delegations
	// The break happened after After (the last NFS traffic before the
	// recall: nfsd would have recalled at once) and before Before (the
	// CB_RECALL that shows it, frame Frame).
	After, Before time.Duration
	Frame         int

	// restarts are the call times of the CB_RECALLs that restart the
	// one of Frame (see replay.injectAt).
	restarts []time.Duration
}

// Fault is a callback fault or session event.
type Fault struct {
	Client int
	Kind   string // "cb-unanswered", "cb-error", "sequence-flags", "session-reset", "badsession", "reconnect"
	Frame  int
	At     time.Duration
	Text   string
}

// Event is one line of the narrated timeline.
type Event struct {
	At    time.Duration
	Frame int
	Actor string // "c1", "nfsd", "local"
	What  string
	Why   string
	// Arrow: the message the event is about, from → to actor.
	From, To string
	Reply    bool
}

// Figures are the timing figures derived from the capture.
type Figures struct {
	Clients []ClientFigures
}

// ClientFigures are one client's timing figures.
type ClientFigures struct {
	Client int
	// HandshakeRTT is SYN → SYN-ACK → ACK of its first connection.
	HandshakeRTT *time.Duration
	// ReplyMin and ReplyMedian are call → reply over its fore-channel
	// RPCs that met no conflict: the server's reply time plus one round
	// trip as the capture point sees it.
	ReplyMin, ReplyMedian *time.Duration
	Replies               int
	Loopback              bool
}

// Observation is one value a client saw or produced.
type Observation struct {
	Client  int
	File    int
	Kind    string // "open", "close", "write", "getattr", "cb-getattr", "setattr-size", "commit"
	Start   time.Duration
	End     time.Duration
	Size    uint64
	HasSize bool
	Change  uint64
	HasChg  bool
	OK      bool
}
