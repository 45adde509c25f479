package config

import (
	"github.com/stillpay/stillpay/hardware/imaging"
	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/scanner"
	"github.com/stillpay/stillpay/hardware/serialport"
)

// ScannerDriver returns the serial scanner driver's settings for s. It is the one place the agent
// and posagent doctor build them, so both read a scanner the same way: scanner.gap 0 (or absent)
// is the driver's default gap (scanner.DefaultGap), a negative gap turns gap framing off.
func (s Scanner) ScannerDriver() scanner.Config {
	return scanner.Config{Port: s.Port.driver(s.Baud), Suffix: s.Suffix, Gap: s.Gap, MaxFrame: s.MaxFrame}
}

// driver returns the serial line settings of p; baud is the section's, used when p has none.
func (p Port) driver(baud int) serialport.Config {
	if p.Baud != 0 {
		baud = p.Baud
	}
	return serialport.Config{Path: p.Path, USB: p.USB, Baud: baud, DataBits: p.DataBits, Parity: p.Parity, StopBits: p.StopBits}
}

// PrinterDriver returns the printer driver's settings for p (the agent's and doctor's). Type none
// gives a Config without a transport.
func (p Printer) PrinterDriver() printer.Config {
	c := printer.Config{Profile: p.Profile, StatusTimeout: p.StatusTimeout, ConfirmTimeout: p.ConfirmTimeout, ASB: p.ASB, CashDrawer: p.CashDrawer}
	switch p.Type {
	case PrinterSerial:
		c.Transport, c.Serial = printer.TransportSerial, p.Port.driver(p.Baud)
	case PrinterTCP:
		c.Transport, c.Addr = printer.TransportTCP, p.Address
	case PrinterUSBLP:
		c.Transport, c.Device = printer.TransportUSBLP, p.Device
	}
	return c
}

// DecodeOptions returns the image decoder's settings for d (scanner type images).
func (d Decode) DecodeOptions() imaging.Options {
	o := imaging.DefaultOptions()
	if d.MaxSide != 0 {
		o.MaxSide = d.MaxSide
	}
	switch {
	case d.RetrySide > 0:
		o.RetrySide = d.RetrySide
	case d.RetrySide < 0:
		o.RetrySide = 0
	}
	o.Budget = d.Budget
	return o
}
