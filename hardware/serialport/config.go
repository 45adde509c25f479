package serialport

import (
	"fmt"
	"strings"

	"go.bug.st/serial"
)

// Defaults applied by Mode for zero fields: 9600 8N1, the factory setting of
// nearly every RS-232 scanner and receipt printer.
const (
	DefaultBaud     = 9600
	DefaultDataBits = 8
	DefaultStopBits = 1
	DefaultParity   = "none"
)

// Config says which port to open and how to configure it. Exactly one of Path
// and USB is set.
type Config struct {
	Path     string `yaml:"path" json:"path,omitempty"`           // e.g. /dev/ttyACM0 or /dev/scanner; empty when USB is set
	USB      string `yaml:"usb" json:"usb,omitempty"`             // "VID:PID" (hex, any case), optionally "VID:PID:SERIAL"
	Baud     int    `yaml:"baud" json:"baud,omitempty"`           // default 9600
	DataBits int    `yaml:"data_bits" json:"data_bits,omitempty"` // default 8
	Parity   string `yaml:"parity" json:"parity,omitempty"`       // "none" (default) | "even" | "odd"
	StopBits int    `yaml:"stop_bits" json:"stop_bits,omitempty"` // 1 (default) | 2
}

// String names the device for logs and errors.
func (c Config) String() string {
	if c.Path != "" {
		return c.Path
	}
	return "usb:" + c.USB
}

// Validate reports a wrapped ErrInvalidConfig when the configuration cannot
// describe a port.
func (c Config) Validate() error {
	if (c.Path == "") == (c.USB == "") {
		return fmt.Errorf("serialport: %w: set exactly one of path and usb (got path=%q usb=%q)", ErrInvalidConfig, c.Path, c.USB)
	}
	if c.USB != "" {
		if _, err := ParseUSBID(c.USB); err != nil {
			return err
		}
	}
	_, err := c.Mode()
	return err
}

// Mode converts the configuration into a serial.Mode, applying the defaults.
// InitialStatusBits stays nil: setting modem bits fails on ptys (simulation)
// and the scanners and printers we drive do not need them at open.
func (c Config) Mode() (*serial.Mode, error) {
	m := &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits}
	if m.BaudRate == 0 {
		m.BaudRate = DefaultBaud
	}
	if m.BaudRate < 50 || m.BaudRate > 4_000_000 {
		return nil, fmt.Errorf("serialport: %w: baud %d out of range 50..4000000", ErrInvalidConfig, c.Baud)
	}
	if m.DataBits == 0 {
		m.DataBits = DefaultDataBits
	}
	if m.DataBits < 5 || m.DataBits > 8 {
		return nil, fmt.Errorf("serialport: %w: data bits %d, want 5..8", ErrInvalidConfig, c.DataBits)
	}
	switch strings.ToLower(c.Parity) {
	case "", "none", "n":
		m.Parity = serial.NoParity
	case "even", "e":
		m.Parity = serial.EvenParity
	case "odd", "o":
		m.Parity = serial.OddParity
	default:
		return nil, fmt.Errorf("serialport: %w: parity %q, want none, even or odd", ErrInvalidConfig, c.Parity)
	}
	switch c.StopBits {
	case 0, 1:
		m.StopBits = serial.OneStopBit
	case 2:
		m.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("serialport: %w: stop bits %d, want 1 or 2", ErrInvalidConfig, c.StopBits)
	}
	return m, nil
}
