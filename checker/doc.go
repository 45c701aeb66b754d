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
// Writes (model.OpWrite) set the register; attribute reads (kinds for which
// ReadsAttrs is true) must observe its size; data reads (ReadsData) must
// observe both its size (Op.Bytes) and its data (Op.Data). Failed operations
// are left out of the register history and counted. All other kinds leave
// the register alone; under CloseToOpen, opens, closes and fsyncs shape the
// intervals above.
//
// The search for a linearization is done by porcupine, one partition per
// file. Independently of that search, every read that returned a value
// which had certainly been overwritten before the read began is reported as
// a StaleRead with a short human account of the conflicting write; each
// stale read is by itself a proof of a violation.
package checker
