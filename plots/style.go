package plots

import (
	"image/color"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// style is how one policy is drawn in every figure.
type style struct {
	color color.RGBA
	dash  []vg.Length
	glyph draw.GlyphDrawer
}

// The Okabe–Ito palette: distinguishable with the common colour-vision
// deficiencies, and each policy also has its own dash and glyph.
var (
	vermillion = color.RGBA{213, 94, 0, 255}
	orange     = color.RGBA{230, 159, 0, 255}
	skyBlue    = color.RGBA{86, 180, 233, 255}
	green      = color.RGBA{0, 158, 115, 255}
	blue       = color.RGBA{0, 114, 178, 255}
	purple     = color.RGBA{204, 121, 167, 255}
	black      = color.RGBA{0, 0, 0, 255}
	yellow     = color.RGBA{200, 180, 0, 255}
)

var policyStyles = map[string]style{
	"kernel":              {vermillion, nil, draw.CircleGlyph{}},
	"seed-getattr-exempt": {orange, []vg.Length{5, 3}, draw.TriangleGlyph{}},
	"local-read-exempt":   {skyBlue, nil, draw.SquareGlyph{}},
	"nonblock-wait":       {green, nil, draw.PyramidGlyph{}},
	"cb-getattr-gate":     {blue, []vg.Length{6, 2, 1.5, 2}, draw.CrossGlyph{}},
	"no-write-deleg":      {black, []vg.Length{1.5, 2}, draw.RingGlyph{}},
	"exempt-all-local":    {purple, []vg.Length{3, 3}, draw.PlusGlyph{}},
	// The fixes that exist today (package compare's options): the same
	// palette, told apart by dash and glyph.
	"app-retry":       {purple, []vg.Length{8, 2, 2, 2}, draw.TriangleGlyph{}},
	"blocking-open":   {yellow, []vg.Length{8, 3}, draw.BoxGlyph{}},
	"mount-v4.0":      {skyBlue, []vg.Length{2, 2}, draw.RingGlyph{}},
	"leases-disabled": {black, []vg.Length{6, 3}, draw.SquareGlyph{}},
	"no-deleg":        {black, []vg.Length{6, 3}, draw.SquareGlyph{}},
	"wronly-writer":   {orange, []vg.Length{1, 3}, draw.PlusGlyph{}},
}

var spare = []style{
	{purple, []vg.Length{3, 3}, draw.PlusGlyph{}},
	{yellow, []vg.Length{8, 3}, draw.BoxGlyph{}},
}

func styleOf(policy string, i int) style {
	if s, ok := policyStyles[policy]; ok {
		return s
	}
	return spare[i%len(spare)]
}

// lineWidth makes curves drawn earlier wider: policies whose curves
// coincide (kernel and seed-getattr-exempt; the policies that never fail)
// then show as nested strokes instead of hiding each other.
func lineWidth(i, n int) vg.Length {
	if n <= 1 {
		return 2
	}
	return vg.Length(4.5 - 3.3*float64(i)/float64(n-1))
}

func glyphRadius(i, n int) vg.Length {
	if n <= 1 {
		return 2.5
	}
	return vg.Length(3.6 - 1.8*float64(i)/float64(n-1))
}

// describe says in words what a --set path is, for axis labels; "" if it
// has no short description.
func describe(path string) string {
	segs := strings.Split(path, ".")
	if len(segs) >= 3 && segs[0] == "clients" {
		c := segs[1]
		switch strings.Join(segs[2:], ".") {
		case "latency":
			return "one-way delay on every packet of " + c
		case "callback.latency":
			return "callback one-way delay of " + c
		case "fore.latency":
			return "fore-channel one-way delay of " + c
		case "reaction":
			return c + "'s reaction time to a callback"
		case "callback.loss":
			return "callback loss probability of " + c
		case "fore.loss":
			return "fore-channel loss probability of " + c
		}
	}
	switch {
	case path == "policy_options.nonblock_wait":
		return "nonblock-wait bound"
	case path == "policy_options.getattr_wait":
		return "cb-getattr-gate CB_GETATTR wait"
	case strings.HasSuffix(path, ".retry.attempts"):
		return "application retry attempts"
	case strings.HasSuffix(path, ".retry.delay"):
		return "application retry delay"
	case strings.HasPrefix(path, "locals.") && strings.HasSuffix(path, ".at"):
		return "start of the local access"
	}
	return ""
}
