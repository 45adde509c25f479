// Package gen renders QR codes the way a counter camera sees them: scaled,
// rotated, in perspective, blurred, noisy, low in contrast, inverted, on a
// phone screen or on a busy background. It produces the committed test
// images in testdata/qr (see Scenes and Write) and the frames of the decode
// benchmark. It is deterministic: the same Scene gives the same pixels.
package gen

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	qrcode "github.com/skip2/go-qrcode"
)

// Scene describes one camera-like image of one QR code.
type Scene struct {
	Name     string
	Text     string // "" renders no code at all (a frame with nothing to read)
	Level    qrcode.RecoveryLevel
	W, H     int
	ModulePx float64 // size of one module on the image, before perspective
	CX, CY   float64 // code centre as a fraction of W and H
	Rotate   float64 // degrees
	Tilt     float64 // perspective: the top edge is this fraction shorter than the bottom
	Skew     float64 // perspective: the right edge is this fraction shorter than the left
	Jitter   float64 // random corner displacement, as a fraction of the code side
	Dark     float64 // luminance of dark modules (default 25)
	Light    float64 // luminance of light modules and quiet zone (default 225)
	Inverted bool    // light modules on a dark screen (dark-mode wallet apps)
	Phone    bool    // the code sits on a phone screen with a dark bezel
	Busy     bool    // busy background: shapes, text, clutter
	Color    bool    // colour image (otherwise grey)
	Lighting float64 // strength of an uneven-lighting gradient, 0..1
	Glare    float64 // strength of a specular highlight, 0..1
	Blur     float64 // box-blur radius in pixels (three passes ~ Gaussian)
	Noise    float64 // sensor noise standard deviation, in grey levels
	JPEG     int     // JPEG quality; 0 writes PNG
	Seed     uint64

	// What counter cameras and phone screens add (the corpus).

	// Pitch and Yaw tilt the phone about its horizontal and vertical axis, in degrees, as seen by a
	// pinhole camera Distance code sides away (default 2.5): true perspective, up to 30° and more.
	Pitch, Yaw, Distance float64
	// Moire is the strength (0..1) of the screen's pixel grid, ScreenPx screen pixels per module
	// (default 4.5): photographed at about one camera pixel per screen pixel it aliases into bands.
	Moire, ScreenPx float64
	// Shutter is a rolling shutter's shear: the phone moved this many pixels sideways per row read;
	// Wobble adds a hand tremor of this amplitude in pixels along the rows.
	Shutter, Wobble float64
	// Banding is the depth (0..1) of the dark horizontal bands a PWM-dimmed screen leaves under a
	// rolling shutter.
	Banding float64
}

// supersample is the samples per pixel side when drawing the code.
const supersample = 3

// canvas is a float RGB image.
type canvas struct {
	w, h    int
	r, g, b []float64
	gray    bool // the three planes are equal: filters work on r only and finish reads r
}

func newCanvas(w, h int, gray bool) *canvas {
	n := w * h
	return &canvas{w: w, h: h, r: make([]float64, n), g: make([]float64, n), b: make([]float64, n), gray: gray}
}

func (c *canvas) set(i int, r, g, b float64) { c.r[i], c.g[i], c.b[i] = r, g, b }

// Render draws the scene.
func Render(s Scene) (image.Image, error) {
	if s.Dark == 0 {
		s.Dark = 25
	}
	if s.Light == 0 {
		s.Light = 225
	}
	if s.CX == 0 {
		s.CX = 0.5
	}
	if s.CY == 0 {
		s.CY = 0.5
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x51ee))
	c := newCanvas(s.W, s.H, !s.Color)
	background(c, s, rng)
	if s.Text != "" {
		q, err := qrcode.New(s.Text, s.Level)
		if err != nil {
			return nil, fmt.Errorf("gen: %s: %w", s.Name, err)
		}
		drawCode(c, s, q.Bitmap(), rng)
	}
	if s.Lighting > 0 {
		lighting(c, s.Lighting, rng)
	}
	if s.Glare > 0 {
		glare(c, s.Glare, rng)
	}
	if s.Blur > 0 {
		for range 3 {
			boxBlur(c, s.Blur)
		}
	}
	return finish(c, s, rng), nil
}

// background paints paper, a counter, or clutter.
func background(c *canvas, s Scene, rng *rand.Rand) {
	base := 150 + rng.Float64()*60
	tint := [3]float64{1, 1, 1}
	if s.Color {
		tint = [3]float64{0.8 + 0.4*rng.Float64(), 0.8 + 0.4*rng.Float64(), 0.8 + 0.4*rng.Float64()}
	}
	gx, gy := (rng.Float64()-0.5)*60, (rng.Float64()-0.5)*60
	// A wooden counter under a phone: soft bands 110 + 25 sin(0.05 x + 3 sin(0.01 y)), with the
	// sine of the sum expanded so that the per-pixel work is two products.
	sinX, cosX := make([]float64, c.w), make([]float64, c.w)
	for x := range c.w {
		sinX[x], cosX[x] = math.Sincos(float64(x) * 0.05)
	}
	for y := 0; y < c.h; y++ {
		sinP, cosP := math.Sincos(3 * math.Sin(float64(y)*0.01))
		for x := 0; x < c.w; x++ {
			v := base + gx*float64(x)/float64(c.w) + gy*float64(y)/float64(c.h)
			if s.Phone && !s.Busy {
				v = 110 + 25*(sinX[x]*cosP+cosX[x]*sinP)
			}
			c.set(y*c.w+x, v*tint[0], v*tint[1], v*tint[2])
		}
	}
	if !s.Busy {
		return
	}
	for range 60 {
		col := randomColour(rng, s.Color)
		switch rng.IntN(4) {
		case 0: // rectangle
			x0, y0 := rng.IntN(c.w), rng.IntN(c.h)
			fillRect(c, x0, y0, x0+10+rng.IntN(c.w/3), y0+10+rng.IntN(c.h/3), col)
		case 1: // disc
			cx, cy, r := rng.Float64()*float64(c.w), rng.Float64()*float64(c.h), 5+rng.Float64()*float64(c.h)/6
			fillDisc(c, cx, cy, r, col)
		case 2: // a line of "text": small dark blocks
			x, y := rng.IntN(c.w), rng.IntN(c.h)
			for k := range 8 + rng.IntN(20) {
				fillRect(c, x+k*9, y, x+k*9+6, y+8+rng.IntN(3), [3]float64{30, 30, 30})
			}
		case 3: // stripes (a barcode-like pattern, a shelf label)
			x, y := rng.IntN(c.w), rng.IntN(c.h)
			for k := range 12 {
				w := 1 + rng.IntN(3)
				fillRect(c, x+k*5, y, x+k*5+w, y+40, [3]float64{20, 20, 20})
			}
		}
	}
}

func randomColour(rng *rand.Rand, colour bool) [3]float64 {
	if !colour {
		v := rng.Float64() * 255
		return [3]float64{v, v, v}
	}
	return [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
}

func fillRect(c *canvas, x0, y0, x1, y1 int, col [3]float64) {
	for y := max(0, y0); y < min(c.h, y1); y++ {
		for x := max(0, x0); x < min(c.w, x1); x++ {
			c.set(y*c.w+x, col[0], col[1], col[2])
		}
	}
}

func fillDisc(c *canvas, cx, cy, r float64, col [3]float64) {
	for y := max(0, int(cy-r)); y < min(c.h, int(cy+r)+1); y++ {
		for x := max(0, int(cx-r)); x < min(c.w, int(cx+r)+1); x++ {
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy <= r*r {
				c.set(y*c.w+x, col[0], col[1], col[2])
			}
		}
	}
}

// drawCode maps every pixel near the code back into module space through the
// inverse of the homography that places the code (and the phone around it).
func drawCode(c *canvas, s Scene, bits [][]bool, rng *rand.Rand) {
	n := float64(len(bits))
	side := n * s.ModulePx
	quad := placeQuad(s, side, rng)
	h := squareToQuad(quad)
	inv, ok := h.inverse()
	if !ok {
		return
	}
	// Bounding box of the code, grown to hold the phone body.
	const bezelX, bezelTop, bezelBottom = 0.12, 0.22, 0.35
	corners := []([2]float64){h.apply(-bezelX, -bezelTop), h.apply(1+bezelX, -bezelTop), h.apply(1+bezelX, 1+bezelBottom), h.apply(-bezelX, 1+bezelBottom)}
	// A rolling shutter reads row y when the phone has moved by shift(y).
	cy := s.CY * float64(s.H)
	wobblePeriod, wobblePhase := 1.0, 0.0
	if s.Wobble != 0 { // draw from rng only for the new effects: older scenes keep their pixels
		wobblePeriod, wobblePhase = float64(s.H)/(2+2*rng.Float64()), rng.Float64()*2*math.Pi
	}
	shift := func(y float64) float64 {
		d := s.Shutter * (y - cy)
		if s.Wobble != 0 {
			d += s.Wobble * math.Sin(2*math.Pi*y/wobblePeriod+wobblePhase)
		}
		return d
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range corners {
		d := math.Abs(shift(p[1])) + math.Abs(s.Wobble)
		minX, maxX = math.Min(minX, p[0]-d), math.Max(maxX, p[0]+d)
		minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
	}
	dark, light := s.Dark, s.Light
	if s.Inverted {
		dark, light = light, dark
	}
	screenPx := s.ScreenPx
	if screenPx == 0 {
		screenPx = 4.5
	}
	bandPeriod, bandPhase := 1.0, 0.0
	if s.Banding > 0 {
		bandPeriod, bandPhase = float64(s.H)/(3+4*rng.Float64()), rng.Float64()*2*math.Pi
	}
	bezel := 18.0
	for y := max(0, int(minY)); y < min(c.h, int(maxY)+1); y++ {
		for x := max(0, int(minX)); x < min(c.w, int(maxX)+1); x++ {
			i := y*c.w + x
			var sum float64
			var hits, bezelHits int
			for sy := range supersample {
				for sx := range supersample {
					px := float64(x) + (float64(sx)+0.5)/supersample
					py := float64(y) + (float64(sy)+0.5)/supersample
					p := inv.apply(px-shift(py), py)
					u, v := p[0], p[1]
					switch {
					case u >= 0 && u < 1 && v >= 0 && v < 1:
						lum := light
						if bits[int(v*n)][int(u*n)] {
							lum = dark
						}
						if s.Moire > 0 {
							lum *= 1 - s.Moire*pixelGap(u*n*screenPx, v*n*screenPx)
						}
						if s.Banding > 0 {
							lum *= 1 - s.Banding*(0.5+0.5*math.Sin(2*math.Pi*py/bandPeriod+bandPhase))
						}
						sum += lum
						hits++
					case s.Phone && u >= -bezelX && u < 1+bezelX && v >= -bezelTop && v < 1+bezelBottom:
						sum += bezel
						bezelHits++
					}
				}
			}
			all := hits + bezelHits
			if all == 0 {
				continue
			}
			// Blend with the background for partly covered pixels.
			frac := float64(all) / (supersample * supersample)
			v := sum / float64(all)
			c.r[i] = frac*v + (1-frac)*c.r[i]
			c.g[i] = frac*v + (1-frac)*c.g[i]
			c.b[i] = frac*v + (1-frac)*c.b[i]
		}
	}
}

// placeQuad returns the image positions of the code's corners: top-left,
// top-right, bottom-right, bottom-left.
func placeQuad(s Scene, side float64, rng *rand.Rand) [4][2]float64 {
	half := side / 2
	// Perspective: shorten the top edge (Tilt) and the right edge (Skew).
	pts := [4][2]float64{
		{-half * (1 - s.Tilt), -half * (1 - s.Skew/2)},
		{half * (1 - s.Tilt), -half * (1 - s.Skew)},
		{half, half * (1 - s.Skew)},
		{-half, half},
	}
	a := s.Rotate * math.Pi / 180
	cos, sin := math.Cos(a), math.Sin(a)
	cx, cy := s.CX*float64(s.W), s.CY*float64(s.H)
	// The phone's 3D tilt: pitch about the image's x axis, then yaw about its y axis, projected by
	// a pinhole camera whose focal length keeps an untilted code at its size.
	pitch, yaw := s.Pitch*math.Pi/180, s.Yaw*math.Pi/180
	dist := s.Distance
	if dist == 0 {
		dist = 2.5
	}
	dist *= side
	var out [4][2]float64
	for i, p := range pts {
		x, y := p[0]*cos-p[1]*sin, p[0]*sin+p[1]*cos
		y, z := y*math.Cos(pitch), y*math.Sin(pitch)
		x, z = x*math.Cos(yaw)+z*math.Sin(yaw), -x*math.Sin(yaw)+z*math.Cos(yaw)
		k := dist / (dist + z)
		jx := (rng.Float64()*2 - 1) * s.Jitter * side
		jy := (rng.Float64()*2 - 1) * s.Jitter * side
		out[i] = [2]float64{cx + k*x + jx, cy + k*y + jy}
	}
	return out
}

// pixelGap is 1 on the dark gaps between a screen's pixels (at whole gu or gv) and falls to 0
// within a pixel.
func pixelGap(gu, gv float64) float64 {
	f := func(g float64) float64 { return math.Pow(0.5+0.5*math.Cos(2*math.Pi*g), 6) }
	return math.Max(f(gu), f(gv))
}

// homography maps (u, v) to (x, y) projectively.
type homography [9]float64

func (m homography) apply(u, v float64) [2]float64 {
	w := m[6]*u + m[7]*v + m[8]
	return [2]float64{(m[0]*u + m[1]*v + m[2]) / w, (m[3]*u + m[4]*v + m[5]) / w}
}

// squareToQuad is Heckbert's closed form for the unit square to a quad.
func squareToQuad(q [4][2]float64) homography {
	x0, y0 := q[0][0], q[0][1]
	x1, y1 := q[1][0], q[1][1]
	x2, y2 := q[2][0], q[2][1]
	x3, y3 := q[3][0], q[3][1]
	sx, sy := x0-x1+x2-x3, y0-y1+y2-y3
	var g, h float64
	if math.Abs(sx) > 1e-9 || math.Abs(sy) > 1e-9 {
		dx1, dx2, dy1, dy2 := x1-x2, x3-x2, y1-y2, y3-y2
		den := dx1*dy2 - dx2*dy1
		g = (sx*dy2 - dx2*sy) / den
		h = (dx1*sy - sx*dy1) / den
	}
	return homography{
		x1 - x0 + g*x1, x3 - x0 + h*x3, x0,
		y1 - y0 + g*y1, y3 - y0 + h*y3, y0,
		g, h, 1,
	}
}

func (m homography) inverse() (homography, bool) {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	A, B, C := e*i-f*h, -(d*i - f*g), d*h-e*g
	det := a*A + b*B + c*C
	if math.Abs(det) < 1e-12 {
		return homography{}, false
	}
	inv := homography{
		A, -(b*i - c*h), b*f - c*e,
		B, a*i - c*g, -(a*f - c*d),
		C, -(a*h - b*g), a*e - b*d,
	}
	for k := range inv {
		inv[k] /= det
	}
	return inv, true
}

// lighting darkens one side of the frame, as a lamp off to one side does.
func lighting(c *canvas, strength float64, rng *rand.Rand) {
	ang := rng.Float64() * 2 * math.Pi
	dx, dy := math.Cos(ang), math.Sin(ang)
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			t := (dx*(float64(x)/float64(c.w)-0.5) + dy*(float64(y)/float64(c.h)-0.5)) + 0.5
			k := 1 - strength*math.Max(0, math.Min(1, t))
			i := y*c.w + x
			c.r[i] *= k
			c.g[i] *= k
			c.b[i] *= k
		}
	}
}

// glare adds a soft specular highlight, as a lamp reflected in a phone.
func glare(c *canvas, strength float64, rng *rand.Rand) {
	cx := (0.3 + 0.4*rng.Float64()) * float64(c.w)
	cy := (0.3 + 0.4*rng.Float64()) * float64(c.h)
	rx, ry := float64(c.w)*(0.08+0.08*rng.Float64()), float64(c.h)*(0.06+0.06*rng.Float64())
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			a := strength * math.Exp(-(dx*dx + dy*dy))
			i := y*c.w + x
			c.r[i] += a * (255 - c.r[i])
			c.g[i] += a * (255 - c.g[i])
			c.b[i] += a * (255 - c.b[i])
		}
	}
}

// boxBlur is one separable box-blur pass of radius r (fractional radii
// weight the outermost taps).
func boxBlur(c *canvas, r float64) {
	planes := [][]float64{c.r, c.g, c.b}
	if c.gray {
		planes = planes[:1]
	}
	for _, plane := range planes {
		blur1D(plane, c.w, c.h, 1, c.w, r)
		blur1D(plane, c.h, c.w, c.w, 1, r)
	}
}

// blur1D blurs n lines of length l; step moves along a line, stride between lines.
func blur1D(p []float64, l, n, step, stride int, r float64) {
	ri := int(r)
	frac := r - float64(ri)
	tmp := make([]float64, l)
	for line := 0; line < n; line++ {
		base := line * stride
		for k := 0; k < l; k++ {
			var sum, wsum float64
			for d := -ri - 1; d <= ri+1; d++ {
				w := 1.0
				if d < -ri || d > ri {
					w = frac
				}
				if w == 0 {
					continue
				}
				j := min(max(k+d, 0), l-1)
				sum += w * p[base+j*step]
				wsum += w
			}
			tmp[k] = sum / wsum
		}
		for k := 0; k < l; k++ {
			p[base+k*step] = tmp[k]
		}
	}
}

// finish adds sensor noise and quantises to 8 bits.
func finish(c *canvas, s Scene, rng *rand.Rand) image.Image {
	q := func(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }
	if !s.Color {
		img := image.NewGray(image.Rect(0, 0, c.w, c.h))
		for i := range img.Pix {
			v := c.r[i]
			if !c.gray {
				v = (c.r[i] + c.g[i] + c.b[i]) / 3
			}
			if s.Noise > 0 {
				v += rng.NormFloat64() * s.Noise
			}
			img.Pix[i] = q(v)
		}
		return img
	}
	img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	for i := 0; i < c.w*c.h; i++ {
		n := 0.0
		if s.Noise > 0 {
			n = rng.NormFloat64() * s.Noise
		}
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = q(c.r[i]+n), q(c.g[i]+n), q(c.b[i]+n), 255
	}
	return img
}
