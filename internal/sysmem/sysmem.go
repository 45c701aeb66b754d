// Package sysmem says how much memory the machine (or the container's
// cgroup) allows, and how much this process's Go runtime holds, so that a
// search can stop at a memory bound instead of being killed by the
// kernel's OOM killer.
package sysmem

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// ErrLimit is the cause of a context cancelled by Watch.
var ErrLimit = errors.New("memory limit reached")

// Available returns the memory this process may use: the machine's RAM,
// or less if a cgroup (a container, a Kubernetes pod, a Slurm job) limits
// it. 0 means unknown.
func Available() uint64 {
	avail := physical()
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if n, ok := readLimit(f); ok && (avail == 0 || n < avail) {
			avail = n
		}
	}
	return avail
}

// readLimit reads a cgroup memory limit file: a number of bytes, or "max"
// for none.
func readLimit(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n == 0 || n >= 1<<62 { // "max", or cgroup v1's "unlimited" page-rounded MaxInt64
		return 0, false
	}
	return n, true
}

var samples = []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}

// InUse returns the memory the Go runtime holds from the operating
// system and has not returned: close to the process's resident size.
func InUse() uint64 {
	s := make([]metrics.Sample, len(samples))
	copy(s, samples)
	metrics.Read(s)
	total, released := s[0].Value.Uint64(), s[1].Value.Uint64()
	return total - min(released, total)
}

// Watch cancels the work, with cause ErrLimit, once InUse exceeds limit
// bytes, checking every interval; it returns when ctx is done.
func Watch(ctx context.Context, limit uint64, interval time.Duration, cancel context.CancelCauseFunc) {
	WatchUsing(ctx, InUse, limit, interval, cancel)
}

// WatchUsing is Watch with the memory in use measured by inUse, for work
// that also holds memory outside the Go heap.
func WatchUsing(ctx context.Context, inUse func() uint64, limit uint64, interval time.Duration, cancel context.CancelCauseFunc) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n := inUse(); n > limit {
				cancel(fmt.Errorf("%w: %s in use, limit %s", ErrLimit, Format(n), Format(limit)))
				return
			}
		}
	}
}

// Format renders a byte count as people read it: "512 MiB", "11.7 GiB".
func Format(n uint64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatUint(n>>20, 10) + " MiB"
	case n >= 1<<10:
		return strconv.FormatUint(n>>10, 10) + " KiB"
	}
	return strconv.FormatUint(n, 10) + " B"
}

// Parse reads a size: a number of bytes with an optional unit, K, M, G or
// T (powers of 1024; "KiB", "MB" and "GB" mean the same), or a percentage
// of Available ("50%").
func Parse(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || !(f > 0 && f <= 100) {
			return 0, fmt.Errorf("%q: a percentage must be in (0, 100]", s)
		}
		avail := Available()
		if avail == 0 {
			return 0, fmt.Errorf("%q: the machine's memory is unknown; give a size such as 4G", s)
		}
		return uint64(f / 100 * float64(avail)), nil
	}
	// "4GiB", "4GB", "4G" -> "4G"; "2048B" -> "2048".
	u := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(t), "B"), "I")
	mult := uint64(1)
	if n := len(u); n > 0 {
		if k := strings.IndexByte("KMGT", u[n-1]); k >= 0 {
			u, mult = u[:n-1], 1<<(10*(k+1))
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(u), 64)
	if err != nil || !(f > 0) || f*float64(mult) >= 1<<63 {
		return 0, fmt.Errorf("%q is not a size (such as 512M, 4G or 50%%)", s)
	}
	return uint64(f * float64(mult)), nil
}
