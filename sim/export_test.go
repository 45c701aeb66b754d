package sim

// Knobs for the tests of package sim_test: they force the event queue
// into its heap form and make sequence numbers wrap.
var (
	SortedMax = &sortedMax
	MaxSeq    = &maxSeq
)

// UncheckedDist parses a distribution without ParseDist's range check, so
// that tests can hand the engine parameters no scenario may hold.
func UncheckedDist(s string) Dist {
	d, err := parseDist(s)
	if err != nil {
		panic(err)
	}
	return d
}
