package cli

import (
	"fmt"
	"os"

	qrcode "github.com/skip2/go-qrcode"
)

// qrLevel is the error correction the payload is sized for (docs/protocol.md): L recovers ~7% of the
// modules, enough for a phone screen (a lit, flat, undamaged code), and keeps a typical code at
// version 10 where M needs 11; the choice was measured on camera-like photos (docs/hardware.md).
const qrLevel = qrcode.Low

// pngModulePixels is the size of one QR module in a PNG: big enough for a phone camera or a scanner
// held at a screen.
const pngModulePixels = 6

func newQR(text string) (*qrcode.QRCode, error) {
	q, err := qrcode.New(text, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return q, nil
}

// terminalQR draws the code with half-block characters. Dark modules print as spaces unless light
// is set, which suits the usual dark terminal.
func terminalQR(text string, light bool) (string, error) {
	q, err := newQR(text)
	if err != nil {
		return "", err
	}
	return q.ToSmallString(light), nil
}

// writePNG writes the code as a PNG. It holds a one-time code, so the file is private (0600).
func writePNG(path, text string) error {
	q, err := newQR(text)
	if err != nil {
		return err
	}
	png, err := q.PNG(-pngModulePixels)
	if err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	if err := os.WriteFile(path, png, 0o600); err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	return nil
}
