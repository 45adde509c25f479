package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	qrcode "github.com/skip2/go-qrcode"
)

// The corpus: photos of real payment codes on phone screens, as counter cameras take
// them. Unlike Scenes (the committed testdata, tuned against while the decoder was written) it is
// rendered at test time from a seed, so a corpus seed that was never tuned against measures the
// decoder honestly (CorpusSeed), and another (TuningSeed) is free to tune with.

// Seeds of the corpus.
const (
	// CorpusSeed is the measured corpus: decode rates in docs are on it, and nothing is tuned on it.
	CorpusSeed uint64 = 20261206
	// TuningSeed draws another corpus of the same kinds to tune the decoder with.
	TuningSeed uint64 = 1
)

// CorpusLevel is the wallet's error-correction level (wallet/cli's qrLevel, docs/protocol.md).
const CorpusLevel = qrcode.Low

// CorpusKind is one kind of distortion in the corpus.
type CorpusKind struct {
	Name string
	Desc string // for docs and test logs
	// scene sets the distortion on s, whose frame size and code size are already chosen.
	scene func(s *Scene, r *rand.Rand)
	// small: the code is far from the camera (20–30 % of the frame height instead of 28–55 %).
	small bool
}

// CorpusKinds are what a counter camera does to a code on a phone screen; every photo also has
// some in-plane rotation, sensor noise and JPEG compression.
var CorpusKinds = []CorpusKind{
	{Name: "clean", Desc: "phone held flat, slightly rotated", scene: func(s *Scene, r *rand.Rand) {
		s.Rotate = r.Float64()*20 - 10
	}},
	{Name: "small", Desc: "phone held far: code 20–30 % of the frame height", small: true, scene: func(s *Scene, r *rand.Rand) {
		s.Rotate = r.Float64() * 360
		s.CX, s.CY = 0.3+0.4*r.Float64(), 0.3+0.4*r.Float64()
	}},
	{Name: "rotated", Desc: "any in-plane angle", scene: func(s *Scene, r *rand.Rand) {
		s.Rotate = r.Float64() * 360
	}},
	{Name: "tilted", Desc: "phone tilted 10–30° towards or away from the camera (perspective)", scene: func(s *Scene, r *rand.Rand) {
		tilt := (10 + 20*r.Float64()) * math.Pi / 180
		dir := r.Float64() * 2 * math.Pi
		s.Pitch, s.Yaw = tilt*math.Cos(dir)*180/math.Pi, tilt*math.Sin(dir)*180/math.Pi
		s.Distance = 1.8 + r.Float64()*1.5
		s.Rotate = r.Float64()*60 - 30
	}},
	{Name: "blur", Desc: "out of focus or moving: blur radius 0.6–1.6 px (three box passes)", scene: func(s *Scene, r *rand.Rand) {
		s.Blur = 0.6 + r.Float64()
		s.Rotate = r.Float64()*40 - 20
	}},
	{Name: "noise", Desc: "dim shop: sensor noise σ 6–14", scene: func(s *Scene, r *rand.Rand) {
		s.Noise = 6 + 8*r.Float64()
		s.Blur = 0.3
		s.Rotate = r.Float64() * 360
	}},
	{Name: "glare", Desc: "a lamp reflected on the screen (glare 0.3–0.7) and uneven light", scene: func(s *Scene, r *rand.Rand) {
		s.Glare = 0.3 + 0.4*r.Float64()
		s.Lighting = 0.4 * r.Float64()
		s.Rotate = r.Float64()*40 - 20
	}},
	{Name: "moire", Desc: "the screen's pixel grid at about one camera pixel per screen pixel (moiré, depth 0.3–0.7)", scene: func(s *Scene, r *rand.Rand) {
		s.Moire = 0.3 + 0.4*r.Float64()
		s.ScreenPx = s.ModulePx / (0.75 + 0.5*r.Float64())
		s.Rotate = r.Float64()*30 - 15
	}},
	{Name: "rolling-shutter", Desc: "phone moving during readout: shear 3–12 % per row, tremor, PWM bands", scene: func(s *Scene, r *rand.Rand) {
		s.Shutter = (0.03 + 0.09*r.Float64()) * float64(1-2*r.IntN(2))
		s.Wobble = 2 * r.Float64()
		s.Banding = 0.3 * r.Float64()
		s.Rotate = r.Float64()*40 - 20
	}},
	{Name: "low-contrast", Desc: "dimmed screen: 60–90 grey levels between dark and light", scene: func(s *Scene, r *rand.Rand) {
		s.Dark = 60 + 40*r.Float64()
		s.Light = s.Dark + 60 + 30*r.Float64()
		s.Rotate = r.Float64()*40 - 20
	}},
	{Name: "dark-mode", Desc: "light modules on a dark screen", scene: func(s *Scene, r *rand.Rand) {
		s.Inverted, s.Dark, s.Light = true, 15+15*r.Float64(), 200+40*r.Float64()
		s.Rotate = r.Float64() * 360
	}},
	{Name: "combined", Desc: "a little of everything: tilt ≤ 20°, blur, noise, glare, moiré, shutter", scene: func(s *Scene, r *rand.Rand) {
		s.Pitch, s.Yaw = r.Float64()*30-15, r.Float64()*30-15
		s.Rotate = r.Float64() * 360
		s.Blur = 0.2 + 0.6*r.Float64()
		s.Noise = 3 + 5*r.Float64()
		s.Glare = 0.3 * r.Float64()
		s.Lighting = 0.3 * r.Float64()
		s.Moire = 0.3 * r.Float64()
		s.ScreenPx = s.ModulePx / (0.8 + 0.4*r.Float64())
		s.Shutter = 0.04 * (r.Float64()*2 - 1)
		s.Busy = r.IntN(3) == 0
	}},
}

// Frame sizes of the corpus's counter cameras, in turn.
var corpusFrames = [][2]int{{1280, 960}, {1920, 1080}, {1280, 960}}

// CorpusPhoto is one photo of the corpus.
type CorpusPhoto struct {
	Kind  string
	Scene Scene
}

// Corpus returns perKind photos of each kind, drawn from seed. text(i) is the payload of photo i
// (in the order returned); the caller draws them from a wallet. modules(text) is the symbol's
// width in modules with the quiet zone, at CorpusLevel.
func Corpus(seed uint64, perKind int, text func(i int) string) ([]CorpusPhoto, error) {
	var out []CorpusPhoto
	for ki, k := range CorpusKinds {
		for j := range perKind {
			i := len(out)
			r := rand.New(rand.NewPCG(seed, uint64(ki)<<32|uint64(j)))
			frame := corpusFrames[(ki+j)%len(corpusFrames)]
			s := Scene{Name: fmt.Sprintf("%s-%03d", k.Name, j), Text: text(i), Level: CorpusLevel,
				W: frame[0], H: frame[1], Phone: true, Noise: 2 + 2*r.Float64(), JPEG: 80 + r.IntN(13),
				Seed: seed ^ uint64(i+1)*0x9e3779b97f4a7c15}
			q, err := qrcode.New(s.Text, s.Level)
			if err != nil {
				return nil, fmt.Errorf("gen: corpus photo %d: %w", i, err)
			}
			side := 0.28 + 0.27*r.Float64()
			if k.small {
				side = 0.20 + 0.10*r.Float64()
			}
			s.ModulePx = side * float64(s.H) / float64(len(q.Bitmap()))
			s.CX, s.CY = 0.4+0.2*r.Float64(), 0.4+0.2*r.Float64()
			if r.IntN(2) == 0 {
				s.Color = true
			}
			k.scene(&s, r)
			out = append(out, CorpusPhoto{Kind: k.Name, Scene: s})
		}
	}
	return out, nil
}
