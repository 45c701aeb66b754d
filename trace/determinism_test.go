package trace

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/delegsim/delegsim/trace/nfs4"
	"github.com/gopacket/gopacket/pcapgo"
)

// withoutFrames returns a test capture with the given frames (numbered
// from 1) left out, as a capture that lost them would be.
func withoutFrames(t testing.TB, name string, drop ...int) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := pcapgo.NewWriterNanos(&out)
	if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for n := 1; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if slices.Contains(drop, n) {
			continue
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

// A capture that lost segments decodes to the same story every time.
// Data pushed past a gap reaches the story in connection order, whatever
// order the reassembler flushes connections in: here the NFSv4.0
// callback connection is tied to its client only if the SETCLIENTID on
// the fore connection, also behind a gap, is read first. And calls left
// unanswered come out in the order they were sent (two WRITEs end in one
// frame of the second capture).
func TestLossyCaptureDecodesTheSameEveryTime(t *testing.T) {
	for _, tc := range []struct {
		file string
		drop []int
	}{
		{"k612-v40-readdeleg-append-d0.pcap", []int{2, 8, 25, 31, 57, 71, 73, 77, 86, 93}},
		{"k612-v42-dirty300k-d0.pcap", []int{22, 36, 47, 55, 62, 83, 88, 89}},
	} {
		data := withoutFrames(t, tc.file, tc.drop...)
		var first []byte
		for run := range 30 {
			c, err := Decode(bytes.NewReader(data), tc.file, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			st := Build(c)
			if err := st.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			if err := st.WriteJSON(&out, nil, nil); err != nil {
				t.Fatal(err)
			}
			if run == 0 {
				first = out.Bytes()
				continue
			}
			if !bytes.Equal(out.Bytes(), first) {
				t.Fatalf("%s without frames %v: run %d tells another story than run 0", tc.file, tc.drop, run)
			}
		}
	}
}

// Streaming exchanges (Options.Exchange), whose memory Decode reuses
// once the consumer has seen them, gives the exchanges that keeping them
// gives, in the same order, compound for compound.
func TestStreamedExchangesAreTheKeptOnes(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.pcap")
	files = append(files, "") // and a lossy one
	for _, p := range files {
		data := withoutFrames(t, "k612-v42-dirty300k-d0.pcap", 22, 36, 47, 55, 62, 83, 88, 89)
		if p != "" {
			var err error
			if data, err = os.ReadFile(p); err != nil {
				t.Fatal(err)
			}
		}
		// What an exchange says.
		say := func(e *Exchange) string {
			b, err := json.Marshal(struct {
				Index, Client         int
				CallFrame, ReplyFrame int
				XID                   uint32
				Call, Reply           *nfs4.Compound
				RPCError              string
			}{e.Index, e.Client, e.CallFrame, e.ReplyFrame, e.XID, e.Call, e.Reply, e.RPCError})
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		c, err := Decode(bytes.NewReader(data), p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var kept, streamed []string
		for i := range c.Exchanges {
			kept = append(kept, say(&c.Exchanges[i]))
		}
		if _, err := Decode(bytes.NewReader(data), p, Options{Exchange: func(e *Exchange) { streamed = append(streamed, say(e)) }}); err != nil {
			t.Fatal(err)
		}
		if len(kept) == 0 || !slices.Equal(kept, streamed) {
			t.Errorf("%s: %d exchanges kept, %d streamed, or they differ", p, len(kept), len(streamed))
		}
	}
}
