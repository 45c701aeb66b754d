//go:build unix && !linux

package explore

func madviseHuge([]byte) {}
