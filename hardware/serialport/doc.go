// Package serialport opens go.bug.st/serial ports by device path or by USB
// vendor/product id, and lists the serial ports of the machine with a guess of
// what kind of device sits behind each one.
//
// It is the single place where the agent turns configuration into an open
// serial.Port: the barcode scanner driver (hardware/scanner) and the printer's
// serial transport both call Open, so both get the same error classification
// (ErrNotFound, ErrNotSerial, ErrPermission, ErrBusy, ErrAmbiguous,
// ErrInvalidConfig) and the same simulation-safe settings (no modem-bit
// initialisation, which a pty would refuse).
package serialport
