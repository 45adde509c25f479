package main

import (
	"bytes"
	"crypto/ed25519"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
)

// Capacities of QR versions 1..20 at error correction M (ISO/IEC 18004:2015 table 7), in characters.
var (
	alphanumericCapacityM = []int{20, 38, 61, 90, 122, 154, 178, 221, 262, 311, 366, 419, 483, 528, 600, 656, 734, 816, 909, 970}
	byteCapacityM         = []int{14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666}
)

// smallestVersion is the first version whose capacity holds n characters.
func smallestVersion(capacity []int, n int) int {
	for v, c := range capacity {
		if c >= n {
			return v + 1
		}
	}
	return len(capacity) + 1
}

// testPayload builds a payload text with ids of the given lengths, signed with fixed keys.
func testPayload(t testing.TB, keyID, userID, authID string) string {
	t.Helper()
	server := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	device := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	issued := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c, err := credential.Sign(credential.Credential{
		UserID: userID, AuthorizationID: authID, DevicePublicKey: device.Public().(ed25519.PublicKey),
		Currency: "EUR", CapPerPayment: 2000, MaxCodes: 10, IssuedAt: issued, ExpiresAt: issued.Add(24 * time.Hour),
	}, keyID, server)
	if err != nil {
		t.Fatal(err)
	}
	step := otp.StepAt(issued.Add(time.Hour))
	text, err := payload.Build(c.Marshal(), 3, step, otp.PaymentCode(bytes.Repeat([]byte{4}, 32), step, 3), device)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestQRVersion checks that go-qrcode stores the payload in alphanumeric mode and so picks a QR
// version of 15 or lower at level M: the figures docs/protocol.md quotes.
func TestQRVersion(t *testing.T) {
	tests := []struct {
		name                 string
		keyID, user, auth    string
		wantLen, wantVersion int
	}{
		{"typical", "k-0123456789ab", "alice", "a-0123456789abcdef", 381, 12},
		{"e-mail user id", "k-0123456789ab", "alice@example.com", "a-0123456789abcdef", 399, 12},
		{"longest ids", strings.Repeat("k", credential.MaxKeyIDLen), strings.Repeat("u", credential.MaxUserIDLen),
			strings.Repeat("a", credential.MaxAuthorizationIDLen), payload.MaxTextLen, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := testPayload(t, tt.keyID, tt.user, tt.auth)
			if len(text) != tt.wantLen {
				t.Fatalf("payload is %d characters, want %d", len(text), tt.wantLen)
			}
			q, err := newQR(text)
			if err != nil {
				t.Fatal(err)
			}
			// Byte mode would need at least this version; alphanumeric mode at most the other.
			byteVersion := smallestVersion(byteCapacityM, len(text))
			alnumVersion := smallestVersion(alphanumericCapacityM, len(text))
			if q.VersionNumber >= byteVersion || q.VersionNumber > alnumVersion {
				t.Fatalf("go-qrcode chose version %d for %d characters: byte mode needs %d, alphanumeric %d",
					q.VersionNumber, len(text), byteVersion, alnumVersion)
			}
			if q.VersionNumber != tt.wantVersion || q.VersionNumber > 15 {
				t.Fatalf("QR version %d, docs/protocol.md says %d (and at most 15)", q.VersionNumber, tt.wantVersion)
			}
		})
	}
}

// TestPNGDecodes writes the PNG `wallet code --png` writes and reads it back with gozxing. The image
// is a clean, axis-aligned code, so it uses PURE_BARCODE: gozxing's finder-pattern search without
// it misses about 1 in 100 codes whatever the encoder (measured: go-qrcode and gozxing's own writer
// alike), and this fixture happens to be one of them.
func TestPNGDecodes(t *testing.T) {
	text := testPayload(t, "k-0123456789ab", "alice", "a-0123456789abcdef")
	path := filepath.Join(t.TempDir(), "code.png")
	if err := writePNG(path, text); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("PNG mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("gozxing: %v", err)
	}
	if res.GetText() != text {
		t.Fatalf("decoded %q, want %q", res.GetText(), text)
	}
	if _, err := payload.Parse(res.GetText()); err != nil {
		t.Fatalf("decoded payload: %v", err)
	}
}

func TestTerminalQR(t *testing.T) {
	text := testPayload(t, "k-0123456789ab", "alice", "a-0123456789abcdef")
	dark, err := terminalQR(text, false)
	if err != nil {
		t.Fatal(err)
	}
	light, err := terminalQR(text, true)
	if err != nil {
		t.Fatal(err)
	}
	// Version 12 is 65 modules plus a 4-module border each side; half blocks put two rows in a line.
	if lines := strings.Count(dark, "\n"); lines != (65+8+1)/2 {
		t.Fatalf("terminal QR has %d lines, want %d", lines, (65+8+1)/2)
	}
	if dark == light || !strings.ContainsAny(dark, "▀▄█") {
		t.Fatal("terminal QR is not drawn with half blocks, or --light changes nothing")
	}
}
