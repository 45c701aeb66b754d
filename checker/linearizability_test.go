package checker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
)

// verdicts is what a history must yield under each consistency model, and
// how many of its reads are stale under each.
type verdicts struct {
	lin, cto           Verdict
	linStale, ctoStale int
	failed, ctoSkipped int
}

func (v verdicts) of(c Consistency) (Verdict, int, int) {
	if c == CloseToOpen {
		return v.cto, v.ctoStale, v.ctoSkipped
	}
	return v.lin, v.linStale, 0
}

var ok = verdicts{lin: Ok, cto: Ok}

var linearizabilityCases = []struct {
	name string
	init map[string]Value
	ops  []model.Op
	want verdicts
}{
	// Histories that are fine under both models.
	{
		name: "a read after a closed write sees the write",
		ops: history(
			open("c1", 0, 0.5), write("c1", 1, 2, v1), closeF("c1", 2.5, 3),
			read("l1", model.OpCat, 4, 5, v1),
		),
		want: ok,
	},
	{
		name: "a read concurrent with a write may see the old value",
		ops: history(
			write("c1", 1, 5, v1), closeF("c1", 6, 7),
			read("l1", model.OpCat, 2, 3, v0),
		),
		want: ok,
	},
	{
		name: "a read concurrent with a write may see the new value",
		ops: history(
			write("c1", 1, 5, v1), closeF("c1", 6, 7),
			read("l1", model.OpNginx, 2, 3, v1),
		),
		want: ok,
	},
	{
		name: "a failed read is no read, whatever it carries",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 2, 3),
			failed(read("l1", model.OpNginx, 4, 5, v0), "EAGAIN"),
			read("l1", model.OpCat, 6, 7, v1),
		),
		want: verdicts{lin: Ok, cto: Ok, failed: 1},
	},
	{
		name: "a failed write does not change the file",
		ops: history(
			failed(write("c1", 1, 2, v1), "NFS4ERR_DELAY"), closeF("c1", 3, 4),
			read("l1", model.OpCat, 5, 6, v0),
		),
		want: verdicts{lin: Ok, cto: Ok, failed: 1},
	},
	{
		name: "attribute reads see the size of the latest write",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			stat("l1", model.OpLsattr, 5, 6, v1.Size),
			stat("c2", model.OpStat, 5, 7, v1.Size),
			stat("l2", model.OpLocalStat, 8, 9, v1.Size),
		),
		want: ok,
	},
	{
		name: "a file starts with its initial value, or empty if it has none",
		init: map[string]Value{"g": {Size: 10, Data: 7}},
		ops: history(
			on("g", read("l1", model.OpCat, 1, 2, Value{Size: 10, Data: 7})),
			on("h", read("l1", model.OpCat, 3, 4, v0)),
		),
		want: ok,
	},
	{
		name: "files are independent registers",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			on("g", read("l1", model.OpCat, 5, 6, v0)),
		),
		want: ok,
	},
	{
		name: "two writers, reads follow the order of their writes",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			write("c2", 5, 6, v3), closeF("c2", 7, 8),
			read("l1", model.OpCat, 9, 10, v3),
			stat("l2", model.OpLocalStat, 11, 12, v3.Size),
		),
		want: ok,
	},

	// Histories that are wrong under both models.
	{
		name: "a read after a closed write sees the old value",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			read("l1", model.OpCat, 5, 6, v0),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		name: "a stat after a closed write sees the old size",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			stat("l1", model.OpLocalStat, 5, 6, 0),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		name: "two reads see the new value, then the old",
		ops: history(
			write("c1", 1, 10, v1), closeF("c1", 10, 11),
			read("l1", model.OpCat, 2, 3, v1),
			read("l2", model.OpCat, 4, 5, v0),
		),
		want: verdicts{lin: Violation, cto: Violation},
	},
	{
		name: "fsync makes a write due like close",
		ops: history(
			write("c1", 1, 2, v1), fsync("c1", 3, 4),
			read("l1", model.OpCat, 5, 6, v0),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		name: "a read returns a value nobody wrote",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			read("l1", model.OpCat, 5, 6, Value{Size: 1, Data: 99}),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		name: "a read sees the earlier of a writer's two flushed writes",
		ops: history(
			write("c1", 1, 2, v1), write("c1", 3, 4, v2), closeF("c1", 10, 11),
			read("l1", model.OpCat, 20, 21, v1),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		// Under close-to-open both writes may take effect up to the
		// close: l1 may see v2 early, but once v2 is in, v1 cannot
		// come back, because a writer's writes take effect in order.
		name: "a writer's writes take effect in order even when flushed together",
		ops: history(
			write("c1", 1, 2, v1), write("c1", 3, 4, v2), closeF("c1", 10, 11),
			read("l1", model.OpCat, 5, 6, v2),
			read("l1", model.OpCat, 12, 13, v1),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		name: "a reader that opened after the close sees the old value",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			open("c2", 4.5, 4.8), read("c2", model.OpRead, 5, 6, v0), closeF("c2", 6, 7),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},

	// Server-local writes and removals: they change the server's file
	// before they return, under both models.
	{
		name: "a cat after a local write sees it",
		ops: history(
			localWrite("l1", 1, 2, v3),
			read("l2", model.OpCat, 3, 4, v3),
			stat("c1", model.OpStat, 5, 6, v3.Size),
		),
		want: ok,
	},
	{
		name: "a cat after a local write sees the old contents",
		ops: history(
			localWrite("l1", 1, 2, v3),
			read("l2", model.OpCat, 3, 4, v0),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		name: "a local write is not made due by anyone's close",
		ops: history(
			localWrite("l1", 1, 2, v3),
			open("c1", 3, 3.5), read("c1", model.OpRead, 4, 5, v0), closeF("c1", 5, 6),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		name: "an open-write that wrote nothing changes nothing",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			op("l1", model.OpOpenWrite, 5, 6),
			read("l2", model.OpCat, 7, 8, v1),
		),
		want: ok,
	},
	{
		name: "a client's write flushed after a local write wins",
		ops: history(
			open("c1", 0, 0.5), write("c1", 1, 2, v1),
			localWrite("l1", 3, 4, v3),
			closeF("c1", 5, 6),
			read("l2", model.OpCat, 7, 8, v1),
		),
		// Under linearizability c1's write was over before l1's began.
		want: verdicts{lin: Violation, cto: Ok, linStale: 1},
	},
	{
		name: "a removal empties the file",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			op("l1", model.OpUnlink, 5, 6),
			open("c2", 7, 7.5), read("c2", model.OpRead, 8, 9, v0), closeF("c2", 9, 10),
		),
		want: ok,
	},
	{
		name: "a client's removal empties the file too",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			op("c1", model.OpRemove, 5, 6),
			read("l1", model.OpCat, 7, 8, v0),
		),
		want: ok,
	},

	// lsattr reports what its stat() saw at its invocation.
	{
		name: "lsattr cannot see a write that began after its stat",
		ops: history(
			stat("l1", model.OpLsattr, 5, 20, v3.Size),
			localWrite("l2", 6, 7, v3),
		),
		// Not stale, but from the future: only the search sees it.
		want: verdicts{lin: Violation, cto: Violation},
	},
	{
		name: "lsattr's stat may miss a write that ends during the open",
		ops: history(
			stat("l1", model.OpLsattr, 5, 20, 0),
			localWrite("l2", 4, 6, v3),
		),
		want: ok,
	},
	{
		name: "after a retry lsattr's stat may come from any attempt",
		ops: history(
			attempts(stat("l1", model.OpLsattr, 5, 20, v3.Size), 2),
			localWrite("l2", 6, 7, v3),
		),
		want: ok,
	},

	// Histories that tell the models apart.
	{
		name: "a cat between write and close may see the old data",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 10, 11),
			read("l1", model.OpCat, 5, 6, v0),
		),
		want: verdicts{lin: Violation, cto: Ok, linStale: 1},
	},
	{
		name: "a cat after the close may not see the old data",
		ops: history(
			write("c1", 1, 2, v1), closeF("c1", 10, 11),
			read("l1", model.OpCat, 20, 21, v0),
		),
		want: verdicts{lin: Violation, cto: Violation, linStale: 1, ctoStale: 1},
	},
	{
		name: "a write never closed is never due",
		ops: history(
			write("c1", 1, 2, v1),
			read("l1", model.OpCat, 50, 51, v0),
		),
		want: verdicts{lin: Violation, cto: Ok, linStale: 1},
	},
	{
		name: "a failed close does not make a write due",
		ops: history(
			write("c1", 1, 2, v1), failed(closeF("c1", 3, 4), "NFS4ERR_DELAY"),
			read("l1", model.OpCat, 5, 6, v0),
		),
		want: verdicts{lin: Violation, cto: Ok, linStale: 1, failed: 1},
	},
	{
		name: "a reader that opened before the close may see the old value",
		ops: history(
			open("c2", 0, 0.5),
			write("c1", 1, 2, v1), closeF("c1", 3, 4),
			read("c2", model.OpRead, 5, 6, v0), closeF("c2", 6, 7),
		),
		want: verdicts{lin: Violation, cto: Ok, linStale: 1},
	},
	{
		// c1's read comes from its own cache: NFS promises
		// close-to-open only to others.
		name: "the writer's own reads before its close are not checked",
		ops: history(
			write("c1", 1, 2, v1), read("c1", model.OpRead, 3, 4, v0), closeF("c1", 5, 6),
		),
		want: verdicts{lin: Violation, cto: Ok, linStale: 1, ctoSkipped: 1},
	},
}

func TestCheckLinearizability(t *testing.T) {
	for _, tc := range linearizabilityCases {
		for _, c := range []Consistency{Linearizable, CloseToOpen} {
			t.Run(c.String()+"/"+tc.name, func(t *testing.T) {
				want, wantStale, wantSkipped := tc.want.of(c)
				res := CheckLinearizability(tc.ops, tc.init, c, 10*time.Second)
				if res.Verdict != want {
					t.Errorf("verdict %s, want %s\n%s", res.Verdict, want, dump(tc.ops, res))
				}
				if len(res.StaleReads) != wantStale {
					t.Errorf("%d stale reads, want %d\n%s", len(res.StaleReads), wantStale, dump(tc.ops, res))
				}
				if res.Failed != tc.want.failed || res.Skipped != wantSkipped {
					t.Errorf("failed %d skipped %d, want %d and %d", res.Failed, res.Skipped, tc.want.failed, wantSkipped)
				}
				// The search for a linearization must reach the same
				// verdict without the help of stale reads.
				if res.search != want {
					t.Errorf("search verdict %s, want %s", res.search, want)
				}
			})
		}
	}
}

func dump(ops []model.Op, res LinResult) string {
	var b strings.Builder
	for _, o := range ops {
		fmt.Fprintf(&b, "\t%s\n", o)
	}
	fmt.Fprintf(&b, "\t=> %s\n", res)
	for _, s := range res.StaleReads {
		fmt.Fprintf(&b, "\t%s\n", s)
	}
	return b.String()
}

func TestFileVerdicts(t *testing.T) {
	ops := history(
		write("c1", 1, 2, v1), closeF("c1", 3, 4),
		read("l1", model.OpCat, 5, 6, v0), // stale
		on("g", write("c2", 1, 2, v3)), on("g", closeF("c2", 3, 4)),
		on("g", read("l2", model.OpCat, 5, 6, v3)),
		on("g", failed(read("l2", model.OpNginx, 7, 8, v0), "EAGAIN")),
		on("h", open("c3", 1, 2)),
	)
	res := CheckLinearizability(ops, nil, Linearizable, 10*time.Second)
	want := []FileVerdict{
		{File: "f", Verdict: Violation, Writes: 1, Reads: 1},
		{File: "g", Verdict: Ok, Writes: 1, Reads: 1, Failed: 1},
		{File: "h", Verdict: Ok},
	}
	if fmt.Sprint(res.Files) != fmt.Sprint(want) {
		t.Errorf("files\n got %v\nwant %v", res.Files, want)
	}
	if res.Ops != 4 || res.Failed != 1 {
		t.Errorf("ops %d failed %d, want 4 and 1", res.Ops, res.Failed)
	}
	const summary = "linearizable: violation (1 of 3 files); 1 stale reads; 4 register ops, 1 failed, 0 skipped"
	if got := res.String(); got != summary {
		t.Errorf("summary %q, want %q", got, summary)
	}
}

func TestStaleReadAccount(t *testing.T) {
	ops := history(
		open("c1", 0, 0.5),
		write("c1", 1, 1.5, Value{Size: 65536, Data: model.DataValue(1, 2)}),
		closeF("c1", 1.8, 2),
		stat("l1", model.OpLocalStat, 30, 31, 65536),
		read("l1", model.OpCat, 45, 46, v0),
		open("c2", 40, 41), read("c2", model.OpRead, 47, 48, v0), closeF("c2", 48, 49),
		stat("l2", model.OpLsattr, 50, 51, 0),
		read("l2", model.OpNginx, 52, 53, Value{Size: 3, Data: 77}),
	)
	want := map[Consistency][]string{
		Linearizable: {
			"l1#2 cat f at 45.000ms read data=initial (size 0), but c1#2 write at 1.000ms (size 65536, data=w1.2) had completed at 1.500ms",
			"c2#2 read f at 47.000ms read data=initial (size 0), but c1#2 write at 1.000ms (size 65536, data=w1.2) had completed at 1.500ms",
			"l2#1 lsattr f at 50.000ms saw size 0, but c1#2 write at 1.000ms (size 65536, data=w1.2) had completed at 1.500ms",
			"l2#2 nginx f at 52.000ms read data=w0.77 (size 3), a value that no write produced",
		},
		CloseToOpen: {
			"l1#2 cat f at 45.000ms read data=initial (size 0), but c1#2 write at 1.000ms (size 65536, data=w1.2) had completed; under close-to-open it was due at c1#3 close ending 2.000ms",
			"c2#2 read f at 47.000ms read data=initial (size 0) (file opened by c2#1 at 40.000ms), but c1#2 write at 1.000ms (size 65536, data=w1.2) had completed; under close-to-open it was due at c1#3 close ending 2.000ms",
			"l2#1 lsattr f at 50.000ms saw size 0, but c1#2 write at 1.000ms (size 65536, data=w1.2) had completed; under close-to-open it was due at c1#3 close ending 2.000ms",
			"l2#2 nginx f at 52.000ms read data=w0.77 (size 3), a value that no write produced",
		},
	}
	for c, lines := range want {
		res := CheckLinearizability(ops, nil, c, 10*time.Second)
		var got []string
		for _, s := range res.StaleReads {
			got = append(got, s.String())
		}
		if strings.Join(got, "\n") != strings.Join(lines, "\n") {
			t.Errorf("%s: stale reads\n got %q\nwant %q", c, got, lines)
		}
	}
}

func TestParseConsistency(t *testing.T) {
	for _, name := range ConsistencyNames() {
		c, err := ParseConsistency(name)
		if err != nil || c.String() != name {
			t.Errorf("ParseConsistency(%q) = %v, %v", name, c, err)
		}
	}
	_, err := ParseConsistency("sequential")
	if !errors.Is(err, ErrUnknownConsistency) {
		t.Fatalf("error %v does not wrap ErrUnknownConsistency", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "linearizable") || !strings.Contains(msg, "close-to-open") {
		t.Errorf("error %q does not list the allowed names", msg)
	}
}

func TestWriteHTML(t *testing.T) {
	ops := history(
		open("c1", 0, 0.5), write("c1", 1, 2, v1), closeF("c1", 10, 11),
		failed(read("l1", model.OpNginx, 3, 4, v0), "EAGAIN"),
		read("l1", model.OpCat, 20, 21, v0),
	)
	res := CheckLinearizability(ops, nil, CloseToOpen, 10*time.Second)
	if res.Verdict != Violation {
		t.Fatalf("verdict %s, want violation", res.Verdict)
	}
	path := filepath.Join(t.TempDir(), "check.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.WriteHTML(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<html", "c1#2 write f", "l1#2 cat f", "EAGAIN", "stale: l1#2"} {
		if !strings.Contains(string(html), s) {
			t.Errorf("HTML has no %q", s)
		}
	}
}

func TestWriteHTMLOfZeroResult(t *testing.T) {
	var b strings.Builder
	if err := (LinResult{}).WriteHTML(&b); err != nil || b.Len() == 0 {
		t.Errorf("WriteHTML of the zero result: %d bytes, %v", b.Len(), err)
	}
}

// The change attribute is the server's: a reader must never see it go
// backwards, but different readers may see it at different points.
func TestChangeAttributeNeverGoesBackwards(t *testing.T) {
	cases := []struct {
		name  string
		ops   []model.Op
		stale []string
	}{
		{
			name: "one reader sees the change attribute grow",
			ops: history(
				change("l1", model.OpLocalStat, 1, 2, 3),
				change("l1", model.OpLsattr, 3, 4, 3),
				change("l1", model.OpLocalStat, 5, 6, 7),
			),
		},
		{
			name: "one reader sees it go back",
			ops: history(
				change("c1", model.OpStat, 1, 2, 5),
				change("c1", model.OpStat, 3, 4, 6),
				change("c1", model.OpStat, 5, 6, 4),
			),
			stale: []string{"c1#3 stat f at 5.000ms saw change 4, but the same reader's c1#2 stat at 3.000ms had seen change 6: the change attribute went backwards"},
		},
		{
			// A delegation holder answers stat from its cache after nfsd
			// bumped the change attribute for another client's GETATTR.
			name: "two readers may disagree",
			ops: history(
				change("c2", model.OpStat, 1, 2, 6),
				change("c1", model.OpStat, 3, 4, 5),
			),
		},
		{
			name: "failed reads see nothing",
			ops: history(
				change("l1", model.OpLsattr, 1, 2, 6),
				failed(change("l1", model.OpLsattr, 3, 4, 0), "EAGAIN"),
			),
		},
		{
			name: "each file has its own change attribute",
			ops: history(
				change("l1", model.OpLocalStat, 1, 2, 6),
				on("g", change("l1", model.OpLocalStat, 3, 4, 1)),
			),
		},
	}
	for _, tc := range cases {
		for _, c := range []Consistency{Linearizable, CloseToOpen} {
			t.Run(c.String()+"/"+tc.name, func(t *testing.T) {
				res := CheckLinearizability(tc.ops, nil, c, 10*time.Second)
				var got []string
				for _, s := range res.StaleReads {
					got = append(got, s.String())
				}
				if strings.Join(got, "\n") != strings.Join(tc.stale, "\n") {
					t.Errorf("stale reads\n got %q\nwant %q", got, tc.stale)
				}
				want := Ok
				if len(tc.stale) > 0 {
					want = Violation
				}
				if res.Verdict != want {
					t.Errorf("verdict %s, want %s", res.Verdict, want)
				}
			})
		}
	}
}

func TestAccount(t *testing.T) {
	stale := history(
		write("c1", 1, 2, v1), closeF("c1", 3, 4),
		read("l1", model.OpCat, 5, 6, v0),
		read("l2", model.OpCat, 7, 8, v0),
		read("l3", model.OpCat, 9, 10, v0),
	)
	res := CheckLinearizability(stale, nil, Linearizable, 10*time.Second)
	got := res.Account(2)
	if len(got) != 2 || !strings.HasPrefix(got[0], "l1#1 cat f at 5.000ms") || got[1] != "... and 2 more stale reads" {
		t.Errorf("account of three stale reads, at most 2 lines: %q", got)
	}

	// New value, then old: no single read is stale, but no order works.
	flip := history(
		write("c1", 1, 10, v1), closeF("c1", 10, 11),
		read("l1", model.OpCat, 2, 3, v1),
		read("l2", model.OpCat, 4, 5, v0),
	)
	res = CheckLinearizability(flip, nil, Linearizable, 10*time.Second)
	got = res.Account(10)
	want := []string{
		"no order of the 3 register operations on f explains what its readers saw:",
		"  c1#1 write f [1.000ms, 10.000ms] ok size=65536 data=4294967298",
		"  l1#1 cat f [2.000ms, 3.000ms] ok bytes=65536 data=4294967298",
		"  l2#1 cat f [4.000ms, 5.000ms] ok bytes=0 data=0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("account\n got %q\nwant %q", got, want)
	}

	ok := CheckLinearizability(history(write("c1", 1, 2, v1)), nil, CloseToOpen, 10*time.Second)
	if a := ok.Account(5); a != nil {
		t.Errorf("account of a history that holds: %q", a)
	}
}
