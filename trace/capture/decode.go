package capture

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"
)

// decoder turns packets into reassembled streams.
type decoder struct {
	sink   Sink
	o      Options
	stats  Stats
	parser *gopacket.DecodingLayerParser
	raw6   *gopacket.DecodingLayerParser // raw IP link type: for IPv6 packets
	layers []gopacket.LayerType

	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	lo    layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	tcp   layers.TCP

	asm   *reassembler
	conns map[connKey]*connState
	// The connection of the last packet: the next one is most often on
	// it, and comparing keys is cheaper than hashing them.
	lastKey connKey
	last    *connState
	slab    []frameCtx
	pad     []byte
	// Deliveries held back during a flush (see flush.go).
	holding bool
	held    []held

	lastFlush time.Time
}

// connKey is a connection's 4-tuple, with the lower endpoint first so
// both directions find it.
type connKey struct{ lo, hi netip.AddrPort }

func keyOf(a, b netip.AddrPort) (connKey, bool) {
	if a.Compare(b) <= 0 {
		return connKey{a, b}, true
	}
	return connKey{b, a}, false
}

// connState outlives gopacket's streams: reassembly may close a stream
// and open a new one on the same 4-tuple (after a flush), and the sink
// must see one connection.
type connState struct {
	c      *Conn
	closed bool
}

func newDecoder(lt layers.LinkType, sink Sink, o Options) (*decoder, error) {
	d := &decoder{sink: sink, o: o, conns: map[connKey]*connState{}}
	var first gopacket.LayerType
	switch lt {
	case layers.LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		first = layers.LayerTypeLoopback
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		first = layers.LayerTypeLinuxSLL2
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, 12, 14:
		// Raw IP: the version nibble says which (handled in packet).
		first = layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		first = layers.LayerTypeIPv6
	default:
		return nil, fmt.Errorf("%w: link type %d (%s) is not supported (Ethernet, loopback/null, Linux cooked SLL/SLL2 and raw IP are)", ErrFormat, int(lt), lt)
	}
	d.stats.LinkType = lt.String()
	d.parser = gopacket.NewDecodingLayerParser(first, &d.eth, &d.dot1q, &d.sll, &d.sll2, &d.lo, &d.ip4, &d.ip6, &d.tcp)
	d.parser.IgnoreUnsupported = true
	if first == layers.LayerTypeIPv4 {
		d.raw6 = gopacket.NewDecodingLayerParser(layers.LayerTypeIPv6, &d.ip6, &d.tcp)
		d.raw6.IgnoreUnsupported = true
	}
	d.asm = reassemblers.Get().(*reassembler)
	d.asm.f.d = d
	return d, nil
}

// reassembler is gopacket's reassembly machinery for one capture at a
// time. Making one costs the better part of a megabyte (the stream pool
// starts with room for 1024 connections), which would dwarf the decoding
// of a small capture, so they are reused.
type reassembler struct {
	*reassembly.Assembler
	f *factory
}

var reassemblers = sync.Pool{New: func() any {
	f := &factory{}
	a := reassembly.NewAssembler(reassembly.NewStreamPool(f))
	// A gap (a segment the capture lost) must not hold a connection's
	// data back for ever: past this much buffered data the assembler
	// skips the gap. 4096 pages of 1900 bytes is ~8 MB per connection.
	a.MaxBufferedPagesPerConnection = 4096
	return &reassembler{Assembler: a, f: f}
}}

// release hands the reassembler back once the capture is read. FlushAll
// has closed and removed every connection; a second FlushAll counts
// what is left, and only an empty one is reused.
func (d *decoder) release() {
	a := d.asm
	d.asm = nil
	a.f.d = nil
	if a.FlushAll() == 0 {
		reassemblers.Put(a)
	}
}

// frameCtx is the reassembly context of one packet: it rides with the
// packet's bytes through reassembly, so a consumer can ask which frame a
// byte came from. ScatterGather hands back only the CaptureInfo of an
// offset, so that carries the frame, in the fields reassembly does not
// read (it reads only Timestamp): InterfaceIndex is the frame number,
// negated if the snapshot length cut the packet, CaptureLength and
// Length its captured and real TCP payload. The context holds no
// pointer, so its slabs cost the garbage collector nothing to scan.
type frameCtx struct {
	sec               int64 // capture time (pcapgo's are UTC)
	nsec              int32
	captured, payload int32
	number            int
	cut               bool
}

func (c *frameCtx) GetCaptureInfo() gopacket.CaptureInfo {
	n := c.number
	if c.cut {
		n = -n
	}
	return gopacket.CaptureInfo{Timestamp: time.Unix(c.sec, int64(c.nsec)).UTC(), InterfaceIndex: n,
		CaptureLength: int(c.captured), Length: int(c.payload)}
}

// frameOf is the frame a frameCtx's CaptureInfo describes.
func frameOf(ci gopacket.CaptureInfo) Frame {
	f := Frame{Number: ci.InterfaceIndex, Time: ci.Timestamp, CapturedPayload: ci.CaptureLength, PayloadLen: ci.Length}
	if f.Number < 0 {
		f.Number, f.Cut = -f.Number, true
	}
	return f
}

// newCtx takes a context from a slab: one allocation per 256 packets.
// Slabs are garbage once no buffered page refers to them.
func (d *decoder) newCtx() *frameCtx {
	if len(d.slab) == 0 {
		d.slab = make([]frameCtx, 256)
	}
	c := &d.slab[0]
	d.slab = d.slab[1:]
	return c
}

func (d *decoder) warn(frame int, format string, args ...any) {
	if d.o.Warn != nil {
		d.o.Warn(Warning{Frame: frame, Text: fmt.Sprintf(format, args...)})
	}
}

func (d *decoder) packet(data []byte, ci gopacket.CaptureInfo) {
	d.stats.Packets++
	d.stats.Bytes += int64(len(data))
	n := d.stats.Packets
	if !d.stats.FirstFrame {
		d.stats.First, d.stats.FirstFrame = ci.Timestamp, true
		if d.o.First != nil {
			d.o.First(ci.Timestamp)
		}
	}
	p := d.parser
	if d.raw6 != nil && len(data) > 0 && data[0]>>4 == 6 {
		p = d.raw6 // raw IP link type carrying IPv6
	}
	err := p.DecodeLayers(data, &d.layers)
	var src, dst netip.Addr
	var ipPayload int = -1
	tcpOK := false
	for _, lt := range d.layers {
		switch lt {
		case layers.LayerTypeIPv4:
			src, _ = netip.AddrFromSlice(d.ip4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(d.ip4.DstIP.To4())
			ipPayload = int(d.ip4.Length) - int(d.ip4.IHL)*4
			if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
				d.stats.Undecoded++
				d.warn(n, "IPv4 fragment: not reassembled, skipped")
				return
			}
		case layers.LayerTypeIPv6:
			src, _ = netip.AddrFromSlice(d.ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(d.ip6.DstIP)
			ipPayload = int(d.ip6.Length)
		case layers.LayerTypeTCP:
			tcpOK = true
		}
	}
	if !tcpOK {
		d.stats.Undecoded++
		if err != nil && ipPayload >= 0 {
			d.warn(n, "TCP header does not decode: %v", err)
		}
		return
	}
	d.stats.TCP++
	ctx := d.newCtx()
	ctx.sec, ctx.nsec, ctx.number = ci.Timestamp.Unix(), int32(ci.Timestamp.Nanosecond()), n
	full := ipPayload - int(d.tcp.DataOffset)*4
	got := len(d.tcp.Payload)
	ctx.captured, ctx.payload = int32(got), int32(max(got, full))
	f := Frame{Number: n, Time: ci.Timestamp, CapturedPayload: got, PayloadLen: max(got, full)}
	if full > got && ci.CaptureLength < ci.Length {
		// Cut by the snapshot length: pad to the real length so the
		// stream keeps its framing.
		d.stats.Cut++
		ctx.cut, f.Cut = true, true
		if cap(d.pad) < full {
			d.pad = make([]byte, full)
		}
		p := d.pad[:full]
		copy(p, d.tcp.Payload)
		clear(p[got:])
		d.tcp.Payload = p
	}
	a := netip.AddrPortFrom(src.Unmap(), uint16(d.tcp.SrcPort))
	b := netip.AddrPortFrom(dst.Unmap(), uint16(d.tcp.DstPort))
	if !d.track(a, b, f) {
		return
	}
	flow := gopacket.NewFlow(layers.EndpointIPv4, src.AsSlice(), dst.AsSlice())
	if src.Is6() && !src.Is4In6() {
		flow = gopacket.NewFlow(layers.EndpointIPv6, src.AsSlice(), dst.AsSlice())
	}
	d.asm.AssembleWithContext(flow, &d.tcp, ctx)
	// Push through gaps older than a few seconds of capture time, so a
	// segment lost from the capture delays the stream, not stops it.
	d.flushOlder(ci.Timestamp)
}

// track records connections and their handshakes. It returns false for
// the empty segments (ACK, FIN, RST) that trail a connection already
// closed and forgotten: memory must not grow with the capture's length.
func (d *decoder) track(a, b netip.AddrPort, f Frame) bool {
	k, _ := keyOf(a, b)
	st := d.last
	if st == nil || k != d.lastKey {
		st = d.conns[k]
	}
	if st == nil && !d.tcp.SYN && len(d.tcp.Payload) == 0 {
		return false
	}
	if st == nil || (st.closed && d.tcp.SYN && !d.tcp.ACK) {
		d.stats.Conns++
		st = &connState{c: &Conn{ID: d.stats.Conns, A: a, B: b}}
		d.conns[k] = st
	}
	d.lastKey, d.last = k, st
	c := st.c
	switch {
	case d.tcp.SYN && !d.tcp.ACK:
		c.A, c.B, c.SYN, c.SYNAt = a, b, true, f
	case d.tcp.SYN && d.tcp.ACK && c.SYN && a == c.B:
		c.SYNACK = f
	case c.SYN && c.SYNACK.Number > 0 && !c.handACK && a == c.A:
		c.ACKAt, c.handACK = f, true
	}
	return true
}

func (d *decoder) finish() {
	d.flushing(func() { d.asm.FlushAll() })
	// Close what is left in connection order: the sink's output must not
	// depend on map iteration.
	open := make([]*connState, 0, len(d.conns))
	for _, st := range d.conns {
		if !st.closed {
			open = append(open, st)
		}
	}
	slices.SortFunc(open, func(a, b *connState) int { return a.c.ID - b.c.ID })
	for _, st := range open {
		st.closed = true
		d.sink.Closed(st.c)
	}
}

// factory and stream adapt gopacket's reassembly to Sink.
type factory struct{ d *decoder }

func (f *factory) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	src, _ := netip.AddrFromSlice(netFlow.Src().Raw())
	dst, _ := netip.AddrFromSlice(netFlow.Dst().Raw())
	a := netip.AddrPortFrom(src.Unmap(), uint16(tcp.SrcPort))
	b := netip.AddrPortFrom(dst.Unmap(), uint16(tcp.DstPort))
	k, _ := keyOf(a, b)
	return &stream{d: f.d, st: f.d.conns[k], firstSrc: a}
}

type stream struct {
	d        *decoder
	st       *connState
	firstSrc netip.AddrPort // sender of the stream's first packet: gopacket's "client"
	ch       Chunk
}

func (s *stream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	// Streams whose start is not in the capture are taken from their
	// first segment on: the RPC layer finds the record boundaries.
	*start = true
	return true
}

func (s *stream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	if s.st == nil {
		return
	}
	n, _ := sg.Lengths()
	dir, _, _, skip := sg.Info()
	// ScatterGather's directions are relative to the stream's first
	// packet; the sink's are relative to endpoint A.
	first := frameOf(sg.CaptureInfo(0))
	fromA := s.fromA(dir)
	var ch *Chunk
	if n > 0 {
		s.ch = Chunk{Data: sg.Fetch(n), sg: sg}
		if n == 1 || frameOf(sg.CaptureInfo(n-1)).Number == first.Number {
			// All from one packet (frames are contiguous runs of the chunk).
			s.ch.single, s.ch.f = true, first
		}
		ch = &s.ch
	}
	if s.d.holding {
		s.d.hold(s.st, fromA, skip, first, ch)
	} else {
		s.d.deliver(s.st, fromA, skip, first, ch)
	}
	s.ch = Chunk{}
}

// deliver hands the sink a gap of skip bytes (if any) and the data after
// it (if any).
func (d *decoder) deliver(st *connState, fromA bool, skip int, gapAt Frame, ch *Chunk) {
	if skip > 0 {
		d.sink.Gap(st.c, fromA, skip, gapAt)
	}
	if ch != nil {
		d.sink.Data(st.c, fromA, ch)
	}
}

// fromA maps gopacket's direction (client to server = the direction of
// the stream's first packet) to the connection's endpoints.
func (s *stream) fromA(dir reassembly.TCPFlowDirection) bool {
	return (dir == reassembly.TCPDirClientToServer) == (s.firstSrc == s.st.c.A)
}

func (s *stream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	if s.st == nil {
		return true
	}
	if s.d.holding {
		s.d.held = append(s.d.held, held{st: s.st, finish: true})
		return true
	}
	s.d.complete(s.st)
	return true
}

// complete closes a connection whose streams have ended.
func (d *decoder) complete(st *connState) {
	if st.closed {
		return
	}
	st.closed = true
	d.sink.Closed(st.c)
	c := st.c
	if k, _ := keyOf(c.A, c.B); d.conns[k] == st {
		delete(d.conns, k)
	}
	if d.last == st {
		d.last = nil
	}
}
