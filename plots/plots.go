// Package plots draws the figures of a sweep (package sweep) with
// gonum/plot, as PNG and SVG:
//
//   - fail: the failure probability of each server-local operation (and of
//     all of them in the same trial) against the first varied parameter,
//     one line per policy, with the Wilson 95% interval shaded;
//   - latency: each local operation's p50, p90 and p99 latency against the
//     parameter;
//   - stale: the rate of trials with a stale read (or another consistency
//     violation) against the parameter, with its interval;
//   - cost: a bar chart of what each policy costs per trial: client RPCs,
//     extra RPCs relative to no-write-deleg, CB_RECALLs, CB_GETATTRs and
//     delegations granted.
//
// Titles name the scenario and the kernel profile; axes carry units; the
// legend sits beside the panels, never over a curve. When a sweep varies
// more than one parameter, the line figures are drawn once per
// combination of the other parameters' values (fail-1, fail-2, ...).
package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/delegsim/delegsim/sweep"
)

// Figure names: each is written as NAME.png and NAME.svg.
const (
	Fail    = "fail"
	Latency = "latency"
	Stale   = "stale"
	Cost    = "cost"
	// FailByPolicy and LatencyByPolicy repeat fail and latency with one
	// panel per policy, drawn when two policies' curves coincide there
	// (kernel and seed-getattr-exempt on bz219278): nested strokes tell
	// coinciding curves apart, but one panel each leaves no doubt.
	FailByPolicy    = "fail-by-policy"
	LatencyByPolicy = "latency-by-policy"
)

// Options choose how the figures are drawn.
type Options struct {
	// LogLatency draws latency on a logarithmic axis: a policy that waits
	// seconds and one that answers in microseconds then both stay
	// readable. Latencies of 0 are drawn at LogFloorMs.
	LogLatency bool
}

// LogFloorMs is where a log-scale latency axis starts: the resolution of
// results.csv's latencies (a microsecond).
const LogFloorMs = 0.001

// MaxCombos bounds the sets of line figures drawn for a grid of more than
// one parameter; results.csv has every point regardless.
const MaxCombos = 12

// WriteAll draws every figure of res into dir and returns the paths of
// the files written. The stale figure is left out when the sweep did not
// check consistency.
func WriteAll(dir string, res *sweep.Results) ([]string, error) {
	return WriteAllOptions(dir, res, Options{})
}

// WriteAllOptions is WriteAll with drawing options.
func WriteAllOptions(dir string, res *sweep.Results, o Options) ([]string, error) {
	var paths []string
	save := func(f *figure, name string) error {
		ps, err := f.save(dir, name)
		paths = append(paths, ps...)
		return err
	}
	combos := combinations(res)
	for i, c := range combos {
		if i == MaxCombos {
			break
		}
		suffix := ""
		if len(combos) > 1 {
			suffix = fmt.Sprintf("-%d", i+1)
		}
		if err := save(failFigure(res, c), Fail+suffix); err != nil {
			return paths, err
		}
		if overlapping(res, c, failMetrics(&res.Meta), 0.005, false) {
			if err := save(failByPolicyFigure(res, c), FailByPolicy+suffix); err != nil {
				return paths, err
			}
		}
		if err := save(latencyFigure(res, c, o), Latency+suffix); err != nil {
			return paths, err
		}
		if overlapping(res, c, latencyMetrics(&res.Meta), 0.01, true) {
			if err := save(latencyByPolicyFigure(res, c, o), LatencyByPolicy+suffix); err != nil {
				return paths, err
			}
		}
		if res.Meta.Consistency != sweep.ConsistencyNone {
			if err := save(staleFigure(res, c), Stale+suffix); err != nil {
				return paths, err
			}
		}
	}
	if err := save(costFigure(res), Cost); err != nil {
		return paths, err
	}
	return paths, nil
}

// combo is the rows that share the values of every varied parameter but
// the first, which is the x axis.
type combo struct {
	label string // "retry.attempts=2", "" for a one-parameter grid
	rows  []sweep.Row
}

func combinations(res *sweep.Results) []combo {
	vs := res.Meta.VaryParams()
	var out []combo
	index := map[string]int{}
	for _, r := range res.Rows {
		var parts []string
		for k := 1; k < len(vs) && k < len(r.X); k++ {
			parts = append(parts, fmt.Sprintf("%s=%g%s", vs[k].Path, r.X[k], vs[k].Unit))
		}
		key := strings.Join(parts, " ")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, combo{label: key})
		}
		out[i].rows = append(out[i].rows, r)
	}
	if len(out) == 0 {
		out = append(out, combo{})
	}
	return out
}

// xLabel names the x axis: what the parameter is, its path and unit.
func xLabel(m *sweep.Meta) string {
	vs := m.VaryParams()
	if len(vs) == 0 {
		return "(no --vary: a single grid point)"
	}
	v := vs[0]
	if d := describe(v.Path); d != "" && v.Template == "{}" {
		unit := ""
		if v.Unit != "" {
			unit = " (" + v.Unit + ")"
		}
		return d + " — " + v.Path + unit
	}
	return v.Label()
}

func subtitle(m *sweep.Meta, what string, c combo) string {
	parts := []string{fmt.Sprintf("%d trials per point and policy, seed %d", m.Trials, m.Seed)}
	if what != "" {
		parts = append(parts, what)
	}
	if len(m.Sets) > 0 {
		parts = append(parts, "--set "+strings.Join(m.Sets, " "))
	}
	if c.label != "" {
		parts = append(parts, c.label)
	}
	if !m.Complete {
		parts = append(parts, "INCOMPLETE: interrupted or partial")
	}
	return strings.Join(parts, "; ")
}

// curve is one policy's values along x.
type curve struct {
	x, y, lo, hi []float64
}

// curves collects, per policy, the values get picks from each row,
// sorted by x. Rows whose value is NaN are left out.
func curves(m *sweep.Meta, rows []sweep.Row, get func(*sweep.Row) sweep.Rate) map[string]*curve {
	out := map[string]*curve{}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b sweep.Row) int { return cmpX(a, b) })
	for i := range sorted {
		r := &sorted[i]
		v := get(r)
		if math.IsNaN(v.P) {
			continue
		}
		c := out[r.Policy]
		if c == nil {
			c = &curve{}
			out[r.Policy] = c
		}
		x := 0.0
		if len(r.X) > 0 {
			x = r.X[0]
		}
		c.x, c.y, c.lo, c.hi = append(c.x, x), append(c.y, v.P), append(c.lo, v.Lo), append(c.hi, v.Hi)
	}
	return out
}

func cmpX(a, b sweep.Row) int {
	if len(a.X) == 0 || len(b.X) == 0 {
		return a.Point - b.Point
	}
	switch {
	case a.X[0] < b.X[0]:
		return -1
	case a.X[0] > b.X[0]:
		return 1
	}
	return 0
}

// drawCurves adds the policies' curves to p: first every shaded
// interval, then the lines, the first policy widest and lowest.
func drawCurves(p *plot.Plot, pols []string, cs map[string]*curve, bands bool) {
	if bands {
		// Coinciding curves have coinciding intervals: shade each distinct
		// interval once (grey when policies share it), or the overlap
		// darkens into a band no curve has.
		same := func(a, b *curve) bool {
			return slices.Equal(a.x, b.x) && slices.Equal(a.lo, b.lo) && slices.Equal(a.hi, b.hi)
		}
		var drawn []*curve
		for i, pol := range pols {
			c := cs[pol]
			if c == nil || len(c.x) < 2 || math.IsNaN(c.lo[0]) || slices.ContainsFunc(drawn, func(d *curve) bool { return same(c, d) }) {
				continue
			}
			drawn = append(drawn, c)
			col := styleOf(pol, i).color
			for _, other := range pols[i+1:] {
				if o := cs[other]; o != nil && same(c, o) {
					col = color.RGBA{120, 120, 120, 255}
					break
				}
			}
			col.A = 45
			var pts plotter.XYs
			for k := range c.x {
				pts = append(pts, plotter.XY{X: c.x[k], Y: c.lo[k]})
			}
			for k := len(c.x) - 1; k >= 0; k-- {
				pts = append(pts, plotter.XY{X: c.x[k], Y: c.hi[k]})
			}
			poly, err := plotter.NewPolygon(pts)
			if err != nil {
				continue
			}
			poly.Color = straightAlpha(col)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	for i, pol := range pols {
		c := cs[pol]
		if c == nil || len(c.x) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(c.x))
		for k := range c.x {
			pts[k] = plotter.XY{X: c.x[k], Y: c.y[k]}
		}
		line, sc := lineAndGlyphs(pol, i, len(pols))
		line.XYs, sc.XYs = pts, pts
		p.Add(line, sc)
	}
}

func lineAndGlyphs(pol string, i, n int) (*plotter.Line, *plotter.Scatter) {
	st := styleOf(pol, i)
	line := &plotter.Line{}
	line.LineStyle = draw.LineStyle{Color: st.color, Width: lineWidth(i, n), Dashes: st.dash}
	sc := &plotter.Scatter{}
	sc.GlyphStyle = draw.GlyphStyle{Color: st.color, Radius: glyphRadius(i, n), Shape: st.glyph}
	return line, sc
}

func policyLegend(pols []string) plot.Legend {
	l := newLegend()
	for i, pol := range pols {
		line, sc := lineAndGlyphs(pol, i, len(pols))
		l.Add(pol, line, sc)
	}
	return l
}

// opTitle names an operation for a panel: "first lsattr (l1#1)".
func opTitle(ops []sweep.OpMeta, i int) string {
	op := ops[i]
	actor, _, _ := strings.Cut(op.Name, "#")
	n, k := 0, 0
	for j, o := range ops {
		if a, _, _ := strings.Cut(o.Name, "#"); a == actor {
			n++
			if j <= i {
				k++
			}
		}
	}
	if n == 1 {
		return fmt.Sprintf("%s (%s)", op.Kind, op.Name)
	}
	return fmt.Sprintf("%s %s (%s)", ordinal(k), op.Kind, op.Name)
}

func ordinal(k int) string {
	words := []string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"}
	if k >= 1 && k <= len(words) {
		return words[k-1]
	}
	return fmt.Sprintf("#%d", k)
}

// wrap lays panels out in rows of at most cols.
func wrap(ps []*plot.Plot, cols int) [][]*plot.Plot {
	var out [][]*plot.Plot
	for len(ps) > 0 {
		n := min(cols, len(ps))
		out = append(out, ps[:n])
		ps = ps[n:]
	}
	return out
}

// metric is one panel's quantity: a title and the value of a row.
type metric struct {
	title, short string // short: for a y axis, "l1#1", "all"
	get          func(*sweep.Row) sweep.Rate
}

// failMetrics are the fail figure's panels: each local operation, and all
// of them together when there are several.
func failMetrics(m *sweep.Meta) []metric {
	var out []metric
	for i := range m.Ops {
		out = append(out, metric{opTitle(m.Ops, i) + " fails", m.Ops[i].Name, func(r *sweep.Row) sweep.Rate { return r.Ops[i].Fail }})
	}
	if len(m.Ops) > 1 {
		names := make([]string, len(m.Ops))
		for i, o := range m.Ops {
			names[i] = o.Name
		}
		t := "all local operations fail (" + strings.Join(names, " and ") + ")"
		if len(m.Ops) > 2 {
			t = fmt.Sprintf("all %d local operations fail", len(m.Ops))
		}
		out = append(out, metric{t, "all", func(r *sweep.Row) sweep.Rate { return r.All }})
	}
	return out
}

// latencyMetrics are each local operation's latency percentiles.
func latencyMetrics(m *sweep.Meta) []metric {
	var out []metric
	for _, pc := range percentiles {
		for i := range m.Ops {
			out = append(out, metric{opTitle(m.Ops, i) + ": " + pc.name, m.Ops[i].Name, func(r *sweep.Row) sweep.Rate {
				return sweep.Rate{P: pc.get(r.Ops[i]), Lo: math.NaN(), Hi: math.NaN()}
			}})
		}
	}
	return out
}

var percentiles = []struct {
	name string
	get  func(o sweep.OpStats) float64
}{
	{"p50", func(o sweep.OpStats) float64 { return o.P50 }},
	{"p90", func(o sweep.OpStats) float64 { return o.P90 }},
	{"p99", func(o sweep.OpStats) float64 { return o.P99 }},
}

// overlapping reports whether, in some panel of metrics, two policies'
// curves coincide: the same points, values within tol (relative to the
// larger value if relative is set).
func overlapping(res *sweep.Results, c combo, ms []metric, tol float64, relative bool) bool {
	pols := res.Meta.Policies
	for _, mt := range ms {
		cs := curves(&res.Meta, c.rows, mt.get)
		for i, a := range pols {
			for _, b := range pols[i+1:] {
				if ca, cb := cs[a], cs[b]; ca != nil && cb != nil && len(ca.x) > 0 && coincide(ca, cb, tol, relative) {
					return true
				}
			}
		}
	}
	return false
}

func coincide(a, b *curve, tol float64, relative bool) bool {
	if !slices.Equal(a.x, b.x) {
		return false
	}
	for k := range a.y {
		d, scale := math.Abs(a.y[k]-b.y[k]), 1.0
		if relative {
			scale = math.Max(math.Abs(a.y[k]), math.Abs(b.y[k]))
		}
		if d > tol*scale {
			return false
		}
	}
	return true
}

// noteEmpty marks a panel with no data, so an empty chart says why it is
// empty instead of looking like a drawing error.
func noteEmpty(p *plot.Plot, why string) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Y.Scale, p.Y.Tick.Marker = plot.LinearScale{}, niceTicks{}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: 0.5, Y: 0.5}}, Labels: []string{"no data: " + why}})
	if err != nil {
		return
	}
	l.TextStyle[0] = textStyle(10)
	l.TextStyle[0].XAlign, l.TextStyle[0].YAlign = draw.XCenter, draw.YCenter
	l.TextStyle[0].Color = color.Gray{Y: 90}
	p.Add(l)
}

// emptyWhy says why a panel of c has no curve, or "" if it has one.
func emptyWhy(c combo, cs map[string]*curve) string {
	if len(c.rows) == 0 {
		return "no grid point finished"
	}
	for _, cv := range cs {
		if len(cv.x) > 0 {
			return ""
		}
	}
	return "the operation returned in no trial"
}

func failFigure(res *sweep.Results, c combo) *figure {
	m := &res.Meta
	var panels []*plot.Plot
	for _, mt := range failMetrics(m) {
		p := newPanel(mt.title, xLabel(m), "P(fails)")
		cs := curves(m, c.rows, mt.get)
		drawCurves(p, m.Policies, cs, true)
		p.Y.Min, p.Y.Max = 0, 1
		if why := emptyWhy(c, cs); why != "" {
			noteEmpty(p, why)
		}
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		p := newPanel("local operations", xLabel(m), "P(fails)")
		noteEmpty(p, "the scenario has no server-local operation")
		panels = append(panels, p)
	}
	return &figure{
		title:    m.Title() + " — failure probability of the server-local operations",
		subtitle: subtitle(m, "shaded: 95% Wilson interval", c),
		panels:   wrap(panels, 3), legend: policyLegend(m.Policies), hasLegend: true,
	}
}

// failByPolicyFigure is the fail figure with one column per policy: each
// panel draws that policy's curve and interval, the other policies'
// curves thin and grey behind it. Titles name the policy; the y axis
// names the operation; only the bottom row names the parameter.
func failByPolicyFigure(res *sweep.Results, c combo) *figure {
	m := &res.Meta
	ms := failMetrics(m)
	var rows [][]*plot.Plot
	for k, mt := range ms {
		cs := curves(m, c.rows, mt.get)
		var row []*plot.Plot
		for _, pol := range m.Policies {
			xl := ""
			if k == len(ms)-1 {
				xl = shortXLabel(m)
			}
			p := newPanel(pol, xl, "P("+mt.short+" fails)")
			drawContext(p, m.Policies, cs, pol)
			drawCurves(p, []string{pol}, map[string]*curve{pol: cs[pol]}, true)
			p.Y.Min, p.Y.Max = 0, 1
			if cs[pol] == nil || len(cs[pol].x) == 0 {
				noteEmpty(p, emptyWhyOr(c, "the operation returned in no trial"))
			}
			row = append(row, p)
		}
		rows = append(rows, row)
	}
	return &figure{
		title:    m.Title() + " — failure probability, one panel per policy",
		subtitle: subtitle(m, "shaded: 95% Wilson interval; grey: the other policies; x: "+xLabel(m), c),
		panels:   rows, panelW: 230,
	}
}

// shortXLabel is the parameter's path and unit, for narrow panels.
func shortXLabel(m *sweep.Meta) string {
	if vs := m.VaryParams(); len(vs) > 0 {
		return vs[0].Label()
	}
	return xLabel(m)
}

func emptyWhyOr(c combo, why string) string {
	if len(c.rows) == 0 {
		return "no grid point finished"
	}
	return why
}

// drawContext draws every policy but pol thin and grey.
func drawContext(p *plot.Plot, pols []string, cs map[string]*curve, pol string) {
	for _, other := range pols {
		c := cs[other]
		if other == pol || c == nil || len(c.x) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(c.x))
		for k := range c.x {
			pts[k] = plotter.XY{X: c.x[k], Y: c.y[k]}
		}
		line := &plotter.Line{XYs: pts}
		line.LineStyle = draw.LineStyle{Color: color.Gray{Y: 200}, Width: 1}
		p.Add(line)
	}
}

func latencyFigure(res *sweep.Results, c combo, o Options) *figure {
	m := &res.Meta
	var panels [][]*plot.Plot
	for k, pc := range percentiles {
		var row []*plot.Plot
		for i := range m.Ops {
			xl := ""
			if k == len(percentiles)-1 {
				xl = xLabel(m)
			}
			p := newPanel(opTitle(m.Ops, i)+": "+pc.name, xl, pc.name+" latency (ms)")
			cs := curves(m, c.rows, func(r *sweep.Row) sweep.Rate {
				return sweep.Rate{P: pc.get(r.Ops[i]), Lo: math.NaN(), Hi: math.NaN()}
			})
			if o.LogLatency {
				floorCurves(cs)
			}
			drawCurves(p, m.Policies, cs, false)
			latencyAxis(p, o, values(cs))
			if why := emptyWhy(c, cs); why != "" {
				noteEmpty(p, why)
			}
			row = append(row, p)
		}
		panels = append(panels, row)
	}
	if len(m.Ops) == 0 {
		p := newPanel("local operations", xLabel(m), "latency (ms)")
		noteEmpty(p, "the scenario has no server-local operation")
		panels = [][]*plot.Plot{{p}}
	}
	return &figure{
		title:    m.Title() + " — latency of the server-local operations",
		subtitle: subtitle(m, latencyNote(o), c),
		panels:   panels, legend: policyLegend(m.Policies), hasLegend: true,
	}
}

func latencyNote(o Options) string {
	s := "latency = return − start of the operation (lsattr: from its stat() to its open()), nearest-rank percentiles"
	if o.LogLatency {
		s += fmt.Sprintf("; log scale, 0 ms drawn at %g ms", LogFloorMs)
	}
	return s
}

// latencyAxis makes p's y axis a latency axis for the values ys: from 0,
// or logarithmic over the decades the values span (down to LogFloorMs,
// where latencies of 0 are drawn).
func latencyAxis(p *plot.Plot, o Options, ys []float64) {
	if !o.LogLatency {
		p.Y.Min = 0
		return
	}
	lo, hi := math.Inf(1), LogFloorMs
	for _, y := range ys {
		if !math.IsNaN(y) {
			lo, hi = math.Min(lo, math.Max(y, LogFloorMs)), math.Max(hi, y)
		}
	}
	if math.IsInf(lo, 1) {
		lo = LogFloorMs
	}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
	p.Y.Max = math.Pow(10, math.Max(math.Ceil(math.Log10(hi)), math.Log10(p.Y.Min)+1))
}

// values lists the y values of curves.
func values(cs map[string]*curve) []float64 {
	var ys []float64
	for _, c := range cs {
		ys = append(ys, c.y...)
	}
	return ys
}

// floorCurves raises values below LogFloorMs to it: a log axis has no 0.
func floorCurves(cs map[string]*curve) {
	for _, c := range cs {
		for k := range c.y {
			c.y[k] = max(c.y[k], LogFloorMs)
		}
	}
}

// latencyByPolicyFigure is the latency figure with one panel per policy
// and operation, p50, p90 and p99 as three lines in the policy's colour.
func latencyByPolicyFigure(res *sweep.Results, c combo, o Options) *figure {
	m := &res.Meta
	dashes := [][]vg.Length{nil, {5, 3}, {1.5, 2}}
	var rows [][]*plot.Plot
	for i := range m.Ops {
		var row []*plot.Plot
		for j, pol := range m.Policies {
			xl := ""
			if i == len(m.Ops)-1 {
				xl = shortXLabel(m)
			}
			p := newPanel(pol, xl, m.Ops[i].Name+" "+m.Ops[i].Kind+" latency (ms)")
			st := styleOf(pol, j)
			drawn := false
			var ys []float64
			for k, pc := range percentiles {
				cs := curves(m, c.rows, func(r *sweep.Row) sweep.Rate {
					return sweep.Rate{P: pc.get(r.Ops[i]), Lo: math.NaN(), Hi: math.NaN()}
				})
				if o.LogLatency {
					floorCurves(cs)
				}
				cv := cs[pol]
				if cv == nil || len(cv.x) == 0 {
					continue
				}
				pts := make(plotter.XYs, len(cv.x))
				for n := range cv.x {
					pts[n] = plotter.XY{X: cv.x[n], Y: cv.y[n]}
				}
				line := &plotter.Line{XYs: pts}
				line.LineStyle = draw.LineStyle{Color: st.color, Width: 1.8, Dashes: dashes[k]}
				p.Add(line)
				drawn = true
				ys = append(ys, cv.y...)
			}
			latencyAxis(p, o, ys)
			if !drawn {
				noteEmpty(p, emptyWhyOr(c, "the operation returned in no trial"))
			}
			row = append(row, p)
		}
		rows = append(rows, row)
	}
	l := newLegend()
	for k, pc := range percentiles {
		line := &plotter.Line{}
		line.LineStyle = draw.LineStyle{Color: black, Width: 1.8, Dashes: dashes[k]}
		l.Add(pc.name, line)
	}
	return &figure{
		title:    m.Title() + " — latency, one panel per policy",
		subtitle: subtitle(m, latencyNote(o)+"; x: "+xLabel(m), c),
		panels:   rows, legend: l, hasLegend: true, panelW: 230,
	}
}

func staleFigure(res *sweep.Results, c combo) *figure {
	m := &res.Meta
	p := newPanel("trials with a stale read or a "+m.Consistency+" violation", xLabel(m), "stale-read rate (fraction of trials)")
	cs := curves(m, c.rows, func(r *sweep.Row) sweep.Rate { return r.Stale })
	drawCurves(p, m.Policies, cs, true)
	top := 0.05
	for _, cv := range cs {
		for _, h := range cv.hi {
			top = max(top, h*1.1)
		}
	}
	p.Y.Min, p.Y.Max = 0, min(top, 1)
	if why := emptyWhy(c, cs); why != "" {
		noteEmpty(p, strings.Replace(why, "the operation returned in no trial", "no trial was checked", 1))
	}
	return &figure{
		title:    m.Title() + " — stale reads found by the checker (" + m.Consistency + ")",
		subtitle: subtitle(m, "shaded: 95% Wilson interval", c),
		panels:   [][]*plot.Plot{{p}}, legend: policyLegend(m.Policies), hasLegend: true,
		panelW: 460,
	}
}

// costFigure averages each policy's per-trial costs over all grid points.
func costFigure(res *sweep.Results) *figure {
	m := &res.Meta
	metrics := []struct {
		name string
		get  func(r *sweep.Row) float64
	}{
		{"client RPCs", func(r *sweep.Row) float64 { return r.RPCs }},
		{"extra RPCs vs " + m.Baseline, func(r *sweep.Row) float64 { return r.ExtraRPCs }},
		{"CB_RECALL", func(r *sweep.Row) float64 { return r.Recalls }},
		{"CB_GETATTR", func(r *sweep.Row) float64 { return r.CBGetattrs }},
		{"delegations granted", func(r *sweep.Row) float64 { return r.Grants }},
	}
	p := newPanel("", "", "count per trial (mean over grid points)")
	names := make([]string, len(metrics))
	for i, mt := range metrics {
		names[i] = mt.name
	}
	const barW = 11
	n := len(m.Policies)
	l := newLegend()
	for i, pol := range m.Policies {
		vals := make(plotter.Values, len(metrics))
		for k, mt := range metrics {
			sum, cnt := 0.0, 0
			for j := range res.Rows {
				if r := &res.Rows[j]; r.Policy == pol && !math.IsNaN(mt.get(r)) {
					sum += mt.get(r)
					cnt++
				}
			}
			if cnt > 0 {
				vals[k] = sum / float64(cnt)
			}
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			continue
		}
		st := styleOf(pol, i)
		bars.Color = st.color
		bars.LineStyle.Width = 0.5
		bars.LineStyle.Color = black
		bars.Offset = vg.Length(float64(i)-float64(n-1)/2) * barW
		p.Add(bars)
		l.Add(pol, bars)
	}
	p.NominalX(names...)
	p.X.Tick.Label.Font.Size = 9.5
	fig := &figure{
		title:    m.Title() + " — cost per policy",
		subtitle: subtitle(m, fmt.Sprintf("mean per trial over the %d grid points run; extra RPCs relative to %s at the same point", res.PointsDone(), m.Baseline), combo{}),
		panels:   [][]*plot.Plot{{p}}, legend: l, hasLegend: true,
		panelW: vg.Length(len(metrics)*(n*barW+24) + 70),
	}
	return fig
}

// straightAlpha reads a colour's alpha as straight (not premultiplied), so
// the translucent confidence bands blend as their RGB values say.
func straightAlpha(c color.RGBA) color.Color { return color.NRGBA(c) }
