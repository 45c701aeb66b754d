package model

import "slices"

// Revocation as nfsd does it (revoke_delegation): the laundromat drops
// the lease of a recalled delegation left unreturned for a lease. A
// v4.0 client's delegation is destroyed outright, so its stateid is
// simply unknown afterwards (NFS4ERR_BAD_STATEID). A v4.1+ client's stays
// on cl_revoked: its stateid answers NFS4ERR_DELEG_REVOKED, and every
// SEQUENCE reply carries SEQ4_STATUS_RECALLABLE_STATE_REVOKED until the
// client frees it with FREE_STATEID (RFC 8881 §8.2.3, §18.46.3).

// isRevoked reports whether id is a revoked delegation of client c that
// nfsd still keeps.
func (s *Server) isRevoked(c ActorID, id uint32) bool {
	return id != 0 && slices.ContainsFunc(s.revoked, func(r revokedDeleg) bool { return r.client == c && r.id == id })
}

// hasRevoked reports whether client c has revoked delegations not yet
// freed (nfsd4_sequence: !list_empty(&clp->cl_revoked)).
func (s *Server) hasRevoked(c ActorID) bool {
	return slices.ContainsFunc(s.revoked, func(r revokedDeleg) bool { return r.client == c })
}

// testStateid is TEST_STATEID for one stateid (nfsd4_test_stateid →
// nfsd4_validate_stateid): valid, revoked, or unknown.
func (s *Server) testStateid(c ActorID, id uint32) Status {
	if i := s.delegIndex(id); i >= 0 && s.delegs[i].Client == c {
		return StatusOK
	}
	if s.isRevoked(c, id) {
		return NFS4ErrDelegRevoked
	}
	if s.openByStateid(c, id) >= 0 {
		return StatusOK
	}
	return NFS4ErrBadStateid
}

// freeStateid is FREE_STATEID (nfsd4_free_stateid): a revoked delegation
// is released, and with the last one the SEQUENCE flag clears.
func (s *Server) freeStateid(c ActorID, id uint32) Status {
	i := slices.IndexFunc(s.revoked, func(r revokedDeleg) bool { return r.client == c && r.id == id })
	if i < 0 {
		return NFS4ErrBadStateid
	}
	s.revoked = slices.Delete(s.revoked, i, i+1)
	return StatusOK
}

// keepRevoked puts a revoked delegation of a v4.1+ client on its
// cl_revoked list.
func (s *Server) keepRevoked(d *Deleg) {
	if s.clients[d.Client].minor >= 1 {
		s.revoked = append(s.revoked, revokedDeleg{id: d.ID, client: d.Client, file: d.File})
	}
}
