package main

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
)

// The documentation test keeps docs/*.md honest. In a Markdown file:
//
//   - A ```console block holds commands, each on a line starting
//     "$ delegsim ", followed by lines of its output. Every shown output
//     line must appear, in order, among the lines the command really
//     prints (trailing spaces ignored). A line "..." stands for lines left
//     out; a line ending in " ..." matches any line it begins.
//   - A block right after the comment <!-- $ delegsim ARGS --> must equal
//     that command's output exactly (used for Mermaid diagrams).
//   - A block right after <!-- from PATH --> must be an excerpt of the
//     repository file PATH: its lines appear there in order.
//   - A ```yaml block right after <!-- scenario --> must be a valid
//     scenario.
//
// Commands run in-process through dispatch. Arguments are split on
// spaces; documented commands use no quoting.
var docFiles = []string{"docs/tutorial.md", "docs/scenarios.md", "docs/checking.md", "docs/sweep.md", "docs/policies.md", "README.md"}

const repoRoot = "../.."

type docBlock struct {
	file    string
	line    int    // of the opening fence
	lang    string // after the backticks
	marker  string // the HTML comment right before the fence, without <!-- -->
	content []string
}

func readBlocks(t *testing.T, file string) []docBlock {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []docBlock
	var cur *docBlock
	prev := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &docBlock{file: file, line: n, lang: strings.TrimPrefix(line, "```")}
			if m, ok := strings.CutPrefix(strings.TrimSpace(prev), "<!--"); ok {
				cur.marker = strings.TrimSpace(strings.TrimSuffix(m, "-->"))
			}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.content = append(cur.content, line)
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: unterminated code block", file, cur.line)
	}
	return blocks
}

// runDoc runs a documented command line ("delegsim explain bz219278") and
// returns everything it printed.
func runDoc(t *testing.T, cmdline string) string {
	t.Helper()
	args := strings.Fields(cmdline)
	if len(args) == 0 || args[0] != "delegsim" {
		t.Fatalf("not a delegsim command: %q", cmdline)
	}
	_, out, errs := delegsim(args[1:]...)
	return out + errs
}

// matchLines checks that want's lines appear in order among got's.
func matchLines(want []string, got string) (missing string, ok bool) {
	lines := strings.Split(got, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	j := 0
	for _, w := range want {
		w = strings.TrimRight(w, " ")
		if w == "" || w == "..." {
			continue
		}
		prefix, partial := strings.CutSuffix(w, " ...")
		for ; j < len(lines); j++ {
			if lines[j] == w || (partial && strings.HasPrefix(lines[j], prefix)) {
				break
			}
		}
		if j == len(lines) {
			return w, false
		}
		j++
	}
	return "", true
}

func TestDocs(t *testing.T) {
	// Documented commands run from the repository's root, as a reader
	// would run them (paths such as docs/examples/gate-5ms.yaml).
	blocks := map[string][]docBlock{}
	for _, file := range docFiles {
		blocks[file] = readBlocks(t, file)
	}
	t.Chdir(repoRoot)
	for _, file := range docFiles {
		for _, b := range blocks[file] {
			where := func() string { return file + ":" + strconv.Itoa(b.line) }
			switch {
			case b.lang == "console":
				checkConsole(t, b, where())
			case strings.HasPrefix(b.marker, "$ delegsim "):
				got := runDoc(t, strings.TrimPrefix(b.marker, "$ "))
				if want := strings.Join(b.content, "\n") + "\n"; got != want {
					t.Errorf("%s: the block differs from the output of `%s`; paste the new output:\n%s", where(), b.marker[2:], got)
				}
			case strings.HasPrefix(b.marker, "from "):
				path := strings.TrimSpace(strings.TrimPrefix(b.marker, "from "))
				src, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("%s: %v", where(), err)
					continue
				}
				if w, ok := matchLines(b.content, string(src)); !ok {
					t.Errorf("%s: line %q is not in %s (in this order)", where(), w, path)
				}
			case b.marker == "scenario":
				src, err := scenarios.Parse("doc.yaml", []byte(strings.Join(b.content, "\n")))
				if err == nil {
					_, err = src.Scenario()
				}
				if err != nil {
					t.Errorf("%s: the example scenario is invalid: %v", where(), err)
				}
			}
		}
	}
}

func checkConsole(t *testing.T, b docBlock, where string) {
	var cmd string
	var want []string
	flush := func() {
		if cmd == "" {
			return
		}
		got := runDoc(t, cmd)
		if w, ok := matchLines(want, got); !ok {
			t.Errorf("%s: `%s` no longer prints (in this order)\n  %s\nIt prints:\n%s", where, cmd, w, got)
		}
	}
	for _, l := range b.content {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			flush()
			cmd, want = c, nil
			continue
		}
		want = append(want, l)
	}
	flush()
}

// TestScenarioFormatDocumented: docs/scenarios.md names every field a
// scenario file may have.
func TestScenarioFormatDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs/scenarios.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] || ty.PkgPath() != reflect.TypeFor[scenarios.Spec]().PkgPath() {
			return
		}
		seen[ty] = true
		for i := range ty.NumField() {
			f := ty.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			if !strings.Contains(string(doc), "`"+tag+"`") {
				t.Errorf("docs/scenarios.md does not document `%s` (%s%s)", tag, path, tag)
			}
			walk(f.Type, path+tag+".")
		}
	}
	walk(reflect.TypeFor[scenarios.Spec](), "")
}
