package main

import (
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// Other schemes' codes are shown and never paid: no login, no network, exit status 1.
func TestPayOtherScheme(t *testing.T) {
	home := t.TempDir()
	pix := "00020101021226720014br.gov.bcb.pix2550bx.com.br/pix/8b3da2f3-9a41-40d1-a91a-bd93113bd4415204000053039865406123.455802BR5913Fulano de Tal6008BRASILIA62190515RP12345678-2019630445C8"
	out, errOut, code := cli(t, nil, "", "--home", home, "pay", "--text", pix, "--yes")
	if code != 1 || !strings.Contains(out, "not a stillpay order: Fulano de Tal, BRASILIA BR, amount 123.45 BRL (scheme br.gov.bcb.pix)") ||
		!strings.Contains(errOut, "nothing was paid") {
		t.Fatalf("pay Pix: %d %q %q", code, out, errOut)
	}

	// The same from a camera image, decoded with gozxing.
	png := filepath.Join(t.TempDir(), "pix.png")
	if err := writePNG(png, pix); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = cli(t, nil, "", "--home", home, "pay", "--image", png, "--json")
	var v payView
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || v.Stillpay || v.Paid || v.Other == nil ||
		v.Other.MerchantName != "Fulano de Tal" || v.Other.MerchantCity != "BRASILIA" || v.Other.Amount != "123.45" || v.Other.Currency != "BRL" {
		t.Fatalf("pay --image --json: %d %q %q", code, out, errOut)
	}
}

func TestPayRefusesBadInput(t *testing.T) {
	home := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no source", []string{"pay"}, "exactly one of --image FILE and --text PAYLOAD"},
		{"both sources", []string{"pay", "--text", "x", "--image", "y"}, "exactly one of"},
		{"garbage", []string{"pay", "--text", strings.Repeat("garbage ", 700)}, "payload too long"},
		{"bad CRC", []string{"pay", "--text", "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3E"}, "CRC does not match"},
		{"missing image", []string{"pay", "--image", filepath.Join(home, "nope.png")}, "nope.png"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, nil, "", append([]string{"--home", home}, tc.args...)...)
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("%d %q %q, want %q", code, out, errOut, tc.want)
			}
		})
	}
}

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
		if got, err := decodeImage(path); err != nil || got != text {
			t.Errorf("384×%d receipt: %q, %v", height, got, err)
		}
	}
}
