package checker_test

import (
	"fmt"
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// A client writes a file and closes it; a process on the server then reads
// the file, but the server's cache still holds the old, empty file.
func ExampleCheckLinearizability() {
	ms := func(f float64) model.Time { return model.Time(f * float64(time.Millisecond)) }
	ok := model.ResultOK
	ops := []model.Op{
		{ID: 0, Actor: "c1", Seq: 1, Kind: model.OpOpen, File: "f", Start: 0, End: ms(0.5), Result: ok},
		{ID: 1, Actor: "c1", Seq: 2, Kind: model.OpWrite, File: "f", Start: ms(1), End: ms(1.5), Result: ok,
			Size: 65536, Data: model.DataValue(1, 2)},
		{ID: 2, Actor: "c1", Seq: 3, Kind: model.OpClose, File: "f", Start: ms(1.8), End: ms(2), Result: ok},
		{ID: 3, Actor: "l1", Seq: 1, Kind: model.OpNginx, File: "f", Start: ms(1.6), End: ms(1.7), Result: "EAGAIN"},
		{ID: 4, Actor: "l1", Seq: 2, Kind: model.OpCat, File: "f", Start: ms(45), End: ms(46), Result: ok,
			Bytes: 0, Data: 0},
	}
	for _, c := range []checker.Consistency{checker.Linearizable, checker.CloseToOpen} {
		res := checker.CheckLinearizability(ops, nil, c, 10*time.Second)
		fmt.Println(res)
		for _, s := range res.StaleReads {
			fmt.Println("  " + s.String())
		}
	}
	// Output:
	// linearizable: violation (1 of 1 files); 1 stale reads; 2 register ops, 1 failed, 0 skipped
	//   l1#2 cat f at 45.000ms read data=initial (size 0), but c1#2 write at 1.000ms (size 65536, data=w1.2) had completed at 1.500ms
	// close-to-open: violation (1 of 1 files); 1 stale reads; 2 register ops, 1 failed, 0 skipped
	//   l1#2 cat f at 45.000ms read data=initial (size 0), but c1#2 write at 1.000ms (size 65536, data=w1.2) had completed; under close-to-open it was due at c1#3 close ending 2.000ms
}

// A Monitor checks the state invariants after every step of a run; at the
// end, LostWrites checks that every acknowledged write reached the server.
// Here the client's callback path is down: after lease-break-time the VFS
// downgrades nfsd's lease under its delegation record, a known kernel
// behaviour reported as a finding.
func ExampleMonitor() {
	sc, err := scenarios.Load("client-unreachable", nil)
	if err != nil {
		panic(err)
	}
	r, err := sc.Resolve(scenarios.Options{})
	if err != nil {
		panic(err)
	}
	cfg := sc.Config(r, scenarios.Options{})
	mon := checker.NewMonitor(cfg.Names)
	cfg.Observe = mon.Observe
	res := sim.Run(cfg)
	for _, v := range mon.Violations() {
		fmt.Println(v)
	}
	fmt.Println(len(checker.LostWrites(res, mon.Held)), "lost writes")
	// Output:
	// finding at 50039.026ms: lease-agrees: file f: nfsd lists a write delegation to c1 but the VFS lease is read
	// 0 lost writes
}
