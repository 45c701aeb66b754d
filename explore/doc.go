// Package explore is delegsim's exhaustive bounded model checker. It drives
// the model's actors (server, clients, local processes) without a clock
// through every order in which their messages can arrive and their timers
// can fire, checks the checker's invariants on every state and a
// consistency model on every complete history, and reports the shortest
// counterexample as a schedule that Replay (and `delegsim run --schedule`)
// plays back step by step.
//
// # States
//
// A state holds the actors (each its model.Actor value), every actor's
// armed timers with their deadlines, every actor's history of completed
// operations, the messages in flight on each connection, and a logical
// clock. Connections are FIFO, as TCP is: each client has four (fore
// channel up and down, callback channel down and up) and each local
// process two (its system calls and their answers). Each message in
// flight carries the earliest and the latest time it may arrive (its ready
// and due times, below).
//
// The start state is the one after every actor's InStart, in actor order,
// as sim starts a run; a client's crash_at is armed as a timer of its own.
//
// # Transitions
//
// The enabled transitions of a state are:
//
//   - deliver C: the oldest message on connection C arrives now, if its
//     ready time has come.
//   - lose C: the oldest message on C is lost. Only on links whose loss
//     probability is positive; losing the head each time it is the head
//     reaches every subset of lost messages.
//   - timer A K/N: A's armed timer fires, and the clock moves to its
//     deadline. Only the timers with the earliest deadline of all armed
//     timers may fire (ties in any order), so no schedule fires the 90 s
//     revoke timer before a 30 ms wait timer; and only if that deadline is
//     not past the due time of any message in flight (that message must
//     arrive, or be lost, first) nor past the run's MaxTime.
//   - crash A: a client's scheduled crash, ordered like a timer.
//   - wait: while messages are in flight, the clock moves to the earliest
//     of the next timer deadline, the earliest due time and the earliest
//     ready time still ahead of a connection's oldest message, without
//     anything else happening. Without it every delivery would happen at
//     the time of the last timer, and a chain of messages (CB_RECALL, its
//     reply, DELEGRETURN) would take no longer than its slowest hop; with
//     it a message may arrive as early or as late as it can, and what it
//     provokes is sent then too.
//
// Between its ready and its due time a message may arrive before or after
// any other event. The due time is the send time plus upper bounds of
// what sim adds on the way:
// the sender's processing (the server's RPC time on replies, its callback
// queue on callbacks, the client's reaction on callback replies and
// DELEGRETURN), the link's latency, and for DELEGRETURN the server's
// processing; a bounded distribution contributes its maximum, an
// unbounded one its 99.9th percentile (DefaultQuantile). The ready time
// adds the lower bounds instead: a minimum, or the 0.1th percentile. A
// fixed 50 ms latency is thus a window of one instant, not [0, 50 ms]:
// without lower bounds a CB_RECALL round trip over such a link could take
// no time at all, and the explorer reported stale reads no run with the
// scenario's delays can show (the kernel on open-dirty-local-read, issue
// 16), in a space thousands of times larger. A message sent while its
// link is partitioned is held until the partition ends, or lost if it
// never ends; a message is never ready or due before the one ahead of it
// on its connection. ModelOptions.MaxDelay (--max-delay) replaces these
// bounds with one window, [0, MaxDelay], for every message.
//
// Deliveries thus happen at the extremes of their windows (as early as
// they may, or at a time wait reaches), not at arbitrary times in
// between: the explorer covers every order of events that those times
// produce, which is every order a run with those delays can show but not
// every exact timing.
// Operations that complete at the same logical instant overlap in the
// histories the checker sees, and count as concurrent.
//
// # The end of a run
//
// A run ends, as in sim, when it is quiet (nothing in flight, every
// script finished, the server has no recall, callback or waiter under
// way) and no timer is due by the scenario's until, or when no transition
// is enabled (timers only past MaxTime, or none armed). Its history is
// then a complete history; runs that end with a script unfinished (a
// reply lost for good, say) are counted apart.
//
// # Checks
//
// Every new state is checked with checker.CheckState: a broken invariant
// is a counterexample, a finding (a known kernel behaviour such as the
// reader downgrade after lease-break-time) is counted and reported. Every
// distinct complete history is checked with checker.CheckLinearizability
// against the consistency model the policy promises (Promise: close-to-
// open for every policy; the kernel does not promise linearizability) or
// the one Options.Consistency names. The search stops at the first
// violation; BFS makes its counterexample a shortest one.
//
// # Deduplication and memory
//
// A state's fingerprint is a 64-bit sum, over its components (the clock;
// each actor's state, hashed from its AppendState, its timers and its
// history, chained operation by operation; each connection's messages),
// of a mix of the component's hash with a salt that names the component:
// a step changes the sum by two terms for each component it changes, and
// the successor's fingerprint is known before the successor is built.
// Only fingerprints are stored (hash compaction, 10.7–21.3 bytes a
// state, in an open-addressed table kept outside the Go heap, on huge
// pages where the kernel offers them); a collision (probability about
// n²/2⁶⁵ for n states, 3·10⁻⁸ for a million) could only hide states. A
// state's successors are all computed before the table is probed for
// any, so their cache misses overlap.
//
// Each distinct value of an actor's part (the actor, its timers and its
// history) and of a connection's contents is stored once (interned), so
// a state is its clock and one index per actor and connection: DFS keeps
// one such frame per depth, and BFS keeps its frontier as these indices
// in recycled byte chunks, a few dozen bytes a state, with the parent's
// position and the step's for each, from which a counterexample's path
// is rebuilt. The actors are pure, so what a step does is a function of
// the actor's value, the time and the input: the explorer steps an actor
// once per such triple, on a scratch copy (model's CopyFrom), and reuses
// the outcome (the actor's new value, the messages it sent) wherever the
// triple recurs; in bz219278-2c2l 67,000 actor steps are 1,400 distinct
// ones, in the three-client space 32 million are 46,000. Values are
// interned and steps memoized by lossless keys (the actors'
// AppendSnapshot), so neither merges states the fingerprints keep apart;
// the memos are open-addressed tables read without locks.
//
// # Symmetry reduction
//
// With Options.Symmetry a state is fingerprinted by a canonical
// representative of its class, as Stateright's Representative does: two
// states are one when a symmetry of the run (a permutation of clients,
// local processes and files that maps every configured and drawn value
// onto itself: scripts up to file names, versions, networks, crash
// times, start-up times, renewd phases), a renaming of stateids and
// callback xids, and a reordering of the tables nfsd only searches
// (model's AppendCanon) make one of the other. The explorer still
// expands the states it reaches, so paths and counterexamples stay real
// and replay. Counts of states, terminal states and invariant-breaking
// states count classes; histories, outcomes and consistency verdicts are
// those of the whole space, each complete history found standing for its
// images under the symmetries. Without interchangeable actors the
// renaming alone merges the interleavings that differ only in which
// client's OPEN nfsd served first: bz219278-3c3l has 23,573,156 states
// and 3,929,016 classes. TestSymmetrySound compares verdicts and history
// sets with and without reduction on every small built-in scenario, and
// TestCanonicalKeys the fast canonical fingerprints (canon.go) with a
// reference encoding.
//
// # Workers and shards
//
// Options.Workers goroutines search together: BFS layer by layer, each
// worker taking chunks of the current layer; DFS on a stack per worker,
// a worker that runs dry being handed work from the bottom of another's
// stack. They share the visited set (256 shards, each behind its own
// lock) and the interned values; the counts and verdicts of an
// exhausted search are those of one worker, the counterexample found
// first may differ (under BFS it has the same, shortest, length).
//
// Options.Shards splits a search for machines that share nothing (one
// Kubernetes Indexed Job or Slurm array task each): every shard explores
// the states above a frontier depth, then only below the frontier states
// whose fingerprints fall to it. Merge joins the shards' JSON reports
// (merge.go says what is deduplicated across shards and what is not).
//
// # Stepping by hand
//
// A Cursor (Model.NewCursor) takes the explorer's transitions one at a
// time: Choices lists those enabled, Take applies one, and Actors,
// InFlight, Timers and History show the state; Replay plays a whole
// Schedule.
//
// # Schedules
//
// A Schedule is the text form of a path: a header naming the scenario,
// policy, profile, seed, delay bound and --set overrides, then one step
// per line ("deliver c1->server fore", "lose server->c1 callback", "timer
// server revoke/3", "crash c2", "wait"), with the time and what moved as
// a comment. Replay checks each step is enabled when its turn comes and
// returns the run as a sim.Result, so `delegsim run SCENARIO --schedule
// FILE` prints it, traces it and checks its expectations like a simulated
// run.
package explore
