package trace

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/delegsim/delegsim/trace/nfs4"
	"github.com/delegsim/delegsim/trace/rpc"
)

// Clients are told apart by what the protocol says, not by address: the
// owner string of EXCHANGE_ID / SETCLIENTID, then the clientid the server
// gave it, the sessions created with that clientid (SEQUENCE and
// CB_SEQUENCE name the session), the clientid in a v4.0 open-owner, and
// for NFSv4.0 callbacks the callback_ident and address SETCLIENTID
// registered (RFC 7530 §16.33). A compound that names none of these
// belongs to the client last identified on its connection.

// client returns the client with the given key, creating it.
func (d *decoder) client(key, addr string) int {
	if c, ok := d.owners[key]; ok {
		return c
	}
	c := len(d.cap.Clients)
	d.owners[key] = c
	owner := key
	if strings.HasPrefix(key, "\x00") {
		owner = ""
	}
	d.cap.Clients = append(d.cap.Clients, Client{Name: fmt.Sprintf("c%d", c+1), Addr: addr, Owner: printable(owner)})
	return c
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '.'
		}
		return r
	}, s)
}

// senderAddr is the address of the side that sent m.
func senderAddr(m *rpc.Msg) string {
	if m.FromA {
		return m.Conn.A.String()
	}
	return m.Conn.B.String()
}

func (d *decoder) learnCall(cr *connRec, m *rpc.Msg, ex *Exchange) {
	c := -1
	set := func(v int) {
		if c < 0 && v >= 0 {
			c = v
		}
	}
	lookupID := func(id uint64) {
		if v, ok := d.ids[id]; ok {
			set(v)
		}
	}
	for i := range ex.Call.Ops {
		op := &ex.Call.Ops[i]
		if ex.Callback {
			// Callback opcodes overlap fore-channel ones (11 is
			// CB_SEQUENCE and LINK): only CB_SEQUENCE names a client.
			if op.Code == nfs4.CBSequence && op.Seq != nil {
				if v, ok := d.sessions[op.Seq.SessionID]; ok {
					set(v)
				}
			}
			continue
		}
		switch op.Code {
		case nfs4.OpSequence:
			if op.Seq == nil {
				break
			}
			v, ok := d.sessions[op.Seq.SessionID]
			if !ok {
				// A session created before the capture began.
				v = d.client("\x00session "+hex.EncodeToString(op.Seq.SessionID[:]), senderAddr(m))
				d.sessions[op.Seq.SessionID] = v
			}
			set(v)
		case nfs4.OpExchangeID, nfs4.OpSetClientID:
			if op.Client == nil {
				break
			}
			set(d.client(string(op.Client.Owner), senderAddr(m)))
			if op.Code == nfs4.OpSetClientID {
				d.cbProgs[op.Client.CBProgram] = true
				d.cbIdents[op.Client.CBIdent] = c
				if ap, ok := parseUAddr(op.Client.CBAddr); ok {
					d.cbAddrs[ap] = c
				}
			}
		case nfs4.OpSetClientIDConfirm, nfs4.OpRenew, nfs4.OpDestroyClientID, nfs4.OpCreateSession, nfs4.OpDelegPurge:
			lookupID(op.ClientID)
			if op.Code == nfs4.OpCreateSession && op.Client != nil {
				d.cbProgs[op.Client.CBProgram] = true
			}
		case nfs4.OpOpen:
			if op.Open != nil && ex.Call.Minor == 0 {
				lookupID(op.Open.OwnerClient)
			}
		case nfs4.OpBackchannelCtl:
			if op.Client != nil {
				d.cbProgs[op.Client.CBProgram] = true
			}
		}
	}
	if ex.Callback && c < 0 && ex.Call.Minor == 0 {
		if v, ok := d.cbIdents[ex.Call.CBIdent]; ok {
			set(v)
		}
		callee := m.Conn.A
		if m.FromA {
			callee = m.Conn.B
		}
		if v, ok := d.cbAddrs[callee]; ok {
			set(v)
		}
	}
	if c < 0 {
		c = cr.client
	}
	if c < 0 && !ex.Callback {
		// Nothing names the client: a capture that starts mid-way
		// through a v4.0 mount. Key it by its address.
		c = d.client("\x00addr "+senderAddr(m), senderAddr(m))
	}
	ex.Client = c
	if c >= 0 {
		cr.client = c
		if !ex.Callback && ex.Minor > d.cap.Clients[c].Minor {
			d.cap.Clients[c].Minor = ex.Minor
		}
	}
}

func (d *decoder) learnReply(cr *connRec, ex *Exchange) {
	if ex.Callback || ex.Call == nil || ex.Reply == nil || ex.Client < 0 {
		return
	}
	cl := &d.cap.Clients[ex.Client]
	for i := range ex.Reply.Ops {
		op := &ex.Reply.Ops[i]
		if op.Status != nfs4.OK {
			continue
		}
		switch op.Code {
		case nfs4.OpExchangeID, nfs4.OpSetClientID:
			d.ids[op.ClientID] = ex.Client
			cl.ClientID = append(cl.ClientID, op.ClientID)
		case nfs4.OpCreateSession:
			d.sessions[op.SessionID] = ex.Client
			cl.Sessions++
		}
	}
}

// parseUAddr parses an RPC universal address (RFC 5665 §5.2.3.3):
// "h1.h2.h3.h4.p1.p2" for IPv4, "x:...:y.p1.p2" for IPv6.
func parseUAddr(s string) (netip.AddrPort, bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return netip.AddrPort{}, false
	}
	j := strings.LastIndexByte(s[:i], '.')
	if j < 0 {
		return netip.AddrPort{}, false
	}
	hi, err1 := strconv.Atoi(s[j+1 : i])
	lo, err2 := strconv.Atoi(s[i+1:])
	a, err3 := netip.ParseAddr(s[:j])
	if err1 != nil || err2 != nil || err3 != nil || hi > 255 || lo > 255 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(hi<<8|lo)), true
}
