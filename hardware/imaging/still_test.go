package imaging

import (
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestDecodeTallReceipt: a whole receipt is much taller than wide; its order QR (324 characters,
// version 13, at 3 pixels a module as on a 203 dpi printer head) is read although a camera-style
// downscale of the long side would leave too few pixels a module.
func TestDecodeTallReceipt(t *testing.T) {
	text := "00020101021226570012com.stillpay0130ord_3tq7w2mcv4kq5xyd2l6hfp5zaa0203M-1520458145303978540512.505802DE5911Corner Cafe6006Berlin62180507INV-8810703T-180810012com.stillpay010110209k-2026-120343ElcU25_qa2kaYsVFKMYHBtcntadvGfWrxwtO6SMWR0s81770012com.stillpay011017965479000243_IlqNv4-VIklxBnIAZPAN6X3R2qc8q3CiaYQO7IMvwo6304E47E"
	for _, height := range []int{600, 2400} {
		q, err := qrcode.New(text, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		code := q.Image(-3)
		receipt := image.NewGray(image.Rect(0, 0, 384, height)) // 48 mm at 203 dpi
		draw.Draw(receipt, receipt.Bounds(), image.White, image.Point{}, draw.Src)
		draw.Draw(receipt, code.Bounds().Add(image.Pt((384-code.Bounds().Dx())/2, 120)), code, image.Point{}, draw.Src)
		path := filepath.Join(t.TempDir(), "receipt.png")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, receipt); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if got, err := DecodeStillFile(path); err != nil || got.Text != text {
			t.Errorf("384×%d receipt: %q, %v", height, got.Text, err)
		}
	}
}
