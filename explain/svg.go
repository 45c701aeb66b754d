package explain

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
)

//go:embed diagram.svg
var svgSource string

var svgDiagram = withDiagramCSS(template.Must(template.New("diagram.svg").Funcs(template.FuncMap{"n": num}).Parse(svgSource)))

// svgID is what WriteSVG accepts as an element id: it is also written
// into a url(#...) reference, so it stays a plain name.
var svgID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// WriteSVG writes the sequence diagram alone, as one <svg> element with
// its styles inside, for embedding in another page (delegsim serve draws
// each path with it, delegsim report each counterexample), laid out once
// for all (WriteHTML's page lays its diagram out for the window instead,
// with its script, by the same rules): a lane per participant; a row per
// step (a <rect class="row" data-i="N"> titled with what happened and
// why), as tall as the labels it holds need, so that no two labels
// overlap; the arrows and notes of each step (data-row="N"), labels cut
// to a width with the full text in the arrow's <title>; messages between
// a client and the server drawn through the network lane, down a column
// of their own while in flight, labelled with their delay. id names the
// element and prefixes the id of its arrowhead marker, so that several
// diagrams can share a page.
func (st *Story) WriteSVG(w io.Writer, id string) error {
	if !svgID.MatchString(id) {
		return fmt.Errorf("explain %s: svg id %q is not a letter followed by letters, digits, '-' or '_'", st.Scenario, id)
	}
	data := struct {
		ID string
		diagram
	}{id, st.layout()}
	var b strings.Builder
	if err := svgDiagram.Execute(&b, data); err != nil {
		return fmt.Errorf("explain %s: svg: %w", st.Scenario, err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
