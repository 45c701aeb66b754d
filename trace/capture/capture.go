// Package capture reads packet captures (pcap and pcapng, as written by
// tcpdump and Wireshark) and turns the TCP traffic in them into ordered
// byte streams, one per direction of each connection, with the frame
// number and time of every byte.
//
// Files are read with gopacket's pcapgo, link and network layers decoded
// with gopacket's layers (Ethernet, 802.1Q, BSD loopback/null, Linux
// cooked SLL and SLL2, raw IP; IPv4 and IPv6) and TCP reassembled with
// gopacket's reassembly. Reading streams: memory depends on the number of
// open connections and out-of-order data, not on the length of the
// capture.
//
// A packet cut short by the capture's snapshot length is padded with
// zeros to its real length before reassembly, so that the stream keeps its
// framing; Chunk.Cut tells a consumer which bytes are padding.
package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrFormat is wrapped by the errors Read returns for input that is not a
// capture it can read (not pcap or pcapng, an unknown link type, a file
// cut in the middle of its header).
var ErrFormat = errors.New("not a readable packet capture")

// Frame identifies one captured packet.
type Frame struct {
	Number int       // 1-based, as Wireshark numbers frames
	Time   time.Time // capture timestamp
	// Cut is set when the capture's snapshot length cut the packet:
	// CapturedPayload of its PayloadLen TCP payload bytes are real, the
	// rest is zero padding.
	Cut             bool
	CapturedPayload int
	PayloadLen      int
}

// Conn is one TCP connection. A and B are its endpoints: A is the side
// that sent the SYN, or, for a connection whose start is not in the
// capture, the sender of its first packet seen.
type Conn struct {
	ID      int // 1-based, in order of first packet
	A, B    netip.AddrPort
	SYN     bool  // the handshake is in the capture
	SYNAt   Frame // the SYN, if SYN
	SYNACK  Frame // the SYN-ACK, if seen
	ACKAt   Frame // the third packet of the handshake (first A→B after the SYN-ACK), if seen
	handACK bool
	User    any // for the consumer
}

func (c *Conn) String() string { return fmt.Sprintf("%s ⇄ %s", c.A, c.B) }

// Loopback reports whether both endpoints are the same host (the same
// address, or both in the loopback range). Loopback captures see every
// packet once, as it is delivered.
func (c *Conn) Loopback() bool {
	return c.A.Addr() == c.B.Addr() || (c.A.Addr().IsLoopback() && c.B.Addr().IsLoopback())
}

// Sink receives the streams of a capture. Calls are made in capture
// order for in-order data; data that was reordered on the wire reaches
// the sink once the gap before it is filled.
type Sink interface {
	// Data delivers the next bytes of one direction of c (fromA: sent by
	// endpoint A). ch is valid only during the call.
	Data(c *Conn, fromA bool, ch *Chunk)
	// Gap reports n bytes of one direction missing from the capture
	// (dropped by the capture, or never seen): the stream resumes after
	// them. at is the frame that carries the first byte after the gap.
	Gap(c *Conn, fromA bool, n int, at Frame)
	// Closed is called once per connection, at its FIN or RST or at the
	// end of the capture.
	Closed(c *Conn)
}

// Stats counts what Read saw.
type Stats struct {
	Packets    int   // frames in the file
	Bytes      int64 // bytes of captured frames
	TCP        int   // TCP segments
	Cut        int   // TCP segments cut by the snapshot length
	Undecoded  int   // frames whose link/IP/TCP headers could not be decoded (not TCP, or corrupt)
	LinkType   string
	Snaplen    int
	Conns      int
	First      time.Time // first frame's timestamp
	FirstFrame bool      // First is set
}

// Warning is a problem with one frame that did not stop the reading.
type Warning struct {
	Frame int
	Text  string
}

func (w Warning) String() string {
	if w.Frame > 0 {
		return fmt.Sprintf("frame %d: %s", w.Frame, w.Text)
	}
	return w.Text
}

// Options tune Read.
type Options struct {
	// Warn, if set, receives frame-level problems (headers that do not
	// decode, TCP headers cut by the snapshot length).
	Warn func(Warning)
	// First, if set, is called with the first frame's timestamp before
	// anything reaches the sink: times in a story count from it.
	First func(time.Time)
}

// packetSource is what pcapgo's two readers share.
type packetSource interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

// readBuffer is the size of the read buffers: enough to make reads
// cheap, small next to the decoding of a small capture.
const readBuffer = 64 << 10

// Open sniffs r and returns a packet source for pcap, pcapng, or either of
// them gzip-compressed.
func open(r io.Reader) (packetSource, int, error) {
	br := bufio.NewReaderSize(r, readBuffer)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: only %d bytes", ErrFormat, len(magic))
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: gzip data: %w", ErrFormat, err)
		}
		br = bufio.NewReaderSize(zr, readBuffer)
		if magic, err = br.Peek(4); err != nil {
			return nil, 0, fmt.Errorf("%w: gzip-compressed, and what it holds is %d bytes", ErrFormat, len(magic))
		}
		if !isPcap(magic) && !isPcapng(magic) {
			return nil, 0, fmt.Errorf("%w: gzip-compressed, but what it holds is not pcap or pcapng either", ErrFormat)
		}
	}
	switch {
	case isPcapng(magic):
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{SkipUnknownVersion: true})
		if err != nil {
			return nil, 0, fmt.Errorf("%w: pcapng: %w", ErrFormat, err)
		}
		snap := 0
		if ifc, err := ng.Interface(0); err == nil {
			snap = int(ifc.SnapLength)
		}
		return ng, snap, nil
	case isPcap(magic):
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: pcap: %w", ErrFormat, err)
		}
		return pr, int(pr.Snaplen()), nil
	}
	return nil, 0, fmt.Errorf("%w: starts with % x, neither pcap nor pcapng (write captures with tcpdump -w)", ErrFormat, magic)
}

func isPcap(m []byte) bool {
	switch binary.BigEndian.Uint32(m) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return true
	}
	return false
}

func isPcapng(m []byte) bool { return binary.BigEndian.Uint32(m) == 0x0a0d0d0a }

// Read reads a whole capture from r and feeds its TCP streams to sink. It
// returns an error wrapping ErrFormat for input it cannot read at all, and
// for a file that ends inside a packet record (the packets before it have
// been delivered). Frames it cannot decode are counted and reported
// through o.Warn.
func Read(r io.Reader, sink Sink, o Options) (Stats, error) {
	src, snap, err := open(r)
	if err != nil {
		return Stats{}, err
	}
	d, err := newDecoder(src.LinkType(), sink, o)
	if err != nil {
		return Stats{}, err
	}
	d.stats.Snaplen = snap
	for {
		data, ci, err := src.ZeroCopyReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			d.finish()
			d.release()
			return d.stats, fmt.Errorf("%w: after frame %d: %w (the file is cut short or corrupt)", ErrFormat, d.stats.Packets, err)
		}
		d.packet(data, ci)
	}
	d.finish()
	d.release()
	return d.stats, nil
}
