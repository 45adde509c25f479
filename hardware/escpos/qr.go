package escpos

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// QR module size limits in dots (GS ( k function 167 takes 1..16).
const (
	MinQRModule = 1
	MaxQRModule = 16
	// autoQRMaxModule caps the module size chosen automatically: bigger
	// codes waste paper without scanning better.
	autoQRMaxModule = 6
	// qrQuietModules is the white border the QR specification asks for on
	// each side.
	qrQuietModules = 4
)

// qrLevel converts a GS ( k error correction level to go-qrcode's.
func qrLevel(l QRLevel) (qrcode.RecoveryLevel, error) {
	switch l {
	case QRLevelL:
		return qrcode.Low, nil
	case QRLevelM:
		return qrcode.Medium, nil
	case QRLevelQ:
		return qrcode.High, nil
	case QRLevelH:
		return qrcode.Highest, nil
	}
	return 0, fmt.Errorf("escpos: %w: QR level %d", ErrInvalidArgument, l)
}

// QRModules returns the symbol width in modules (without quiet zone) that
// content needs at level l, or ErrQRTooLarge.
func QRModules(content string, l QRLevel) (int, error) {
	q, err := newQR(content, l)
	if err != nil {
		return 0, err
	}
	return 17 + 4*q.VersionNumber, nil
}

func newQR(content string, l QRLevel) (*qrcode.QRCode, error) {
	lvl, err := qrLevel(l)
	if err != nil {
		return nil, err
	}
	if content == "" {
		return nil, fmt.Errorf("escpos: %w: empty QR content", ErrInvalidArgument)
	}
	q, err := qrcode.New(content, lvl)
	if err != nil {
		return nil, fmt.Errorf("escpos: %w: %d bytes at level %c: %v", ErrQRTooLarge, len(content), "LMQH"[l-QRLevelL], err)
	}
	return q, nil
}

// AutoQRModule picks the largest module size (up to 6 dots) at which a
// symbol of the given width, quiet zone included, fits in two thirds of the
// paper.
func AutoQRModule(p Profile, modules int) int {
	return min(max(p.Dots*2/3/(modules+2*qrQuietModules), MinQRModule), autoQRMaxModule)
}

// QR prints content as a QR code (model 2). moduleSize is the dot size of
// one module, 0 to choose automatically. Profiles with NativeQR get GS ( k,
// which the printer renders itself; the others get the same symbol drawn by
// go-qrcode and sent as raster strips. Alignment (ESC a) applies to both.
func (e *Encoder) QR(content string, moduleSize int, level QRLevel) *Encoder {
	if e.err != nil {
		return e
	}
	q, err := newQR(content, level)
	if err != nil {
		return e.fail(err)
	}
	modules := 17 + 4*q.VersionNumber
	if moduleSize == 0 {
		moduleSize = AutoQRModule(e.p, modules)
	}
	if moduleSize < MinQRModule || moduleSize > MaxQRModule {
		return e.fail(fmt.Errorf("escpos: %w: QR module size %d, want %d..%d", ErrInvalidArgument, moduleSize, MinQRModule, MaxQRModule))
	}
	if w := (modules + 2*qrQuietModules) * moduleSize; w > e.p.Dots {
		return e.fail(fmt.Errorf("escpos: %w: %d dots wide at module size %d, paper %d", ErrQRTooLarge, w, moduleSize, e.p.Dots))
	}
	if e.p.NativeQR {
		return e.nativeQR(content, moduleSize, level)
	}
	return e.Raster(QRRaster(q, moduleSize))
}

func (e *Encoder) nativeQR(content string, moduleSize int, level QRLevel) *Encoder {
	e.Raw(GS, '(', 'k', 4, 0, 49, 65, 50, 0)             // model 2
	e.Raw(GS, '(', 'k', 3, 0, 49, 67, byte(moduleSize))  // module size
	e.Raw(GS, '(', 'k', 3, 0, 49, 69, byte(level))       // error correction
	n := len(content) + 3                                // cn fn m + data
	e.Raw(GS, '(', 'k', byte(n), byte(n>>8), 49, 80, 48) // store
	e.buf = append(e.buf, content...)
	return e.Raw(GS, '(', 'k', 3, 0, 49, 81, 48) // print
}

// QRRaster draws a QR symbol, quiet zone included, at moduleSize dots per
// module.
func QRRaster(q *qrcode.QRCode, moduleSize int) *Raster {
	bm := q.Bitmap()
	n := len(bm)
	r := NewRaster(n*moduleSize, n*moduleSize)
	for y, row := range bm {
		for x, black := range row {
			if !black {
				continue
			}
			for dy := 0; dy < moduleSize; dy++ {
				for dx := 0; dx < moduleSize; dx++ {
					r.Set(x*moduleSize+dx, y*moduleSize+dy)
				}
			}
		}
	}
	return r
}

// QRRasterFor draws content at level l; the simulator uses it to redraw
// native QR codes exactly as the raster fallback would print them.
func QRRasterFor(content string, l QRLevel, moduleSize int) (*Raster, error) {
	q, err := newQR(content, l)
	if err != nil {
		return nil, err
	}
	if moduleSize < MinQRModule || moduleSize > MaxQRModule {
		return nil, fmt.Errorf("escpos: %w: QR module size %d", ErrInvalidArgument, moduleSize)
	}
	return QRRaster(q, moduleSize), nil
}
