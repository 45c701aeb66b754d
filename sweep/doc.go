// Package sweep runs a scenario many times over a grid of parameter
// values and policies, and summarises each grid point and policy.
//
// A grid is the cartesian product of Vary parameters, each a --set path
// of the scenario with a range of values ("clients.c1.latency=0ms:200ms:10ms").
// NewPlan builds and validates every point's scenario up front, so a typo
// is an error before any work is done. Plan.Run runs Spec.Trials trials
// of every policy at every point on all cores; the trial seeds depend
// only on the base seed, the point and the trial (TrialSeed), so results
// are identical whatever the worker count or the shard split, and all
// policies at a point see the same draws.
//
// For each point and policy a Row gives: the failure probability of each
// server-local operation with a Wilson 95% interval and its latency
// percentiles; the stale-read rate found by the checker; and the cost:
// client RPCs, extra RPCs relative to the no-write-deleg policy (run as a
// hidden baseline when not asked for), recalls, CB_GETATTRs and
// delegations granted.
//
// Results are written as results.csv (one row per point and policy) and
// sweep.json (the Meta: what was run). A sweep can be split into shards
// (Shard, "--shard I/N"), each run anywhere, and their directories
// combined by Merge into exactly what an unsharded run writes. The
// columns and files are documented in docs/sweep.md; package plots draws
// the figures.
package sweep
