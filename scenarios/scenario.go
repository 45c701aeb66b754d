package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/delegsim/delegsim/model"
)

// Scenario is a validated scenario, ready to build runs from.
type Scenario struct {
	Spec  Spec
	File  string
	lines map[string]int
	src   *Source // what it was decoded from, for With
	once  sync.Once
	comp  *compiled
}

// Name returns the scenario's name.
func (sc *Scenario) Name() string { return sc.Spec.Name }

func (sc *Scenario) errf(field, format string, args ...any) error {
	line, ok := sc.lines[field]
	if !ok {
		// The field was not written: report its parent's line.
		for p := field; p != "" && !ok; {
			i := strings.LastIndexAny(p, ".[")
			if i < 0 {
				break
			}
			p = p[:i]
			line, ok = sc.lines[p]
		}
	}
	if !ok {
		line = 1
	}
	// Line 0: the field's value came from a --set override.
	return &Error{File: sc.File, Line: line, Field: field, Msg: fmt.Sprintf(format, args...), Override: line == 0}
}

var clientOps = []model.OpKind{model.OpOpen, model.OpWrite, model.OpClose, model.OpFsync,
	model.OpStat, model.OpRead, model.OpSetattr, model.OpRemove, model.OpRename, model.OpLink, model.OpLookup}

var openFlags = []string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_TRUNC"}

// denyModes are the share deny values of an open (OPEN4_SHARE_DENY_*).
var denyModes = map[string]model.Access{"none": 0, "read": model.AccessRead, "write": model.AccessWrite, "both": model.AccessBoth}

// setAttrs are what a setattr may set.
var setAttrs = map[string]model.SetAttrs{"size": model.AttrSize, "mode": model.AttrMode, "times": model.AttrTimes}

// recallAnswers are a client's scripted answers to CB_RECALL.
var recallAnswers = map[string]model.RecallAnswer{
	"ok":                  model.LinuxRecallAnswer,
	"keep":                {Status: model.StatusOK},
	"none":                {Silent: true},
	"NFS4ERR_BADHANDLE":   {Status: model.NFS4ErrBadHandle},
	"NFS4ERR_BAD_STATEID": {Status: model.NFS4ErrBadStateid},
	"NFS4ERR_DELAY":       {Status: model.NFS4ErrDelay},
	"NFS4ERR_RESOURCE":    {Status: model.NFS4ErrResource},
}

func mapKeys[V any](m map[string]V) string { return strings.Join(sortedKeys(m), ", ") }

var versions = map[string]int{"4.0": 0, "4.1": 1, "4.2": 2}

func opNames(ks []model.OpKind) string {
	var s []string
	for _, k := range ks {
		s = append(s, k.String())
	}
	return strings.Join(s, ", ")
}

func localOps() []model.OpKind {
	var ks []model.OpKind
	for _, n := range model.OpKindNames() {
		if k, _ := model.ParseOpKind(n); k.IsLocal() {
			ks = append(ks, k)
		}
	}
	return ks
}

func (sc *Scenario) validate() error {
	s := &sc.Spec
	if s.Name == "" {
		return sc.errf("name", "required")
	}
	if s.Version != 1 {
		return sc.errf("version", "must be 1 (the only scenario format so far), got %d", s.Version)
	}
	if s.Profile != "" {
		if _, err := model.LookupProfile(s.Profile); err != nil {
			return sc.errf("profile", "%v", err)
		}
	}
	for i, p := range s.Profiles {
		if _, err := model.LookupProfile(p); err != nil {
			return sc.errf(fmt.Sprintf("profiles[%d]", i), "%v", err)
		}
	}
	if s.Policy != "" {
		if _, err := model.LookupPolicy(s.Policy, model.PolicyOptions{}); err != nil {
			return sc.errf("policy", "%v", err)
		}
	}
	files := map[string]bool{}
	dirs := 0
	for i, f := range s.Files {
		field := fmt.Sprintf("files[%d]", i)
		switch {
		case f.Name == "":
			return sc.errf(field+".name", "required")
		case files[f.Name]:
			return sc.errf(field+".name", "file %q declared twice", f.Name)
		case f.Size < 0:
			return sc.errf(field+".size", "must be >= 0, got %d", f.Size)
		case f.Dir && (f.Size != 0 || f.Aliased || f.Setuid):
			return sc.errf(field+".dir", "a directory takes no size, aliased or setuid")
		case f.Dir && dirs > 0:
			return sc.errf(field+".dir", "only one directory: every declared file lives in it")
		}
		if f.Dir {
			dirs++
		}
		files[f.Name] = true
	}
	actors := map[string]bool{"server": true}
	if err := sc.validateServer(); err != nil {
		return err
	}
	for i := range s.Clients {
		if err := sc.validateClient(i, files, actors); err != nil {
			return err
		}
	}
	for i := range s.Locals {
		if err := sc.validateLocal(i, files, actors); err != nil {
			return err
		}
	}
	if len(s.Clients)+len(s.Locals) == 0 {
		return sc.errf("clients", "a scenario needs at least one client or local process")
	}
	for i := range s.Expect {
		if err := sc.validateExpect(i, actors); err != nil {
			return err
		}
	}
	return nil
}

func (sc *Scenario) validateServer() error {
	// An absent lease means the profile's; a written one, even 0s, must
	// be one nfsd accepts (nfsd4_init_leases_net; docs/scenarios.md).
	_, written := sc.lines["server.lease"]
	if l := sc.Spec.Server.Lease; (l != 0 || written) && l.T() < 1e9 {
		return sc.errf("server.lease", "must be at least 1s, got %v", l.T())
	}
	return nil
}

func (sc *Scenario) name(field, name string, actors map[string]bool) error {
	switch {
	case name == "":
		return sc.errf(field, "required")
	case actors[name]:
		return sc.errf(field, "actor name %q used twice (or reserved)", name)
	case strings.ContainsAny(name, "#. ="):
		return sc.errf(field, "actor name %q may not contain '#', '.', '=' or spaces", name)
	}
	actors[name] = true
	return nil
}

func (sc *Scenario) validateClient(i int, files, actors map[string]bool) error {
	c := &sc.Spec.Clients[i]
	field := fmt.Sprintf("clients[%d]", i)
	if err := sc.name(field+".name", c.Name, actors); err != nil {
		return err
	}
	if _, ok := versions[c.Version]; !ok && c.Version != "" {
		return sc.errf(field+".version", "unknown NFS version %q (allowed: 4.0, 4.1, 4.2)", c.Version)
	}
	if c.CloseFlush != "" && c.CloseFlush != "full" && c.CloseFlush != "start" {
		return sc.errf(field+".close_flush", "unknown mode %q (allowed: full, start)", c.CloseFlush)
	}
	if !(c.Loss >= 0 && c.Loss <= 1) {
		return sc.errf(field+".loss", "must be a probability in [0, 1], got %v", c.Loss)
	}
	for j, w := range c.Partitions {
		if w.To != nil && *w.To < w.From {
			return sc.errf(fmt.Sprintf("%s.partitions[%d].to", field, j), "ends (%v) before it starts (%v)", w.To.T(), w.From.T())
		}
	}
	if c.ACRegMin != nil && c.ACRegMax != nil && *c.ACRegMax < *c.ACRegMin {
		return sc.errf(field+".acregmax", "must be at least acregmin (%v), got %v", c.ACRegMin.T(), c.ACRegMax.T())
	}
	if c.NoAC && (c.Actimeo != nil || c.ACRegMin != nil || c.ACRegMax != nil) {
		return sc.errf(field+".noac", "noac sets the attribute cache times to 0: leave out actimeo, acregmin and acregmax")
	}
	for j, a := range c.RecallAnswers {
		if _, ok := recallAnswers[a]; !ok {
			return sc.errf(fmt.Sprintf("%s.recall_answers[%d]", field, j), "unknown answer %q (allowed: %s)", a, mapKeys(recallAnswers))
		}
	}
	for _, l := range []struct {
		name string
		spec LinkSpec
	}{{"fore", c.Fore}, {"callback", c.Callback}} {
		if !(l.spec.Loss >= 0 && l.spec.Loss <= 1) {
			return sc.errf(field+"."+l.name+".loss", "must be a probability in [0, 1], got %v", l.spec.Loss)
		}
		for j, w := range l.spec.Partitions {
			if w.To != nil && *w.To < w.From {
				return sc.errf(fmt.Sprintf("%s.%s.partitions[%d].to", field, l.name, j), "ends (%v) before it starts (%v)", w.To.T(), w.From.T())
			}
		}
	}
	owners := map[string]bool{"": true}
	for j, st := range c.Script {
		sf := fmt.Sprintf("%s.script[%d]", field, j)
		k, ok := model.ParseOpKind(st.Op)
		if !ok || !slices.Contains(clientOps, k) {
			return sc.errf(sf+".op", "unknown client operation %q (allowed: %s)", st.Op, opNames(clientOps))
		}
		if !files[st.File] {
			return sc.errf(sf+".file", "file %q is not declared under files (declared: %s)", st.File, keys(files))
		}
		if err := sc.validateClientStep(sf, k, c, st, files); err != nil {
			return err
		}
		if !owners[st.Owner] {
			if len(owners) == model.MaxOwners {
				return sc.errf(sf+".owner", "at most %d open-owners per client besides the default", model.MaxOwners-1)
			}
			owners[st.Owner] = true
		}
		if st.Bytes < 0 {
			return sc.errf(sf+".bytes", "must be >= 0, got %d", st.Bytes)
		}
		if k == model.OpWrite && st.Bytes == 0 {
			return sc.errf(sf+".bytes", "a write needs bytes > 0")
		}
		if k != model.OpOpen && len(st.Flags) > 0 {
			return sc.errf(sf+".flags", "only open takes flags")
		}
		if k == model.OpOpen {
			acc, err := openAccess(st.Flags)
			if err != nil {
				return sc.errf(sf+".flags", "%v", err)
			}
			if slices.Contains(st.Flags, "O_TRUNC") && acc&model.AccessWrite == 0 {
				return sc.errf(sf+".flags", "O_TRUNC needs O_WRONLY or O_RDWR (nfsd4_truncate answers NFS4ERR_INVAL)")
			}
		}
	}
	return nil
}

// validateClientStep checks the fields that depend on the operation.
func (sc *Scenario) validateClientStep(sf string, k model.OpKind, c *ClientSpec, st ClientStep, files map[string]bool) error {
	isDir := sc.isDir(st.File)
	switch {
	case k == model.OpLookup && !isDir:
		return sc.errf(sf+".file", "lookup revalidates the directory: give the file declared with dir: true")
	case k != model.OpLookup && isDir:
		return sc.errf(sf+".op", "%s of the directory: only lookup takes it", st.Op)
	case st.To != "" && k != model.OpRename && k != model.OpLink:
		return sc.errf(sf+".to", "only rename and link take to")
	case k == model.OpLink && st.To == "":
		return sc.errf(sf+".to", "a link needs to: the new name")
	case st.To != "" && !files[st.To]:
		return sc.errf(sf+".to", "file %q is not declared under files (declared: %s)", st.To, keys(files))
	case st.To != "" && (st.To == st.File || sc.isDir(st.To)):
		return sc.errf(sf+".to", "must name another file than %q, not the directory", st.File)
	case st.Deny != "" && k != model.OpOpen:
		return sc.errf(sf+".deny", "only open takes deny")
	case st.Want != "" && k != model.OpOpen:
		return sc.errf(sf+".want", "only open takes want")
	case len(st.Set) > 0 && k != model.OpSetattr:
		return sc.errf(sf+".set", "only setattr takes set")
	case st.Size != nil && !slices.Contains(st.Set, "size"):
		return sc.errf(sf+".size", "size is the new size of a setattr with set: [size]")
	case st.Size != nil && *st.Size < 0:
		return sc.errf(sf+".size", "must be >= 0, got %d", *st.Size)
	}
	if _, ok := denyModes[st.Deny]; !ok && st.Deny != "" {
		return sc.errf(sf+".deny", "unknown deny mode %q (allowed: %s)", st.Deny, mapKeys(denyModes))
	}
	if st.Want != "" {
		if _, ok := model.ParseWant(st.Want); !ok {
			return sc.errf(sf+".want", "unknown want %q (allowed: %s)", st.Want, strings.Join(model.WantNames(), ", "))
		}
		if c.Version == "4.0" {
			return sc.errf(sf+".want", "want needs NFS 4.1 or later: nfsd answers a v4.0 OPEN with want bits NFS4ERR_BADXDR (nfsd4_decode_share_access)")
		}
	}
	for i, a := range st.Set {
		if _, ok := setAttrs[a]; !ok {
			return sc.errf(fmt.Sprintf("%s.set[%d]", sf, i), "unknown attribute %q (allowed: %s)", a, mapKeys(setAttrs))
		}
	}
	owned := []model.OpKind{model.OpOpen, model.OpClose, model.OpWrite, model.OpRead, model.OpFsync, model.OpSetattr}
	if st.Owner != "" && !slices.Contains(owned, k) {
		return sc.errf(sf+".owner", "only %s use an open-owner's descriptor", opNames(owned))
	}
	return nil
}

// isDir reports whether name is the scenario's directory.
func (sc *Scenario) isDir(name string) bool {
	for _, f := range sc.Spec.Files {
		if f.Name == name {
			return f.Dir
		}
	}
	return false
}

// openAccess turns open(2) flags into share access.
func openAccess(flags []string) (model.Access, error) {
	var acc model.Access
	modes := 0
	for _, f := range flags {
		switch f {
		case "O_RDONLY":
			acc, modes = model.AccessRead, modes+1
		case "O_WRONLY":
			acc, modes = model.AccessWrite, modes+1
		case "O_RDWR":
			acc, modes = model.AccessBoth, modes+1
		case "O_CREAT", "O_EXCL", "O_TRUNC":
		default:
			return 0, fmt.Errorf("unknown flag %q (allowed: %s)", f, strings.Join(openFlags, ", "))
		}
	}
	if modes != 1 {
		return 0, fmt.Errorf("give exactly one of O_RDONLY, O_WRONLY, O_RDWR (got %v)", flags)
	}
	return acc, nil
}

func keys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}

func (sc *Scenario) validateLocal(i int, files, actors map[string]bool) error {
	l := &sc.Spec.Locals[i]
	field := fmt.Sprintf("locals[%d]", i)
	if err := sc.name(field+".name", l.Name, actors); err != nil {
		return err
	}
	for j, st := range l.Script {
		sf := fmt.Sprintf("%s.script[%d]", field, j)
		k, ok := model.ParseOpKind(st.Op)
		if !ok || !k.IsLocal() {
			return sc.errf(sf+".op", "unknown local operation %q (allowed: %s)", st.Op, opNames(localOps()))
		}
		if err := sc.validateLocalStep(sf, k, st, files); err != nil {
			return err
		}
		if st.Bytes < 0 {
			return sc.errf(sf+".bytes", "must be >= 0, got %d", st.Bytes)
		}
		if st.Blocking && k != model.OpLsattr && k != model.OpLsattrV && k != model.OpChattr && k != model.OpNginx {
			return sc.errf(sf+".blocking", "only lsattr, lsattr-v, chattr and nginx open with O_NONBLOCK; %s already blocks", st.Op)
		}
		r := st.Retry
		if r.Attempts < 0 || r.Attempts > 1000 {
			return sc.errf(sf+".retry.attempts", "must be in [0, 1000], got %d", r.Attempts)
		}
		if !(r.Backoff >= 0 && r.Backoff <= 100) {
			return sc.errf(sf+".retry.backoff", "must be a factor in [0, 100], got %v", r.Backoff)
		}
	}
	return nil
}

// validateLocalStep checks the fields that depend on the operation.
func (sc *Scenario) validateLocalStep(sf string, k model.OpKind, st LocalStep, files map[string]bool) error {
	switch {
	case k == model.OpSleep && st.For <= 0:
		return sc.errf(sf+".for", "a sleep needs for > 0")
	case k != model.OpSleep && st.For != 0:
		return sc.errf(sf+".for", "only sleep takes for")
	case k == model.OpSleep && st.File != "":
		return sc.errf(sf+".file", "a sleep touches no file")
	case k != model.OpSleep && !files[st.File]:
		return sc.errf(sf+".file", "file %q is not declared under files (declared: %s)", st.File, keys(files))
	case k != model.OpSleep && sc.isDir(st.File):
		return sc.errf(sf+".file", "%q is the directory: local operations act on the files in it", st.File)
	case st.To != "" && k != model.OpLocalRename && k != model.OpLocalLink:
		return sc.errf(sf+".to", "only local-rename and local-link take to")
	case k == model.OpLocalLink && st.To == "":
		return sc.errf(sf+".to", "a link needs to: the new name")
	case st.To != "" && !files[st.To]:
		return sc.errf(sf+".to", "file %q is not declared under files (declared: %s)", st.To, keys(files))
	case st.To != "" && (st.To == st.File || sc.isDir(st.To)):
		return sc.errf(sf+".to", "must name another file than %q, not the directory", st.File)
	case st.Size != nil && k != model.OpTruncate:
		return sc.errf(sf+".size", "only truncate takes size")
	case st.Size != nil && *st.Size < 0:
		return sc.errf(sf+".size", "must be >= 0, got %d", *st.Size)
	}
	holders := []model.OpKind{model.OpCat, model.OpOpenRead, model.OpOpenWrite, model.OpNginx}
	if st.Hold != 0 && !slices.Contains(holders, k) {
		return sc.errf(sf+".hold", "only %s keep a descriptor to hold", opNames(holders))
	}
	if p := st.Poll; p != nil {
		switch {
		case k == model.OpSleep:
			return sc.errf(sf+".poll", "a sleep cannot poll")
		case st.Retry.Attempts > 0:
			return sc.errf(sf+".poll", "give poll or retry, not both")
		case !validResult(p.Until):
			return sc.errf(sf+".poll.until", "unknown result %q (allowed: %s)", p.Until, strings.Join(resultNames(), ", "))
		case p.Every <= 0:
			return sc.errf(sf+".poll.every", "must be > 0 (a loop needs a pause between tries)")
		}
	}
	return nil
}

func (sc *Scenario) validateExpect(i int, actors map[string]bool) error {
	e := &sc.Spec.Expect[i]
	field := fmt.Sprintf("expect[%d]", i)
	kinds := 0
	for _, set := range []bool{e.Op != "", e.Count != "", e.Finished != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return sc.errf(field, "give exactly one of op, count, finished")
	}
	for j, p := range e.Profiles {
		if _, err := model.LookupProfile(p); err != nil {
			return sc.errf(fmt.Sprintf("%s.profiles[%d]", field, j), "%v", err)
		}
	}
	for j, p := range e.Policies {
		if _, err := model.LookupPolicy(p, model.PolicyOptions{}); err != nil {
			return sc.errf(fmt.Sprintf("%s.policies[%d]", field, j), "%v", err)
		}
	}
	if e.Op != "" {
		actor, _, ok := strings.Cut(e.Op, "#")
		if !ok || !actors[actor] {
			return sc.errf(field+".op", "%q does not name an operation as ACTOR#N (actors: %s)", e.Op, keys(actors))
		}
		if e.Result != "" && !validResult(e.Result) {
			return sc.errf(field+".result", "unknown result %q (allowed: %s)", e.Result, strings.Join(resultNames(), ", "))
		}
		if e.Deleg != "" && !slices.Contains(delegNames(), e.Deleg) {
			return sc.errf(field+".deleg", "unknown delegation type %q (allowed: %s)", e.Deleg, strings.Join(delegNames(), ", "))
		}
		if e.Why != "" && !slices.Contains(whyNames(), e.Why) {
			return sc.errf(field+".why", "unknown reason %q (allowed: %s)", e.Why, strings.Join(whyNames(), ", "))
		}
	}
	if e.Count != "" {
		if _, ok := model.ParseEventKind(e.Count); !ok {
			if _, ok := model.ParseMsgKind(e.Count); !ok {
				return sc.errf(field+".count", "unknown event or message %q (events: %s; or a message such as CB_RECALL, OPEN)", e.Count, strings.Join(eventNames(), ", "))
			}
		}
		if e.Eq == nil && e.Min == nil && e.Max == nil {
			return sc.errf(field, "count needs eq, min or max")
		}
	}
	return nil
}

func resultNames() []string {
	var out []string
	for s := model.StatusOK; s.String() != fmt.Sprintf("status(%d)", uint8(s)); s++ {
		out = append(out, s.String())
	}
	return out
}

func validResult(r string) bool { return slices.Contains(resultNames(), r) }

// parseResult returns the status named r ("ok", "EAGAIN").
func parseResult(r string) (model.Status, bool) {
	i := slices.Index(resultNames(), r)
	return model.Status(max(i, 0)), i >= 0
}

func eventNames() []string {
	var out []string
	for k := 0; k < model.EventKindCount; k++ {
		out = append(out, model.EventKind(k).String())
	}
	return out
}

func delegNames() []string {
	var out []string
	for d := model.DelegNone; d <= model.DelegWriteAttrs; d++ {
		out = append(out, d.String())
	}
	return out
}

func whyNames() []string {
	var out []string
	for w := model.WhyNotWanted; w <= model.WhyCancelled; w++ {
		out = append(out, w.String())
	}
	return out
}
