package serve

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/internal/version"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

//go:embed assets
var assets embed.FS

// Options configure a Server.
type Options struct {
	// Scenario is the scenario the page opens with: a built-in name, or a
	// scenario file, which the picker then offers besides the built-ins.
	// "" opens bz219278.
	Scenario string
	// Sets are --set overrides for the scenario the page opens with.
	Sets []string
	// Schedule, if set, is a path (from `delegsim explore --out`, or
	// saved from the page) the page opens with.
	Schedule *explore.Schedule
	// Log receives one line per failed request; nil discards them.
	Log io.Writer
}

// DefaultScenario is the scenario the page opens with when none is given.
const DefaultScenario = "bz219278"

// Server serves the page and its JSON API. Its state is fixed at start:
// each request carries the whole path it is about, so any number of tabs
// and shared links work at once and nothing accumulates.
type Server struct {
	file     string // the scenario file given at start, if any
	fileName string // its scenario's name
	start    Start
	tours    []Tour
	log      *log.Logger
	// slots bounds the requests expanding states at once, so that a burst
	// of requests queues instead of starving the machine.
	slots chan struct{}
	mux   *http.ServeMux
}

// Start is the path the page opens with when its URL names none.
type Start struct {
	Run   Run      `json:"run"`
	Steps []string `json:"steps"`
}

// New prepares a server. A scenario file or schedule that does not load
// is an error here, before anything listens.
func New(o Options) (*Server, error) {
	s := &Server{log: log.New(io.Discard, "", 0), slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if o.Log != nil {
		s.log = log.New(o.Log, "delegsim serve: ", 0)
	}
	name := o.Scenario
	if name == "" {
		name = DefaultScenario
	}
	sc, err := scenarios.Load(name, o.Sets)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(scenarios.Names(), name) {
		s.file, s.fileName = name, sc.Name()
	}
	s.start = Start{Run: Run{Scenario: sc.Name(), Sets: o.Sets}, Steps: []string{}}
	if sch := o.Schedule; sch != nil {
		if sch.Scenario != sc.Name() {
			return nil, fmt.Errorf("%w: the schedule was recorded for scenario %s, not %s", scenarios.ErrInvalid, sch.Scenario, sc.Name())
		}
		if !slices.Equal(sch.Sets, o.Sets) {
			return nil, fmt.Errorf("%w: the schedule was recorded with overrides [%s], not [%s]: pass the same --set flags",
				scenarios.ErrInvalid, strings.Join(sch.Sets, " "), strings.Join(o.Sets, " "))
		}
		s.start = startOf(sch)
	}
	if s.tours, err = loadTours(); err != nil {
		return nil, err
	}
	if _, err := s.build(s.start.Run); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// startOf is the path a schedule describes.
func startOf(sch *explore.Schedule) Start {
	st := Start{Run: Run{Scenario: sch.Scenario, Policy: sch.Policy, Profile: sch.Profile,
		Seed: fmt.Sprint(sch.Seed), Sets: sch.Sets, ZeroMinDelay: !sch.MinDelay}, Steps: []string{}}
	if sch.MaxDelay > 0 {
		st.Run.MaxDelay = sch.MaxDelay.String()
	}
	for _, step := range sch.Steps {
		st.Steps = append(st.Steps, step.Text)
	}
	return st
}

// scenarioArg maps a scenario name from a request to what scenarios.Load
// takes: a built-in's name, or the file given at start. Nothing else: a
// request never names a path.
func (s *Server) scenarioArg(name string) (string, bool) {
	if s.file != "" && name == s.fileName {
		return s.file, true
	}
	if slices.Contains(scenarios.Names(), name) {
		return name, true
	}
	return "", false
}

func (s *Server) scenarioNames() []string {
	names := scenarios.Names()
	if s.file != "" && !slices.Contains(names, s.fileName) {
		names = append(names, s.fileName)
	}
	return names
}

// Handler returns the server's handler: the page, its assets and the
// API, behind the checks of guard.
func (s *Server) Handler() http.Handler { return s.guard(s.mux) }

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	s.mux.Handle("GET /", http.FileServerFS(static))
	s.mux.HandleFunc("GET /api/catalog", s.catalog)
	s.mux.HandleFunc("POST /api/path", s.path)
	s.mux.HandleFunc("POST /api/open", s.open)
	s.mux.HandleFunc("GET /api/schedule", s.schedule)
}

// Catalog is what the page's pickers offer, and the version of delegsim
// serving it (internal/version), which the page shows.
type Catalog struct {
	Version   string          `json:"delegsim_version"`
	Scenarios []ScenarioEntry `json:"scenarios"`
	Policies  []string        `json:"policies"`
	Profiles  []string        `json:"profiles"`
	Tours     []Tour          `json:"tours"`
	Start     Start           `json:"start"`
	Bounds    map[string]int  `json:"bounds"`
}

// ScenarioEntry is one scenario of the picker.
type ScenarioEntry struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	File        string `json:"file,omitempty"` // the file it was loaded from, for the one given at start
}

func (s *Server) catalog(w http.ResponseWriter, r *http.Request) {
	c := Catalog{Version: version.String(), Policies: model.PolicyNames(), Profiles: model.ProfileNames(), Tours: s.tours, Start: s.start,
		Bounds: map[string]int{"steps": MaxSteps, "walk": MaxWalk}}
	for _, name := range s.scenarioNames() {
		arg, _ := s.scenarioArg(name)
		e := ScenarioEntry{Name: name}
		if sc, err := scenarios.Load(arg, nil); err == nil {
			e.Description = sc.Spec.Description
		}
		if arg != name {
			e.File = arg
		}
		c.Scenarios = append(c.Scenarios, e)
	}
	writeJSON(w, http.StatusOK, c)
}

// PathRequest asks for the view of a path.
type PathRequest struct {
	Run   Run      `json:"run"`
	Steps []string `json:"steps"`
	// Walk, if positive, extends the path by up to that many transitions
	// drawn at random with WalkSeed (stopping where the run ends or an
	// invariant breaks).
	Walk     int    `json:"walk,omitempty"`
	WalkSeed uint64 `json:"walk_seed,omitempty"`
	// Compare, if set, names a second policy: the response's Other is the
	// same path under it, followed as far as it can be.
	Compare string `json:"compare,omitempty"`
}

// PathResponse is the view of a path, and of the same path under a
// second policy when one was asked for, with the version of delegsim
// that computed them.
type PathResponse struct {
	Version string `json:"delegsim_version"`
	*View
	Other *View `json:"other,omitempty"`
	// Differs is the first path step whose outcome differs between the
	// two policies (what moved, or whether it could be taken at all); -1
	// if none does.
	Differs int `json:"differs"`
}

func (s *Server) path(w http.ResponseWriter, r *http.Request) {
	var req PathRequest
	if !s.decode(w, r, &req) {
		return
	}
	resp, err := s.answer(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// answer computes the view of a request's path within the bounds.
func (s *Server) answer(ctx context.Context, req PathRequest) (*PathResponse, error) {
	steps := len(req.Steps) + max(req.Walk, 0)
	if req.Compare != "" {
		steps += len(req.Steps) + max(req.Walk, 0)
	}
	switch {
	case req.Walk < 0 || req.Walk > MaxWalk:
		return nil, badRequest("walk %d: a random walk takes 0 to %d steps", req.Walk, MaxWalk)
	case steps > MaxSteps:
		return nil, badRequest("the request would expand %d states, more than the server's bound of %d", steps, MaxSteps)
	}
	for _, st := range req.Steps {
		if len(st) > MaxText {
			return nil, badRequest("a step of %d bytes, at most %d", len(st), MaxText)
		}
	}
	if req.Compare != "" && len(req.Compare) > MaxText {
		return nil, badRequest("compare: a policy name of %d bytes", len(req.Compare))
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	b, err := s.build(req.Run)
	if err != nil {
		return nil, err
	}
	wk := b.walk(req.Steps)
	if req.Walk > 0 && wk.diverged == nil {
		rng := rand.New(rand.NewPCG(req.WalkSeed, 0x5e1ec7))
		if err := wk.randomWalk(req.Walk, func(n int) int { return rng.IntN(n) }); err != nil {
			return nil, err
		}
	}
	v, err := wk.view()
	if err != nil {
		return nil, err
	}
	resp := &PathResponse{Version: version.String(), View: v, Differs: -1}
	if req.Compare == "" {
		return resp, nil
	}
	run := b.run
	run.Policy = req.Compare
	ob, err := s.build(run)
	if err != nil {
		return nil, err
	}
	path := make([]string, len(v.Steps))
	for i, st := range v.Steps {
		path[i] = st.Text
	}
	if resp.Other, err = ob.walk(path).view(); err != nil {
		return nil, err
	}
	resp.Differs = differs(v.Steps, resp.Other.Steps)
	return resp, nil
}

// differs returns the first step whose note (what moved) differs between
// two paths, or at which one of them stopped; -1 if none.
func differs(a, b []PathStep) int {
	for i := range a {
		if i >= len(b) || a[i].Note != b[i].Note {
			return i
		}
	}
	return -1
}

// OpenRequest carries a schedule file's text.
type OpenRequest struct {
	Name string `json:"name"` // the file's name, for errors
	Text string `json:"text"`
}

// open parses a schedule a person opens in the page (a counterexample
// from `delegsim explore --out`, or a path saved from the page) and
// returns the path it describes, which the page then asks for.
func (s *Server) open(w http.ResponseWriter, r *http.Request) {
	var req OpenRequest
	if !s.decode(w, r, &req) {
		return
	}
	name := req.Name
	if name == "" || len(name) > MaxText {
		name = "schedule"
	}
	sch, err := explore.ParseSchedule(name, []byte(req.Text))
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: %w", errBadRequest, err))
		return
	}
	if _, ok := s.scenarioArg(sch.Scenario); !ok {
		s.fail(w, r, badRequest("schedule %s: scenario %q is not one this server offers (%s); start `delegsim serve FILE` with its scenario file",
			name, sch.Scenario, strings.Join(s.scenarioNames(), ", ")))
		return
	}
	writeJSON(w, http.StatusOK, startOf(sch))
}

// schedule serves a path as a schedule file to save. The query holds the
// run and the path as the page's URL does (see pathFromQuery).
func (s *Server) schedule(w http.ResponseWriter, r *http.Request) {
	req, err := pathFromQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.answer(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if resp.Diverged != nil {
		s.fail(w, r, badRequest("step %d (%q) is not enabled: %s", resp.Diverged.At+1, resp.Diverged.Step, resp.Diverged.Reason))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.sched"`, safeFileName(resp.Run.Scenario)))
	io.WriteString(w, resp.Schedule)
}

// safeFileName keeps letters, digits, '-', '_' and '.' of a name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// decode reads a request's JSON body, strictly.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.fail(w, r, fmt.Errorf("%w: Content-Type %q, want application/json", errUnsupported, ct))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, r, fmt.Errorf("%w: the body is larger than %d bytes", errTooLarge, MaxBody))
			return false
		}
		s.fail(w, r, badRequest("the body is not the JSON expected: %v", err))
		return false
	}
	if dec.More() {
		s.fail(w, r, badRequest("the body holds more than one JSON value"))
		return false
	}
	return true
}

var (
	errTooLarge    = errors.New("request too large")
	errUnsupported = errors.New("unsupported media type")
	errForbidden   = errors.New("forbidden")
)

// fail answers with an error as JSON: 400 for a bad request, 403, 413 and
// 415 for what guard and decode refuse, 500 otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, errBadRequest), errors.Is(err, scenarios.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, errForbidden):
		code = http.StatusForbidden
	case errors.Is(err, errTooLarge):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, errUnsupported):
		code = http.StatusUnsupportedMediaType
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = http.StatusServiceUnavailable
	}
	s.log.Printf("%s %s: %d %v", r.Method, r.URL.Path, code, err)
	msg := err.Error()
	for _, prefix := range []string{errBadRequest.Error() + ": ", "explore: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}
