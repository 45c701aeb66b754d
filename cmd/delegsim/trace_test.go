package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

const traceCapture = "../../trace/testdata/k612-v42-rdwr-lsattr2-d0.pcap"

// editCapture rewrites a capture keeping the first keep packets (all if
// keep < 0) and letting edit change each packet's bytes.
func editCapture(t *testing.T, keep int, edit func(n int, data []byte)) []byte {
	t.Helper()
	f, err := os.Open(traceCapture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := pcapgo.NewWriterNanos(&out)
	if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for n := 1; keep < 0 || n <= keep; n++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if edit != nil {
			edit(n, data)
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

func runTrace(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(append([]string{"trace"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// Bad input gets a clear message naming the file (and frame), exit 2 if
// the input cannot be read, and no output file; frames that do not
// decode are warnings.
func TestTraceBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	full, err := os.ReadFile(traceCapture)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("not a capture at all\n"))
	zw.Close()
	// Frame 24 is a GETATTR call: its RPC message type becomes 7.
	corrupt := editCapture(t, -1, func(n int, data []byte) {
		if n == 24 {
			data[66+8+3] = 7 // Ethernet 14 + IP 20 + TCP 32, marker 4, xid 4
		}
	})
	cases := []struct {
		name string
		file string
		code int
		want []string
	}{
		{"not a pcap", write("notes.txt", []byte("hello, this is text\n")), 2, []string{"notes.txt", "neither pcap nor pcapng"}},
		{"gzip of text", write("x.gz", gz.Bytes()), 2, []string{"x.gz", "gzip-compressed"}},
		{"header only", write("short.pcap", full[:10]), 2, []string{"short.pcap", "unreadable capture"}},
		{"no NFS", write("handshake.pcap", editCapture(t, 3, nil)), 2, []string{"handshake.pcap", "no NFSv4 traffic in 3 frames"}},
		{"missing file", filepath.Join(dir, "nope.pcap"), 2, []string{"nope.pcap"}},
		{"truncated", write("cut.pcap", full[:len(full)-100]), 0, []string{"cut.pcap", "warning", "cut short"}},
		{"corrupt RPC header", write("corrupt.pcap", corrupt), 0, []string{"corrupt.pcap", "frame 24", "corrupt RPC header"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			code, stdout, stderr := runTrace(t, tc.file, "--out", out)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q: %s", w, stderr)
				}
			}
			if _, err := os.Stat(out); (err == nil) != (tc.code == 0) {
				t.Errorf("output file exists %v with exit %d", err == nil, code)
			}
		})
	}
}

func TestTraceFormatsAndFlags(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{traceCapture}, 0, "nfsd recalls c1's WRITE delegation"},
		{[]string{traceCapture, "--format", "json"}, 0, `"recall_at_ms"`},
		{[]string{traceCapture, "--format", "mermaid"}, 0, "sequenceDiagram"},
		{[]string{traceCapture, "--format", "html", "--out", filepath.Join(dir, "t.html")}, 0, ""},
		{[]string{traceCapture, "--check", "--profile", "linux-6.12"}, 0, "linux-6.12 (policy kernel): 0 divergences"},
		{[]string{traceCapture, "--check"}, 0, "profiles that agree with the capture: linux-6.6"},
		{[]string{"../../trace/testdata/k72-v42-rdwr-lsattr2-d0.pcap", "--check", "--profile", "linux-6.12"}, 1, "WRITE_ATTRS_DELEG"},
		{[]string{traceCapture, "--check", "--format", "json"}, 0, `"agreeing_profiles"`},
		{[]string{traceCapture, "--calibrate"}, 0, "--set clients.c1.latency="},
		{[]string{traceCapture, "--check", "--profile", "linux-5.1"}, 2, "unknown profile"},
		{[]string{traceCapture, "--check", "--policy", "bogus"}, 2, "unknown policy"},
		{[]string{traceCapture, "--format", "svg"}, 2, "unknown --format"},
		{[]string{traceCapture, "--check", "--format", "mermaid"}, 2, "unknown --format"},
		{[]string{}, 2, "trace takes one capture file"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errb := runTrace(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errb, tc.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.code, tc.want, out, errb)
			}
		})
	}
}

// `delegsim trace -` reads the capture from standard input.
func TestTraceStdin(t *testing.T) {
	data, err := os.ReadFile(traceCapture)
	if err != nil {
		t.Fatal(err)
	}
	old := stdin
	stdin = bytes.NewReader(data)
	defer func() { stdin = old }()
	code, out, errb := runTrace(t, "-")
	if code != 0 || !strings.Contains(out, "standard input") {
		t.Errorf("exit %d\n%s%s", code, out, errb)
	}
}
