package checker

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
)

// TestAttributeCacheReads: a client's stat answered from its attribute
// cache shows the file as of when the attributes were fetched (NFS's
// attribute caching, nfs(5)): under close-to-open that is no stale read,
// under linearizability it is.
func TestAttributeCacheReads(t *testing.T) {
	cached := stat("c2", model.OpStat, 60, 60, 0)
	cached.FromCache, cached.AttrsAt = true, at(5)
	ops := history(
		stat("c2", model.OpStat, 5, 10, 0),
		write("c1", 11, 12, Value{Size: 100, Data: 1}),
		closeF("c1", 12, 40),
		cached,
	)
	for _, tt := range []struct {
		c    Consistency
		want Verdict
	}{{CloseToOpen, Ok}, {Linearizable, Violation}} {
		if res := CheckLinearizability(ops, nil, tt.c, 10*time.Second); res.Verdict != tt.want {
			t.Errorf("%s: %v, want %v", tt.c, res.Verdict, tt.want)
		}
	}
}
