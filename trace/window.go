package trace

import (
	"hash/crc32"
	"time"

	"github.com/delegsim/delegsim/trace/nfs4"
)

// The story is told as the exchanges come, in call order, and keeps of
// the exchanges it has told only what a later one may look back at: a
// recall's cause and a CB_GETATTR's asker are requests still in flight
// (or just answered NFS4ERR_DELAY) when the callback goes out, and a
// recall with no cause needs the time of the last NFS traffic before it.
// Both looks are bounded: the requests in flight, those answered
// NFS4ERR_DELAY within conflictWindow, and one running maximum. Capture
// times are taken to grow with the call order (pcap files are written in
// capture order); where they do not, a look back may miss an exchange
// the whole capture would have shown.

// conflictWindow is how far back a callback's cause is looked for.
const conflictWindow = 5 * time.Second

// seen is what the story keeps of a fore-channel exchange while a later
// callback may look back at it.
type seen struct {
	index, client, minor, callFrame int
	callAt, replyAt                 time.Duration
	answered                        bool
	status                          nfs4.Status
	name                            string
	getattr                         bool   // asks for size or change (hasGetattr)
	open                            bool   // has an OPEN with its arguments
	claim, access                   uint32 // the first OPEN's
	touches                         []touch
}

// touch is one way an exchange concerns a file (see concerns).
type touch struct {
	kind uint8
	fh   uint32 // the handle's CRC-32 (FHKey)
	name string
}

const (
	touchFH       = iota // an operation on the current file
	touchOpenName        // an OPEN by name
	touchEntry           // REMOVE, RENAME, LINK of a name in the directory
)

func fhKey(fh []byte) uint32 { return crc32.ChecksumIEEE(fh) }

// walkBuf holds walk's results, reused from compound to compound.
type walkBuf struct {
	before, after [][]byte
	names         []string
}

// touchesOf lists how a compound concerns files: OPEN the file it opens
// (by its resulting handle, by name, or the current file for CLAIM_FH),
// REMOVE, RENAME and LINK the name they change, every other operation but
// the plumbing the current file. before, after and names are walk's.
func touchesOf(out []touch, call *nfs4.Compound, before, after [][]byte, names []string) []touch {
	for i := range call.Ops {
		op := &call.Ops[i]
		switch op.Code {
		case nfs4.OpRemove, nfs4.OpRename, nfs4.OpLink:
			out = append(out, touch{kind: touchEntry, name: op.Name})
		case nfs4.OpOpen:
			if fh := after[i]; fh != nil {
				out = append(out, touch{kind: touchFH, fh: fhKey(fh)})
			}
			if names[i] != "" {
				out = append(out, touch{kind: touchOpenName, name: names[i]})
			}
			if before[i] != nil && op.Open != nil && op.Open.Claim == nfs4.ClaimFH {
				out = append(out, touch{kind: touchFH, fh: fhKey(before[i])})
			}
		case nfs4.OpPutFH, nfs4.OpGetFH, nfs4.OpSaveFH, nfs4.OpRestoreFH, nfs4.OpSequence, nfs4.OpLookup, nfs4.OpAccess:
		default:
			if fh := before[i]; fh != nil {
				out = append(out, touch{kind: touchFH, fh: fhKey(fh)})
			}
		}
	}
	return out
}

// fileIndex finds the story's files by handle and by name.
type fileIndex struct {
	files map[uint32]int // handle CRC → file
	names map[string]int // name → file
	list  *[]File
}

// concerns reports whether an exchange that touches files as ts do is
// about file f.
func (x *fileIndex) concerns(ts []touch, f int) bool {
	if f < 0 {
		return false
	}
	name := (*x.list)[f].Name
	for _, t := range ts {
		switch t.kind {
		case touchFH:
			if fi, ok := x.files[t.fh]; ok && fi == f {
				return true
			}
		case touchOpenName:
			if name == t.name {
				return true
			}
		case touchEntry:
			if fi, ok := x.names[t.name]; ok && fi == f && name == t.name {
				return true
			}
		}
	}
	return false
}

// window keeps the fore-channel exchanges a callback may still look back
// at, in call order.
type window struct {
	recs []*seen
	free []*seen
}

// prune forgets the exchanges no callback sent at now or later can take
// for its cause: answered (other than NFS4ERR_DELAY) before now, or sent
// longer than conflictWindow ago.
func (w *window) prune(now time.Duration) {
	keep := w.recs[:0]
	for _, s := range w.recs {
		if (s.answered && s.status != nfs4.ErrDelay && s.replyAt < now) || now-s.callAt > conflictWindow {
			s.touches = s.touches[:0]
			w.free = append(w.free, s)
			continue
		}
		keep = append(keep, s)
	}
	clear(w.recs[len(keep):])
	w.recs = keep
}

// keep records exchange e, which touches files as ts do.
func (w *window) keep(e *Exchange, name string, ts []touch) {
	var s *seen
	if n := len(w.free); n > 0 {
		s = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		s = new(seen)
	}
	*s = seen{index: e.Index, client: e.Client, minor: e.Minor, callFrame: e.CallFrame, callAt: e.CallAt, replyAt: e.ReplyAt,
		answered: e.Answered(), status: e.Status(), name: name, getattr: hasGetattr(e), touches: append(s.touches[:0], ts...)}
	if op := e.Call.Find(nfs4.OpOpen); op != nil && op.Open != nil {
		s.open, s.claim, s.access = true, op.Open.Claim, op.Open.Access()
	}
	w.recs = append(w.recs, s)
}

// quiet tracks the time of the last NFS message before the present: the
// calls and replies told so far, those that lie in the present's future
// (replies to calls still in flight) held until it passes them.
type quiet struct {
	before time.Duration // the latest time before the present
	later  timeHeap
}

// advance moves the present to now.
func (q *quiet) advance(now time.Duration) {
	for len(q.later) > 0 && q.later[0] < now {
		q.before = max(q.before, q.later.pop())
	}
}

// note records a message at t.
func (q *quiet) note(t, now time.Duration) {
	if t < now {
		q.before = max(q.before, t)
		return
	}
	q.later.push(t)
}

// timeHeap is a min-heap of times.
type timeHeap []time.Duration

func (h *timeHeap) push(t time.Duration) {
	*h = append(*h, t)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *timeHeap) pop() time.Duration {
	a := *h
	t := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && a[l] < a[m] {
			m = l
		}
		if l+1 < n && a[l+1] < a[m] {
			m = l + 1
		}
		if m == i {
			break
		}
		a[m], a[i] = a[i], a[m]
		i = m
	}
	*h = a
	return t
}
