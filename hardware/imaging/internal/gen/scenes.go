package gen

import (
	"fmt"
	"math/rand/v2"

	qrcode "github.com/skip2/go-qrcode"
)

// base45Alphabet is RFC 9285's alphabet, which is also QR's alphanumeric
// mode: stillpay codes use it so that they pack densely.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// StillpayPayload returns a realistic offline payment code: "SP:" and 380
// base45 characters, about what a signed offline code holds.
func StillpayPayload(seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 0x5a7))
	b := []byte("SP:")
	for range 380 {
		b = append(b, base45Alphabet[rng.IntN(len(base45Alphabet))])
	}
	return string(b)
}

// shortTexts are the other codes a counter camera meets.
var shortTexts = []string{
	"https://stillpay.example/o/7F3K9Q",
	"ORDER:2026-000123|EUR|1250|M:4711",
	"Café Zürich €4.50 — 中文 测试",
	"4006381333931",
	"WIFI:T:WPA;S:shop-guest;P:espresso42;;",
}

// Scenes returns the committed test set: ~50 camera-like images, most with
// a stillpay payload, plus frames with no code at all.
func Scenes() []Scene {
	var out []Scene
	seed := uint64(1)
	add := func(name string, s Scene) {
		seed++
		s.Name = name
		if s.Seed == 0 {
			s.Seed = seed
		}
		if s.W == 0 {
			s.W, s.H = 640, 480
		}
		if s.Text == "" && s.ModulePx > 0 {
			s.Text = StillpayPayload(seed)
		}
		if s.Level == 0 {
			s.Level = qrcode.Medium
		}
		// Cameras deliver JPEG (or YUV); noisy frames also compress badly
		// as PNG. Noise-free scenes stay lossless PNG.
		if s.JPEG == 0 && (s.Noise > 0 || s.Color || s.Busy) {
			s.JPEG = 85
		}
		out = append(out, s)
	}
	// Clean, as a well-held phone gives.
	add("clean-centered", Scene{ModulePx: 5})
	add("clean-short-text", Scene{Text: shortTexts[0], ModulePx: 8, JPEG: 90})
	add("clean-utf8", Scene{Text: shortTexts[2], ModulePx: 7})
	// Scale: small and large codes, a large frame to downscale, a small frame.
	add("scale-small-modules", Scene{ModulePx: 3.6, CX: 0.45, CY: 0.55})
	add("scale-large-code", Scene{ModulePx: 6.3, Level: qrcode.Low})
	add("scale-1280x960", Scene{W: 1280, H: 960, ModulePx: 9, JPEG: 88})
	add("scale-1280x960-small", Scene{W: 1280, H: 960, ModulePx: 7.5, CX: 0.4, CY: 0.45, Noise: 4, JPEG: 85})
	add("scale-320x240-short", Scene{W: 320, H: 240, Text: shortTexts[1], ModulePx: 4})
	// Rotation: phones are held at any angle.
	for i, deg := range []float64{8, 27, 45, 90, 168, 305} {
		add(fmt.Sprintf("rotate-%03d", int(deg)), Scene{ModulePx: 4.6, Rotate: deg, Noise: 3, JPEG: 85 + 5*(i%2)})
	}
	// Perspective: the phone tilted towards or away from the camera.
	for i, p := range [][2]float64{{0.10, 0}, {0.18, 0.05}, {0, 0.15}, {0.12, 0.12}, {0.22, 0}} {
		add(fmt.Sprintf("perspective-%d", i), Scene{ModulePx: 5, Tilt: p[0], Skew: p[1], Rotate: float64(i * 7), Jitter: 0.01, Noise: 3})
	}
	// Blur: focus and motion.
	for i, r := range []float64{0.6, 1.0, 1.3, 1.6} {
		add(fmt.Sprintf("blur-%d", i), Scene{ModulePx: 5.5, Blur: r, Noise: 2, JPEG: 90})
	}
	// Sensor noise in a dim shop.
	for i, n := range []float64{6, 10, 14, 18} {
		add(fmt.Sprintf("noise-%d", i), Scene{ModulePx: 5, Noise: n, Blur: 0.4, JPEG: 85})
	}
	// Low contrast: a dimmed screen, a faded print.
	for i, dl := range [][2]float64{{90, 170}, {105, 165}, {70, 140}, {120, 180}} {
		add(fmt.Sprintf("lowcontrast-%d", i), Scene{ModulePx: 5, Dark: dl[0], Light: dl[1], Noise: 3})
	}
	// Inverted: dark-mode wallets show light modules on black.
	add("inverted-clean", Scene{ModulePx: 5, Inverted: true, Dark: 20, Light: 230})
	add("inverted-phone", Scene{ModulePx: 4.8, Inverted: true, Phone: true, Rotate: 12, Dark: 15, Light: 220, Noise: 4})
	add("inverted-tilted", Scene{ModulePx: 5, Inverted: true, Tilt: 0.12, Noise: 5, JPEG: 88})
	add("inverted-short", Scene{Text: shortTexts[4], ModulePx: 7, Inverted: true, Busy: true})
	// Phones on a counter and codes on a busy background.
	add("phone-counter", Scene{ModulePx: 4.5, Phone: true, Rotate: -6, Noise: 4})
	add("phone-counter-tilt", Scene{ModulePx: 4.4, Phone: true, Tilt: 0.12, Rotate: 15, Noise: 5, JPEG: 88})
	add("phone-busy", Scene{ModulePx: 4.6, Phone: true, Busy: true, Rotate: 20, Noise: 4})
	add("busy-paper", Scene{ModulePx: 5, Busy: true, Noise: 3})
	add("busy-colour", Scene{ModulePx: 5, Busy: true, Color: true, Noise: 4, JPEG: 90})
	add("busy-offcentre", Scene{ModulePx: 4.2, Busy: true, CX: 0.62, CY: 0.42, Rotate: -12})
	add("busy-ean-text", Scene{Text: shortTexts[3], ModulePx: 9, Busy: true, Rotate: 33})
	// Lighting: a lamp to one side, a reflection on the screen.
	add("lighting-uneven", Scene{ModulePx: 5, Lighting: 0.55, Noise: 3})
	add("lighting-glare", Scene{ModulePx: 5, Phone: true, Glare: 0.35, Noise: 3})
	add("lighting-colour", Scene{ModulePx: 5, Color: true, Lighting: 0.4, Phone: true, JPEG: 88})
	// Everything at once, as a real counter gives.
	for i := range 8 {
		rng := rand.New(rand.NewPCG(uint64(100+i), 9))
		add(fmt.Sprintf("combined-%d", i), Scene{
			ModulePx: 4.5 + rng.Float64()*1.5,
			Rotate:   rng.Float64() * 360,
			Tilt:     rng.Float64() * 0.12,
			Skew:     rng.Float64() * 0.08,
			Jitter:   0.005,
			Blur:     0.3 + rng.Float64()*0.8,
			Noise:    3 + rng.Float64()*7,
			Lighting: rng.Float64() * 0.4,
			Phone:    i%2 == 0,
			Busy:     i%3 == 0,
			Inverted: i == 5,
			Color:    i == 2,
			JPEG:     85 + 5*(i%2),
		})
	}
	// Frames with nothing to read.
	add("nocode-paper", Scene{Noise: 3})
	add("nocode-busy", Scene{Busy: true, Noise: 4, JPEG: 85})
	add("nocode-phone-dark", Scene{Busy: true, Color: true})
	return out
}
