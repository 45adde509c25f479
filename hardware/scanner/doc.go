// Package scanner reads barcodes from serial (RS-232 or USB-CDC) barcode
// scanners.
//
// The bytes a scanner sends look like [AIM id][data][suffix], but one Read
// is never one barcode: frames arrive split across reads, several per read,
// with line noise between them, and without a suffix when a technician reset
// the scanner. The pure Framer turns a byte stream plus arrival times into
// frames: it splits on the configured suffix (CR, LF, CRLF or any of them)
// and on an inter-character gap, strips an optional AIM symbology identifier
// (]Q1 ...), bounds every frame, and rejects noise and binary garbage with a
// typed reason. The Scanner drives a go.bug.st/serial port through that
// Framer, survives unplug and replug with exponential backoff, and reports
// its State.
//
// Anything that yields barcodes implements Source: the Scanner here, and the
// camera and image-file sources in hardware/imaging.
package scanner
