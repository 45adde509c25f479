package escpos

import (
	"errors"
	"strings"
	"testing"
)

// orderLikePayload is as long as a signed flow 2 order (about 280 bytes of EMV merchant-presented
// text with a base64 signature); its content does not matter for sizing, only its length and mode.
var orderLikePayload = strings.Repeat("0002010102122648stillpay-ORDER-Qk9PTS1zaWdu", 7)[:280]

func TestSizePhoneQR(t *testing.T) {
	for _, tc := range []struct {
		profile   string
		content   string
		minMM     float64 // the module must be at least this big
		wantLevel QRLevel
		tooLarge  bool
	}{
		{"generic-58mm", "short order", 0.85, QRLevelQ, false},
		{"generic-58mm", orderLikePayload, 0.5, QRLevelM, false},
		{"xprinter-xp-58", orderLikePayload, 0.5, QRLevelM, false},
		{"generic-80mm", orderLikePayload, 0.75, QRLevelQ, false},
		{"epson-tm-t88vi", orderLikePayload, 0.7, QRLevelQ, false},
		// The longest stillpay order (every field at its limit) is 430 characters.
		{"generic-58mm", strings.Repeat(orderLikePayload, 2)[:430], 0.5, QRLevelM, false},
		{"generic-58mm", strings.Repeat("x", 700), 0, 0, true},
		{"generic-58mm", strings.Repeat("x", 5000), 0, 0, true},
	} {
		p, err := LookupProfile(tc.profile)
		if err != nil {
			t.Fatal(err)
		}
		q, err := SizePhoneQR(p, tc.content)
		if tc.tooLarge {
			if !errors.Is(err, ErrQRTooLarge) {
				t.Errorf("%s, %d bytes: want ErrQRTooLarge, got %+v %v", tc.profile, len(tc.content), q, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s, %d bytes: %v", tc.profile, len(tc.content), err)
		}
		mm := q.ModuleMM(p)
		t.Logf("%s: %d bytes -> level %c, %d modules, %d dots = %.3f mm per module, symbol %.1f mm wide on %d mm paper",
			tc.profile, len(tc.content), "LMQH"[q.Level-QRLevelL], q.Modules, q.Module, mm, q.WidthMM(p), p.PaperMM)
		if mm < tc.minMM || mm < MinPhoneModuleMM || mm > MaxPhoneModuleMM {
			t.Errorf("%s: module %.3f mm, want >= %.2f and within [%.2f, %.2f]", tc.profile, mm, tc.minMM, MinPhoneModuleMM, MaxPhoneModuleMM)
		}
		if q.Level != tc.wantLevel {
			t.Errorf("%s: level %c, want %c", tc.profile, "LMQH"[q.Level-QRLevelL], "LMQH"[tc.wantLevel-QRLevelL])
		}
		if w := (q.Modules + 2*qrQuietModules) * q.Module; w > p.Dots {
			t.Errorf("%s: %d dots wide, paper has %d", tc.profile, w, p.Dots)
		}
		// The encoder accepts the choice (it refuses codes wider than the paper).
		if err := NewEncoder(p).QR(tc.content, q.Module, q.Level).Err(); err != nil {
			t.Errorf("%s: encoder refuses the size: %v", tc.profile, err)
		}
	}
}
