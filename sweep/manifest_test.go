package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/internal/atomicfile"
)

// writeTree creates files (paths with '/') under dir, each holding its
// name.
func writeTree(t *testing.T, dir string, files ...string) []string {
	t.Helper()
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestManifestSubdirectories: a manifest lists files in subdirectories
// by their path inside the directory, and CleanWith removes exactly
// those, and the subdirectories they leave empty.
func TestManifestSubdirectories(t *testing.T) {
	dir := t.TempDir()
	files := writeTree(t, dir, "report.html", "figures/fail.png", "sweep/results.csv")
	writeTree(t, dir, "notes.txt", "figures/mine.png")
	if err := WriteManifest(dir, Manifest{Command: "report", Complete: true}, files); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "figures/fail.png report.html sweep/results.csv" {
		t.Errorf("manifest names %q", got)
	}
	if err := CleanWith(dir, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"report.html", "figures/fail.png", "sweep", ManifestFile} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived the clean: %v", gone, err)
		}
	}
	for _, kept := range []string{"notes.txt", "figures/mine.png"} {
		if _, err := os.Stat(filepath.Join(dir, kept)); err != nil {
			t.Errorf("%s, which the manifest does not list, was removed: %v", kept, err)
		}
	}
	if err := WriteManifest(dir, Manifest{}, []string{filepath.Join(t.TempDir(), "elsewhere")}); err == nil {
		t.Error("a manifest listed a file outside its directory")
	}
}

// TestManifestRefusesPathsOutside: a manifest naming a file outside its
// directory (which --force would remove) is refused.
func TestManifestRefusesPathsOutside(t *testing.T) {
	for _, name := range []string{"../x", "/etc/passwd", "a/../../x", "", ".", `a\..\x`, ManifestFile} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"command":"report","files":[{"name":`+quote(name)+`}]}`), 0o644)
			if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "is not a file name in the directory") {
				t.Errorf("manifest naming %q: %v", name, err)
			}
		})
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }

// TestCheckReplace: a command other than sweep may write into an empty
// or new directory, into its own earlier results only with force, and
// never into another command's results or a directory of other files.
func TestCheckReplace(t *testing.T) {
	root := t.TempDir()
	mk := func(name, command string, files ...string) string {
		dir := filepath.Join(root, name)
		os.MkdirAll(dir, 0o755)
		paths := writeTree(t, dir, files...)
		if command != "" {
			if err := WriteManifest(dir, Manifest{Command: command}, paths); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	for _, tc := range []struct {
		name  string
		dir   string
		force bool
		want  string // "" for allowed
	}{
		{"a new directory", filepath.Join(root, "new"), false, ""},
		{"an empty directory", mk("empty", ""), false, ""},
		{"its own results", mk("own", "report", "report.html"), false, "already holds the results of delegsim report; use --force"},
		{"its own results, forced", filepath.Join(root, "own"), true, ""},
		{"its own results without a manifest, forced", mk("old", "", "report.html", "report.md"), true, ""},
		{"its own results without a manifest", filepath.Join(root, "old"), false, "use --force"},
		{"a sweep's results", mk("sweep", "sweep", "results.csv"), true, "holds the results of delegsim sweep, not of delegsim report"},
		{"other files", mk("other", "", "thesis.tex"), true, "holds no results of delegsim report"},
		{"a file", filepath.Join(root, "own", "report.html"), true, "exists and is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckReplace(tc.dir, "report", "report.html", tc.force)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			case tc.want != "" && !errors.Is(err, atomicfile.ErrOutput):
				t.Errorf("error %v is not an output error (exit status 2)", err)
			}
		})
	}
	// And a sweep refuses another command's directory.
	if err := CheckDir(filepath.Join(root, "own"), true, false); err == nil || !strings.Contains(err.Error(), "holds the results of delegsim report") {
		t.Errorf("a sweep into a report's directory: %v", err)
	}
}
