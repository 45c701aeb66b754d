package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
// of an earlier sweep survives beside the new results.
type Manifest struct {
	Version  string      `json:"delegsim_version"`
	Command  string      `json:"command"`  // "sweep", "merge"
	Scenario string      `json:"scenario"` // the scenario's name
	Points   int         `json:"points"`   // grid points with results
	Of       int         `json:"of"`       // grid points in the sweep
	Complete bool        `json:"complete"`
	Files    []FileEntry `json:"files"`
}

// FileEntry is one file of a Manifest.
type FileEntry struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// WriteManifest writes dir's manifest listing files (paths inside dir).
func WriteManifest(dir string, m Manifest, files []string) error {
	m.Files = nil
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, FileEntry{Name: filepath.Base(f), Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
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
		if f.Name != filepath.Base(f.Name) || f.Name == "." || f.Name == ".." {
			return nil, invalidf("%s: %q is not a file name in the directory", filepath.Join(dir, ManifestFile), f.Name)
		}
	}
	return &m, nil
}

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

// Clean removes the files delegsim wrote into dir: those its manifest
// lists and the manifest, or, for a directory written before manifests,
// the sweep's own files (results.csv, sweep.json, and PNG and SVG
// figures). Other files stay.
func Clean(dir string) error {
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
		ents, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for _, e := range ents {
			n := e.Name()
			if n == ResultsFile || n == MetaFile || strings.HasSuffix(n, ".png") || strings.HasSuffix(n, ".svg") {
				old = append(old, n)
			}
		}
	}
	for _, n := range old {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--force: %w", err)
		}
	}
	return nil
}
