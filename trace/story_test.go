package trace

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/delegsim/delegsim/trace/nfs4"
)

// The story is a pure function of decoded exchanges: these are written
// by hand, as a capture of bz219278 would decode.
func handCapture() *Capture {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	fh := []byte{0xf, 0x11}
	var deleg nfs4.Stateid
	deleg.Other[8] = 2
	seq := nfs4.Op{Code: nfs4.OpSequence}
	putfh := nfs4.Op{Code: nfs4.OpPutFH, FH: fh}
	open := nfs4.Op{Code: nfs4.OpOpen, Name: "f", Open: &nfs4.OpenArgs{ShareAccess: nfs4.ShareAccessBoth, Create: true}}
	ex := []Exchange{
		{Client: 0, Proc: 1, CallFrame: 10, ReplyFrame: 11, CallAt: ms(100), ReplyAt: ms(101), Minor: 2,
			Call: &nfs4.Compound{Minor: 2, Ops: []nfs4.Op{seq, {Code: nfs4.OpPutFH, FH: []byte{1}}, open, {Code: nfs4.OpGetFH}}},
			Reply: &nfs4.Compound{Reply: true, Ops: []nfs4.Op{seq, {Code: nfs4.OpPutFH},
				{Code: nfs4.OpOpen, Deleg: &nfs4.Delegation{Type: nfs4.DelegWrite, Stateid: deleg}}, {Code: nfs4.OpGetFH, FH: fh}}}},
		{Client: 0, Proc: 1, CallFrame: 20, ReplyFrame: 21, CallAt: ms(150), ReplyAt: ms(151), Callback: true,
			Call:  &nfs4.Compound{Callback: true, Ops: []nfs4.Op{{Code: nfs4.CBSequence, Callback: true}, {Code: nfs4.CBRecall, Callback: true, Stateid: deleg, FH: fh}}},
			Reply: &nfs4.Compound{Callback: true, Reply: true, Ops: []nfs4.Op{{Code: nfs4.CBSequence, Callback: true}, {Code: nfs4.CBRecall, Callback: true}}}},
		{Client: 0, Proc: 1, CallFrame: 22, ReplyFrame: 23, CallAt: ms(152), ReplyAt: ms(155), Minor: 2,
			Call:  &nfs4.Compound{Minor: 2, Ops: []nfs4.Op{seq, putfh, {Code: nfs4.OpDelegReturn, Stateid: deleg}}},
			Reply: &nfs4.Compound{Reply: true, Ops: []nfs4.Op{seq, {Code: nfs4.OpPutFH}, {Code: nfs4.OpDelegReturn}}}},
	}
	for i := range ex {
		ex[i].Index = i
	}
	return &Capture{File: "hand.pcap", Clients: []Client{{Name: "c1", Minor: 2}}, Exchanges: ex}
}

func TestStoryFromHandMadeExchanges(t *testing.T) {
	st := Build(handCapture())
	if len(st.Delegations) != 1 {
		t.Fatalf("delegations %+v", st.Delegations)
	}
	d := st.Delegations[0]
	if d.Type != "WRITE" || st.Files[d.File].Name != "f" || d.RecallAt == nil || *d.RecallAt != 150*time.Millisecond ||
		d.ReturnedAt == nil || *d.RecallLatency != 5*time.Millisecond || *d.Reaction != 2*time.Millisecond {
		t.Errorf("delegation %+v", d)
	}
	// No NFS request conflicts with it: a local access broke the lease
	// between the OPEN's reply and the CB_RECALL.
	if len(st.LocalBreaks) != 1 || st.LocalBreaks[0].After != 101*time.Millisecond || st.LocalBreaks[0].Before != 150*time.Millisecond {
		t.Errorf("local breaks %+v", st.LocalBreaks)
	}
}

// Example: the delegation story of a capture, from tcpdump -w.
func Example() {
	f, err := os.Open("testdata/k612-v42-rdwr-lsattr2-d0.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	c, err := Decode(f, "k612-v42-rdwr-lsattr2-d0.pcap", Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	st := Build(c)
	for _, d := range st.Delegations {
		fmt.Printf("%s %s on %s: recall latency %.1f ms; %s\n", st.Clients[d.Client].Name, d.Type, st.Files[d.File].Name, ms(*d.RecallLatency), d.Cause)
	}
	// Output:
	// c1 WRITE on f-v42-rdwr-lsattr2-d0: recall latency 22.9 ms; a server-local access (or a client not in the capture)
}
