package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

func sentKinds(res *sim.Result, k model.MsgKind, reply bool) []sim.MessageRecord {
	var out []sim.MessageRecord
	for _, m := range res.Messages {
		if m.Msg.Kind == k && m.Msg.Reply == reply {
			out = append(out, m)
		}
	}
	return out
}

// TestV40CallbackPathDown: a v4.0 recall that times out marks the path
// down (nfsd4_mark_cb_down) and is not resent. RENEW then answers
// NFS4ERR_CB_PATH_DOWN while the client holds delegations (nfsd4_renew),
// and the Linux client returns every delegation and sends SETCLIENTID
// (nfs40_handle_cb_pathdown); nfsd probes the new path with CB_NULL
// (nfsd4_probe_callback), which, answered, brings it back up.
func TestV40CallbackPathDown(t *testing.T) {
	res := run(t, v40ReadDeleg[:strings.Index(v40ReadDeleg, "clients:")]+`clients:
  - name: c1
    version: "4.0"
    renew_phase: 30s
    callback: {partitions: [{from: 1s, to: 35s}]}
    script:
      - {op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
      - {op: open, file: f, flags: [O_RDONLY]}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 5s, op: open-write, file: f, startup: 0}]
`, scenarios.Options{Trace: true})
	if n := res.Sent[model.MsgCBRecall]; n != 1 {
		t.Errorf("%d CB_RECALLs, want 1: v4.0 does not resend after a timeout", n)
	}
	down := events(res, model.EvCBPathDown)
	if len(down) != 1 || down[0].At != 14*time.Second {
		t.Fatalf("path down %v: want once, at the recall's timeout (5 s + 9 s)", down)
	}
	var renew []sim.MessageRecord
	for _, m := range sentKinds(res, model.MsgRenew, true) {
		if m.Msg.Status == model.NFS4ErrCBPathDown {
			renew = append(renew, m)
		}
	}
	if len(renew) != 1 {
		t.Fatalf("%d RENEW replies with NFS4ERR_CB_PATH_DOWN, want 1", len(renew))
	}
	if res.Sent[model.MsgSetclientid] != 1 || res.Sent[model.MsgCBNull] != 1 {
		t.Errorf("SETCLIENTID %d, CB_NULL %d: want the recovery and nfsd's probe", res.Sent[model.MsgSetclientid], res.Sent[model.MsgCBNull])
	}
	if up := events(res, model.EvCBPathUp); len(up) != 1 || up[0].At < 35*time.Second {
		t.Errorf("path up %v: want once, when the probe gets through after the cut (35 s)", up)
	}
	ret := events(res, model.EvReturn)
	if len(ret) != 1 || ret[0].At < renew[0].Arrives {
		t.Fatalf("returns %v: want the delegation returned after CB_PATH_DOWN", ret)
	}
	if w := op(t, res, "l1#1"); w.End != ret[0].At {
		t.Errorf("writer %v: want it through at the return", w)
	}
}

// TestV41BackchannelFault: a v4.1+ recall that times out marks the
// backchannel faulty and is resent with the same slot and sequence id
// (nfsd4_cb_sequence_done, cb_seq_status 1). Every SEQUENCE reply then
// carries SEQ4_STATUS_BACKCHANNEL_FAULT (nfsd4_sequence); the client
// resets its session (nfs41_handle_backchannel_fault), nfsd marks the new
// backchannel up and restarts the recall on it.
func TestV41BackchannelFault(t *testing.T) {
	res := run(t, header+`clients:
  - name: c1
    renew_phase: 20s
    callback: {partitions: [{from: 1s, to: 40s}]}
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 2s, op: lsattr, file: f, startup: 0}]
`, scenarios.Options{Trace: true})
	if d := events(res, model.EvCBPathDown); len(d) == 0 || d[0].At != 11*time.Second {
		t.Fatalf("path down %v: want the first at 2 s + 9 s", d)
	}
	faulty := 0
	for _, m := range res.Messages {
		if m.Msg.Reply && m.Msg.To == 1 && m.Msg.Seq&model.SeqBackchannelFault != 0 {
			faulty++
		}
	}
	if faulty == 0 {
		t.Fatal("no SEQUENCE reply said SEQ4_STATUS_BACKCHANNEL_FAULT")
	}
	cs := sentKinds(res, model.MsgCreateSession, false)
	if len(cs) == 0 || cs[0].Sent < 20*time.Second || cs[0].Sent > 21*time.Second {
		t.Fatalf("CREATE_SESSION %v: want the first from the renewal at 20 s that heard of the fault", cs)
	}
	restarted := false
	for _, r := range sentKinds(res, model.MsgCBRecall, false) {
		restarted = restarted || r.Sent == cs[0].Arrives
	}
	if !restarted {
		t.Errorf("no CB_RECALL restarted on the new session at %v", cs[0].Arrives)
	}
	if len(events(res, model.EvReturn)) != 1 || len(events(res, model.EvRevoke)) != 0 {
		t.Error("want the delegation returned once the backchannel works, not revoked")
	}
}

// TestSharedConnection: a v4.1+ client's backchannel shares its one TCP
// connection (RFC 8881 §2.10.3.1), so cutting the client's network cuts
// callbacks and requests alike, and a 12 s cut replays the 6.12 loss
// capture: the recall and nfsd's resend after 9 s (backchannel faulty)
// both arrive once the network is back; the client answers the first and
// returns the delegation, whose reply carries BACKCHANNEL_FAULT, and
// resets its session. A v4.0 client's callback connection is its own:
// cutting only it leaves the client's requests flowing.
func TestSharedConnection(t *testing.T) {
	res := run(t, header+`clients:
  - name: c1
    renew_phase: 40s
    partitions: [{from: 500ms, to: 12s}]
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 1s, op: lsattr, file: f, startup: 0}]
`, scenarios.Options{Trace: true})
	recalls := sentKinds(res, model.MsgCBRecall, false)
	if len(recalls) != 2 || recalls[1].Sent != recalls[0].Sent+9*time.Second {
		t.Fatalf("CB_RECALLs %v: want the recall and its resend 9 s later", recalls)
	}
	for _, r := range recalls {
		if r.Arrives < 12*time.Second {
			t.Errorf("CB_RECALL arrives %v, during the cut", r.Arrives)
		}
	}
	dr := sentKinds(res, model.MsgDelegReturn, true)
	if len(dr) != 1 || dr[0].Msg.Seq&model.SeqBackchannelFault == 0 {
		t.Fatalf("DELEGRETURN replies %v: want one saying BACKCHANNEL_FAULT", dr)
	}
	if res.Sent[model.MsgCreateSession] != 1 {
		t.Errorf("%d session resets, want 1", res.Sent[model.MsgCreateSession])
	}
	// A reply on the shared connection never overtakes a request sent
	// before it in the same direction.
	var last time.Duration
	for _, m := range res.Messages {
		if m.Msg.From == 1 && !m.Dropped {
			if m.Arrives < last {
				t.Errorf("%v from c1 arrives at %v, before an earlier message (%v)", m.Msg, m.Arrives, last)
			}
			last = m.Arrives
		}
	}
}

// TestV41CallbackPathDownRebinds: a v4.1+ client whose backchannel nfsd
// holds down (NFSD4_CB_DOWN: no backchannel connection, here from the
// start) gets no delegation and hears SEQ4_STATUS_CB_PATH_DOWN on its
// replies; it sends BIND_CONN_TO_SESSION (nfs41_handle_cb_path_down),
// nfsd binds the connection as the backchannel and marks it up, and the
// next OPEN gets its delegation.
func TestV41CallbackPathDownRebinds(t *testing.T) {
	res := run(t, header+`clients:
  - name: c1
    callback_down: true
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
      - {after: 1s, op: open, file: f, flags: [O_RDWR]}
`, scenarios.Options{})
	if n := res.Sent[model.MsgBindConn]; n != 1 {
		t.Fatalf("%d BIND_CONN_TO_SESSION, want 1", n)
	}
	if len(events(res, model.EvCBPathUp)) != 1 {
		t.Error("the backchannel never came up")
	}
	if g := events(res, model.EvGrant); len(g) != 1 || g[0].At < time.Second {
		t.Errorf("grants %v: want one, for the OPEN after the rebind", g)
	}
}
