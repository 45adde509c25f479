// Package hwcmd holds the cobra commands for the hardware side of posagent:
// `posagent decode` (read QR codes from image files), `posagent ports` (list
// and check serial ports), `posagent sim scanner` (a virtual scanner on a
// pty) and `posagent sim printer`. The posagent binary only wires them in.
package hwcmd
