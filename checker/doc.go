// Package checker judges the histories of delegsim runs.
//
// # Linearizability
//
// CheckLinearizability treats every file as a register holding a Value (size
// and data) and asks whether the history of a run could have been produced
// by such registers, under one of two consistency models:
//
//   - Linearizable: every successful write(2) takes effect at some instant
//     between its invocation and its response, and every successful read
//     observes the register at some instant between its own invocation and
//     response.
//   - CloseToOpen: what NFS promises. A write by actor A to file F becomes
//     due when A's next successful close(2) or fsync(2) of F returns, so it
//     may take effect anywhere from the write's invocation to that return
//     (or at any later time, if A never closes or syncs F). A read by A may
//     observe F as of any instant from the invocation of A's most recent
//     successful open(2) of F (or of the read itself, without such an open)
//     to the read's response. Reads by a writer while it still has unflushed
//     writes to F are served from its own cache and are not checked; they
//     are counted as skipped.
//
// Writes set the register: a client's write(2) (model.OpWrite), a
// server-local open-write that wrote data, and a removal (client REMOVE or
// local unlink, which leaves the empty file). Server-local writes and
// removals change the server's file before they return, so under both
// models they take effect within their own interval. Attribute reads
// (kinds for which ReadsAttrs is true) must observe the register's size;
// data reads (ReadsData) must observe both its size (Op.Bytes) and its
// data (Op.Data). lsattr reports what its first call, stat(), saw, so it
// observes the register at its invocation (after an application retry,
// anywhere in its interval). Failed operations are left out of the
// register history and counted. All other kinds leave the register alone;
// under CloseToOpen, opens, closes and fsyncs shape the intervals above.
//
// The change attribute is the server's, not the writers', so it is not
// part of the register: instead no reader may see it go backwards, under
// either model. An attribute read whose change attribute is lower than one
// its reader saw before is reported as a StaleRead with Earlier set.
// Different readers may disagree: a delegation holder answers stat(2)
// from its cache.
//
// The search for a linearization is done by porcupine, one partition per
// file. Independently of that search, every read that returned a value
// which had certainly been overwritten before the read began is reported as
// a StaleRead with a short human account of the conflicting write; each
// stale read is by itself a proof of a violation.
//
// # Invariants
//
// Invariants lists the state invariants, checked after every step of a
// run by CheckState or, keeping the first violation of each, by a Monitor
// attached to sim.Config.Observe. Some are findings: they fail on the real
// kernel by design (nfsd's lease and delegation record disagree after the
// 45 s reader downgrade), so they are reported but are not failures.
// LostWrites checks at the end of a run that every acknowledged write
// reached the server unless the writer was told it may be lost.
//
// Package runcheck runs a scenario many times and applies all of these.
package checker
