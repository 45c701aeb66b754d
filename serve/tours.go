package serve

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"path"
	"strings"

	"github.com/delegsim/delegsim/explore"
)

//go:embed tours/*.sched
var tourFiles embed.FS

// Tour is a guided path: the tutorial's steps (docs/tutorial.md) as a
// saved path with captions. A tour file is a schedule, so `delegsim run
// SCENARIO --schedule FILE` replays it too; lines the schedule parser
// takes as comments carry the rest:
//
//	#tour TITLE           the tour's title
//	#about TEXT           what it shows, before the first step
//	#> TEXT               a caption, shown once the next step is taken
//	#expect OP RESULT     how an operation ends on the tour's path (checked by the tests)
type Tour struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	About string   `json:"about"`
	Run   Run      `json:"run"`
	Steps []string `json:"steps"`
	// Captions[i] narrates step i (0-based) of Steps; "" where there is
	// none.
	Captions []string `json:"captions"`
	Expect   []string `json:"-"`
}

func loadTours() ([]Tour, error) {
	ents, err := tourFiles.ReadDir("tours")
	if err != nil {
		return nil, err
	}
	var tours []Tour
	for _, e := range ents {
		name := path.Join("tours", e.Name())
		data, err := tourFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		t, err := parseTour(name, data)
		if err != nil {
			return nil, err
		}
		tours = append(tours, t)
	}
	return tours, nil
}

// parseTour reads a tour file.
func parseTour(name string, data []byte) (Tour, error) {
	sch, err := explore.ParseSchedule(name, data)
	if err != nil {
		return Tour{}, err
	}
	st := startOf(sch)
	t := Tour{ID: strings.TrimSuffix(path.Base(name), ".sched"), Run: st.Run, Steps: st.Steps,
		Captions: make([]string, len(st.Steps))}
	var caption []string
	step := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(text, "#tour "):
			t.Title = strings.TrimSpace(strings.TrimPrefix(text, "#tour "))
		case strings.HasPrefix(text, "#about "):
			t.About = strings.TrimSpace(t.About + " " + strings.TrimPrefix(text, "#about "))
		case strings.HasPrefix(text, "#> "):
			caption = append(caption, strings.TrimPrefix(text, "#> "))
		case strings.HasPrefix(text, "#expect "):
			t.Expect = append(t.Expect, strings.TrimPrefix(text, "#expect "))
		case text == "" || strings.HasPrefix(text, "#"):
		case isStep(text):
			if step >= len(t.Steps) {
				return Tour{}, fmt.Errorf("tour %s:%d: more steps than the schedule parser found", name, line)
			}
			t.Captions[step] = strings.Join(caption, " ")
			caption = nil
			step++
		}
	}
	switch {
	case t.Title == "":
		return Tour{}, fmt.Errorf("tour %s: no #tour TITLE line", name)
	case len(caption) > 0:
		return Tour{}, fmt.Errorf("tour %s: a caption after the last step", name)
	}
	return t, nil
}

// isStep reports whether a schedule line is a step (not a header line).
func isStep(line string) bool {
	f := strings.Fields(line)
	switch f[0] {
	case "deliver", "lose", "timer", "crash", "wait":
		return true
	}
	return false
}
