package emvqr

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// realWorld reads testdata/realworld.txt: name, tab, payload (README.md says where each is from).
func realWorld(t testing.TB) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/realworld.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, payload, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("testdata line without a tab: %q", line)
		}
		out[name] = payload
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// realWorldWant is what each real-world payload must read as.
var realWorldWant = []struct {
	name                 string
	scheme               string // a GUI the code must carry
	merchant, city       string
	country, currency    string
	amount               string
	minor                int64 // -1: no amount
	static               bool
	localName, localCity string
}{
	{"emvco-spec-best-transport", "D15600000000", "BEST TRANSPORT", "BEIJING", "CN", "CNY", "23.72", 2372, false, "最佳运输", "北京"},
	{"pix-bcb-manual-static", "br.gov.bcb.pix", "Fulano de Tal", "BRASILIA", "BR", "BRL", "", -1, false, "", ""},
	{"pix-bcb-manual-dynamic", "br.gov.bcb.pix", "Fulano de Tal", "BRASILIA", "BR", "BRL", "123.45", 12345, false, "", ""},
	{"pix-static-amount-description", "br.gov.bcb.pix", "Fulano de Tal", "BRASILIA", "BR", "BRL", "5.00", 500, false, "", ""},
	{"pix-static-uppercase-gui", "br.gov.bcb.pix", "Fulano de Tal", "BRASILIA", "BR", "BRL", "1.00", 100, false, "", ""},
	{"pix-mercadopago", "br.gov.bcb.pix", "DEELIEZER20220211013929", "Sao Paulo", "BR", "BRL", "25.50", 2550, false, "", ""},
	{"promptpay-billpayment-thaiqr", "A000000677010112", "THAIQR", "", "TH", "THB", "200.00", 20000, false, "", ""},
	{"promptpay-billpayment-static", "A000000677010112", "", "", "TH", "THB", "900.04", 90004, true, "", ""},
	{"promptpay-billpayment-na", "A000000677010112", "NA", "", "TH", "THB", "10.00", 1000, false, "", ""},
	{"sgqr-soba-express", "SG.SGQR", "SOBA EXPRESS", "Singapore", "SG", "SGD", "", -1, true, "", ""},
	{"sgqr-presidents-challenge", "SG.COM.NETS", "PRESIDENT'S CHALLENGE NO1", "Singapore", "SG", "SGD", "", -1, true, "", ""},
	{"bharatqr-techno-main", "A000000524", "TECHNO MAIN SALTLAKE", "KOLKATA", "IN", "INR", "", -1, true, "", ""},
	{"bharatqr-central-warehousing", "A000000524", "CENTRAL WAREHOUSING NEW", "New Delhi", "IN", "INR", "", -1, true, "", ""},
	{"bharatqr-razorpay-dynamic", "A000000524", "zxcbmn", "Delhi", "IN", "INR", "1.10", 110, false, "", ""},
	{"qris-xendit-dana", "ID.CO.QRIS.WWW", "XENDIT", "Kota Jakarta Se", "ID", "IDR", "10000", 1000000, false, "", ""},
	{"qris-pakasir-shopee", "ID.CO.QRIS.WWW", "Pakasir", "KAB. KEBUMEN", "ID", "IDR", "100003.00", 10000300, false, "", ""},
}

func TestRealWorldPayloads(t *testing.T) {
	t.Parallel()
	payloads := realWorld(t)
	if len(payloads) != len(realWorldWant) {
		t.Fatalf("testdata has %d payloads, the table %d", len(payloads), len(realWorldWant))
	}
	countries := map[string]bool{}
	for _, w := range realWorldWant {
		t.Run(w.name, func(t *testing.T) {
			p, ok := payloads[w.name]
			if !ok {
				t.Fatalf("no payload %q in testdata", w.name)
			}
			c, err := Parse(p)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			s := c.Summarize()
			got := []string{s.MerchantName, s.MerchantCity, s.Country, s.Currency, s.Amount, s.LocalName, s.LocalCity}
			want := []string{w.merchant, w.city, w.country, w.currency, w.amount, w.localName, w.localCity}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("field %d: got %q, want %q", i, got[i], want[i])
				}
			}
			if s.Static != w.static {
				t.Errorf("static = %v, want %v", s.Static, w.static)
			}
			if _, ok := c.AccountByGUI(w.scheme); !ok {
				t.Errorf("no template with GUI %q (have %v)", w.scheme, s.Schemes)
			}
			minor, err := c.AmountMinor()
			switch {
			case w.minor < 0 && err != ErrNoAmount:
				t.Errorf("AmountMinor = %d, %v; want ErrNoAmount", minor, err)
			case w.minor >= 0 && (err != nil || minor != w.minor):
				t.Errorf("AmountMinor = %d, %v; want %d", minor, err, w.minor)
			}
			countries[s.Country] = true

			// Re-encoding gives the same text, except that Encode writes the CRC in upper case.
			again, err := c.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if again != p[:len(p)-4]+strings.ToUpper(p[len(p)-4:]) {
				t.Errorf("round trip:\n got %s\nwant %s", again, p)
			}
		})
	}
	if len(countries) < 4 {
		t.Errorf("payloads of %d countries, want at least 4", len(countries))
	}
}

// TestRealWorldTamper changes every character of real payloads to each of a few others: every
// change is an error (almost always ErrCRC), never a different valid code.
func TestRealWorldTamper(t *testing.T) {
	t.Parallel()
	payloads := realWorld(t)
	for _, name := range []string{"pix-bcb-manual-dynamic", "qris-pakasir-shopee", "emvco-spec-best-transport"} {
		r := []rune(payloads[name])
		for i := range r[:len(r)-4] {
			for _, c := range "0159A.Z *" {
				if c == r[i] {
					continue
				}
				m := append([]rune(nil), r...)
				m[i] = c
				if _, err := Parse(string(m)); err == nil {
					t.Errorf("%s: changing character %d to %q still parses", name, i, c)
				}
			}
		}
	}
}
