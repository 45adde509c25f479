package escpos

// Control bytes that start or make up ESC/POS commands.
const (
	NUL = 0x00
	HT  = 0x09
	LF  = 0x0A
	FF  = 0x0C
	CR  = 0x0D
	DLE = 0x10
	DC4 = 0x14
	EOT = 0x04
	ENQ = 0x05
	XON = 0x11
	XOF = 0x13 // XOFF
	CAN = 0x18
	ESC = 0x1B
	FS  = 0x1C
	GS  = 0x1D
)

// Real-time status request numbers for DLE EOT n.
const (
	StatusPrinter = 1 // drawer, online/offline, feed button
	StatusOffline = 2 // cause of offline: cover, paper end stop, error
	StatusError   = 3 // autocutter, unrecoverable, auto-recoverable
	StatusPaper   = 4 // roll paper sensor: near end, not present
)

// Cash drawer connector pins for ESC p.
const (
	DrawerPin2 = 0
	DrawerPin5 = 1
)

// Text alignment values for ESC a.
const (
	AlignLeft   = 0
	AlignCenter = 1
	AlignRight  = 2
)

// QR error correction levels as GS ( k function 169 expects them (48 + level).
type QRLevel byte

// QR error correction levels, about 7, 15, 25 and 30 % recovery.
const (
	QRLevelL QRLevel = 48
	QRLevelM QRLevel = 49
	QRLevelQ QRLevel = 50
	QRLevelH QRLevel = 51
)

// ClearBuffersCommand returns DLE DC4 fn=8, which tells a printer to throw
// away the data it holds, so that a job interrupted by paper out does not
// resume half-printed after the paper is loaded. The parameter bytes after fn
// (1 3 20 1 6 2 8) are fixed, as Epson defines them.
func ClearBuffersCommand() []byte {
	return []byte{DLE, DC4, 8, 1, 3, 20, 1, 6, 2, 8}
}

// RealTimeStatusCommand returns DLE EOT n.
func RealTimeStatusCommand(n byte) []byte { return []byte{DLE, EOT, n} }

// TransmitPaperStatusCommand returns GS r 1. The printer answers it in
// buffer order, after everything sent before it has printed, which makes it
// the "job finished" marker.
func TransmitPaperStatusCommand() []byte { return []byte{GS, 'r', 1} }

// ASBCommand returns GS a n, enabling Automatic Status Back for the status
// groups in mask (bit 0 drawer, 1 online/offline, 2 error, 3 paper sensor).
func ASBCommand(mask byte) []byte { return []byte{GS, 'a', mask} }

// RecoverCommand returns DLE ENQ n (1: recover and restart from the line
// where the error happened, 2: recover after clearing the buffers).
func RecoverCommand(n byte) []byte { return []byte{DLE, ENQ, n} }
