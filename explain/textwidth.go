package explain

import (
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot/font"
)

// The static diagram's text is set in Liberation Sans, or a font with
// the same metrics (Arial, Helvetica: svgFontFamily), so that the width
// of every label can be known here and the layout keep labels apart.
// Each label also pins its length (SVG textLength), so that a browser
// that falls back to another font squeezes the text rather than let it
// overlap its neighbours.
const svgFontFamily = `"Liberation Sans", Arial, Helvetica, sans-serif`

// measure is a font at a size, for textWidth.
type measure struct {
	bold bool
	px   float64
}

// The diagram's fonts: labels, notes and times; lane headings; delays.
var (
	fontLabel = measure{px: 11}
	fontHead  = measure{bold: true, px: 12}
	fontDelay = measure{px: 10}
)

// The fonts, and their extents above and below the baseline in ems
// (their hhea table).
var (
	regular, bold           *opentype.Font
	fontAscent, fontDescent float64
)

func init() {
	var err error
	if regular, err = opentype.Parse(liberationsansregular.TTF); err != nil {
		panic(err) // the embedded fonts always parse
	}
	if bold, err = opentype.Parse(liberationsansbold.TTF); err != nil {
		panic(err)
	}
	e := face(regular, 1).Extents()
	fontAscent, fontDescent = float64(e.Ascent), float64(e.Descent)
}

func face(f *opentype.Font, px float64) *font.Face {
	return &font.Face{Font: font.Font{Size: font.Length(px)}, Face: f}
}

// textWidth is the width of s in pixels, drawn in m.
func textWidth(s string, m measure) float64 {
	f := regular
	if m.bold {
		f = bold
	}
	return float64(face(f, m.px).Width(s))
}
