package simprinter_test

import (
	"bytes"
	"crypto/ed25519"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/imaging"
	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/hardware/sim/simprinter"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
)

// longestOrder is a real signed stillpay order (shared/order) with every field at its longest: the
// worst case a 58 mm receipt must carry. seed picks the server key, so the signature's characters.
func longestOrder(t *testing.T, seed byte) string {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	o := order.Order{ID: "ord_3tq7w2mcv4kq5xyd2l6hfp5zaa", MerchantID: strings.Repeat("M", order.MaxMerchantIDLen),
		MerchantName: strings.Repeat("N", order.MaxMerchantNameLen), City: strings.Repeat("C", order.MaxCityLen), MCC: "5814",
		Country: "DE", TerminalID: strings.Repeat("T", order.MaxTerminalIDLen), Amount: money.Amount{Minor: 99999999, Currency: "EUR"},
		Reference: strings.Repeat("R", order.MaxReferenceLen), ExpiresAt: time.Date(2026, 12, 6, 9, 5, 0, 0, time.UTC)}
	s, err := order.Sign(o, strings.Repeat("k", order.MaxKeyIDLen), key)
	if err != nil {
		t.Fatal(err)
	}
	text, err := s.MPM()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// signatures is how many orders (server signatures) each case prints: the signature's characters
// change the symbol's version and mask, so one lucky symbol proves little.
const signatures = 10

// TestPhoneQRReadableFromReceipt prints the longest order QR the way posagent does, takes the
// simulator's receipt PNG and checks that gozxing reads it; then turns it into what a phone camera
// sees at a given distance (downscaled to the camera's pixels per mm of paper, blurred by the
// downscale, grey thermal ink on off-white paper, sensor noise) and decodes that with the wallet's
// decoder (hardware/imaging: gozxing with a camera pipeline in front, as `wallet pay --image`).
func TestPhoneQRReadableFromReceipt(t *testing.T) {
	for _, tc := range []struct {
		profile string
		// pxPerMM is the camera's resolution on the paper: a 1280-pixel preview frame over 21 cm of
		// view (a phone about 25 cm above the receipt) gives 6 px/mm, 3 camera pixels per 0.5 mm
		// module; 4.5 px/mm is about 33 cm. (The longest order on 58 mm paper at 4.5 px/mm, 2.3 px
		// per module, reads in 8 of 10: on 58 mm paper the phone must come within about 25 cm.)
		pxPerMM float64
		// unreadable: the control case, a camera too far away (under 1 px per module): the check
		// can fail.
		unreadable bool
	}{
		{"generic-58mm", 6, false}, // raster QR, the 384-dot head of a 58 mm printer
		{"generic-80mm", 4.5, false},
		{"xprinter-xp-58", 6, false},
		{"generic-80mm", 6, false}, // native GS ( k, redrawn by the simulator
		{"generic-58mm", 1.5, true},
	} {
		p, err := escpos.LookupProfile(tc.profile)
		if err != nil {
			t.Fatal(err)
		}
		read := 0
		for seed := byte(1); seed <= signatures; seed++ {
			payload := longestOrder(t, seed)
			size, err := escpos.SizePhoneQR(p, payload)
			if err != nil {
				t.Fatal(err)
			}
			rc := receipt.New(receipt.Title("Corner Cafe"), receipt.Total("TOTAL", "EUR 12.50"), receipt.PhoneQR(payload), receipt.Center("Scan with your stillpay app"))
			job, err := rc.ESCPOS(p)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := simprinter.Interpret(tc.profile, job, nil)
			if err != nil || len(rs) != 1 {
				t.Fatalf("%s: %d receipts, %v", tc.profile, len(rs), err)
			}
			img, err := png.Decode(bytes.NewReader(rs[0].PNG))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := decodeQR(img); err != nil || got != payload {
				t.Fatalf("%s: gozxing reads the receipt PNG as %q, %v", tc.profile, got, err)
			}
			// A phone decodes its preview continuously and pays on the first frame that reads: a
			// few frames, each with its own sensor noise and the hand 4 % nearer or farther, stand
			// for a fraction of a second of aiming.
			dotsPerMM := float64(p.DPI) / 25.4
			for frame, jitter := range []float64{1, 1.04, 0.96} {
				scale := tc.pxPerMM * jitter / dotsPerMM
				photo := cameraView(img, scale, rand.New(rand.NewPCG(uint64(seed), uint64(frame))))
				if res, err := imaging.Decode(photo, imaging.DefaultOptions()); err == nil && res.Text == payload {
					read++
					break
				}
			}
			if seed == 1 {
				t.Logf("%s: %d characters: level %c, %d modules of %d dots = %.3f mm (symbol %.1f mm); camera %.1f px/mm -> %.1f px per module",
					tc.profile, len(payload), "LMQH"[size.Level-escpos.QRLevelL], size.Modules, size.Module, size.ModuleMM(p), size.WidthMM(p),
					tc.pxPerMM, size.ModuleMM(p)*tc.pxPerMM)
			}
		}
		t.Logf("%s at %.1f px/mm: %d of %d orders read from the camera image", tc.profile, tc.pxPerMM, read, signatures)
		switch {
		case tc.unreadable && read > signatures/2:
			t.Errorf("%s at %.1f px/mm: %d of %d read although modules are under 1 px", tc.profile, tc.pxPerMM, read, signatures)
		case !tc.unreadable && read != signatures:
			t.Errorf("%s at %.1f px/mm: the phone's decoder read only %d of %d orders", tc.profile, tc.pxPerMM, read, signatures)
		}
	}
}

// cameraView scales img by f (< 1) averaging the covered pixels, maps black/white to thermal grey
// ink on off-white paper and adds noise of +-12 levels.
func cameraView(img image.Image, f float64, rng *rand.Rand) *image.Gray {
	b := img.Bounds()
	w, h := int(float64(b.Dx())*f), int(float64(b.Dy())*f)
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		y0, y1 := int(float64(y)/f), max(int(float64(y+1)/f), int(float64(y)/f)+1)
		for x := 0; x < w; x++ {
			x0, x1 := int(float64(x)/f), max(int(float64(x+1)/f), int(float64(x)/f)+1)
			sum, n := 0, 0
			for sy := y0; sy < y1 && sy < b.Dy(); sy++ {
				for sx := x0; sx < x1 && sx < b.Dx(); sx++ {
					sum += int(color.GrayModel.Convert(img.At(b.Min.X+sx, b.Min.Y+sy)).(color.Gray).Y)
					n++
				}
			}
			v := float64(sum) / float64(max(n, 1)) / 255 // 0 ink .. 1 paper
			level := 60 + v*(225-60) + float64(rng.IntN(25)-12)
			out.SetGray(x, y, color.Gray{Y: uint8(min(max(level, 0), 255))})
		}
	}
	return out
}

func decodeQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
