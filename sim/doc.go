// Package sim is delegsim's timed driver: a discrete-event engine that
// steps the model's actors in virtual time.
//
// Events are ordered by (virtual time, sequence number), so ties break in
// the order they were scheduled and a run is a pure function of its
// configuration and seed. Each client has a fore channel (RPCs and their
// replies) and a callback channel (CB_* and their replies), each FIFO like
// the TCP connection it stands for, with a latency distribution (Dist),
// loss and partition windows; the server and clients add processing
// delays. All randomness comes from one seed split into named streams
// (Streams), so adding a client does not change another's draws. A run
// yields a Result: the application history, state-change events, message
// counts and, on request, a full trace.
package sim
