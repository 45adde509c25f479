package escpos

import "fmt"

// Sizing of QR codes that a phone camera must read off the paper (flow 2's order codes), as
// opposed to the receipt's own QR (a transaction id for the shop's scanner).
//
// A phone reads a code when each module covers a few camera pixels. A phone held 15-25 cm over a
// receipt sees 10-20 cm of paper across a 1280-pixel preview frame, i.e. 6-13 pixels per mm, so a
// 0.4 mm module is at least 2.5 pixels: readable. Thermal paper smudges and fades, so the error
// correction is never below M (15 % recovery); L is not used.
const (
	// MinPhoneModuleMM is the smallest module a phone code may be printed with.
	MinPhoneModuleMM = 0.4
	// GoodPhoneModuleMM is a module size phones read at a glance, even from a slightly worn print:
	// the strongest error correction that keeps the module at least this big is chosen.
	GoodPhoneModuleMM = 0.6
	// MaxPhoneModuleMM caps the module: past 1 mm the code only gets bigger, not easier to read.
	MaxPhoneModuleMM = 1.0
)

// PhoneQR is a QR code's size chosen for a phone camera.
type PhoneQR struct {
	Level   QRLevel
	Modules int // symbol width in modules, without the quiet zone
	Module  int // dots per module
}

// ModuleMM is the printed width of one module on profile p.
func (q PhoneQR) ModuleMM(p Profile) float64 { return float64(q.Module) * dotMM(p) }

// WidthMM is the printed width of the symbol, quiet zone included, on profile p.
func (q PhoneQR) WidthMM(p Profile) float64 {
	return float64((q.Modules+2*qrQuietModules)*q.Module) * dotMM(p)
}

func dotMM(p Profile) float64 { return 25.4 / float64(p.DPI) }

// SizePhoneQR chooses the error correction and module size for content on printer p. For each level
// the module is the largest that fits the printable width (quiet zone included), up to
// MaxPhoneModuleMM. Level Q is taken if its module is at least GoodPhoneModuleMM; otherwise the level
// with the larger module (M when they tie at Q's expense). It fails with ErrQRTooLarge when the
// chosen module is under MinPhoneModuleMM: the content is too long for this paper.
func SizePhoneQR(p Profile, content string) (PhoneQR, error) {
	if p.DPI <= 0 || p.Dots <= 0 {
		return PhoneQR{}, fmt.Errorf("escpos: %w: profile %q has no resolution", ErrInvalidArgument, p.Name)
	}
	maxModule := min(max(int(MaxPhoneModuleMM/dotMM(p)), MinQRModule), MaxQRModule)
	var best PhoneQR
	var lastErr error
	for _, l := range []QRLevel{QRLevelQ, QRLevelM} {
		modules, err := QRModules(content, l)
		if err != nil {
			lastErr = err
			continue
		}
		q := PhoneQR{Level: l, Modules: modules, Module: min(p.Dots/(modules+2*qrQuietModules), maxModule)}
		if l == QRLevelQ && q.ModuleMM(p) >= GoodPhoneModuleMM {
			return q, nil
		}
		if q.Module > best.Module {
			best = q
		}
	}
	if best.Module == 0 {
		if lastErr == nil {
			lastErr = fmt.Errorf("escpos: %w: %d bytes do not fit %d dots", ErrQRTooLarge, len(content), p.Dots)
		}
		return PhoneQR{}, lastErr
	}
	if best.ModuleMM(p) < MinPhoneModuleMM {
		return best, fmt.Errorf("escpos: %w: %d bytes need %d modules, %.2f mm each on %d mm paper (a phone needs %.2f mm)",
			ErrQRTooLarge, len(content), best.Modules, best.ModuleMM(p), p.PaperMM, MinPhoneModuleMM)
	}
	return best, nil
}
