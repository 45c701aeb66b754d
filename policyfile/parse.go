package policyfile

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// Error is a problem in a policy file: where, which field, what.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Field + ": " + e.Msg
}

// Unwrap makes every Error bad input, as a bad scenario is: the command
// line exits with status 2.
func (e *Error) Unwrap() error { return scenarios.ErrInvalid }

// Load reads and validates the policy file at path.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, data)
}

// Parse reads policy YAML; file names it in errors.
func Parse(file string, data []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Line: yamlErrLine(err), Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: "empty policy file"}
	}
	p := &parser{file: file}
	pol, err := p.policy(doc.Content[0])
	if err != nil {
		return nil, err
	}
	pol.File = file
	return pol, nil
}

func yamlErrLine(err error) int {
	var n int
	if i := strings.Index(err.Error(), "line "); i >= 0 {
		fmt.Sscanf(err.Error()[i:], "line %d", &n)
	}
	return n
}

type parser struct{ file string }

func (p *parser) errf(n *yaml.Node, field, format string, args ...any) error {
	return &Error{File: p.file, Line: n.Line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// fields checks that n is a mapping whose keys are all allowed and
// distinct, and returns its values by key.
func (p *parser) fields(n *yaml.Node, path string, allowed ...string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, path, "expected a mapping of fields (%s)", strings.Join(allowed, ", "))
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		sub := join(path, k.Value)
		if !slices.Contains(allowed, k.Value) {
			return nil, p.errf(k, sub, "unknown field %q (allowed here: %s)", k.Value, strings.Join(allowed, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.errf(k, sub, "given twice")
		}
		out[k.Value] = n.Content[i+1]
	}
	return out, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// scalar returns a scalar node's value.
func (p *parser) scalar(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, field, "expected a single value")
	}
	return n.Value, nil
}

// list returns the values of a scalar or of a list of scalars.
func (p *parser) list(n *yaml.Node, field string) ([]*yaml.Node, error) {
	if n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}, nil
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, p.errf(n, field, "expected a value or a non-empty list of values")
	}
	for i, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, p.errf(c, fmt.Sprintf("%s[%d]", field, i), "expected a single value")
		}
	}
	return n.Content, nil
}

// choices parses a value or list of values, each one of names.
func choices[T any](p *parser, n *yaml.Node, field string, names []string, values []T) ([]T, error) {
	items, err := p.list(n, field)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, it := range items {
		i := slices.Index(names, it.Value)
		if i < 0 {
			return nil, p.errf(it, field, "unknown value %q (allowed: %s)", it.Value, strings.Join(names, ", "))
		}
		out = append(out, values[i])
	}
	return out, nil
}

func (p *parser) boolean(n *yaml.Node, field string) (*bool, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		return nil, p.errf(n, field, "%q is not a boolean (allowed: true, false)", n.Value)
	}
	b := n.Value == "true"
	return &b, nil
}

func (p *parser) policy(n *yaml.Node) (*Policy, error) {
	f, err := p.fields(n, "", "name", "description", "grant", "conflicts")
	if err != nil {
		return nil, err
	}
	pol := &Policy{}
	nn, ok := f["name"]
	if !ok {
		return nil, p.errf(n, "name", "required")
	}
	if pol.name, err = p.scalar(nn, "name"); err != nil {
		return nil, err
	}
	if pol.name == "" || strings.IndexFunc(pol.name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r))
	}) >= 0 {
		return nil, p.errf(nn, "name", "%q: use letters, digits, '-', '_' and '.' only", pol.name)
	}
	if d, ok := f["description"]; ok {
		if pol.Description, err = p.scalar(d, "description"); err != nil {
			return nil, err
		}
	}
	if g, ok := f["grant"]; ok {
		if g.Kind != yaml.SequenceNode {
			return nil, p.errf(g, "grant", "expected a list of rules")
		}
		for i, r := range g.Content {
			rule, err := p.grantRule(r, fmt.Sprintf("grant[%d]", i))
			if err != nil {
				return nil, err
			}
			pol.grants = append(pol.grants, rule)
		}
	}
	if c, ok := f["conflicts"]; ok {
		if c.Kind != yaml.SequenceNode {
			return nil, p.errf(c, "conflicts", "expected a list of rules")
		}
		for i, r := range c.Content {
			rule, err := p.conflictRule(r, fmt.Sprintf("conflicts[%d]", i))
			if err != nil {
				return nil, err
			}
			pol.conflicts = append(pol.conflicts, rule)
		}
	}
	return pol, nil
}

var (
	openNames  = []string{"read", "write", "both"}
	openValues = []model.Access{model.AccessRead, model.AccessWrite, model.AccessBoth}
	delegNames = []string{"none", "read", "write"}
	delegTypes = []model.DelegType{model.DelegNone, model.DelegRead, model.DelegWrite}
)

func (p *parser) grantRule(n *yaml.Node, path string) (grantRule, error) {
	var r grantRule
	f, err := p.fields(n, path, "open", "minor", "kernel", "offer")
	if err != nil {
		return r, err
	}
	if v, ok := f["open"]; ok {
		if r.open, err = choices(p, v, path+".open", openNames, openValues); err != nil {
			return r, err
		}
	}
	if v, ok := f["minor"]; ok {
		if r.minor, err = choices(p, v, path+".minor", []string{"0", "1", "2"}, []int{0, 1, 2}); err != nil {
			return r, err
		}
	}
	if v, ok := f["kernel"]; ok {
		if r.kernel, err = choices(p, v, path+".kernel", delegNames, delegTypes); err != nil {
			return r, err
		}
	}
	v, ok := f["offer"]
	if !ok {
		return r, p.errf(n, path+".offer", "required (allowed: kernel, %s)", strings.Join(delegNames, ", "))
	}
	s, err := p.scalar(v, path+".offer")
	if err != nil {
		return r, err
	}
	if s == "kernel" {
		r.offer.kernel = true
		return r, nil
	}
	i := slices.Index(delegNames, s)
	if i < 0 {
		return r, p.errf(v, path+".offer", "unknown value %q (allowed: kernel, %s)", s, strings.Join(delegNames, ", "))
	}
	r.offer.deleg = delegTypes[i]
	return r, p.checkOffer(v, path+".offer", r)
}

// checkOffer refuses offers nfsd could not make.
func (p *parser) checkOffer(n *yaml.Node, field string, r grantRule) error {
	kernelWrite := r.kernel != nil && !slices.ContainsFunc(r.kernel, func(d model.DelegType) bool { return d != model.DelegWrite })
	switch r.offer.deleg {
	case model.DelegWrite:
		// A rule limited to OPENs the kernel gives a write delegation is
		// safe; otherwise it must exclude v4.0 and read-only opens itself.
		if kernelWrite {
			return nil
		}
		if r.minor == nil || slices.Contains(r.minor, 0) {
			return p.errf(n, field, "a write delegation to an NFSv4.0 client: nfsd cannot tell the holder's own GETATTR apart "+
				"(RFC 7530 §16.7.5; nfs4_open_delegation never grants one); add minor: [1, 2] or kernel: write")
		}
		if r.open == nil || slices.Contains(r.open, model.AccessRead) {
			return p.errf(n, field, "a write delegation for a read-only OPEN exceeds the open's access (RFC 8881 §18.16.3); "+
				"add open: [write, both] or kernel: write")
		}
	case model.DelegRead:
		if r.open == nil || slices.Contains(r.open, model.AccessWrite) {
			return p.errf(n, field, "a read delegation for an O_WRONLY OPEN: nfsd needs a readable file for it "+
				"(nfs4_set_delegation: find_readable_file); add open: [read, both]")
		}
	}
	return nil
}

var (
	modeNames = []string{"read", "write"}
)

func (p *parser) conflictRule(n *yaml.Node, path string) (conflictRule, error) {
	var r conflictRule
	f, err := p.fields(n, path, "access", "mode", "blocking", "holder", "recalling", "action")
	if err != nil {
		return r, err
	}
	kinds := model.AccessKindNames()
	allKinds := make([]model.AccessKind, len(kinds))
	for i := range kinds {
		allKinds[i] = model.AccessKind(i)
	}
	if v, ok := f["access"]; ok {
		if r.access, err = choices(p, v, path+".access", kinds, allKinds); err != nil {
			return r, err
		}
	}
	if v, ok := f["mode"]; ok {
		modes, err := choices(p, v, path+".mode", modeNames, []bool{false, true})
		if err != nil {
			return r, err
		}
		if len(modes) == 1 {
			r.write = &modes[0]
		}
		if r.write != nil && *r.write && only(r.access, model.AccessLocalStat) {
			return r, p.errf(v, path+".mode", "a local stat never writes: this rule could never match")
		}
	}
	if v, ok := f["blocking"]; ok {
		if !only(r.access, model.AccessLocalOpen) {
			return r, p.errf(v, path+".blocking", "only a local open can be non-blocking: give access: local-open")
		}
		b, err := p.boolean(v, path+".blocking")
		if err != nil {
			return r, err
		}
		nb := !*b
		r.nonBlock = &nb
	}
	if v, ok := f["holder"]; ok {
		if r.holder, err = choices(p, v, path+".holder", delegNames[1:], delegTypes[1:]); err != nil {
			return r, err
		}
		if only(r.holder, model.DelegRead) && r.write != nil && !*r.write {
			return r, p.errf(v, path+".holder", "a reader never conflicts with a read delegation (leases_conflict): this rule could never match")
		}
	}
	if v, ok := f["recalling"]; ok {
		if r.recalling, err = p.boolean(v, path+".recalling"); err != nil {
			return r, err
		}
	}
	v, ok := f["action"]
	if !ok {
		return r, p.errf(n, path+".action", "required (%s)", actionSyntax)
	}
	if r.action, err = p.action(v, path+".action", r.access); err != nil {
		return r, err
	}
	return r, nil
}

// only reports whether a match set is exactly one value.
func only[T comparable](set []T, v T) bool {
	return set != nil && !slices.ContainsFunc(set, func(x T) bool { return x != v })
}

const actionSyntax = "allow, recall-fail, deny, kernel, recall-wait BOUND, or cb-getattr BOUND then STEP [unanswered STEP], " +
	"where BOUND is a duration (30ms) or forever and STEP is allow, recall-fail, deny, kernel or recall-wait BOUND"

// action parses "recall-wait 30ms", "cb-getattr 30ms then kernel
// unanswered recall-fail" and the like.
func (p *parser) action(n *yaml.Node, field string, access []model.AccessKind) (action, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return action{}, err
	}
	toks := strings.Fields(s)
	bad := func(format string, args ...any) error {
		return p.errf(n, field, "%q: %s (allowed: %s)", s, fmt.Sprintf(format, args...), actionSyntax)
	}
	first, rest, err := p.step(toks, bad)
	if err != nil {
		return action{}, err
	}
	a := action{step: first}
	if first.kernel || first.act != model.ActCBGetattr {
		if len(rest) > 0 {
			return action{}, bad("unexpected %q", strings.Join(rest, " "))
		}
	} else {
		if len(rest) < 2 || rest[0] != "then" {
			return action{}, bad("cb-getattr needs \"then STEP\": what to do when the holder's answer shows data the server lacks")
		}
		if a.then, rest, err = p.step(rest[1:], bad); err != nil {
			return action{}, err
		}
		a.unanswered = a.then
		if len(rest) > 0 {
			if len(rest) < 2 || rest[0] != "unanswered" {
				return action{}, bad("unexpected %q", strings.Join(rest, " "))
			}
			if a.unanswered, rest, err = p.step(rest[1:], bad); err != nil {
				return action{}, err
			}
			if len(rest) > 0 {
				return action{}, bad("unexpected %q", strings.Join(rest, " "))
			}
		}
		for _, st := range []step{a.then, a.unanswered} {
			if !st.kernel && st.act == model.ActCBGetattr {
				return action{}, bad("a CB_GETATTR round cannot follow another")
			}
			if st.kernel && (access == nil || slices.Contains(access, model.AccessRemoteGetattr)) {
				return action{}, bad("after CB_GETATTR, \"kernel\" would be another CB_GETATTR round for a remote GETATTR (6.9+): " +
					"name the step, or give access without remote-getattr")
			}
		}
	}
	remote := access == nil || slices.ContainsFunc(access, func(k model.AccessKind) bool { return !k.IsLocal() })
	for _, st := range []step{a.step, a.then, a.unanswered} {
		if remote && !st.kernel && st.wait == model.Forever && st.act != model.ActAllow {
			return action{}, p.errf(n, field, "%q: a wait inside nfsd needs a bound: a remote access holds an nfsd thread while it waits "+
				"(nfsd_wait_for_delegreturn: the timeout prevents deadlock if all nfsd threads are tied up waiting); "+
				"give a duration, or limit access to local kinds", s)
		}
	}
	return a, nil
}

// step parses one step off toks and returns the tokens left.
func (p *parser) step(toks []string, bad func(string, ...any) error) (step, []string, error) {
	if len(toks) == 0 {
		return step{}, nil, bad("an action is missing")
	}
	name := toks[0]
	if name == "kernel" {
		return step{kernel: true}, toks[1:], nil
	}
	act, ok := model.ParseAction(name)
	if !ok {
		return step{}, nil, bad("unknown action %q", name)
	}
	st := step{act: act}
	if act != model.ActRecallWait && act != model.ActCBGetattr {
		return st, toks[1:], nil
	}
	if len(toks) < 2 {
		return step{}, nil, bad("%s needs a BOUND", name)
	}
	if toks[1] == "forever" {
		st.wait = model.Forever
		return st, toks[2:], nil
	}
	d, err := time.ParseDuration(toks[1])
	if err != nil || d <= 0 {
		return step{}, nil, bad("bound %q is not a positive duration (500us, 30ms, 1.5s) or forever", toks[1])
	}
	st.wait = d
	return st, toks[2:], nil
}
