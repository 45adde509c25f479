package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
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
