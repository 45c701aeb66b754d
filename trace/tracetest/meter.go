package tracetest

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// Meter measures what a piece of work costs besides wall time: the
// process's CPU time (user and system, garbage collection included: on a
// shared machine wall time counts other people's work), its allocations,
// and its peak heap, sampled every few milliseconds as it runs.
type Meter struct {
	start Usage
	stop  chan struct{}
	done  sync.WaitGroup
	mu    sync.Mutex
	peak  Usage
}

// Usage is what a Meter measured.
type Usage struct {
	CPU        time.Duration
	Allocs     uint64 // heap objects allocated
	AllocBytes uint64
	// PeakHeap is the most heap in use seen (HeapAlloc: live objects
	// and garbage not yet collected); PeakLive the most found live by a
	// garbage collection (/gc/heap/live:bytes), what the work kept.
	PeakHeap, PeakLive uint64
}

// StartMeter collects garbage, then starts measuring.
func StartMeter() *Meter {
	runtime.GC()
	m := &Meter{stop: make(chan struct{})}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.start = Usage{CPU: cpuTime(), Allocs: ms.Mallocs, AllocBytes: ms.TotalAlloc}
	m.done.Add(1)
	go m.sample()
	return m
}

func (m *Meter) sample() {
	defer m.done.Done()
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var ms runtime.MemStats
	for {
		runtime.ReadMemStats(&ms)
		metrics.Read(live)
		m.mu.Lock()
		m.peak.PeakHeap = max(m.peak.PeakHeap, ms.HeapAlloc)
		if live[0].Value.Kind() == metrics.KindUint64 {
			m.peak.PeakLive = max(m.peak.PeakLive, live[0].Value.Uint64())
		}
		m.mu.Unlock()
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
	}
}

// Stop ends the measurement.
func (m *Meter) Stop() Usage {
	close(m.stop)
	m.done.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.mu.Lock()
	defer m.mu.Unlock()
	return Usage{CPU: cpuTime() - m.start.CPU, Allocs: ms.Mallocs - m.start.Allocs, AllocBytes: ms.TotalAlloc - m.start.AllocBytes,
		PeakHeap: max(m.peak.PeakHeap, ms.HeapAlloc), PeakLive: m.peak.PeakLive}
}
