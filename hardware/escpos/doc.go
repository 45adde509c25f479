// Package escpos speaks the ESC/POS command language of thermal receipt
// printers, in both directions.
//
// The Encoder turns text, styles, QR codes and images into the bytes a
// printer described by a Profile understands: UTF-8 text is mapped onto the
// printer's code pages with golang.org/x/text (switching pages with ESC t as
// needed, transliterating what no page has, and using the Kanji/GB mode of
// Chinese printers for CJK characters); QR codes go out natively (GS ( k) or
// as raster strips (GS v 0) drawn with go-qrcode when the profile has no
// native QR.
//
// The Parser is the other direction: it splits a byte stream into commands,
// with bounded buffers and a reason for everything it skips, for the printer
// simulator and for tests.
//
// The status helpers decode the single-byte DLE EOT and GS r replies and the
// four-byte Automatic Status Back (ASB) messages, and ReplyScanner tells them
// apart in a stream, which is what a driver needs to know whether a receipt
// really printed.
package escpos
