package explore_test

import (
	"fmt"
	"strings"

	"pgregory.net/rapid"

	"github.com/delegsim/delegsim/model"
)

// genOptions shape the scenarios genScenario draws.
type genOptions struct {
	// startFlush lets clients cache writes past close (close_flush:
	// start). Linux nfsd grants write delegations with a zero space limit,
	// so the Linux client always flushes on close against it; with start
	// even the kernel shows stale sizes to local stat(2), which never
	// breaks a lease, so only the searches for unsafe policies use it.
	startFlush bool
}

// Times at which script steps start: the interesting races are among
// steps a few milliseconds apart.
var genTimes = []string{"0s", "1ms", "2ms", "5ms", "10ms", "20ms", "50ms", "100ms", "200ms", "1s"}

// genScenario draws a scenario as YAML text: 1–2 files, 1–3 clients of
// mixed minor versions with their latencies, slow reactions, callback
// loss and partitions, crashes and scripts of open/write/read/stat/close
// sessions, and 0–2 local processes running commands from lsattr to
// unlink. Every choice goes through rapid, so failures shrink.
func genScenario(t *rapid.T, o genOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: generated\nversion: 1\nfiles:\n")
	files := []string{"f", "g"}[:rapid.IntRange(1, 2).Draw(t, "files")]
	for _, f := range files {
		fmt.Fprintf(&b, "  - {name: %s, exists: %v}\n", f, rapid.Bool().Draw(t, f+".exists"))
	}
	file := func(label string) string { return rapid.SampledFrom(files).Draw(t, label) }
	at := func(label string) string { return rapid.SampledFrom(genTimes).Draw(t, label) }

	b.WriteString("clients:\n")
	for i := range rapid.IntRange(1, 3).Draw(t, "clients") {
		c := fmt.Sprintf("c%d", i+1)
		fmt.Fprintf(&b, "  - name: %s\n    version: %q\n", c, rapid.SampledFrom([]string{"4.2", "4.1", "4.0"}).Draw(t, c+".version"))
		fmt.Fprintf(&b, "    latency: %q\n", rapid.SampledFrom([]string{"0", "1ms", "5ms", "uniform:1ms..20ms", "lognormal:5ms,0.5", "exponential:3ms"}).Draw(t, c+".latency"))
		if rapid.IntRange(0, 3).Draw(t, c+".slow") == 0 {
			fmt.Fprintf(&b, "    reaction: %q\n", rapid.SampledFrom([]string{"50ms", "lognormal:200ms,0.5", "2s"}).Draw(t, c+".reaction"))
		}
		if o.startFlush && rapid.Bool().Draw(t, c+".start") {
			b.WriteString("    close_flush: start\n")
		}
		switch rapid.IntRange(0, 5).Draw(t, c+".fault") {
		case 1:
			fmt.Fprintf(&b, "    callback: {loss: %v}\n", rapid.SampledFrom([]float64{0.1, 0.5, 1}).Draw(t, c+".loss"))
		case 2:
			fmt.Fprintf(&b, "    callback: {partitions: [{from: %s, to: %s}]}\n", at(c+".cut"), rapid.SampledFrom([]string{"2s", "20s", "100s"}).Draw(t, c+".heal"))
		case 3:
			fmt.Fprintf(&b, "    callback: {partitions: [{from: %s}]}\n", at(c+".cut"))
		case 4:
			fmt.Fprintf(&b, "    crash_at: %s\n", at(c+".crash"))
		}
		b.WriteString("    script:\n")
		for s := range rapid.IntRange(1, 3).Draw(t, c+".sessions") {
			l := fmt.Sprintf("%s.s%d", c, s)
			f := file(l + ".file")
			flags := rapid.SampledFrom([]string{"[O_CREAT, O_RDWR]", "[O_CREAT, O_EXCL, O_RDWR]", "[O_RDWR]", "[O_RDONLY]", "[O_WRONLY]", "[O_CREAT, O_WRONLY]"}).Draw(t, l+".flags")
			fmt.Fprintf(&b, "      - {at: %s, op: open, file: %s, flags: %s}\n", at(l+".at"), f, flags)
			ops := []string{"write", "write", "read", "stat", "fsync", "setattr"}
			if strings.Contains(flags, "O_RDONLY") {
				// write(2) on an O_RDONLY descriptor is EBADF; the model's
				// client does not track descriptors' modes.
				ops = []string{"read", "stat", "setattr"}
			}
			for k := range rapid.IntRange(0, 3).Draw(t, l+".ops") {
				switch op := rapid.SampledFrom(ops).Draw(t, fmt.Sprintf("%s.op%d", l, k)); op {
				case "write":
					fmt.Fprintf(&b, "      - {op: write, file: %s, bytes: %d}\n", f, rapid.SampledFrom([]int{100, 4096, 65536}).Draw(t, fmt.Sprintf("%s.bytes%d", l, k)))
				default:
					fmt.Fprintf(&b, "      - {op: %s, file: %s}\n", op, f)
				}
			}
			if rapid.IntRange(0, 4).Draw(t, l+".keep") > 0 {
				fmt.Fprintf(&b, "      - {after: %s, op: close, file: %s}\n", at(l+".close"), f)
			}
		}
	}

	locals := rapid.IntRange(0, 2).Draw(t, "locals")
	if locals > 0 {
		b.WriteString("locals:\n")
	}
	for i := range locals {
		l := fmt.Sprintf("l%d", i+1)
		fmt.Fprintf(&b, "  - name: %s\n    script:\n", l)
		for s := range rapid.IntRange(1, 3).Draw(t, l+".steps") {
			k := fmt.Sprintf("%s.%d", l, s)
			// No unlink: a file unlinked while a client has it open lives on
			// as an orphan the client keeps writing, which a register per
			// file name cannot describe.
			op := rapid.SampledFrom([]string{"lsattr", "cat", "nginx", "local-stat", "open-read", "open-write", "chmod", "local-rename"}).Draw(t, k+".op")
			fmt.Fprintf(&b, "      - {at: %s, op: %s, file: %s", at(k+".at"), op, file(k+".file"))
			if op == "open-write" {
				fmt.Fprintf(&b, ", bytes: %d", rapid.SampledFrom([]int{0, 100, 4096}).Draw(t, k+".bytes"))
			}
			if startup := rapid.SampledFrom([]string{"", "0", "1ms", "10ms"}).Draw(t, k+".startup"); startup != "" {
				fmt.Fprintf(&b, ", startup: %q", startup)
			}
			if rapid.IntRange(0, 4).Draw(t, k+".retry") == 0 {
				b.WriteString(", retry: {attempts: 3, delay: 50ms, backoff: 2}")
			}
			b.WriteString("}\n")
		}
	}
	return b.String()
}

// safePolicies are the built-in policies meant to keep close-to-open
// consistency.
func safePolicies() []string {
	var out []string
	for _, p := range model.PolicyNames() {
		if p != "local-read-exempt" {
			out = append(out, p)
		}
	}
	return out
}

// genHazard draws a scenario in the neighbourhood of the hazards that
// delegations guard against: a client creates a file and keeps the write
// delegation, reopens it at T to read or write it and closes it, and
// local processes read or write the file around T. Latency, NFS version,
// flush mode, the session's operations and the local commands and their
// timing are drawn; small enough to explore every interleaving.
func genHazard(t *rapid.T) string {
	var b strings.Builder
	b.WriteString("name: hazard\nversion: 1\nfiles:\n  - name: f\nclients:\n  - name: c1\n")
	fmt.Fprintf(&b, "    version: %q\n", rapid.SampledFrom([]string{"4.2", "4.1", "4.0"}).Draw(t, "version"))
	fmt.Fprintf(&b, "    latency: %q\n", rapid.SampledFrom([]string{"5ms", "1ms", "0", "uniform:1ms..20ms"}).Draw(t, "latency"))
	if rapid.Bool().Draw(t, "start") {
		b.WriteString("    close_flush: start\n")
	}
	b.WriteString("    script:\n      - {at: 0s, op: open, file: f, flags: [O_CREAT, O_RDWR]}\n      - {op: close, file: f}\n")
	mode := rapid.SampledFrom([]string{"O_RDWR", "O_RDONLY"}).Draw(t, "mode")
	fmt.Fprintf(&b, "      - {at: 100ms, op: open, file: f, flags: [%s]}\n", mode)
	ops := []string{"write", "read"}
	if mode == "O_RDONLY" {
		ops = []string{"read"}
	}
	for k := range rapid.IntRange(1, 2).Draw(t, "ops") {
		switch rapid.SampledFrom(ops).Draw(t, fmt.Sprintf("op%d", k)) {
		case "write":
			b.WriteString("      - {op: write, file: f, bytes: 4096}\n")
		default:
			b.WriteString("      - {op: read, file: f}\n")
		}
	}
	b.WriteString("      - {op: close, file: f}\n")
	b.WriteString("locals:\n  - name: l1\n    script:\n")
	for k := range rapid.IntRange(1, 2).Draw(t, "local steps") {
		op := rapid.SampledFrom([]string{"cat", "open-write", "lsattr", "nginx", "local-stat", "open-read"}).Draw(t, fmt.Sprintf("l1.op%d", k))
		at := rapid.SampledFrom([]string{"101ms", "50ms", "102ms", "105ms", "200ms"}).Draw(t, fmt.Sprintf("l1.at%d", k))
		fmt.Fprintf(&b, "      - {at: %s, op: %s, file: f, startup: 0", at, op)
		if op == "open-write" {
			b.WriteString(", bytes: 100")
		}
		b.WriteString("}\n")
	}
	return b.String()
}
