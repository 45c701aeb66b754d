// Package serve is delegsim's explorer in the browser (`delegsim serve`):
// a local HTTP server with one page and a small JSON API on which a
// person drives the model one transition at a time, the way the
// exhaustive explorer does, and sees why each step is possible and what
// it does.
//
// The page shows the enabled transitions of the current state as
// buttons, each with a one-line why (explore.Cursor's Choices); the
// state (nfsd's delegations, the VFS leases, the server's files, the
// clients' caches, the messages in flight on each connection, the armed
// timers with their deadlines); the invariants and the consistency
// verdict of the path so far; and the path's story as explain's sequence
// diagram (explain.Tell, Story.WriteSVG), growing with every click. Undo
// and redo, random walks, guided tours of the tutorial (tours/*.sched),
// the same path under a second policy side by side, schedules saved for
// `delegsim run SCENARIO --schedule FILE` and counterexamples from
// `delegsim explore --out` opened in the page.
//
// The server keeps no session: every request carries the run and the
// whole path, which the server replays on a fresh explore.Cursor. So the
// URL names the state exactly, undo is the page dropping a step, and
// nothing grows on the server. Its defences are in guard: loopback by
// default, Host and Origin checks against DNS rebinding and cross-site
// requests, and bounds on bodies and on the states one request expands
// (MaxSteps). Every asset is embedded; the page fetches nothing from
// elsewhere and works offline.
package serve
