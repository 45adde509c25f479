package agent

import (
	"errors"
	"fmt"

	"github.com/stillpay/stillpay/hardware/scanner"
	"github.com/stillpay/stillpay/shared/payload"
)

// symbologies names the AIM code characters (ISO/IEC 15424) a counter scanner reports, for the
// cashier's notice when something other than a payment code is scanned.
var symbologies = map[byte]string{
	'A': "Code 39", 'C': "Code 128", 'E': "EAN/UPC", 'F': "Codabar", 'G': "Code 93", 'I': "Interleaved 2 of 5",
	'L': "PDF417", 'd': "Data Matrix", 'e': "GS1 DataBar", 'z': "Aztec", 'Q': "QR",
}

// notPayment says why a scanned frame cannot be a payment code, or "" when it may be one. A payment
// code is a QR code: a frame whose AIM identifier names another symbology (a product's EAN) is not
// one whatever it holds. A frame without the payload prefix (line noise, another scheme's coupon)
// is not one either. Frames that pass are decided by the sale, so a damaged or retired payment code
// still gets its decline code.
func notPayment(f scanner.Frame) string {
	if f.Symbology != "" && f.Symbology[1] != 'Q' {
		name, ok := symbologies[f.Symbology[1]]
		if !ok {
			name = "symbology " + f.Symbology
		}
		return fmt.Sprintf("a %s barcode (%s), not a payment QR code", name, f.Symbology)
	}
	// Only the prefix is parsed: payload.Parse checks it before anything else, so ErrPrefix here is
	// exactly "not a stillpay payload", whatever the rest would have been.
	text := string(f.Data)
	if _, err := payload.Parse(text[:min(len(text), len(payload.Prefix))]); errors.Is(err, payload.ErrPrefix) {
		return "not a stillpay payment code"
	}
	return ""
}

// ignoreScan tells the cashier (on the waiting sale's view) and the log that a scan was not a
// payment code; the sale keeps waiting. The frame's content is never logged: it may be anything.
func (a *Agent) ignoreScan(f scanner.Frame, why string) {
	a.mu.Lock()
	s := a.current
	if s != nil {
		s.ignored++
		s.notice = "scan ignored: " + why
	}
	a.mu.Unlock()
	a.stats.ScansIgnored.Add(1)
	a.log.Warn("scan ignored: not a payment code", "why", why, "bytes", len(f.Data), "sale_waiting", s != nil)
	if s != nil {
		a.notify()
	}
}
