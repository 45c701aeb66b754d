package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
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
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the fill error", err)
	}
	assertOnly(t, dir)
	WriteFile(path, []byte("kept"))
	Write(path, func(f *os.File) error { return boom })
	if got, _ := os.ReadFile(path); string(got) != "kept" {
		t.Fatalf("existing file became %q", got)
	}
	assertOnly(t, dir, "out.txt")
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(names) {
		t.Fatalf("directory holds %v, want %v", ents, names)
	}
	for i, e := range ents {
		if e.Name() != names[i] {
			t.Fatalf("directory holds %v, want %v", ents, names)
		}
	}
}
