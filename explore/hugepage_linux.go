package explore

import "syscall"

// madviseHuge asks for transparent huge pages (MADV_HUGEPAGE); a refusal
// costs nothing but speed.
func madviseHuge(mem []byte) { syscall.Madvise(mem, 14) }
