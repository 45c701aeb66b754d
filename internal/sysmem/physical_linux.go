package sysmem

import "syscall"

// physical returns the machine's RAM (sysinfo(2)).
func physical() uint64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}
