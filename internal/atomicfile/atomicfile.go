// Package atomicfile writes output files so that readers never see a
// partial one: data goes to a temporary file in the target's directory,
// which is renamed over the target only once it is complete.
//
// Only regular files are replaced that way. A path naming a device, a
// FIFO or a socket (/dev/null, a named pipe a reader waits on) is
// written in place, since renaming over it would replace the special
// file with a regular one; a symbolic link is followed to its target,
// which is then replaced atomically, so the link stays a link.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrOutput marks every error of this package: an output path that cannot
// be written. The CLI reports it as bad input or environment.
var ErrOutput = errors.New("cannot write output")

// maxLinks bounds the symbolic links followed, as the kernel's ELOOP does
// (MAXSYMLINKS is 40 in fs/namei.c).
const maxLinks = 40

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	return Write(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// Write calls fill with the file to write. For a regular file (or a new
// one) that is a temporary file, renamed to path if fill and the close
// succeed and removed otherwise; for a device, FIFO or socket it is the
// special file itself.
func Write(path string, fill func(*os.File) error) error {
	target, st, err := resolve(path)
	if err != nil {
		return wrap(path, err)
	}
	if st != nil {
		switch {
		case st.IsDir():
			return wrap(path, errors.New("is a directory"))
		case !st.Mode().IsRegular():
			return wrap(path, writeSpecial(target, fill))
		}
	}
	return wrap(path, replace(target, fill))
}

// Check reports, before any work is done, whether path can be written: its
// directory exists and accepts a new file, and path itself, if it
// exists, is not a directory. It creates and removes a probe file in the
// directory, so that a read-only mount or a missing permission is found
// as the real write would find it. Special files are not opened: opening
// a FIFO blocks until it has a reader.
func Check(path string) error {
	if path == "" {
		return wrap(path, errors.New("empty path"))
	}
	target, st, err := resolve(path)
	if err != nil {
		return wrap(path, err)
	}
	if st != nil && st.IsDir() {
		return wrap(path, errors.New("is a directory"))
	}
	if st != nil && !st.Mode().IsRegular() {
		return nil
	}
	dir := filepath.Dir(target)
	dst, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return wrap(path, fmt.Errorf("directory %s does not exist", dir))
	case err != nil:
		return wrap(path, err)
	case !dst.IsDir():
		return wrap(path, fmt.Errorf("%s is not a directory", dir))
	}
	probe, err := os.CreateTemp(dir, ".delegsim-probe*")
	if err != nil {
		return wrap(path, fmt.Errorf("directory %s does not accept new files: %w", dir, unwrapPath(err)))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// resolve follows symbolic links from path to the file they end at, which
// may not exist yet (a dangling link is followed to where its target
// would be created). st is that file's Lstat, nil if it does not exist.
func resolve(path string) (string, fs.FileInfo, error) {
	for range maxLinks {
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil, nil
		}
		if err != nil {
			return path, nil, unwrapPath(err)
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return path, st, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return path, nil, unwrapPath(err)
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return path, nil, errors.New("too many levels of symbolic links")
}

// writeSpecial writes a device, FIFO or socket in place.
func writeSpecial(path string, fill func(*os.File) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return unwrapPath(err)
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// replace writes a temporary file beside path and renames it over path.
func replace(path string, fill func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return unwrapPath(err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// unwrapPath drops the *PathError's operation and path, which name the
// temporary file rather than the output the user asked for.
func unwrapPath(err error) error {
	switch e := err.(type) {
	case *fs.PathError:
		return e.Err
	case *os.LinkError:
		return e.Err
	}
	return err
}

func wrap(path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s: %w", ErrOutput, path, unwrapPath(err))
}
