//go:build !unix

package tracetest

import "time"

var started = time.Now()

// cpuTime stands in for the process's CPU time where getrusage is
// missing: the wall time since the process started.
func cpuTime() time.Duration { return time.Since(started) }
