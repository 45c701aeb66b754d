// Package model holds delegsim's protocol actors as pure state machines:
// the NFS server (nfsd together with the VFS lease layer of its host), the
// Linux NFSv4 client, and processes running on the server host.
//
// Each actor moves only when a driver calls Step(now, input, out) with the
// current virtual time and one input: the start of the run, a message
// delivered, a timer it armed firing, or a crash. It appends what it wants
// done to out — messages to send, timers to arm or cancel, application
// operations completed (the history) and state-change events — and does
// nothing else: no I/O, no clock, no goroutines, no randomness. Drivers
// (the sim package's discrete-event engine, the explorer) own time,
// message order and faults, which is what makes runs replayable and
// interleavings explorable. Actors can be cloned and their state encoded
// canonically (AppendState) for state-space search.
//
// Every rule cites where it comes from: a kernel function (fs/locks.c,
// fs/nfsd/nfs4state.c, fs/nfs/...) or an RFC 7530/8881 section. Where the
// kernel's behaviour depends on the release, a Profile carries the
// difference; where a proposed fix would change it, a Policy does.
package model
