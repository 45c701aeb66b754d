package report

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/delegsim/delegsim/internal/atomicfile"
	"github.com/delegsim/delegsim/sweep"
)

// File names in a report directory.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
	FiguresDir   = "figures"
	SweepDir     = "sweep" // the sweep's results.csv and sweep.json
)

// ManifestCommand is the command a report directory's manifest names.
const ManifestCommand = "report"

// CheckDir decides, before any work, whether a report may be written
// into dir (sweep.CheckReplace): a directory that does not exist or is
// empty, or, with force, one that holds an earlier report.
func CheckDir(dir string, force bool) error {
	return sweep.CheckReplace(dir, ManifestCommand, HTMLFile, force)
}

// CleanDir removes an earlier report from dir: the files its manifest
// lists, or, for a report written before manifests (or whose writing was
// cut short), the files a report writes. Files a report does not write
// stay.
func CleanDir(dir string) error { return sweep.CleanWith(dir, reportFile) }

// reportFile reports whether name (a '/'-separated path inside a report
// directory) is one a report writes.
func reportFile(name string) bool {
	dir, base := path.Split(name)
	switch dir {
	case "":
		return base == HTMLFile || base == MarkdownFile ||
			strings.HasPrefix(base, "counterexample-") && strings.HasSuffix(base, ".txt")
	case FiguresDir + "/":
		return strings.HasSuffix(base, ".png") || strings.HasSuffix(base, ".svg")
	case SweepDir + "/":
		return base == sweep.ResultsFile || base == sweep.MetaFile
	}
	return false
}

// WriteDir writes report.html, report.md, the figures (PNG and SVG), the
// sweep's results and the counterexamples' schedules into dir, creating
// it, and last the manifest listing them (sweep.Manifest), and returns
// the files written. Each file is written atomically; a directory with a
// manifest holds a finished report. Call CheckDir before the work and,
// to replace an earlier report, CleanDir just before WriteDir.
func (r *Report) WriteDir(dir string) ([]string, error) {
	sub := dir
	if len(r.Figures) > 0 {
		sub = filepath.Join(dir, FiguresDir)
	}
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return nil, fmt.Errorf("report directory: %w", err)
	}
	var files []string
	write := func(name string, data []byte) error {
		path := filepath.Join(dir, name)
		files = append(files, path)
		return atomicfile.WriteFile(path, data)
	}
	for _, f := range r.Figures {
		if err := write(filepath.Join(FiguresDir, f.Name+".png"), f.PNG); err != nil {
			return files, err
		}
		if err := write(filepath.Join(FiguresDir, f.Name+".svg"), f.SVG); err != nil {
			return files, err
		}
	}
	if r.Sweep != nil {
		if err := r.Sweep.WriteDir(filepath.Join(dir, SweepDir)); err != nil {
			return files, err
		}
		files = append(files, filepath.Join(dir, SweepDir, sweep.ResultsFile), filepath.Join(dir, SweepDir, sweep.MetaFile))
	}
	for _, c := range r.Counterexamples {
		if c.Schedule == "" {
			continue
		}
		if err := write(c.File(), []byte(c.Schedule)); err != nil {
			return files, err
		}
	}
	var md, page bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		return files, err
	}
	if err := write(MarkdownFile, md.Bytes()); err != nil {
		return files, err
	}
	if err := r.WriteHTML(&page); err != nil {
		return files, err
	}
	if err := write(HTMLFile, page.Bytes()); err != nil {
		return files, err
	}
	m := sweep.Manifest{Version: r.Options.Version, Command: ManifestCommand, Scenario: r.Main.Scenario, Complete: true}
	if r.Sweep != nil {
		m.Points, m.Of = r.Sweep.PointsDone(), r.Sweep.Meta.Points
	}
	if err := sweep.WriteManifest(dir, m, files); err != nil {
		return files, err
	}
	return append(files, filepath.Join(dir, sweep.ManifestFile)), nil
}
