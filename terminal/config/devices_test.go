package config

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/imaging"
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

// TestDriversCarryTheLineSettings: RS-232 settings and the frame bound reach the drivers.
func TestDriversCarryTheLineSettings(t *testing.T) {
	cfg, err := Parse([]byte("scanner: {port: {path: /dev/ttyS0, parity: even, data_bits: 7, stop_bits: 2}, baud: 4800, max_frame: 2048}\n" +
		"printer: {port: {usb: '0416:5011', baud: 115200}, confirm_timeout: 20s, status_timeout: 1s, asb: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	sd := cfg.Scanner.ScannerDriver()
	if p := sd.Port; p.Path != "/dev/ttyS0" || p.Baud != 4800 || p.Parity != "even" || p.DataBits != 7 || p.StopBits != 2 || sd.MaxFrame != 2048 {
		t.Errorf("scanner driver %+v", sd)
	}
	pd := cfg.Printer.PrinterDriver()
	if p := pd.Serial; p.USB != "0416:5011" || p.Baud != 115200 || pd.ConfirmTimeout != 20*time.Second || pd.StatusTimeout != time.Second || !pd.ASB {
		t.Errorf("printer driver %+v", pd)
	}
	if got, want := pd.JobTimeout(), time.Second+printer.JobWriteAllowance+20*time.Second; got != want {
		t.Errorf("job budget %v, want %v", got, want)
	}
}

func TestDecodeOptions(t *testing.T) {
	for _, c := range []struct {
		yaml       string
		max, retry int
		budget     time.Duration
	}{
		{"scanner: {type: images, dir: /tmp/cam}\n", imaging.DefaultMaxSide, imaging.DefaultRetrySide, 0},
		{"scanner: {type: images, dir: /tmp/cam, decode: {max_side: 800, retry_side: 1280, budget: 40ms}}\n", 800, 1280, 40 * time.Millisecond},
		{"scanner: {type: images, dir: /tmp/cam, decode: {retry_side: -1}}\n", imaging.DefaultMaxSide, 0, 0},
	} {
		cfg, err := Parse([]byte(c.yaml))
		if err != nil {
			t.Fatal(err)
		}
		o := cfg.Scanner.Decode.DecodeOptions()
		if o.MaxSide != c.max || o.RetrySide != c.retry || o.Budget != c.budget || !o.TryInverted {
			t.Errorf("%q: %+v", c.yaml, o)
		}
	}
}
