// Package printer drives ESC/POS receipt printers over a serial port
// (go.bug.st/serial through hardware/serialport, with paced writes because
// that library has no flow control), a USB printer-class device file
// (/dev/usb/lpN) or TCP port 9100.
//
// Print never claims more than it knows. Before a job it asks the printer's
// real-time status (DLE EOT) and refuses to send into paper out, an open
// cover or an offline printer, returning ErrPaperOut, ErrCoverOpen or
// ErrOffline; the job is then not printed and can simply be printed again.
// After the job it sends GS r 1, which the printer answers only once
// everything before it has printed: that answer, and nothing else, makes the
// Result Printed. A printer that cannot answer (many cheap ones are
// unidirectional) gives Unknown when the timeout runs out, never Printed.
// If the paper runs out in the middle of a job, the printer's buffers are
// cleared (DLE DC4 8) so the half receipt does not resume, and Print returns
// ErrPaperOut: load paper and print the job again.
package printer
