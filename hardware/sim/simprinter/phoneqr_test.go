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
	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/hardware/sim/simprinter"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
)

// longestOrder is a real signed stillpay order (shared/order) with every field at its longest: the
// worst case a 58 mm receipt must carry.
func longestOrder(t *testing.T) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
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

// TestPhoneQRReadableFromReceipt prints an order QR the way posagent does, takes the simulator's
// receipt PNG, turns it into what a phone camera sees at a given distance (downscaled to the
// camera's pixels per mm of paper, blurred by the downscale, grey thermal ink on off-white paper,
// sensor noise) and decodes it with gozxing's plain QR reader.
func TestPhoneQRReadableFromReceipt(t *testing.T) {
	orderPayload := longestOrder(t)
	t.Logf("longest order: %d characters", len(orderPayload))
	for _, tc := range []struct {
		profile string
		// pxPerMM is the camera's resolution on the paper: a 1280-pixel preview frame over 21 cm of
		// view (a phone about 25 cm above the receipt) gives 6 px/mm; 4.5 px/mm is about 33 cm.
		pxPerMM float64
		// unreadable: the control case, a camera too far away (under 1.5 px per module): the check
		// can fail.
		unreadable bool
	}{
		{"generic-58mm", 6, false}, // raster QR, the 384-dot head of a 58 mm printer
		{"generic-58mm", 4.5, false},
		{"xprinter-xp-58", 6, false},
		{"generic-80mm", 6, false}, // native GS ( k, redrawn by the simulator
		{"generic-58mm", 2, true},
	} {
		p, err := escpos.LookupProfile(tc.profile)
		if err != nil {
			t.Fatal(err)
		}
		size, err := escpos.SizePhoneQR(p, orderPayload)
		if err != nil {
			t.Fatal(err)
		}
		rc := receipt.New(receipt.Title("Corner Cafe"), receipt.Total("TOTAL", "EUR 12.50"), receipt.PhoneQR(orderPayload), receipt.Center("Scan with your stillpay app"))
		job, err := rc.ESCPOS(p)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := simprinter.Interpret(tc.profile, job, nil)
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s: %d receipts, %v", tc.profile, len(rs), err)
		}
		if len(rs[0].QR) != 1 || rs[0].QR[0] != orderPayload {
			t.Fatalf("%s: the simulator read %q", tc.profile, rs[0].QR)
		}
		img, err := png.Decode(bytes.NewReader(rs[0].PNG))
		if err != nil {
			t.Fatal(err)
		}
		dotsPerMM := float64(p.DPI) / 25.4
		photo := cameraView(img, tc.pxPerMM/dotsPerMM, rand.New(rand.NewPCG(1, uint64(tc.pxPerMM*10))))
		got, err := decodeQR(photo)
		modulePx := size.ModuleMM(p) * tc.pxPerMM
		t.Logf("%s: level %c, %d modules of %d dots = %.3f mm (symbol %.1f mm); camera %.1f px/mm -> %.1f px per module, image %dx%d",
			tc.profile, "LMQH"[size.Level-escpos.QRLevelL], size.Modules, size.Module, size.ModuleMM(p), size.WidthMM(p),
			tc.pxPerMM, modulePx, photo.Bounds().Dx(), photo.Bounds().Dy())
		if tc.unreadable {
			if err == nil {
				t.Errorf("%s at %.1f px/mm: read although modules are %.1f px", tc.profile, tc.pxPerMM, modulePx)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s at %.1f px/mm: gozxing cannot read the order QR: %v", tc.profile, tc.pxPerMM, err)
			continue
		}
		if got != orderPayload {
			t.Errorf("%s: decoded %q", tc.profile, got)
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
