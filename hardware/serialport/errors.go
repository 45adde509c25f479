package serialport

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"go.bug.st/serial"
)

// Sentinel errors returned (wrapped) by Open, Validate and ParseUSBID. Test
// for them with errors.Is; the wrapped message names the device and says what
// to do.
var (
	// ErrInvalidConfig means the Config itself is wrong (bad baud rate,
	// parity, USB id ...); retrying will not help.
	ErrInvalidConfig = errors.New("invalid serial port configuration")
	// ErrNotFound means no device exists at the path, or no USB device
	// matches the configured id. The device may be unplugged.
	ErrNotFound = errors.New("serial device not found")
	// ErrNotSerial means the path exists but is not a tty (for example
	// /dev/null or a USB printer-class node such as /dev/usb/lp0).
	ErrNotSerial = errors.New("not a serial device")
	// ErrPermission means the process may not open the device.
	ErrPermission = errors.New("permission denied on serial device")
	// ErrBusy means another process holds the port exclusively.
	ErrBusy = errors.New("serial device busy")
	// ErrAmbiguous means a USB id without a serial number matched more than
	// one port.
	ErrAmbiguous = errors.New("USB id matches more than one serial port")
	// ErrUnsupported means port enumeration is not available in this build
	// (darwin without cgo).
	ErrUnsupported = errors.New("serial port enumeration not supported on this platform")
)

// hint returns the advice printed after an error, so that a technician reading
// a log or the `posagent ports` output knows what to do next.
func hint(err error) string {
	switch {
	case errors.Is(err, ErrNotSerial):
		return "this node is not a tty: a USB printer-class printer (/dev/usb/lp*) needs the usblp or TCP 9100 transport, and a scanner must be switched to USB-CDC (USB COM port emulation) mode so that it appears as /dev/ttyACM*"
	case errors.Is(err, ErrPermission):
		return "add the agent's user to the dialout group (or set MODE/GROUP in a udev rule) and log in again"
	case errors.Is(err, ErrNotFound):
		return "check the cable, run `posagent ports` to see what is connected, and check the udev symlink"
	case errors.Is(err, ErrBusy):
		return "another process has the port open; stop it (ModemManager probes new ttyACM devices: tag the device with ID_MM_DEVICE_IGNORE=1)"
	case errors.Is(err, ErrAmbiguous):
		return "add the USB serial number as VID:PID:SERIAL, or use the device path"
	}
	return ""
}

// Hint returns a one-line piece of advice for an error returned by this
// package, or "" when there is none.
func Hint(err error) string { return hint(err) }

// classify maps the raw errors of go.bug.st/serial and the OS onto this
// package's sentinels, keeping the original error in the chain.
func classify(path string, err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	var pe *serial.PortError
	switch {
	case errors.As(err, &pe) && pe.Code() == serial.PortNotFound:
		sentinel = ErrNotFound
	case errors.As(err, &pe) && pe.Code() == serial.InvalidSerialPort:
		sentinel = ErrNotSerial
	case errors.As(err, &pe) && pe.Code() == serial.PermissionDenied:
		sentinel = ErrPermission
	case errors.As(err, &pe) && pe.Code() == serial.PortBusy:
		sentinel = ErrBusy
	case errors.As(err, &pe) && (pe.Code() == serial.InvalidSpeed || pe.Code() == serial.InvalidDataBits ||
		pe.Code() == serial.InvalidParity || pe.Code() == serial.InvalidStopBits):
		sentinel = ErrInvalidConfig
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		sentinel = ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		sentinel = ErrPermission
	case errors.Is(err, syscall.ENOTTY):
		sentinel = ErrNotSerial
	case errors.Is(err, syscall.EBUSY):
		sentinel = ErrBusy
	default:
		return fmt.Errorf("serialport: open %s: %w", path, err)
	}
	return fmt.Errorf("serialport: open %s: %w: %w", path, sentinel, err)
}
