package model

// Names and inodes. Scripts name files; nfsd and the VFS act on inodes.
// Each declared file is a name and, at the start, the inode behind it. A
// hard link gives an inode a second name; a rename over an existing name
// moves the source's inode to the target name and drops the target's old
// inode. The server keeps the map from names to inodes (Server.names);
// requests are mapped on arrival, so everything else works on inodes.
//
// What the model leaves out: clients name files in their requests where
// real ones send filehandles, so a client that still has the old target
// of a rename open reaches the new file by name afterwards.

// Inode returns the inode (an index into Files) behind name f: f itself
// unless a link or a rename over a name changed it.
func (s *Server) Inode(f FileID) FileID { return s.ino(f) }

// ino returns the inode behind name f.
func (s *Server) ino(f FileID) FileID {
	if s.names == nil || int(f) >= len(s.names) || f < 0 {
		return f
	}
	return s.names[f]
}

// nameTable returns the name map, making it on first use.
func (s *Server) nameTable() []FileID {
	if s.names == nil {
		s.names = make([]FileID, len(s.files))
		for i := range s.names {
			s.names[i] = FileID(i)
		}
	}
	return s.names
}

// links counts the names of inode f (its i_nlink).
func (s *Server) links(f FileID) int {
	if s.names == nil {
		if s.files[f].Exists {
			return 1
		}
		return 0
	}
	n := 0
	for _, ino := range s.names {
		if ino == f && s.files[f].Exists {
			n++
		}
	}
	return n
}

// freeInode returns an inode no name refers to, reset to a file that does
// not exist (there is always one once a name is about to let go of the
// inode it shares).
func (s *Server) freeInode() FileID {
	names := s.nameTable()
	for i := range s.files {
		used := false
		for _, ino := range names {
			used = used || ino == FileID(i)
		}
		if !used {
			f := &s.files[i]
			*f = File{Name: f.Name, Change: f.Change + 1}
			return FileID(i)
		}
	}
	return -1
}

// link gives inode src the name target (vfs_link): the inode's ctime
// moves with its link count, and so does the directory's.
func (s *Server) link(src, target FileID) {
	names := s.nameTable()
	names[target] = src
	s.files[src].Change++
	s.dirChanged()
}

// unlinkName removes name (vfs_unlink). The inode goes with its last
// name; one that keeps another name only loses a link (its ctime moves).
func (s *Server) unlinkName(name FileID) {
	ino := s.ino(name)
	f := &s.files[ino]
	if s.links(ino) > 1 {
		s.names[name] = s.freeInode()
		f.Change++
		s.dirChanged()
		return
	}
	f.Exists, f.Size, f.Data = false, 0, 0
	f.Change++
	s.dirChanged()
}

// renameOver moves name src's inode to name target (vfs_rename): the
// target's old inode loses that name, and goes if it was its last; the
// moved inode's ctime changes.
func (s *Server) renameOver(src, target FileID) {
	names := s.nameTable()
	moved, old := names[src], names[target]
	s.files[moved].Change++
	if old == moved {
		return // two names of one inode: rename(2) does nothing
	}
	names[target] = moved
	if s.files[old].Exists && s.links(old) > 0 {
		// old keeps another name: src's name takes a fresh empty inode.
		names[src] = s.freeInode()
	} else {
		names[src] = old
		o := &s.files[old]
		o.Exists, o.Size, o.Data = false, 0, 0
		o.Change++
	}
	s.dirChanged()
}

// dirChanged moves the directory's change attribute: an entry was added,
// removed or renamed (the parent's mtime and ctime).
func (s *Server) dirChanged() {
	for i := range s.files {
		if s.files[i].Dir {
			s.files[i].Change++
		}
	}
}

// byName reports whether a request changes a name, so that the server
// keeps the name it came with (see reqIno).
func (k MsgKind) byName() bool {
	switch k {
	case MsgRemove, MsgRename, MsgLink, MsgSysUnlink, MsgSysRename, MsgSysLink:
		return true
	}
	return false
}

// reqIno returns the inode request m acts on.
func (s *Server) reqIno(m *Message) FileID {
	if m.Kind.byName() {
		return s.ino(m.File)
	}
	return m.File
}

// lease breaks a request makes: at most the file, the inode a rename
// replaces, and the directory.
type breaks struct {
	n     int
	ino   [3]FileID
	write [3]bool
}

func (b *breaks) add(f FileID, write bool) {
	b.ino[b.n], b.write[b.n] = f, write
	b.n++
}

// reqInodes lists the inodes request m may have to break leases on, and
// whether it breaks them as a writer: the file itself; the inode a rename
// replaces (vfs_rename breaks source and target: try_break_deleg); and
// for a change of names the directory (vfs_create, vfs_unlink, vfs_link
// and vfs_rename break a delegation on the parent: try_break_deleg(dir)).
func (s *Server) reqInodes(m *Message, write bool) breaks {
	var b breaks
	f := s.reqIno(m)
	b.add(f, write)
	switch m.Kind {
	case MsgRename, MsgSysRename:
		if t := s.ino(m.Target); m.Target != m.File && t != f && s.files[t].Exists {
			b.add(t, true)
		}
	case MsgOpen:
		if !m.Create || s.files[f].Exists {
			return b
		}
	case MsgRemove, MsgLink, MsgSysUnlink, MsgSysLink:
	default:
		return b
	}
	for i := range s.files {
		if s.files[i].Dir && FileID(i) != f {
			b.add(FileID(i), true)
			break
		}
	}
	return b
}
