package trace

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/trace/nfs4"
)

// replayed is a replay run to its end, with every answer the model gave.
type replayed struct {
	*replay
	answers []modelAnswer
}

type modelAnswer struct {
	req sentReq
	m   model.Message
}

// replayFile runs the model under a profile against a test capture and
// returns the replay, for tests that look at what the model did.
func replayFile(t *testing.T, name, profile string, mutate func(*Capture)) *replayed {
	t.Helper()
	c, st := decodeFile(t, name)
	if mutate != nil {
		mutate(c)
		st = Build(c)
	}
	prof, err := model.LookupProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := model.LookupPolicy("kernel", model.PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := &replayed{replay: newReplay(c, st, prof, pol)}
	r.replay.answers = func(req *sentReq, m model.Message) { r.answers = append(r.answers, modelAnswer{*req, m}) }
	for i := range c.Exchanges {
		r.add(&c.Exchanges[i])
	}
	r.finish()
	return r
}

// divergenceAt returns the counted divergences of r at frame.
func divergenceAt(r *CheckResult, frame int) []Divergence {
	var out []Divergence
	for _, d := range r.Divergences {
		if d.Frame == frame && d.Limit == "" {
			out = append(out, d)
		}
	}
	return out
}

// Linux 7.2 over NFSv4.2 asks for delegated timestamps and
// open-XOR-delegation (RFC 9754) and gets both: WRITE_ATTRS_DELEG with no
// open stateid, no CLOSE, SETATTR of the times in the DELEGRETURN
// compound. linux-7.2 agrees with both 7.2 captures. The earlier profiles
// differ where the kernels do, at the OPEN: 6.6–6.12 have neither
// feature, 6.17 has open-XOR-delegation but (by default) no delegated
// timestamps.
func TestCheckTellsLinux72FromEarlierKernels(t *testing.T) {
	cases := []struct {
		capture string
		open    int // the OPEN's frame
		other   []int
	}{
		// 6.6 also answers c2's GETATTR with a recall, not CB_GETATTR.
		{"k72-v42-rdwr-lsattr2-d0.pcap", 54, nil},
		{"k72-v42-twoclients-bstat.pcap", 100, []int{107, 108}},
	}
	for _, tc := range cases {
		t.Run(tc.capture, func(t *testing.T) {
			c, st := decodeFile(t, tc.capture)
			conf, err := CheckStory(c, st, CheckOptions{Profile: "auto"})
			if err != nil {
				t.Fatal(err)
			}
			if got := conf.Agreeing(); !slices.Equal(got, []string{"linux-7.2"}) {
				t.Errorf("agreeing profiles %v, want only linux-7.2", got)
			}
			for _, r := range conf.Results {
				switch r.Profile {
				case "linux-7.2":
					if r.Count() != 0 {
						t.Errorf("linux-7.2: %v", r.Divergences)
					}
					continue
				case "linux-6.6":
					for _, f := range tc.other {
						if len(divergenceAt(r, f)) != 1 {
							t.Errorf("linux-6.6: no divergence at frame %d (GETATTR answered by recall): %v", f, r.Divergences)
						}
					}
				}
				ds := divergenceAt(r, tc.open)
				if len(ds) != 1 || ds[0].Op != "OPEN" || !strings.Contains(ds[0].Real, "WRITE_ATTRS_DELEG with no open stateid") {
					t.Fatalf("%s: divergences %v, want the OPEN of frame %d", r.Profile, r.Divergences, tc.open)
				}
				d := ds[0]
				if !strings.Contains(d.Rule, "delegated timestamps") {
					t.Errorf("%s: rule %q does not name delegated timestamps", r.Profile, d.Rule)
				}
				xor := r.Profile == "linux-6.17" // has open-XOR-delegation
				if strings.Contains(d.Rule, "open-XOR") == xor || strings.Contains(d.Model, "no open stateid") != xor {
					t.Errorf("%s: %s", r.Profile, d)
				}
			}
		})
	}
}

// The DELEGRETURN compound's SETATTR settles the mtime the client owned
// (RFC 9754 §5; nfsd4_setattr, vet_deleg_attrs): the model's file takes
// the client's time, which lies after the grant and before the return.
func TestCheckReplaysDelegatedTimestamps(t *testing.T) {
	r := replayFile(t, "k72-v42-rdwr-lsattr2-d0.pcap", "linux-7.2", nil)
	i := slices.IndexFunc(r.c.Exchanges, func(e Exchange) bool { return e.CallFrame == 61 })
	want, ok := delegatedMtime(r.c.Exchanges[i].Call)
	if !ok {
		t.Fatal("frame 61 carries no SETATTR of the delegated mtime")
	}
	f := r.srv.Files()[0]
	if f.Mtime != r.captureTime(want) {
		t.Errorf("model mtime %v, want the client's %v", f.Mtime, r.captureTime(want))
	}
	d := r.st.Delegations[0]
	if f.Mtime <= d.GrantedAt || f.Mtime > *d.ReturnSent {
		t.Errorf("delegated mtime %v outside the delegation [%v, %v]", f.Mtime, d.GrantedAt, *d.ReturnSent)
	}
}

// k612-v42-rdwr-loss12s: a local lsattr broke the lease while the network
// dropped everything. nfsd's CB_RECALL got no answer, timed out after
// max_cb_time, marked the backchannel faulty and was restarted on the same
// slot and sequence id; both reached the client when the loss ended, and
// the DELEGRETURN's SEQUENCE reply says BACKCHANNEL_FAULT. The replay
// places the break a callback timeout before the restart, and the model
// does the same: two CB_RECALLs, the fault flag on the DELEGRETURN's reply.
func TestCheckReplaysARestartedRecall(t *testing.T) {
	r := replayFile(t, "k612-v42-rdwr-loss12s.pcap", "linux-6.12", nil)
	var frames []int
	for _, cb := range r.cbs {
		if cb.msg.Kind == model.MsgCBRecall && cb.matched >= 0 {
			frames = append(frames, r.c.Exchanges[cb.matched].CallFrame)
		}
	}
	if !slices.Equal(frames, []int{65, 67}) {
		t.Errorf("model CB_RECALLs matched to frames %v, want 65 and 67", frames)
	}
	var ret model.Message
	for _, a := range r.answers {
		if a.req.frame == 72 {
			ret = a.m
		}
	}
	if ret.Kind != model.MsgDelegReturn || ret.Seq&model.SeqBackchannelFault == 0 {
		t.Errorf("model's DELEGRETURN reply %v, want BACKCHANNEL_FAULT", ret)
	}
	if r.res.Count() != 0 {
		t.Errorf("divergences: %v", r.res.Divergences)
	}

	// Had nfsd not flagged the fault, the check says so.
	r = replayFile(t, "k612-v42-rdwr-loss12s.pcap", "linux-6.12", func(c *Capture) {
		for i := range c.Exchanges {
			if e := &c.Exchanges[i]; e.CallFrame == 72 {
				e.Reply.Find(nfs4.OpSequence).Seq.Flags = 0
			}
		}
	})
	ds := divergenceAt(r.res, 72)
	if len(ds) != 1 || ds[0].Real != "flagged SEQUENCE nothing" || ds[0].Model != "flags BACKCHANNEL_FAULT" {
		t.Errorf("divergences %v: want the DELEGRETURN's missing BACKCHANNEL_FAULT at frame 72", r.res.Divergences)
	}
}

// NFSv4.0: after SETCLIENTID_CONFIRM nfsd probes the callback path with
// CB_NULL and offers delegations only once it is answered
// (nfsd4_probe_callback, nfsd4_cb_channel_good). The model's probes meet
// the capture's; had the client not answered them, the model would have
// refused the READ delegation the real server granted.
func TestCheckProbesV40CallbackPath(t *testing.T) {
	r := replayFile(t, "k612-v40-readdeleg-append-d0.pcap", "linux-6.12", nil)
	var frames []int
	for _, cb := range r.cbs {
		if cb.msg.Kind == model.MsgCBNull && cb.matched >= 0 {
			frames = append(frames, r.c.Exchanges[cb.matched].CallFrame)
		}
	}
	if !slices.Equal(frames, []int{15, 31}) || r.res.Count() != 0 {
		t.Errorf("model CB_NULLs matched to frames %v (want 15 and 31); divergences %v", frames, r.res.Divergences)
	}

	r = replayFile(t, "k612-v40-readdeleg-append-d0.pcap", "linux-6.12", func(c *Capture) {
		for i := range c.Exchanges {
			if e := &c.Exchanges[i]; e.Callback && e.Proc == nfs4.ProcNull {
				e.RPCError = "no answer (test)"
			}
		}
	})
	ds := divergenceAt(r.res, 83)
	if len(ds) != 1 || !strings.Contains(ds[0].Rule, "callback path not up") {
		t.Errorf("divergences %v: want the OPEN of frame 83 refused for the callback path", r.res.Divergences)
	}
}

// A recall the model sends and the capture lacks (or the other way round)
// is a divergence at the callback: here the CB_RECALL that c2's OPEN
// caused is taken out of the capture.
func TestCheckReportsAMissingCallback(t *testing.T) {
	r := replayFile(t, "k612-v42-twoclients-bread.pcap", "linux-6.12", func(c *Capture) {
		c.Exchanges = slices.DeleteFunc(c.Exchanges, func(e Exchange) bool {
			return e.Callback && e.Call != nil && e.Call.Find(nfs4.CBRecall) != nil
		})
		for i := range c.Exchanges {
			c.Exchanges[i].Index = i
		}
	})
	ds := slices.DeleteFunc(slices.Clone(r.res.Divergences), func(d Divergence) bool { return d.Op != "CB_RECALL" })
	if len(ds) != 1 || ds[0].Real != "sent no CB_RECALL" {
		t.Errorf("divergences %v: want the model's CB_RECALL the capture lacks", r.res.Divergences)
	}
}

// The conformance report of a 7.2 capture, read as the differences
// between kernels: every profile before 7.2 answers its OPEN otherwise,
// and what the model has no counterpart for is listed as not replayed.
func TestGoldenCheckLinux72(t *testing.T) {
	const name = "k72-v42-rdwr-lsattr2-d0"
	c, st := decodeFile(t, name+".pcap")
	conf, err := CheckStory(c, st, CheckOptions{Profile: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := conf.WriteText(&b, name+".pcap"); err != nil {
		t.Fatal(err)
	}
	golden(t, name+".check.txt", b.Bytes())
}

// The 7.x client takes a directory delegation on the parent after a
// recall (GET_DIR_DELEGATION) and returns it at umount. The model has no
// directory delegations: their grant, recall and return are listed as not
// replayed, and the compounds' SEQUENCE is still compared.
func TestCheckListsDirectoryDelegationsAsNotReplayed(t *testing.T) {
	r := replayFile(t, "k72-v42-rdwr-lsattr2-d0.pcap", "linux-7.2", func(c *Capture) {
		// A CB_RECALL of the directory delegation before its return.
		rec := slices.IndexFunc(c.Exchanges, func(e Exchange) bool { return e.CallFrame == 59 })
		ret := slices.IndexFunc(c.Exchanges, func(e Exchange) bool { return e.CallFrame == 69 })
		cb := c.Exchanges[rec]
		call := *cb.Call
		call.Ops = slices.Clone(call.Ops)
		op := call.Find(nfs4.CBRecall)
		op.Stateid = c.Exchanges[ret].Call.Find(nfs4.OpDelegReturn).Stateid
		op.FH = c.Exchanges[ret].Call.Find(nfs4.OpPutFH).FH
		cb.Call, cb.CallFrame, cb.ReplyFrame = &call, 68, 68
		cb.CallAt, cb.ReplyAt = c.Exchanges[ret].CallAt-1, c.Exchanges[ret].CallAt-1
		c.Exchanges = slices.Insert(c.Exchanges, ret, cb)
		for i := range c.Exchanges {
			c.Exchanges[i].Index = i
		}
	})
	for _, want := range []string{"frame 66: GET_DIR_DELEGATION", "frame 68: CB_RECALL of a directory delegation", "frame 69: DELEGRETURN of a directory delegation"} {
		if !slices.ContainsFunc(r.res.Skipped, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("not replayed %q: want %q", r.res.Skipped, want)
		}
	}
	if r.res.Count() != 0 {
		t.Errorf("divergences: %v", r.res.Divergences)
	}
	renewed := 0
	for _, a := range r.answers {
		if f := a.req.frame; (f == 66 || f == 69) && a.req.renewal {
			renewed++
		}
	}
	if renewed != 2 {
		t.Errorf("%d of the directory compounds were replayed for their SEQUENCE, want 2", renewed)
	}
}

// The check is a pure function of the capture: two runs print the same
// report, byte for byte.
func TestCheckIsDeterministic(t *testing.T) {
	for _, gt := range truths {
		c, st := decodeFile(t, gt.file)
		var out [2]bytes.Buffer
		for i := range out {
			conf, err := CheckStory(c, st, CheckOptions{Profile: "auto"})
			if err != nil {
				t.Fatal(err)
			}
			if err := conf.WriteText(&out[i], gt.file); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) {
			t.Errorf("%s: two checks differ", gt.file)
		}
	}
}

// A longer loss: nfsd restarts the recall after each callback timeout,
// and every attempt reaches the client in one burst when the loss ends.
// The capture is k612-v42-rdwr-loss12s made 9 s longer with a second
// restart (same slot and sequence id) in the burst; the model, its break
// placed two timeouts before the last restart, sends the same three.
func TestCheckReplaysARecallRestartedTwice(t *testing.T) {
	r := replayFile(t, "k612-v42-rdwr-loss12s.pcap", "linux-6.12", func(c *Capture) {
		const longer = 9 * time.Second
		for i := range c.Exchanges {
			if e := &c.Exchanges[i]; e.CallAt > time.Second {
				e.CallAt += longer
				if e.Answered() {
					e.ReplyAt += longer
				}
			}
		}
		at := slices.IndexFunc(c.Exchanges, func(e Exchange) bool { return e.CallFrame == 67 })
		again := c.Exchanges[at]
		again.CallFrame, again.ReplyFrame = 68, 71
		again.CallAt += time.Millisecond / 2
		again.ReplyAt += time.Millisecond / 2
		c.Exchanges = slices.Insert(c.Exchanges, at+1, again)
		for i := range c.Exchanges {
			c.Exchanges[i].Index = i
		}
	})
	var frames []int
	for _, cb := range r.cbs {
		if cb.msg.Kind == model.MsgCBRecall && cb.matched >= 0 {
			frames = append(frames, r.c.Exchanges[cb.matched].CallFrame)
		}
	}
	if !slices.Equal(frames, []int{65, 67, 68}) || r.res.Count() != 0 {
		t.Errorf("model CB_RECALLs matched to frames %v (want 65, 67, 68); divergences %v", frames, r.res.Divergences)
	}
}
