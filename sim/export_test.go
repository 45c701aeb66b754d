package sim

// Knobs for the tests of package sim_test: they force the event queue
// into its heap form and make sequence numbers wrap.
var (
	SortedMax = &sortedMax
	MaxSeq    = &maxSeq
)
