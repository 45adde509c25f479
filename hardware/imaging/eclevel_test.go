package imaging

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/stillpay/stillpay/hardware/imaging/internal/gen"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
)

// The error-correction level of the payment QR is chosen by this measurement (docs/hardware.md,
// "Error correction of the payment QR"): the same camera-like photos of real version-2 payloads,
// once at level L (at the version L needs) and once at level M (at its larger version), with the
// code at the same size on the screen, decoded by Decode with the default options.

// ecPayloads are real version-2 payload texts: typical user ids of 5 to 12 characters and the
// longest ids with the largest offer the budget leaves.
func ecPayloads(t testing.TB) []string {
	t.Helper()
	server := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	issued := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	step := otp.StepAt(issued.Add(time.Hour))
	var out []string
	for i, ids := range [][3]string{
		{"k-0123456789ab", "alice", "au_0123456789abcdef01234567"},
		{"k-0123456789ab", "bob-1234", "au_89abcdef0123456789abcdef"},
		{"k-5d0c8e1f2a3b", "carol.smith1", "au_00112233445566778899aabb"},
		{"k-5d0c8e1f2a3b", "dave99", "au_ffeeddccbbaa998877665544"},
		{"k-0123456789ab", "erin@shop.io", "au_0f1e2d3c4b5a69788796a5b4"},
		{strings.Repeat("K", 16), strings.Repeat("u", 64), strings.Repeat("A", 32)},
	} {
		device := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(10 + i)}, 32))
		secret := bytes.Repeat([]byte{byte(40 + i)}, 32)
		c, err := credential.Sign(credential.Credential{UserID: ids[1], AuthorizationID: ids[2],
			DevicePublicKey: device.Public().(ed25519.PublicKey), Currency: "EUR", CapPerPayment: 5000, MaxCodes: 1000,
			IssuedAt: issued, ExpiresAt: issued.Add(7 * 24 * time.Hour)}, ids[0], server)
		if err != nil {
			t.Fatal(err)
		}
		spec := payload.Spec{Credential: c.Marshal(), Secret: secret, Counter: uint32(17 * i), Step: step,
			Code: otp.PaymentCode(secret, step, uint32(17*i)), DeviceKey: device}
		if i == 5 { // fill the budget with an offer
			base, err := payload.Build(spec)
			if err != nil {
				t.Fatal(err)
			}
			spec.Offer = bytes.Repeat([]byte{0x5a}, payload.MaxBinaryLen-(len(base)-len(payload.Prefix))*2/3)
		}
		text, err := payload.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, text)
	}
	return out
}

// ecKind is one kind of distortion; scene makes a variant of it from a random source.
type ecKind struct {
	name  string
	scene func(r *rand.Rand) gen.Scene
}

// ecKinds are what a counter camera does to a phone screen. Side is the code's width on the photo,
// quiet zone included, as a fraction of the frame's height: the phone shows the code at one size
// whatever its version, so a higher version has smaller modules.
var ecKinds = []ecKind{
	{"clean", func(r *rand.Rand) gen.Scene { return gen.Scene{Phone: true, Noise: 2, Rotate: r.Float64()*10 - 5} }},
	{"small", func(r *rand.Rand) gen.Scene {
		return gen.Scene{Phone: true, Noise: 3, Rotate: r.Float64() * 360, CX: 0.4 + r.Float64()*0.2}
	}},
	{"rotated", func(r *rand.Rand) gen.Scene { return gen.Scene{Phone: true, Noise: 3, Rotate: r.Float64() * 360} }},
	{"perspective", func(r *rand.Rand) gen.Scene {
		return gen.Scene{Phone: true, Noise: 3, Tilt: 0.08 + r.Float64()*0.14, Skew: r.Float64() * 0.1, Rotate: r.Float64() * 30, Jitter: 0.008}
	}},
	{"blur", func(r *rand.Rand) gen.Scene {
		return gen.Scene{Phone: true, Noise: 2, Blur: 0.8 + r.Float64()*0.8, JPEG: 90}
	}},
	{"noise", func(r *rand.Rand) gen.Scene {
		return gen.Scene{Phone: true, Noise: 8 + r.Float64()*10, Blur: 0.4, JPEG: 85}
	}},
	{"glare", func(r *rand.Rand) gen.Scene {
		return gen.Scene{Phone: true, Glare: 0.3 + r.Float64()*0.3, Lighting: r.Float64() * 0.4, Noise: 3}
	}},
	{"low contrast", func(r *rand.Rand) gen.Scene {
		d := 70 + r.Float64()*40
		return gen.Scene{Phone: true, Dark: d, Light: d + 60 + r.Float64()*20, Noise: 3}
	}},
	{"1280x960", func(r *rand.Rand) gen.Scene {
		return gen.Scene{W: 1280, H: 960, Phone: true, Noise: 4, Rotate: r.Float64() * 40, Tilt: r.Float64() * 0.1, JPEG: 88}
	}},
	{"combined", func(r *rand.Rand) gen.Scene {
		return gen.Scene{Phone: r.IntN(2) == 0, Busy: r.IntN(3) == 0, Rotate: r.Float64() * 360, Tilt: r.Float64() * 0.12,
			Skew: r.Float64() * 0.08, Jitter: 0.005, Blur: 0.3 + r.Float64()*0.8, Noise: 3 + r.Float64()*7,
			Lighting: r.Float64() * 0.4, JPEG: 85 + 5*r.IntN(2)}
	}},
}

// ecSide is the code's width (quiet zone included) as a fraction of the frame height, per kind:
// "small" is a phone held far from the camera.
func ecSide(kind string) float64 {
	if kind == "small" {
		return 0.42
	}
	return 0.55
}

// ecVariants is how many photos each payload gets per kind and level; STILLPAY_EC_VARIANTS raises
// it for the figures in docs/hardware.md.
func ecVariants(t *testing.T) int {
	n := 1
	if s := os.Getenv("STILLPAY_EC_VARIANTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("STILLPAY_EC_VARIANTS=%q", s)
		}
		n = v
	}
	return n
}

// TestErrorCorrectionLevel measures decode rates of level L and level M on the same photos and
// checks the choice docs/protocol.md states: L at its smaller version decodes at least as well as
// M at its larger one, within maxECLoss, and never to a wrong text.
func TestErrorCorrectionLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and decodes hundreds of photos; make test runs it")
	}
	texts := ecPayloads(t)
	variants := ecVariants(t)
	levels := []struct {
		name  string
		level qrcode.RecoveryLevel
	}{{"L", qrcode.Low}, {"M", qrcode.Medium}}
	type tally struct{ ok, n int }
	perKind := map[string]*[2]tally{}
	var total [2]tally
	versions := map[string]bool{}
	for ki, k := range ecKinds {
		perKind[k.name] = &[2]tally{}
		for pi, text := range texts {
			for v := range variants {
				seed := uint64(1000*ki + 10*pi + v + 1)
				base := k.scene(rand.New(rand.NewPCG(seed, 0xec)))
				if base.W == 0 {
					base.W, base.H = 640, 480
				}
				for li, l := range levels {
					q, err := qrcode.New(text, l.level)
					if err != nil {
						t.Fatal(err)
					}
					versions[fmt.Sprintf("%s: %d characters → version %d", l.name, len(text), q.VersionNumber)] = true
					s := base
					s.Name, s.Text, s.Level, s.Seed = k.name, text, l.level, seed
					s.ModulePx = ecSide(k.name) * float64(s.H) / float64(len(q.Bitmap()))
					img, err := gen.Render(s)
					if err != nil {
						t.Fatal(err)
					}
					res, err := Decode(img, DefaultOptions())
					if err == nil && res.Text != text {
						t.Fatalf("%s level %s seed %d: decoded a wrong text", k.name, l.name, seed)
					}
					perKind[k.name][li].n++
					total[li].n++
					if err == nil {
						perKind[k.name][li].ok++
						total[li].ok++
					}
				}
			}
		}
	}
	var vs []string
	for v := range versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	t.Logf("versions: %s", strings.Join(vs, "; "))
	pct := func(x tally) float64 { return 100 * float64(x.ok) / float64(x.n) }
	for _, k := range ecKinds {
		c := perKind[k.name]
		t.Logf("%-12s L %5.1f %% (%d/%d)  M %5.1f %% (%d/%d)", k.name, pct(c[0]), c[0].ok, c[0].n, pct(c[1]), c[1].ok, c[1].n)
	}
	t.Logf("%-12s L %5.1f %% (%d/%d)  M %5.1f %% (%d/%d)", "all", pct(total[0]), total[0].ok, total[0].n, pct(total[1]), total[1].ok, total[1].n)
	if pct(total[0]) < pct(total[1])-maxECLoss {
		t.Fatalf("level L decodes %.1f %%, M %.1f %%: L loses more than %.0f points; revisit the level (docs/protocol.md)",
			pct(total[0]), pct(total[1]), maxECLoss)
	}
}

// maxECLoss is how many percentage points of decode rate level L may lose against M before the
// choice of L is wrong.
const maxECLoss = 2.0
