package model

// WaitInfo describes an access blocked on a delegation, for invariant
// checks.
type WaitInfo struct {
	File  FileID
	From  ActorID
	Local bool
	Since Time
	Bound Time // Forever: waits until the lease goes
	OnCB  bool // waiting for a CB_GETATTR answer
}

// Waiters lists the accesses blocked on delegations.
func (s *Server) Waiters() []WaitInfo {
	out := make([]WaitInfo, 0, len(s.waiters))
	for _, w := range s.waiters {
		out = append(out, WaitInfo{File: w.req.File, From: w.from, Local: w.access.IsLocal(),
			Since: w.since, Bound: w.dec.Wait, OnCB: w.onCB})
	}
	return out
}

// OpenBy lists the clients that have file f open at the server.
func (s *Server) OpenBy(f FileID) []ActorID {
	var out []ActorID
	for _, o := range s.opens {
		if o.file == f {
			out = append(out, o.client)
		}
	}
	return out
}

// OpenAccess returns the share access client c holds on f (0 if none).
func (s *Server) OpenAccess(c ActorID, f FileID) Access {
	for _, o := range s.opens {
		if o.client == c && o.file == f {
			return o.access
		}
	}
	return 0
}

// ID returns the client's actor id.
func (c *Client) ID() ActorID { return c.cfg.ID }

// Crashed reports whether the client's host has crashed.
func (c *Client) Crashed() bool { return c.crashed }

// Quiescent reports whether the server has nothing under way: no access
// waiting, no callback in flight, no recall outstanding.
func (s *Server) Quiescent() bool {
	if len(s.waiters) > 0 || len(s.cbs) > 0 {
		return false
	}
	for _, d := range s.delegs {
		if d.Recalling {
			return false
		}
	}
	return true
}
