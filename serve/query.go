package serve

import (
	"net/url"
	"strings"
)

// The page's URL names the run and the path, so that a link opens the
// same state: ?scenario=bz219278&policy=kernel&profile=linux-6.12&seed=1
// &path=timer c1 script/0;deliver c1->server fore;... (one set= per --set
// override, max_delay= for the explorer's delay bound, zero_min_delay=1
// for the coarser model: see Run). /api/schedule
// takes the same query. Steps are separated by ';', which no step's text
// holds.

// pathSep separates the steps of a path in a URL.
const pathSep = ";"

// pathFromQuery reads a run and its path from a URL query.
func pathFromQuery(q url.Values) (PathRequest, error) {
	req := PathRequest{Run: Run{Scenario: q.Get("scenario"), Policy: q.Get("policy"), Profile: q.Get("profile"),
		Seed: q.Get("seed"), Sets: q["set"], MaxDelay: q.Get("max_delay")}, Steps: []string{}}
	switch z := q.Get("zero_min_delay"); z {
	case "", "0", "false":
	case "1", "true":
		req.Run.ZeroMinDelay = true
	default:
		return req, badRequest("zero_min_delay=%q: 1 or 0", z)
	}
	if req.Run.Scenario == "" {
		return req, badRequest("the query names no scenario (scenario=NAME)")
	}
	if p := q.Get("path"); p != "" {
		if n := strings.Count(p, pathSep) + 1; n > MaxSteps {
			return req, badRequest("a path of %d steps, more than the server's bound of %d", n, MaxSteps)
		}
		req.Steps = strings.Split(p, pathSep)
	}
	return req, nil
}
