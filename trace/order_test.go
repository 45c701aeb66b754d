package trace

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/trace/tracetest"
)

// Exchanges are handed on in call order, kept or streamed: by the frame
// of their call, calls of one frame in the order of their answers.
func TestExchangesComeInCallOrder(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.pcap")
	for _, p := range files {
		c, _ := decodeFile(t, filepath.Base(p))
		if !slices.IsSortedFunc(c.Exchanges, func(a, b Exchange) int { return a.CallFrame - b.CallFrame }) {
			t.Errorf("%s: exchanges not in call order", p)
		}
		for i, e := range c.Exchanges {
			if e.Index != i {
				t.Fatalf("%s: exchange %d has index %d", p, i, e.Index)
			}
		}
	}
}

// An exchange waits for the calls before it to be answered, up to
// maxHeld exchanges: a reply that comes later than that (lost, in
// practice, to tcpdump) is a warning, and the call goes on as
// unanswered; one that comes in time is matched as any other.
func TestALateReplyStopsHoldingTheCapture(t *testing.T) {
	seed, err := os.ReadFile("testdata/k612-v42-rdwr-lsattr2-d0.pcap")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		by       int
		answered bool
	}{{100, true}, {3 * maxHeld, false}} {
		s, err := tracetest.New(tracetest.Options{Size: 40 << 20, Seeds: [][]byte{seed}, WriteEvery: 16 << 20, WriteSize: 4 << 10, LateReply: 10, LateBy: tc.by})
		if err != nil {
			t.Fatal(err)
		}
		var writes, late, unanswered int
		prev := 0
		d := newDecoder("synth", Options{Exchange: func(e *Exchange) {
			if e.CallFrame < prev {
				t.Fatalf("frame %d after frame %d", e.CallFrame, prev)
			}
			prev = e.CallFrame
			if e.XID>>24 != 0x7e { // not the stream's
				return
			}
			writes++
			if !e.Answered() {
				unanswered++
			}
		}})
		c, err := d.run(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.Warnings {
			if strings.Contains(w.Text, "the story counts the call as unanswered") {
				late++
			}
		}
		if writes != s.Writes() || (unanswered == 0) != tc.answered || late != unanswered {
			t.Errorf("reply %d WRITEs late: %d of %d WRITEs handed on, %d unanswered, %d warnings", tc.by, writes, s.Writes(), unanswered, late)
		}
	}
}
