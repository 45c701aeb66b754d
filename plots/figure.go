package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/delegsim/delegsim/internal/atomicfile"
)

// sans is the face of every text: Liberation Sans, which gonum/plot
// ships, so figures look the same on every machine.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// PNG resolution: sharp enough to read on a high-density screen.
const dpi = 144

// Layout in points.
const (
	panelW   = 270
	panelH   = 250
	titleH   = 30 // the title line; each subtitle line adds subLineH
	subLineH = 14
	legendW  = 160
	margin   = 8
	tileGapX = 18
	tileGapY = 14
)

// figure is a title, a grid of panels sharing one legend, drawn to the
// right of the panels where it cannot cover a curve.
type figure struct {
	title, subtitle string
	panels          [][]*plot.Plot // rows of columns; nil panels are left blank
	legend          plot.Legend
	hasLegend       bool
	panelW          vg.Length // 0: the default panel width
}

// subtitleLines breaks the subtitle at "; " into lines that fit width.
func (f *figure) subtitleLines(width vg.Length) []string {
	sty := textStyle(9.5)
	var lines []string
	cur := ""
	for _, part := range strings.Split(f.subtitle, "; ") {
		next := part
		if cur != "" {
			next = cur + "; " + part
		}
		if cur != "" && sty.Width(next) > width-2*margin {
			lines = append(lines, cur)
			next = part
		}
		cur = next
	}
	return append(lines, cur)
}

func (f *figure) size() (w, h vg.Length) {
	cols := 0
	for _, r := range f.panels {
		cols = max(cols, len(r))
	}
	pw := vg.Length(panelW)
	if f.panelW > 0 {
		pw = f.panelW
	}
	w = vg.Length(cols)*pw + 2*margin
	if f.hasLegend {
		w += legendW
	}
	return w, vg.Length(len(f.panels))*panelH + f.headH(w) + 2*margin
}

func (f *figure) headH(w vg.Length) vg.Length {
	return titleH + subLineH*vg.Length(len(f.subtitleLines(w)))
}

func textStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: font.From(sans, size), Handler: plot.DefaultTextHandler}
}

func (f *figure) draw(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	inner := draw.Crop(dc, margin, -margin, margin, -margin)

	// Title, centred over the whole figure.
	top := inner.Max.Y
	ts := textStyle(13)
	ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
	mid := (inner.Min.X + inner.Max.X) / 2
	inner.FillText(ts, vg.Point{X: mid, Y: top}, f.title)
	ss := textStyle(9.5)
	ss.XAlign, ss.YAlign = draw.XCenter, draw.YTop
	ss.Color = color.Gray{Y: 60}
	w := dc.Max.X - dc.Min.X
	for i, line := range f.subtitleLines(w) {
		inner.FillText(ss, vg.Point{X: mid, Y: top - 19 - vg.Length(i)*subLineH}, line)
	}

	body := draw.Crop(inner, 0, 0, 0, -f.headH(w))
	if f.hasLegend {
		lc := draw.Crop(body, body.Max.X-body.Min.X-legendW+10, 0, 0, -10)
		f.legend.Draw(lc)
		body = draw.Crop(body, 0, -legendW, 0, 0)
	}
	cols := 0
	for _, r := range f.panels {
		cols = max(cols, len(r))
	}
	grid := make([][]*plot.Plot, len(f.panels))
	for i, r := range f.panels {
		grid[i] = make([]*plot.Plot, cols)
		copy(grid[i], r)
	}
	tiles := draw.Tiles{Rows: len(grid), Cols: cols, PadX: tileGapX, PadY: tileGapY}
	cs := plot.Align(grid, tiles, body)
	for i := range grid {
		for j, p := range grid[i] {
			if p != nil {
				p.Draw(cs[i][j])
			}
		}
	}
}

// save writes the figure as DIR/NAME.png and DIR/NAME.svg, each
// atomically, and returns their paths.
func (f *figure) save(dir, name string) ([]string, error) {
	w, h := f.size()
	png := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	f.draw(draw.New(png))
	svg := vgsvg.New(w, h)
	f.draw(draw.New(svg))
	var out []string
	for _, c := range []struct {
		ext string
		w   io.WriterTo
	}{{"png", vgimg.PngCanvas{Canvas: png}}, {"svg", svg}} {
		path := filepath.Join(dir, name+"."+c.ext)
		err := atomicfile.Write(path, func(file *os.File) error {
			_, err := c.w.WriteTo(file)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("figure %s: %w", name, err)
		}
		out = append(out, path)
	}
	return out, nil
}

// newPanel returns an empty panel with the house style: sans text, a
// light grid, axis labels with units.
func newPanel(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 11)
	p.Title.Padding = 4
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 9.5)
		a.Tick.Label.Font = font.From(sans, 8.5)
	}
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	p.Add(g)
	return p
}

func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(10)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = 28
	l.Padding = 4
	return l
}

// niceTicks labels 5 to 10 round values (steps of 1, 2 or 5 times a power
// of ten) with a minor tick between each: enough to read a value off the
// curve, which gonum's default (often three labels) is not.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 8
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	dec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var ts []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for x := first; x <= hi+step*1e-9; x += step / 2 {
		v := math.Round(x/step*2) * step / 2 // no drift
		major := math.Abs(math.Round(v/step)*step-v) < step*1e-6
		t := plot.Tick{Value: v}
		if major {
			t.Label = strconv.FormatFloat(v, 'f', dec, 64)
			if math.Abs(v) < step*1e-9 {
				t.Label = "0"
			}
		}
		ts = append(ts, t)
	}
	return ts
}
