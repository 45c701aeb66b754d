package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteFile(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new contents")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new contents" {
		t.Fatalf("read %q", got)
	}
	assertOnly(t, dir, "out.txt")
}

// TestFailedFillLeavesNothing: a writer that fails half-way leaves neither
// a partial target nor a temporary file, and an existing target intact.
func TestFailedFillLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	boom := errors.New("boom")
	err := Write(path, func(f *os.File) error {
		f.WriteString("partial")
		return boom
	})
	if !errors.Is(err, boom) || !errors.Is(err, ErrOutput) {
		t.Fatalf("error %v does not wrap the fill error and ErrOutput", err)
	}
	assertOnly(t, dir)
	WriteFile(path, []byte("kept"))
	Write(path, func(f *os.File) error { return boom })
	if got, _ := os.ReadFile(path); string(got) != "kept" {
		t.Fatalf("existing file became %q", got)
	}
	assertOnly(t, dir, "out.txt")
}

// TestSpecialTargets is issue 16's reproduction: `--trace p` on a FIFO and
// `--trace l` on a symbolic link used to turn both into regular files.
// A FIFO (like a device) is written in place, a link keeps pointing at its
// target, which is replaced atomically, and a dangling link creates its
// target.
func TestSpecialTargets(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) (path string, read func() string)
		mode  fs.FileMode // type bits the path must still have afterwards
	}{
		{"fifo", func(t *testing.T, dir string) (string, func() string) {
			p := filepath.Join(dir, "p")
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skip("no FIFOs here:", err)
			}
			got := make(chan string, 1)
			go func() {
				f, err := os.Open(p)
				if err != nil {
					got <- err.Error()
					return
				}
				defer f.Close()
				b, _ := io.ReadAll(f)
				got <- string(b)
			}()
			return p, func() string { return <-got }
		}, fs.ModeNamedPipe},
		{"symlink", func(t *testing.T, dir string) (string, func() string) {
			os.WriteFile(filepath.Join(dir, "real.txt"), []byte("old"), 0o644)
			l := filepath.Join(dir, "l")
			os.Symlink("real.txt", l)
			return l, func() string { b, _ := os.ReadFile(filepath.Join(dir, "real.txt")); return string(b) }
		}, fs.ModeSymlink},
		{"dangling symlink", func(t *testing.T, dir string) (string, func() string) {
			l := filepath.Join(dir, "l")
			os.Symlink("new.txt", l)
			return l, func() string { b, _ := os.ReadFile(filepath.Join(dir, "new.txt")); return string(b) }
		}, fs.ModeSymlink},
		{"chain of links", func(t *testing.T, dir string) (string, func() string) {
			os.Mkdir(filepath.Join(dir, "sub"), 0o755)
			os.WriteFile(filepath.Join(dir, "sub", "real.txt"), nil, 0o644)
			os.Symlink("real.txt", filepath.Join(dir, "sub", "l1"))
			os.Symlink(filepath.Join("sub", "l1"), filepath.Join(dir, "l2"))
			return filepath.Join(dir, "l2"), func() string { b, _ := os.ReadFile(filepath.Join(dir, "sub", "real.txt")); return string(b) }
		}, fs.ModeSymlink},
		{"device", func(t *testing.T, dir string) (string, func() string) {
			if _, err := os.Stat("/dev/null"); err != nil {
				t.Skip("no /dev/null")
			}
			return "/dev/null", func() string { return "contents" }
		}, fs.ModeDevice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, read := tt.setup(t, dir)
			if err := Check(path); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if err := WriteFile(path, []byte("contents")); err != nil {
				t.Fatal(err)
			}
			if got := read(); got != "contents" {
				t.Errorf("target holds %q", got)
			}
			st, err := os.Lstat(path)
			if err != nil || st.Mode().Type()&tt.mode == 0 {
				t.Errorf("%s is now %v (%v), want it to stay %v", path, st.Mode().Type(), err, tt.mode)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestFailedWriteIsAnError: a device that refuses data (/dev/full, as
// `>/dev/full` does to stdout) makes Write fail.
func TestFailedWriteIsAnError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	err := WriteFile("/dev/full", []byte("data"))
	if !errors.Is(err, ErrOutput) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("error %v, want ErrOutput and ENOSPC", err)
	}
}

// TestCheck: an output path is refused before any work when it could not
// be written, with a message naming the path as given, not a temporary
// file.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	os.Symlink("loop", filepath.Join(dir, "loop"))
	tests := []struct {
		path string
		want string // substring of the error; "" for none
	}{
		{filepath.Join(dir, "new.txt"), ""},
		{filepath.Join(dir, "file"), ""},
		{filepath.Join(dir, "no", "such", "x.sched"), "no/such does not exist"},
		{filepath.Join(dir, "file", "x"), "not a directory"},
		{dir, "is a directory"},
		{filepath.Join(dir, "loop"), "too many levels of symbolic links"},
		{"", "empty path"},
	}
	for _, tt := range tests {
		err := Check(tt.path)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%q): %v", tt.path, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrOutput)):
			t.Errorf("Check(%q) = %v, want an ErrOutput with %q", tt.path, err, tt.want)
		case err != nil && strings.Contains(err.Error(), ".tmp"):
			t.Errorf("Check(%q) names a temporary file: %v", tt.path, err)
		}
	}
	assertOnly(t, dir, "file", "loop")
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		t.Fatalf("directory holds %v, want %v", got, want)
	}
}
