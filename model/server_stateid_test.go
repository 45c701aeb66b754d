package model

import "testing"

// TestCheckStateid: the stateid of a READ, WRITE or SETATTR of size is
// checked as nfs4_preprocess_stateid_op does: the client's own
// delegation or open of the file; a write needs write access
// (nfs4_check_openmode, nfs4_check_delegmode); a revoked delegation nfsd
// still keeps is NFS4ERR_DELEG_REVOKED; the anonymous all-zero stateid is
// allowed unless an open's share deny forbids the access
// (check_special_stateids: NFS4ERR_LOCKED); anything else is
// NFS4ERR_BAD_STATEID.
func TestCheckStateid(t *testing.T) {
	s := NewServer(ServerConfig{Files: []FileSpec{{Name: "f", Exists: true}, {Name: "g", Exists: true}},
		Clients: []ClientInfo{{ID: 1, Minor: 2, CBUp: true}, {ID: 2, Minor: 2, CBUp: true}}, Actors: 3})
	s.opens = []openState{{client: 1, file: 0, stateid: 1, access: AccessRead},
		{client: 2, file: 1, stateid: 5, access: AccessRead, deny: AccessWrite}}
	s.delegs = []Deleg{{ID: 2, File: 0, Client: 1, Type: DelegRead, LeaseType: DelegRead}}
	s.revoked = []revokedDeleg{{id: 3, client: 1, file: 0}}
	tests := []struct {
		name    string
		from    ActorID
		file    FileID
		stateid uint32
		write   bool
		want    Status
	}{
		{"own open, read", 1, 0, 1, false, StatusOK},
		{"own read-only open, write", 1, 0, 1, true, NFS4ErrOpenMode},
		{"own read delegation, read", 1, 0, 2, false, StatusOK},
		{"own read delegation, write", 1, 0, 2, true, NFS4ErrOpenMode},
		{"revoked delegation", 1, 0, 3, false, NFS4ErrDelegRevoked},
		{"another client's delegation", 2, 0, 2, false, NFS4ErrBadStateid},
		{"an open of another file", 1, 1, 1, false, NFS4ErrBadStateid},
		{"unknown stateid", 1, 0, 9, false, NFS4ErrBadStateid},
		{"anonymous read", 1, 1, 0, false, StatusOK},
		{"anonymous write against a deny", 1, 1, 0, true, NFS4ErrLocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Message{Kind: MsgRead, From: tt.from, File: tt.file, Stateid: tt.stateid}
			if got := s.checkStateid(&m, tt.write); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
