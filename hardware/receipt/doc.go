// Package receipt describes a receipt once — lines, columns, emphasis, a QR
// code — and renders that one description both to ESC/POS bytes for a
// printer profile and to plain text, so that previews, tests and the paper
// come from the same layout.
//
// The plain text has one line per printed line: a four-character style
// marker (B bold, U underline, W double width, H double height), a bar for
// the left edge of the paper, then the characters as they sit in the
// printer's columns (see escpos.TextLine). The printer simulator writes the
// same form from the bytes it receives, which is what the golden tests in
// testdata/receipts compare.
package receipt
