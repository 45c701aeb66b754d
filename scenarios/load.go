package scenarios

import (
	"bytes"
	"embed"
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml
var builtin embed.FS

// ErrInvalid marks every error caused by a bad scenario or override; the
// CLI maps it to exit status 2.
var ErrInvalid = errors.New("invalid scenario")

// Error is a problem in a scenario file: where, which field, what.
type Error struct {
	File  string
	Line  int // 0: no line (a --set override, or the file as a whole)
	Field string
	Msg   string
	// Override marks a problem in a --set override rather than in the
	// file.
	Override bool
}

func (e *Error) Error() string {
	loc := e.File
	switch {
	case e.Line > 0:
		loc += ":" + strconv.Itoa(e.Line)
	case e.Override:
		loc += " (--set)"
	}
	if e.Field == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Field + ": " + e.Msg
}

// Unwrap makes every Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Source is a scenario file parsed to a YAML tree, before decoding, so
// that --set overrides can be applied to any field.
type Source struct {
	File string // a path, or "scenarios/NAME.yaml" for a built-in
	root *yaml.Node
}

// Names lists the built-in scenarios.
func Names() []string {
	ents, _ := builtin.ReadDir(".")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Open loads a built-in scenario by name, or a scenario file by path (any
// argument containing a path separator or ending in .yaml or .yml).
func Open(arg string) (*Source, error) {
	if strings.ContainsRune(arg, os.PathSeparator) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		f, err := os.Open(arg)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, &Error{File: arg, Msg: "is a directory, not a scenario file"}
		}
		return Read(arg, f)
	}
	data, err := builtin.ReadFile(arg + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("%w: no built-in scenario %q (built-ins: %s; or give a path to a .yaml file)",
			ErrInvalid, arg, strings.Join(Names(), ", "))
	}
	return Parse("scenarios/"+arg+".yaml", data)
}

// Read reads scenario YAML from r (a file, or standard input for the
// argument "-"), refusing more than MaxFileSize bytes; file names it in
// errors.
func Read(file string, r io.Reader) (*Source, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, file, err)
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("larger than %d bytes: a scenario file describes a few hosts and their scripts", MaxFileSize)}
	}
	return Parse(file, data)
}

// Parse reads scenario YAML; file names it in errors. The data must be
// text and hold one YAML document.
func Parse(file string, data []byte) (*Source, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("larger than %d bytes: a scenario file describes a few hosts and their scripts", MaxFileSize)}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 || !utf8.Valid(data) {
		if i < 0 {
			i = invalidUTF8(data)
		}
		return nil, &Error{File: file, Msg: fmt.Sprintf("not a YAML scenario: binary data at byte %d (a scenario file is UTF-8 text)", i)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Line: 1, Msg: "empty scenario file"}
		}
		return nil, &Error{File: file, Line: yamlErrLine(err), Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: "empty scenario file"}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &Error{File: file, Line: max(next.Line, 1), Msg: "a second YAML document (after ---): a scenario file holds exactly one scenario"}
	case !errors.Is(err, io.EOF):
		return nil, &Error{File: file, Line: yamlErrLine(err), Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	return &Source{File: file, root: doc.Content[0]}, nil
}

// invalidUTF8 returns the offset of the first byte of data that is not
// valid UTF-8.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

func yamlErrLine(err error) int {
	var n int
	if i := strings.Index(err.Error(), "line "); i >= 0 {
		fmt.Sscanf(err.Error()[i:], "line %d", &n)
	}
	return n
}

// Clone returns an independent copy, so overrides can differ per use.
func (s *Source) Clone() *Source { return &Source{File: s.File, root: cloneNode(s.root)} }

func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = cloneNode(k)
	}
	return &c
}

// Set applies an override "path=value": path is dot-separated field names,
// with list elements picked by their name or index
// ("clients.c1.callback.latency=20ms", "locals.l1.script.0.at=10ms").
// value is YAML ("20ms", "[O_RDWR]", "{attempts: 3}").
func (s *Source) Set(assign string) error {
	path, value, ok := strings.Cut(assign, "=")
	if !ok || path == "" {
		return &Error{File: s.File, Override: true, Msg: fmt.Sprintf("override %q is not KEY=VALUE", assign)}
	}
	var v yaml.Node
	if err := yaml.Unmarshal([]byte(value), &v); err != nil {
		return &Error{File: s.File, Override: true, Field: path, Msg: fmt.Sprintf("bad value %q: %v", value, err)}
	}
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
	if len(v.Content) > 0 {
		val = v.Content[0]
	}
	zeroLines(val)
	segs := strings.Split(path, ".")
	n := s.root
	for i, seg := range segs {
		last := i == len(segs)-1
		switch n.Kind {
		case yaml.MappingNode:
			j := mapIndex(n, seg)
			if j < 0 {
				next := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if last {
					next = val
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}, next)
				n = next
				continue
			}
			if last {
				n.Content[j+1] = val
			}
			n = n.Content[j+1]
		case yaml.SequenceNode:
			j := seqIndex(n, seg)
			if j < 0 {
				return &Error{File: s.File, Override: true, Field: strings.Join(segs[:i+1], "."),
					Msg: fmt.Sprintf("no element named %q (have: %s)", seg, strings.Join(seqNames(n), ", "))}
			}
			if last {
				n.Content[j] = val
			}
			n = n.Content[j]
		default:
			return &Error{File: s.File, Override: true, Field: strings.Join(segs[:i], "."), Msg: "is a value, not a mapping or list"}
		}
	}
	return nil
}

func zeroLines(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		zeroLines(c)
	}
}

func mapIndex(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func seqIndex(n *yaml.Node, seg string) int {
	for i, c := range n.Content {
		if c.Kind == yaml.MappingNode {
			if j := mapIndex(c, "name"); j >= 0 && c.Content[j+1].Value == seg {
				return i
			}
		}
	}
	if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
		return i
	}
	return -1
}

func seqNames(n *yaml.Node) []string {
	var out []string
	for i, c := range n.Content {
		name := strconv.Itoa(i)
		if c.Kind == yaml.MappingNode {
			if j := mapIndex(c, "name"); j >= 0 {
				name = c.Content[j+1].Value
			}
		}
		out = append(out, name)
	}
	return out
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// check walks the tree against the Go type it decodes into: unknown keys
// and unparsable values are errors that name the file, line, field and
// what is allowed. It records each field's line for later validation.
func (s *Source) check(n *yaml.Node, t reflect.Type, path string, lines map[string]int) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	lines[path] = n.Line
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			return &Error{File: s.File, Line: n.Line, Field: path, Msg: "expected a single value"}
		}
		v := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := v.UnmarshalText([]byte(n.Value)); err != nil {
			return &Error{File: s.File, Line: n.Line, Field: path, Msg: err.Error()}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return &Error{File: s.File, Line: n.Line, Field: path, Msg: "expected a mapping of fields"}
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag != "" && tag != "-" {
				fields[tag] = t.Field(i).Type
				names = append(names, tag)
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			ft, ok := fields[key]
			sub := join(path, key)
			if !ok {
				return &Error{File: s.File, Line: n.Content[i].Line, Field: sub,
					Msg: fmt.Sprintf("unknown field %q (allowed here: %s)", key, strings.Join(names, ", "))}
			}
			if err := s.check(n.Content[i+1], ft, sub, lines); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return &Error{File: s.File, Line: n.Line, Field: path, Msg: "expected a list"}
		}
		for i, c := range n.Content {
			if err := s.check(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), lines); err != nil {
				return err
			}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return &Error{File: s.File, Line: n.Line, Field: path, Msg: fmt.Sprintf("expected a %s value", t.Kind())}
		}
		// yaml.v3 would truncate 0.5 into an int field: insist on the
		// scalar's own type for numbers and booleans.
		want := map[reflect.Kind][]string{
			reflect.Int: {"!!int"}, reflect.Int64: {"!!int"}, reflect.Uint64: {"!!int"},
			reflect.Float64: {"!!int", "!!float"}, reflect.Bool: {"!!bool"},
		}[t.Kind()]
		if want != nil && !slices.Contains(want, n.ShortTag()) {
			return &Error{File: s.File, Line: n.Line, Field: path, Msg: fmt.Sprintf("%q is not a valid %s", n.Value, kindName(t.Kind()))}
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			return &Error{File: s.File, Line: n.Line, Field: path, Msg: fmt.Sprintf("%q is not a valid %s", n.Value, kindName(t.Kind()))}
		}
	}
	return nil
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Uint64:
		return "non-negative integer"
	case reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean (true or false)"
	}
	return k.String()
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Scenario decodes and validates the source.
func (s *Source) Scenario() (*Scenario, error) {
	if err := s.checkLimits(); err != nil {
		return nil, err
	}
	lines := map[string]int{}
	if err := s.check(s.root, reflect.TypeFor[Spec](), "", lines); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Line == 0 {
			e.Override = true // every node read from the file has a line
		}
		return nil, err
	}
	var spec Spec
	if err := s.root.Decode(&spec); err != nil {
		return nil, &Error{File: s.File, Line: yamlErrLine(err), Msg: err.Error()}
	}
	sc := &Scenario{Spec: spec, File: s.File, lines: lines, src: s.Clone()}
	if err := sc.validate(); err != nil {
		return nil, err
	}
	return sc, nil
}

// YAML returns the scenario's source as YAML, with its comments and the
// --set overrides it was loaded with: what a report shows as "the
// scenario".
func (sc *Scenario) YAML() ([]byte, error) {
	if sc.src == nil {
		return nil, fmt.Errorf("%s: not loaded from a source", sc.Name())
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(sc.src.root); err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Name(), err)
	}
	return b.Bytes(), enc.Close()
}

// With returns the scenario with more --set overrides applied to its
// source, decoded and validated afresh: the same workload under a change
// of configuration or application (see package compare's fixes).
func (sc *Scenario) With(sets ...string) (*Scenario, error) {
	if sc.src == nil {
		return nil, fmt.Errorf("%w: %s: not loaded from a source, cannot apply %v", ErrInvalid, sc.Name(), sets)
	}
	s := sc.src.Clone()
	for _, a := range sets {
		if err := s.Set(a); err != nil {
			return nil, err
		}
	}
	return s.Scenario()
}

// Load opens a scenario, applies overrides and validates it.
func Load(arg string, sets []string) (*Scenario, error) {
	src, err := Open(arg)
	if err != nil {
		return nil, err
	}
	return src.Load(sets)
}

// LoadFrom reads a scenario from r (standard input, say), applies
// overrides and validates it; file names it in errors.
func LoadFrom(file string, r io.Reader, sets []string) (*Scenario, error) {
	src, err := Read(file, r)
	if err != nil {
		return nil, err
	}
	return src.Load(sets)
}

// Load applies overrides to a copy of the source and validates it.
func (s *Source) Load(sets []string) (*Scenario, error) {
	src := s.Clone()
	for _, a := range sets {
		if err := src.Set(a); err != nil {
			return nil, err
		}
	}
	return src.Scenario()
}
