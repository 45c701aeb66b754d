// Package trace reads real NFSv4 traffic and tells its delegation story.
//
// The pipeline streams: packets (package capture: pcap and pcapng via
// gopacket, TCP reassembly) → RPC records and call/reply pairs matched by
// xid per connection (package rpc) → decoded COMPOUNDs and CB_COMPOUNDs
// (package nfs4) → Exchanges in call order, attributed to clients by what
// the protocol says (owner, clientid, session, callback ident), never by
// port. Decode returns them as a Capture, or hands them on one by one.
//
// Everything after that is a function of the exchanges in call order,
// taken one at a time: Tell tells the Story as the capture streams, and
// Build tells the same from a decoded Capture (opens, delegations and
// their fate, recalls and their cause, inferred server-local accesses,
// callbacks, errors and retries, faults, timing figures), rendered as
// text, JSON (the contract of docs/trace.md) or, through package
// explain's renderers, Mermaid and HTML. Check (CheckCapture, as a
// capture streams) replays the clients' requests through model.Server
// and reports every divergence; History and CheckHistory hand what the
// clients saw to the checker's close-to-open model; Calibrate estimates
// the scenario format's timing parameters. Memory grows with the
// capture's clients, files and delegation events, not with its length,
// but for the timeline and the history check (docs/trace.md, Memory).
package trace
