package trace

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// rewrite reads a testdata capture (Ethernet, loopback) and writes its
// packets again with the link header a variant wants, optionally cut to
// snaplen bytes, as pcap or pcapng.
func rewrite(t testing.TB, name string, lt layers.LinkType, ng bool, snaplen int) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var write func(gopacket.CaptureInfo, []byte) error
	var flush func() error
	if ng {
		w, err := pcapgo.NewNgWriter(&out, lt)
		if err != nil {
			t.Fatal(err)
		}
		write, flush = w.WritePacket, w.Flush
	} else {
		w := pcapgo.NewWriterNanos(&out)
		snap := uint32(262144)
		if snaplen > 0 {
			snap = uint32(snaplen)
		}
		if err := w.WriteFileHeader(snap, lt); err != nil {
			t.Fatal(err)
		}
		write, flush = w.WritePacket, func() error { return nil }
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if r.LinkType() != layers.LinkTypeEthernet {
			t.Fatalf("%s is not an Ethernet capture", name)
		}
		ip := data[14:] // after the Ethernet header
		v6 := ip[0]>>4 == 6
		var pkt []byte
		switch lt {
		case layers.LinkTypeEthernet:
			pkt = slices.Clone(data)
		case layers.LinkTypeNull: // BSD loopback: host-order address family
			pkt = binary.LittleEndian.AppendUint32(nil, 2)
			if v6 {
				pkt = binary.LittleEndian.AppendUint32(nil, 30)
			}
			pkt = append(pkt, ip...)
		case layers.LinkTypeLinuxSLL2: // protocol, reserved, ifindex, hatype, pkttype, addrlen, addr[8]
			pkt = binary.BigEndian.AppendUint16(nil, 0x0800)
			pkt = append(pkt, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0)
			pkt = append(pkt, ip...)
		case layers.LinkTypeLinuxSLL: // packet type, ARPHRD, address length, address[8], protocol
			pkt = []byte{0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0}
			pkt = append(pkt, ip...)
		case layers.LinkTypeRaw:
			pkt = slices.Clone(ip)
		}
		ci.Length = len(pkt)
		ci.CaptureLength = len(pkt)
		if snaplen > 0 && len(pkt) > snaplen {
			pkt = pkt[:snaplen]
			ci.CaptureLength = snaplen
		}
		ci.InterfaceIndex = 0
		if err := write(ci, pkt); err != nil {
			t.Fatal(err)
		}
	}
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// summary is the part of a decode that must not depend on the link layer.
func summary(c *Capture) string {
	var b strings.Builder
	for _, e := range c.Exchanges {
		b.WriteString(e.Name())
		b.WriteByte(' ')
		b.WriteString(e.Status().String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Every link type tcpdump writes decodes to the same exchanges, from a
// pcap or a pcapng file, and from standard input (any io.Reader).
func TestLinkTypesAndFormats(t *testing.T) {
	const name = "k612-v42-rdwr-lsattr2-d0.pcap"
	want, _ := decodeFile(t, name)
	cases := []struct {
		lt layers.LinkType
		ng bool
	}{
		{layers.LinkTypeEthernet, true}, {layers.LinkTypeNull, false}, {layers.LinkTypeNull, true},
		{layers.LinkTypeLinuxSLL2, false}, {layers.LinkTypeLinuxSLL2, true}, {layers.LinkTypeLinuxSLL, false},
		{layers.LinkTypeRaw, false},
	}
	for _, tc := range cases {
		t.Run(tc.lt.String()+map[bool]string{true: "-pcapng", false: "-pcap"}[tc.ng], func(t *testing.T) {
			data := rewrite(t, name, tc.lt, tc.ng, 0)
			c, err := Decode(bytes.NewReader(data), "variant", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(c); got != summary(want) {
				t.Errorf("exchanges differ:\n%s\nwant\n%s", got, summary(want))
			}
		})
	}
	// The -i any captures are Linux cooked v2 (SLL2) as written.
	c, _ := decodeFile(t, "k612-v42-twoclients-bstat.pcap")
	if c.LinkType != "Linux SLL2" || len(c.Exchanges) == 0 {
		t.Errorf("SLL capture: link type %q, %d exchanges", c.LinkType, len(c.Exchanges))
	}
}

// A small snapshot length cuts WRITE payloads: the compounds keep their
// framing, the WRITE's offset and count still decode, and the warnings
// say what was cut.
func TestSnaplenCutsDecodeWhatIsThere(t *testing.T) {
	const name = "k612-v42-dirty300k-d0.pcap"
	full, _ := decodeFile(t, name)
	data := rewrite(t, name, layers.LinkTypeEthernet, false, 300)
	c, err := Decode(bytes.NewReader(data), "cut", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A record whose RPC header lies wholly in cut-off bytes (a second
	// WRITE in one 64 KB segment) is lost, and said so.
	lost := 0
	for _, w := range c.Warnings {
		if strings.Contains(w.Text, "RPC header cut") {
			lost++
		}
	}
	if len(c.Exchanges)+lost != len(full.Exchanges) {
		t.Fatalf("%d exchanges from the cut capture (%d lost with a warning), %d from the full one", len(c.Exchanges), lost, len(full.Exchanges))
	}
	writes := 0
	for _, e := range c.Exchanges {
		if e.Name() == "WRITE" {
			if op := e.Call.Find(0x26); op != nil && op.Count > 0 {
				writes++
			}
		}
	}
	if writes == 0 {
		t.Error("no WRITE decoded its count from a cut capture")
	}
	var cut bool
	for _, w := range c.Warnings {
		cut = cut || strings.Contains(w.Text, "snapshot length")
	}
	if !cut {
		t.Errorf("no warning says what was cut: %v", c.Warnings)
	}
	st := Build(c)
	if ds := fileDelegs(st); len(ds) != 1 || ds[0].Recalls != 1 {
		t.Errorf("the story survives the cut: delegations %+v", ds)
	}
}
