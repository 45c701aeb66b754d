package trace

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/trace/tracetest"
)

// seeds returns the test captures.
func seeds(tb testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/*.pcap")
	var all [][]byte
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		all = append(all, data)
	}
	if len(all) == 0 {
		tb.Fatal("no test captures")
	}
	return all
}

// BenchmarkDecode streams a synthesized capture of at least 1 GB (the
// test captures, round after round) through the whole decoder, keeping
// no exchange (Options.Exchange), and reports throughput per wall second
// and per CPU second, allocations per packet, and the peak heap, sampled
// as it goes: the heap must not grow with the capture.
func BenchmarkDecode(b *testing.B) {
	seeds := seeds(b)
	for _, size := range []int64{256 << 20, 1 << 30} {
		b.Run(sizeName(size), func(b *testing.B) {
			b.SetBytes(size)
			packets := 0
			m := tracetest.StartMeter()
			for b.Loop() {
				s, err := tracetest.New(tracetest.Options{Size: size, Seeds: seeds})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Decode(s, "synth", Options{Exchange: func(*Exchange) {}}); err != nil {
					b.Fatal(err)
				}
				packets += s.Packets()
			}
			report(b, m.Stop(), size*int64(b.N), packets)
		})
	}
}

// BenchmarkDecodeCaptures decodes each test capture from memory, every
// exchange kept (as Build needs them).
func BenchmarkDecodeCaptures(b *testing.B) {
	files, _ := filepath.Glob("testdata/*.pcap")
	if len(files) == 0 {
		b.Fatal("no test captures")
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.TrimSuffix(filepath.Base(p), ".pcap"), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			packets := 0
			m := tracetest.StartMeter()
			for b.Loop() {
				c, err := Decode(bytes.NewReader(data), p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				packets += c.Frames
			}
			report(b, m.Stop(), int64(len(data))*int64(b.N), packets)
		})
	}
}

// report adds per-CPU-second throughput, packets per second, allocations
// per packet and the peak heap to a benchmark's result.
func report(b *testing.B, u tracetest.Usage, bytes int64, packets int) {
	cpu := u.CPU.Seconds()
	b.ReportMetric(float64(bytes)/1e6/cpu, "MB/cpu-s")
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(packets)/cpu, "packets/cpu-s")
	b.ReportMetric(float64(u.Allocs)/float64(packets), "allocs/packet")
	b.ReportMetric(float64(u.AllocBytes)/float64(packets), "B/packet")
	b.ReportMetric(float64(u.PeakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(u.PeakLive)/(1<<20), "peak-live-MB")
}

func sizeName(n int64) string {
	if n >= 1<<30 {
		return "1GB"
	}
	return "256MB"
}
