package trace

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// packet is one frame of a seed capture, as Ethernet.
type packet struct {
	data []byte
	ts   time.Duration // from the capture's first frame
}

// seedPackets loads the test captures as Ethernet frames (the Linux
// cooked ones get an Ethernet header instead of theirs).
func seedPackets(b *testing.B) [][]packet {
	files, _ := filepath.Glob("testdata/*.pcap")
	var all [][]packet
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		r, err := pcapgo.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		var ps []packet
		var t0 time.Time
		for {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				break
			}
			if t0.IsZero() {
				t0 = ci.Timestamp
			}
			switch r.LinkType() {
			case layers.LinkTypeLinuxSLL2:
				data = append(make([]byte, 12, 14+len(data)-20), append([]byte{8, 0}, data[20:]...)...)
			case layers.LinkTypeLinuxSLL:
				data = append(make([]byte, 12, 14+len(data)-16), append([]byte{8, 0}, data[16:]...)...)
			}
			ps = append(ps, packet{data: data, ts: ci.Timestamp.Sub(t0)})
		}
		f.Close()
		all = append(all, ps)
	}
	return all
}

// synth is an endless-looking pcap made of the seed captures, round after
// round: each round's IPv4 addresses are moved to 10.r.r.x so that its
// connections are new ones, and its times 20 s later. It is generated as
// it is read: nothing of it is kept.
type synth struct {
	seeds   [][]packet
	limit   int64 // bytes to produce
	n       int64
	round   int
	file    int
	pkt     int
	buf     []byte
	rec     []byte // reused: the generator must not cost the decoder allocations
	packets int
}

// Read fills p with as many records as fit: the generator's cost is
// charged to the benchmark, so it should be small.
func (s *synth) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.buf) == 0 {
			if s.n >= s.limit {
				break
			}
			s.next()
		}
		k := copy(p[n:], s.buf)
		s.buf = s.buf[k:]
		n += k
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (s *synth) next() {
	if s.n == 0 && s.round == 0 && s.file == 0 && s.pkt == 0 {
		h := make([]byte, 24)
		binary.LittleEndian.PutUint32(h, 0xa1b23c4d) // nanosecond pcap
		binary.LittleEndian.PutUint16(h[4:], 2)
		binary.LittleEndian.PutUint16(h[6:], 4)
		binary.LittleEndian.PutUint32(h[16:], 262144)
		binary.LittleEndian.PutUint32(h[20:], 1) // Ethernet
		s.buf = h
		s.n += 24
		s.pkt = -1
		return
	}
	if s.pkt < 0 {
		s.pkt = 0
	}
	ps := s.seeds[s.file]
	pk := ps[s.pkt]
	if cap(s.rec) < 16+len(pk.data) {
		s.rec = make([]byte, 16+len(pk.data))
	}
	rec := s.rec[:16+len(pk.data)]
	ts := time.Duration(s.round*len(s.seeds)+s.file)*20*time.Second + pk.ts
	binary.LittleEndian.PutUint32(rec, uint32(ts/time.Second))
	binary.LittleEndian.PutUint32(rec[4:], uint32(ts%time.Second))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(pk.data)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(pk.data)))
	copy(rec[16:], pk.data)
	if ip := rec[16+14:]; len(ip) >= 20 && ip[0]>>4 == 4 {
		id := s.round*len(s.seeds) + s.file
		for _, a := range [][]byte{ip[12:16], ip[16:20]} {
			a[0], a[1], a[2] = 10, byte(id>>8), byte(id)
		}
	}
	s.buf = rec
	s.n += int64(len(rec))
	s.packets++
	s.pkt++
	if s.pkt == len(ps) {
		s.pkt, s.file = 0, s.file+1
		if s.file == len(s.seeds) {
			s.file, s.round = 0, s.round+1
		}
	}
}

// BenchmarkDecode streams a synthesized capture of at least 1 GB (the
// test captures, round after round) through the whole decoder, keeping
// no exchange (Options.Exchange), and reports throughput per wall second
// and per CPU second, allocations per packet, and the peak heap, sampled
// as it goes: the heap must not grow with the capture.
func BenchmarkDecode(b *testing.B) {
	seeds := seedPackets(b)
	for _, size := range []int64{256 << 20, 1 << 30} {
		b.Run(sizeName(size), func(b *testing.B) {
			var peak uint64
			var ms runtime.MemStats
			exchanges := 0
			packets := 0
			b.SetBytes(size)
			m := startMeter()
			for b.Loop() {
				s := &synth{seeds: seeds, limit: size}
				_, err := Decode(s, "synth", Options{Exchange: func(*Exchange) {
					exchanges++
					if exchanges%20000 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapAlloc)
					}
				}})
				if err != nil {
					b.Fatal(err)
				}
				packets += s.packets
			}
			m.report(b, size*int64(b.N), packets)
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// BenchmarkDecodeCaptures decodes each test capture from memory as
// `delegsim trace` does (every exchange kept for the story).
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
			m := startMeter()
			for b.Loop() {
				c, err := Decode(bytes.NewReader(data), p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				packets += c.Frames
			}
			m.report(b, int64(len(data))*int64(b.N), packets)
		})
	}
}

// meter measures what a benchmark's loop costs besides wall time.
type meter struct {
	cpu    time.Duration
	allocs uint64
	bytes  uint64
}

func startMeter() meter {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return meter{cpu: cpuTime(), allocs: ms.Mallocs, bytes: ms.TotalAlloc}
}

// report adds per-CPU-second throughput (on a shared machine wall time
// counts other people's work: CPU time of this process, garbage
// collection included, is what a core spends), packets per second, and
// allocations per packet.
func (m meter) report(b *testing.B, bytes int64, packets int) {
	cpu := (cpuTime() - m.cpu).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(bytes)/1e6/cpu, "MB/cpu-s")
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(packets)/cpu, "packets/cpu-s")
	b.ReportMetric(float64(ms.Mallocs-m.allocs)/float64(packets), "allocs/packet")
	b.ReportMetric(float64(ms.TotalAlloc-m.bytes)/float64(packets), "B/packet")
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sizeName(n int64) string {
	if n >= 1<<30 {
		return "1GB"
	}
	return "256MB"
}
