package model_test

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// TestE2fsprogsOpenFlags: lsattr, lsattr -v and chattr all open the file
// with e2fsprogs' OPEN_FLAGS, O_RDONLY|O_NONBLOCK (lib/e2p/fgetflags.c,
// fgetversion.c, fsetflags.c), so each fails with EAGAIN against a write
// delegation and starts the recall. chattr's FS_IOC_SETFLAGS then moves
// the inode's ctime and change attribute.
func TestE2fsprogsOpenFlags(t *testing.T) {
	for _, tool := range []string{"lsattr", "lsattr-v", "chattr"} {
		t.Run(tool, func(t *testing.T) {
			res := run(t, header+`clients:
  - name: c1
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script:
      - {at: 1s, op: `+tool+`, file: f, startup: 0}
      - {at: 2s, op: `+tool+`, file: f, startup: 0}
      - {op: local-stat, file: f, startup: 0}
`, scenarios.Options{})
			if r := op(t, res, "l1#1").Result; r != "EAGAIN" {
				t.Errorf("first %s: %s, want EAGAIN", tool, r)
			}
			second, st := op(t, res, "l1#2"), op(t, res, "l1#3")
			if second.Result != "ok" || res.Sent[model.MsgCBRecall] != 1 {
				t.Errorf("second %s %v, %d recalls: want ok after one recall", tool, second, res.Sent[model.MsgCBRecall])
			}
			if moved := st.Change > second.Change; moved != (tool == "chattr") {
				t.Errorf("change %d after %s saw %d: moved %v", st.Change, tool, second.Change, moved)
			}
		})
	}
}

// TestSleepAndPoll: sleep waits without an operation of its own; poll
// repeats the system call, not the program (lsattr's stat and start-up
// happen once), until it gives the result asked for — the loss capture's
// loop of non-blocking opens every 1 ms until the delegation is back.
func TestSleepAndPoll(t *testing.T) {
	res := run(t, header+`clients:
  - name: c1
    latency: 20ms
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script:
      - {at: 1s, op: sleep, for: 500ms}
      - {op: nginx, file: f, poll: {until: ok, every: 1ms}}
      - {op: lsattr, file: f, startup: 0, poll: {until: ok, every: 10ms, timeout: 5ms}}
`, scenarios.Options{})
	p := op(t, res, "l1#1")
	if p.Kind != model.OpNginx || p.Start != 1500*time.Millisecond || p.Result != "ok" {
		t.Fatalf("first operation %v: want the poll after the 500 ms sleep", p)
	}
	ret := events(res, model.EvReturn)
	if len(ret) != 1 || p.End < ret[0].At || p.End > ret[0].At+time.Millisecond {
		t.Errorf("poll ended %v: want within 1 ms of the return at %v", p.End, ret)
	}
	if p.Attempts < 40 || res.Sent[model.MsgCBRecall] != 1 {
		t.Errorf("poll %d tries, %d recalls: want one try a ms for the ~80 ms recall, one recall", p.Attempts, res.Sent[model.MsgCBRecall])
	}
	if n := res.Sent[model.MsgSysStat]; n != 1 {
		t.Errorf("%d stats: the polling lsattr stats once", n)
	}
}

// TestPollTimeout: a poll gives up after its timeout with the last result.
func TestPollTimeout(t *testing.T) {
	res := run(t, header+`clients:
  - name: c1
    callback: {partitions: [{from: 0s}]}
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 1s, op: nginx, file: f, poll: {until: ok, every: 100ms, timeout: 1s}}]
`, scenarios.Options{})
	p := op(t, res, "l1#1")
	if p.Result != "EAGAIN" || p.Attempts != 11 || p.End != 2*time.Second {
		t.Errorf("poll %v (%d tries): want EAGAIN after 11 tries, at 2 s", p, p.Attempts)
	}
}
