// Package tracetest makes packet captures of NFSv4 traffic for the tests
// and benchmarks of package trace and of `delegsim trace`: captures of any
// size, made as they are read, from real captures replayed round after
// round and, between them, a client streaming WRITEs. Nothing of a
// capture is kept, so a gigabyte costs the memory of one packet, and the
// memory a reader of it uses is the reader's own.
package tracetest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Options say what capture New makes.
type Options struct {
	// Size is the bytes of pcap to make (the capture stops at the first
	// packet that reaches it).
	Size int64
	// Seeds are pcap files, replayed one after the other, round after
	// round: each replay's IPv4 addresses are moved to 10.r.r.x (a round
	// and seed number r) so that its connections are new ones, and its
	// times follow the traffic before it.
	Seeds [][]byte
	// WriteEvery, if positive, is the bytes of WRITE traffic between two
	// seeds: one NFSv4.2 client on one long connection writes a file it
	// never opens (SEQUENCE, PUTFH, WRITE of WriteSize bytes), each WRITE
	// answered before the next; the n-th WRITE's xid is 0x7e000000+n.
	WriteEvery int64
	// WriteSize is the data of each WRITE (32 KiB if 0).
	WriteSize int
	// Reads makes the stream READs of WriteSize bytes instead of WRITEs.
	Reads bool
	// CommitEvery, if positive, follows every CommitEvery-th WRITE with
	// a COMMIT of what was written since the last (the Linux client
	// commits its UNSTABLE4 writes at writeback and close).
	CommitEvery int
	// LateReply, if positive, holds the reply to the LateReply-th WRITE
	// back until LateBy more WRITEs have been answered.
	LateReply, LateBy int
}

// Synth is a capture being made.
type Synth struct {
	o     Options
	seeds [][]packet
	n     int64         // bytes made
	buf   []byte        // made, not yet read
	rec   []byte        // memory for buf
	now   time.Duration // time of the last packet
	// The seed being replayed: which, and from which packet; its round.
	seed, pkt, round int
	shift            time.Duration
	replaying        bool
	// The WRITE stream.
	written int64 // bytes of it since the last seed
	w       writer
	late    []byte // the held-back reply, as a TCP payload
	lateDue int    // the WRITE after which it goes
	// Counts.
	packets, writes int
}

type packet struct {
	data []byte // an Ethernet frame
	ts   time.Duration
}

// New parses the seeds and returns the capture, ready to be read.
func New(o Options) (*Synth, error) {
	if o.WriteSize == 0 {
		o.WriteSize = 32 << 10
	}
	if len(o.Seeds) == 0 && o.WriteEvery <= 0 {
		return nil, errors.New("tracetest: no seeds and no WRITE traffic: nothing to make")
	}
	s := &Synth{o: o, w: newWriter(o.WriteSize, o.Reads)}
	for i, data := range o.Seeds {
		ps, err := readSeed(data)
		if err != nil {
			return nil, fmt.Errorf("tracetest: seed %d: %w", i, err)
		}
		if len(ps) > 0 {
			s.seeds = append(s.seeds, ps)
		}
	}
	s.buf = fileHeader()
	s.n = int64(len(s.buf))
	return s, nil
}

// Packets is the number of packets made so far.
func (s *Synth) Packets() int { return s.packets }

// Writes is the number of WRITE (or READ) calls made so far.
func (s *Synth) Writes() int { return s.writes }

// Read implements io.Reader.
func (s *Synth) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.buf) == 0 {
			if s.n >= s.o.Size {
				break
			}
			s.next()
		}
		k := copy(p[n:], s.buf)
		s.buf = s.buf[k:]
		n += k
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// next makes the next packet.
func (s *Synth) next() {
	switch {
	case s.replaying:
		s.seedPacket()
	case s.o.WriteEvery > 0 && (s.written < s.o.WriteEvery || len(s.seeds) == 0):
		s.writePackets()
	default:
		s.replaying, s.pkt, s.shift = true, 0, s.now+time.Millisecond-s.seeds[s.seed][0].ts
		s.seedPacket()
	}
}

func (s *Synth) seedPacket() {
	ps := s.seeds[s.seed]
	pk := ps[s.pkt]
	s.buf = s.frame(s.rec[:0], pk.data, pk.ts+s.shift)
	s.rec = s.buf
	if ip := s.buf[16+14:]; len(ip) >= 20 && ip[0]>>4 == 4 {
		id := s.round*len(s.seeds) + s.seed
		for _, a := range [][]byte{ip[12:16], ip[16:20]} {
			a[0], a[1], a[2] = 10, byte(id>>8), byte(id)
		}
	}
	if s.pkt++; s.pkt == len(ps) {
		s.replaying, s.written = false, 0
		if s.seed++; s.seed == len(s.seeds) {
			s.seed, s.round = 0, s.round+1
		}
	}
}

// frame appends to dst the pcap record of an Ethernet frame at t.
func (s *Synth) frame(dst, data []byte, t time.Duration) []byte {
	t = max(t, s.now)
	s.now = t
	dst = binary.LittleEndian.AppendUint32(dst, uint32(t/time.Second))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(t%time.Second))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(data)))
	s.n += int64(16 + len(data))
	s.packets++
	return append(dst, data...)
}

// writePackets makes the next packets of the WRITE stream: the handshake
// first, then a WRITE call and its reply (or a held-back reply).
func (s *Synth) writePackets() {
	w := &s.w
	out := s.rec[:0]
	add := func(fromClient bool, flags uint8, payload []byte, gap time.Duration) {
		// The TCP stream's segments are at most 64 KiB less headers.
		for first := true; first || len(payload) > 0; first = false {
			k := min(len(payload), 65000)
			out = s.frame(out, w.segment(fromClient, flags, payload[:k]), s.now+gap)
			payload = payload[k:]
			gap = time.Microsecond
		}
	}
	if !w.open {
		w.open = true
		add(true, synFlag, nil, 100*time.Microsecond)
		add(false, synFlag|ackFlag, nil, 30*time.Microsecond)
		add(true, ackFlag, nil, 30*time.Microsecond)
	}
	s.writes++
	call, reply := w.write(s.writes)
	add(true, ackFlag|pshFlag, call, 50*time.Microsecond)
	// A reply time that varies a little, as a server's does.
	gap := time.Duration(120+17*(s.writes%7)) * time.Microsecond
	switch {
	case s.writes == s.o.LateReply:
		s.late, s.lateDue = append([]byte(nil), reply...), s.writes+s.o.LateBy
	default:
		add(false, ackFlag|pshFlag, reply, gap)
	}
	if s.late != nil && s.writes >= s.lateDue {
		add(false, ackFlag|pshFlag, s.late, 10*time.Microsecond)
		s.late = nil
	}
	if k := s.o.CommitEvery; k > 0 && !s.o.Reads && s.writes%k == 0 {
		call, reply := w.commit(s.writes, k)
		add(true, ackFlag|pshFlag, call, 20*time.Microsecond)
		add(false, ackFlag|pshFlag, reply, 300*time.Microsecond)
		s.written += int64(len(call) + len(reply))
	}
	s.buf, s.rec = out, out
	s.written += int64(len(call) + len(reply))
}

// TCP flags.
const (
	synFlag = 0x02
	pshFlag = 0x08
	ackFlag = 0x10
)

// writer is the WRITE stream's connection and client.
type writer struct {
	client, server netip.AddrPort
	seq            [2]uint32 // next sequence number from the client, from the server
	open           bool
	reads          bool
	data           []byte
	call, reply    []byte
	seg            []byte
}

func newWriter(size int, reads bool) writer {
	w := writer{client: netip.MustParseAddrPort("10.255.0.1:700"), server: netip.MustParseAddrPort("10.255.0.2:2049"),
		seq: [2]uint32{1000, 5000}, data: make([]byte, size), reads: reads}
	for i := range w.data {
		w.data[i] = byte(i)
	}
	return w
}

var (
	session = [16]byte{'t', 'r', 'a', 'c', 'e', 't', 'e', 's', 't', ' ', 's', 'e', 's', 's', 'i', 'n'}
	fh      = []byte{1, 0, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 42}
)

// write returns the i-th WRITE's (or READ's) call and reply,
// record-marked.
func (w *writer) write(i int) (call, reply []byte) {
	xid := uint32(0x7e000000 + i)
	off := uint64(i-1) * uint64(len(w.data))
	c := w.call[:0]
	c = be32(c, 0) // record mark, set below
	c = be32(c, xid, 0, 2, 100003, 4, 1, 0, 0, 0, 0)
	c = be32(c, 0, 2, 3) // tag, minor version 2, three operations
	c = be32(c, 53)      // SEQUENCE
	c = append(c, session[:]...)
	c = be32(c, uint32(i), 0, 0, 0)
	c = be32(c, 22, uint32(len(fh))) // PUTFH
	c = append(c, fh...)
	if w.reads {
		c = be32(c, 25, 1, 0, 0, 7) // READ: stateid (seqid 1, other 0…7)
		c = binary.BigEndian.AppendUint64(c, off)
		c = be32(c, uint32(len(w.data)))
	} else {
		c = be32(c, 38, 1, 0, 0, 7) // WRITE
		c = binary.BigEndian.AppendUint64(c, off)
		c = be32(c, 0, uint32(len(w.data))) // UNSTABLE4, data
		c = pad(append(c, w.data...))
	}
	binary.BigEndian.PutUint32(c, 0x80000000|uint32(len(c)-4))
	w.call = c

	r := w.reply[:0]
	r = be32(r, 0)
	r = be32(r, xid, 1, 0, 0, 0, 0) // REPLY, MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS
	r = be32(r, 0, 0, 3)            // NFS4_OK, tag, three results
	r = be32(r, 53, 0)
	r = append(r, session[:]...)
	r = be32(r, uint32(i), 0, 0, 0, 0)
	r = be32(r, 22, 0)
	if w.reads {
		r = be32(r, 25, 0, 0, uint32(len(w.data))) // not EOF, data
		r = pad(append(r, w.data...))
	} else {
		r = be32(r, 38, 0, uint32(len(w.data)), 0, 0x5eed, 0x5eed) // count, UNSTABLE4, verifier
	}
	binary.BigEndian.PutUint32(r, 0x80000000|uint32(len(r)-4))
	w.reply = r
	return w.call, w.reply
}

// commit returns the COMMIT after the i-th WRITE of the k written since
// the last, record-marked.
func (w *writer) commit(i, k int) (call, reply []byte) {
	xid := uint32(0x7d000000 + i)
	c := w.call[:0]
	c = be32(c, 0, xid, 0, 2, 100003, 4, 1, 0, 0, 0, 0)
	c = be32(c, 0, 2, 3, 53)
	c = append(c, session[:]...)
	c = be32(c, uint32(i), 0, 0, 0)
	c = be32(c, 22, uint32(len(fh)))
	c = append(c, fh...)
	c = be32(c, 5) // COMMIT
	c = binary.BigEndian.AppendUint64(c, uint64(i-k)*uint64(len(w.data)))
	c = be32(c, uint32(k*len(w.data)))
	binary.BigEndian.PutUint32(c, 0x80000000|uint32(len(c)-4))
	w.call = c
	r := w.reply[:0]
	r = be32(r, 0, xid, 1, 0, 0, 0, 0, 0, 0, 3, 53, 0)
	r = append(r, session[:]...)
	r = be32(r, uint32(i), 0, 0, 0, 0, 22, 0, 5, 0, 0x5eed, 0x5eed)
	binary.BigEndian.PutUint32(r, 0x80000000|uint32(len(r)-4))
	w.reply = r
	return w.call, w.reply
}

// pad pads XDR to a multiple of four bytes.
func pad(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// segment makes an Ethernet frame of one TCP segment.
func (w *writer) segment(fromClient bool, flags uint8, payload []byte) []byte {
	src, dst, dir := w.client, w.server, 0
	if !fromClient {
		src, dst, dir = w.server, w.client, 1
	}
	b := append(w.seg[:0], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00)
	ip := binary.BigEndian.AppendUint16([]byte{0x45, 0}, uint16(20+20+len(payload)))
	ip = append(ip, 0, 0, 0x40, 0, 64, 6, 0, 0)
	ip = append(append(ip, src.Addr().AsSlice()...), dst.Addr().AsSlice()...)
	b = append(b, ip...)
	tcp := binary.BigEndian.AppendUint16(nil, src.Port())
	tcp = binary.BigEndian.AppendUint16(tcp, dst.Port())
	tcp = binary.BigEndian.AppendUint32(tcp, w.seq[dir])
	ack := uint32(0)
	if flags&ackFlag != 0 {
		ack = w.seq[1-dir]
	}
	tcp = binary.BigEndian.AppendUint32(tcp, ack)
	tcp = append(tcp, 5<<4, flags, 0xff, 0xff, 0, 0, 0, 0)
	b = append(b, tcp...)
	b = append(b, payload...)
	w.seg = b
	w.seq[dir] += uint32(len(payload))
	if flags&synFlag != 0 {
		w.seq[dir]++
	}
	return b
}

func be32(b []byte, vs ...uint32) []byte {
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// fileHeader is a nanosecond pcap header, Ethernet, snaplen 262144.
func fileHeader() []byte {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, 0xa1b23c4d)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], 1)
	return h
}

// readSeed reads a pcap as Ethernet frames (Linux cooked captures get an
// Ethernet header instead of theirs) with times from its first frame.
func readSeed(data []byte) ([]packet, error) {
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var ps []packet
	var t0 time.Time
	for {
		d, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if t0.IsZero() {
			t0 = ci.Timestamp
		}
		switch r.LinkType() {
		case layers.LinkTypeEthernet:
		case layers.LinkTypeLinuxSLL2:
			d = append(make([]byte, 12, 14+len(d)-20), append([]byte{8, 0}, d[20:]...)...)
		case layers.LinkTypeLinuxSLL:
			d = append(make([]byte, 12, 14+len(d)-16), append([]byte{8, 0}, d[16:]...)...)
		default:
			return nil, fmt.Errorf("link type %s: only Ethernet and Linux cooked seeds are replayed", r.LinkType())
		}
		ps = append(ps, packet{data: d, ts: ci.Timestamp.Sub(t0)})
	}
	return ps, nil
}
