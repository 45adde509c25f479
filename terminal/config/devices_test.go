package config

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/scanner"
)

// TestScannerDriverGap: the agent and doctor build the scanner driver with ScannerDriver, so a
// config without scanner.gap frames by the driver's default gap in both (the agent used to turn
// gap framing off for gap 0 while doctor used 100 ms), and a negative gap turns it off in both.
func TestScannerDriverGap(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want time.Duration
	}{
		{minimal, scanner.DefaultGap},
		{"server: {url: http://127.0.0.1:8080}\nprinter: {port: /dev/ttyUSB0}\nscanner: {port: /dev/ttyACM0, gap: 0s}\n", scanner.DefaultGap},
		{"server: {url: http://127.0.0.1:8080}\nprinter: {port: /dev/ttyUSB0}\nscanner: {port: /dev/ttyACM0, gap: 40ms}\n", 40 * time.Millisecond},
		{"server: {url: http://127.0.0.1:8080}\nprinter: {port: /dev/ttyUSB0}\nscanner: {port: /dev/ttyACM0, gap: -1ms}\n", 0},
	} {
		cfg, err := Parse([]byte(c.yaml))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		fc, err := cfg.Scanner.ScannerDriver().FramerConfig()
		if err != nil {
			t.Fatal(err)
		}
		if fc.Gap != c.want {
			t.Errorf("%q: framer gap %v, want %v", c.yaml, fc.Gap, c.want)
		}
	}
}

func TestPrinterDriver(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Printer.PrinterDriver()
	if d.Transport != printer.TransportSerial || d.Serial.Path != "/dev/ttyUSB0" || d.Serial.Baud != 19200 || d.Profile != "generic-80mm" {
		t.Errorf("serial printer driver %+v", d)
	}
	cfg.Printer = Printer{Type: PrinterTCP, Address: "127.0.0.1:9100", Profile: "generic-58mm"}
	if d := cfg.Printer.PrinterDriver(); d.Transport != printer.TransportTCP || d.Addr != "127.0.0.1:9100" {
		t.Errorf("tcp printer driver %+v", d)
	}
}
