package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/internal/atomicfile"
)

// ManifestFile lists what a sweep output directory holds.
const ManifestFile = "manifest.json"

// Manifest is what delegsim wrote into an output directory: every file,
// with its size and SHA-256, and whether the results are complete. It is
// written last, so a directory with a manifest holds a finished write;
// --force removes exactly the files an old manifest lists, so no figure
// of an earlier sweep survives beside the new results. delegsim report
// writes one too, for its directory.
type Manifest struct {
	Version  string      `json:"delegsim_version"`
	Command  string      `json:"command"`  // "sweep", "merge", "report"
	Scenario string      `json:"scenario"` // the scenario's name
	Points   int         `json:"points"`   // grid points with results
	Of       int         `json:"of"`       // grid points in the sweep
	Complete bool        `json:"complete"`
	Files    []FileEntry `json:"files"`
}

// FileEntry is one file of a Manifest.
type FileEntry struct {
	// Name is the file's path inside the directory, with '/' between the
	// names of subdirectories ("figures/fail.png").
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// WriteManifest writes dir's manifest listing files (paths inside dir,
// or in its subdirectories).
func WriteManifest(dir string, m Manifest, files []string) error {
	m.Files = nil
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		rel, err := filepath.Rel(dir, f)
		if err != nil || !filepath.IsLocal(rel) {
			return fmt.Errorf("manifest: %s is not inside %s", f, dir)
		}
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, FileEntry{Name: filepath.ToSlash(rel), Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(m.Files, func(a, b FileEntry) int { return strings.Compare(a.Name, b.Name) })
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// ReadManifest reads dir's manifest; it returns nil and no error if there
// is none.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, invalidf("%v", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, invalidf("%s: %v", filepath.Join(dir, ManifestFile), err)
	}
	for _, f := range m.Files {
		// Only files under dir: a manifest is no way to make --force
		// remove anything else.
		if !filepath.IsLocal(filepath.FromSlash(f.Name)) || strings.Contains(f.Name, `\`) || path.Clean(f.Name) != f.Name || f.Name == "." || f.Name == ManifestFile {
			return nil, invalidf("%s: %q is not a file name in the directory", filepath.Join(dir, ManifestFile), f.Name)
		}
	}
	return &m, nil
}

// sweepCommands are the commands whose manifests mark a sweep's results.
var sweepCommands = []string{"sweep", "merge"}

// CheckDir decides, before any work, whether a sweep may write into dir.
// A directory that does not exist or is empty is fine. A directory that
// holds a sweep's results (a manifest, or sweep.json) is refused unless
// force (replace them: Clean, when the new results are written) or
// resume (finish them: Plan.Resume) is given; a non-empty directory that
// holds no sweep is refused even with force, as it is not a sweep's.
func CheckDir(dir string, force, resume bool) error {
	if force && resume {
		return invalidf("--force and --resume exclude each other")
	}
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if resume {
			return invalidf("--resume: %s does not exist: there is nothing to resume", dir)
		}
		return nil
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return invalidf("--out %s exists and is not a directory", dir)
		}
		return invalidf("--out %s: %v", dir, err)
	case len(ents) == 0 && !resume:
		return nil
	}
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	if m != nil && !slices.Contains(sweepCommands, m.Command) {
		return invalidf("--out %s holds the results of delegsim %s, not a sweep's; choose another directory", dir, m.Command)
	}
	_, metaErr := os.Stat(filepath.Join(dir, MetaFile))
	switch {
	case m == nil && metaErr != nil && resume:
		return invalidf("--resume: %s holds no sweep (no %s)", dir, MetaFile)
	case m == nil && metaErr != nil:
		return invalidf("--out %s is not empty and holds no sweep (no %s or %s); choose another directory", dir, ManifestFile, MetaFile)
	case !force && !resume:
		return invalidf("--out %s already holds a sweep's results; use --force to replace them, --resume to finish an interrupted sweep, or another directory", dir)
	}
	return nil
}

// CheckReplace decides, before any work, whether command (such as
// "report") may write its results into dir, as CheckDir does for a
// sweep: a directory that does not exist or is empty is fine; one that
// holds command's results (its manifest says command wrote it, or,
// without a manifest, it holds marker, the file only command writes) is
// refused unless force (replace them: CleanWith, when the new results
// are written); anything else, another command's results or files that
// are not delegsim's, is refused even with force. Its errors wrap
// atomicfile.ErrOutput.
func CheckReplace(dir, command, marker string, force bool) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return outputf("--out %s exists and is not a directory", dir)
		}
		return outputf("--out %s: %v", dir, err)
	case len(ents) == 0:
		return nil
	}
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	_, markerErr := os.Stat(filepath.Join(dir, marker))
	switch {
	case m != nil && m.Command != command:
		return outputf("--out %s holds the results of delegsim %s, not of delegsim %s; choose another directory", dir, m.Command, command)
	case m == nil && markerErr != nil:
		return outputf("--out %s is not empty and holds no results of delegsim %s (no %s or %s); choose another directory", dir, command, ManifestFile, marker)
	case !force:
		return outputf("--out %s already holds the results of delegsim %s; use --force to replace them, or another directory", dir, command)
	}
	return nil
}

// outputf is an error of an output directory that cannot be written
// (atomicfile.ErrOutput), for commands other than sweep and merge.
func outputf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", atomicfile.ErrOutput, fmt.Sprintf(format, args...))
}

// Clean removes the files delegsim wrote into dir: those its manifest
// lists and the manifest, or, for a directory written before manifests,
// the sweep's own files (results.csv, sweep.json, and PNG and SVG
// figures). Other files stay.
func Clean(dir string) error {
	return CleanWith(dir, func(name string) bool {
		top := !strings.Contains(name, "/")
		return top && (name == ResultsFile || name == MetaFile || strings.HasSuffix(name, ".png") || strings.HasSuffix(name, ".svg"))
	})
}

// CleanWith removes the files delegsim wrote into dir: those its
// manifest lists and the manifest, or, without a manifest, the files
// under dir for which legacy (given a path inside dir, '/'-separated)
// returns true. Subdirectories left empty go too. Other files stay.
func CleanWith(dir string, legacy func(name string) bool) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	var old []string
	if m != nil {
		for _, f := range m.Files {
			old = append(old, f.Name)
		}
		old = append(old, ManifestFile)
	} else {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(dir, path)
			if err == nil && legacy(filepath.ToSlash(rel)) {
				old = append(old, filepath.ToSlash(rel))
			}
			return err
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--force: %w", err)
		}
	}
	subdirs := map[string]bool{}
	for _, n := range old {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(n))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--force: %w", err)
		}
		for d := filepath.Dir(filepath.FromSlash(n)); d != "."; d = filepath.Dir(d) {
			subdirs[d] = true
		}
	}
	// Deepest first; a directory that still holds something stays.
	dirs := slices.Collect(maps.Keys(subdirs))
	slices.SortFunc(dirs, func(a, b string) int { return len(b) - len(a) })
	for _, d := range dirs {
		if ents, err := os.ReadDir(filepath.Join(dir, d)); err == nil && len(ents) == 0 {
			os.Remove(filepath.Join(dir, d))
		}
	}
	return nil
}
