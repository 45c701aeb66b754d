package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/trace/tracetest"
)

// onlyReader hides a reader's other methods: standard input from a pipe
// cannot seek.
type onlyReader struct{ io.Reader }

// traceWith runs `delegsim trace` with r as standard input.
func traceWith(r io.Reader, args ...string) (int, string, string) {
	old := stdin
	stdin = r
	defer func() { stdin = old }()
	var out, errb bytes.Buffer
	code := dispatch(append([]string{"trace"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// A capture piped to `delegsim trace -` tells what the file tells, in
// every format and with --check (which keeps standard input in a
// temporary file for its second reading) and --calibrate.
func TestTraceStdinTellsWhatTheFileTells(t *testing.T) {
	data, err := os.ReadFile(traceCapture)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(traceCapture)
	for _, args := range [][]string{{}, {"--format", "json"}, {"--format", "mermaid"}, {"--format", "html"},
		{"--check"}, {"--check", "--format", "json"}, {"--calibrate"}, {"--check", "--calibrate", "--format", "json"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, want, _ := runTrace(t, append([]string{traceCapture}, args...)...)
			code2, got, errb := traceWith(onlyReader{bytes.NewReader(data)}, append([]string{"-"}, args...)...)
			got = strings.ReplaceAll(got, "standard input", base)
			if code != 0 || code2 != code || got != want {
				t.Errorf("exit %d from the file, %d from standard input (%s); outputs equal: %v", code, code2, errb, got == want)
			}
		})
	}
}

// writeHeavy is a capture of size bytes: a client streaming 4 KiB WRITEs
// (a COMMIT after every 256) or READs on one connection, with the
// bz219278 reproducer (a write delegation recalled for a local lsattr)
// replayed every 8 MB.
func writeHeavy(t testing.TB, size int64, reads bool) *tracetest.Synth {
	seed, err := os.ReadFile(traceCapture)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tracetest.New(tracetest.Options{Size: size, Seeds: [][]byte{seed}, WriteEvery: 8 << 20, WriteSize: 4 << 10, Reads: reads, CommitEvery: 256})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// `delegsim trace` streams: reading a capture eight times longer, with
// eight times the WRITEs (≈ 93,000 against 11,600) and the delegations,
// takes no more memory, in the outputs that are not a timeline of every
// request. The bound is what the story's delegation events and the
// decoder's buffers take; keeping the exchanges, as the command did
// before, took ~3 KB each, 280 MB for the long capture. --check is run
// on READs: its history check keeps an observation of every WRITE (see
// docs/trace.md); and the seed's replays, all of one client and file a
// few seconds apart, are not consistent with one another, so the check
// finds divergences (exit 1).
func TestTraceMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 900 MB of capture per case")
	}
	const short, long = 50 << 20, 400 << 20
	const slack = 4 << 20 // what the longer capture may take more
	for _, tc := range []struct {
		args  []string
		reads bool
	}{
		{[]string{"--format", "json"}, false},
		{[]string{"--calibrate"}, false},
		{[]string{"--check", "--profile", "linux-6.12", "--format", "json"}, true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var use [2]tracetest.Usage
			for i, size := range []int64{short, long} {
				s := writeHeavy(t, size, tc.reads)
				m := tracetest.StartMeter()
				code, _, errb := traceWith(s, append([]string{"-"}, tc.args...)...)
				use[i] = m.Stop()
				if code == exitBadUsage {
					t.Fatalf("exit %d: %s", code, errb)
				}
				t.Logf("%d MB, %d %s: peak live heap %.1f MB, peak heap %.1f MB, %.2f CPU-s", size>>20, s.Writes(), map[bool]string{false: "WRITEs", true: "READs"}[tc.reads],
					float64(use[i].PeakLive)/(1<<20), float64(use[i].PeakHeap)/(1<<20), use[i].CPU.Seconds())
			}
			if use[1].PeakLive > use[0].PeakLive+slack {
				t.Errorf("peak live heap %.1f MB for %d MB of capture, %.1f MB for %d MB: memory grows with the capture",
					float64(use[1].PeakLive)/(1<<20), long>>20, float64(use[0].PeakLive)/(1<<20), short>>20)
			}
		})
	}
}

// BenchmarkTrace runs `delegsim trace -` end to end (decoding, the story,
// the output; with --check the second reading and the replay) on 256 MB
// of WRITE-heavy capture (see writeHeavy), and reports throughput per CPU
// second and the peak heap.
func BenchmarkTrace(b *testing.B) {
	const size = 256 << 20
	for _, args := range [][]string{{"--format", "json"}, {"--calibrate"}, {"--check", "--profile", "linux-6.12"}, {"--format", "text"}} {
		b.Run(strings.Join(args, " "), func(b *testing.B) {
			b.SetBytes(size)
			m := tracetest.StartMeter()
			for b.Loop() {
				if code, _, errb := traceWith(writeHeavy(b, size, false), append([]string{"-"}, args...)...); code == exitBadUsage {
					b.Fatal(errb)
				}
			}
			u := m.Stop()
			b.ReportMetric(float64(size)*float64(b.N)/1e6/u.CPU.Seconds(), "MB/cpu-s")
			b.ReportMetric(float64(u.PeakHeap)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(u.PeakLive)/(1<<20), "peak-live-MB")
		})
	}
}
