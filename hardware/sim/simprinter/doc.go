// Package simprinter is a virtual ESC/POS receipt printer for development
// and tests. It sits on the master side of a pty (so the driver opens the
// slave through go.bug.st/serial exactly as it would a real serial
// printer) or listens on TCP like a network printer on port 9100.
//
// It interprets the bytes with its own ESC/POS interpreter (the
// escpos.Parser plus a print engine here) and, at every cut, writes the
// receipt as text (the golden-file form of escpos.TextLine), as PNG (QR
// codes redrawn, raster images pixel-exact, text in a small bitmap font) and
// as the raw bytes. It answers DLE EOT, GS r, GS I and Automatic Status
// Back, and can be switched to paper out, cover open or offline, in which
// state it holds incoming data the way a real printer does until it is
// ready again or told to clear its buffers (DLE DC4 8).
//
// Nothing it receives can make it panic, block forever or grow without
// bound: unknown commands are skipped with a logged reason, payloads are
// capped, held data is capped, pages are cut at a maximum length.
package simprinter
