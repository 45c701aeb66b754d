//go:build unix

package explore

import (
	"syscall"
	"unsafe"
)

// allocWords returns n zeroed words outside the Go heap (an anonymous
// mapping), and the function that frees them. The visited set is most of
// a search's memory: kept outside the heap it neither drives the garbage
// collector's pacing (a cycle per doubling of the heap, with write
// barriers on for every pointer a search then writes) nor is counted as
// heap to scan.
func allocWords(n int) ([]uint64, func()) {
	if n < 1<<17 { // under a MiB: the heap is cheaper than a mapping
		return make([]uint64, n), func() {}
	}
	mem, err := syscall.Mmap(-1, 0, 8*n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, n), func() {}
	}
	// Huge pages where the kernel offers them on request (Linux's
	// transparent_hugepage=madvise): every probe of the table is a cache
	// miss, and with 4 KiB pages a TLB miss too.
	madviseHuge(mem)
	offHeap.Add(int64(len(mem)))
	return unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), n), func() {
		syscall.Munmap(mem)
		offHeap.Add(-int64(len(mem)))
	}
}
