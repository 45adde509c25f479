package serialport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
	"go.bug.st/serial"
)

// usbIDCases is the table for TestParseUSBID and the seeds of FuzzParseUSBID.
var usbIDCases = []struct {
	in   string
	want USBID
	ok   bool
}{
	{"0c2e:0b61", USBID{VID: "0c2e", PID: "0b61"}, true},
	{"0C2E:0B61", USBID{VID: "0c2e", PID: "0b61"}, true},
	{"05e0:1200:S/N 42", USBID{VID: "05e0", PID: "1200", Serial: "S/N 42"}, true},
	{"4b8:e03", USBID{VID: "04b8", PID: "0e03"}, true},
	{"0x1eab:0x8003", USBID{VID: "1eab", PID: "8003"}, true},
	{" 1504:0006 ", USBID{VID: "1504", PID: "0006"}, true},
	{"1eab:8003:AB:CD", USBID{VID: "1eab", PID: "8003", Serial: "AB:CD"}, true},
	{"", USBID{}, false},
	{"0c2e", USBID{}, false},
	{"0c2e:", USBID{}, false},
	{"0c2e:xyz1", USBID{}, false},
	{"10c2e:0001", USBID{}, false},
	{"0c2e:0b61:", USBID{}, false},
	{"0c2e:0b61:" + strings.Repeat("9", 127), USBID{}, false},
}

func TestParseUSBID(t *testing.T) {
	for _, c := range usbIDCases {
		got, err := ParseUSBID(c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("ParseUSBID(%q) = %+v, %v; want %+v ok=%v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ParseUSBID(%q) error %v does not wrap ErrInvalidConfig", c.in, err)
		}
	}
}

func FuzzParseUSBID(f *testing.F) {
	for _, c := range usbIDCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseUSBID(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v is not ErrInvalidConfig", err)
			}
			return
		}
		if len(id.VID) != 4 || len(id.PID) != 4 || strings.ToLower(id.VID) != id.VID {
			t.Fatalf("not normalised: %+v", id)
		}
		again, err := ParseUSBID(id.String())
		if err != nil || again != id {
			t.Fatalf("round trip %q -> %+v, %v", id.String(), again, err)
		}
	})
}

func TestResolveUSB(t *testing.T) {
	ports := []PortInfo{
		{Name: "/dev/ttyACM0", IsUSB: true, VID: "0C2E", PID: "0B61", Serial: "A1"},
		{Name: "/dev/ttyACM1", IsUSB: true, VID: "0c2e", PID: "0b61", Serial: "B2"},
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "04B8", PID: "0E03", Serial: ""},
		{Name: "/dev/ttyS0"},
	}
	cases := []struct {
		id      string
		want    string
		wantErr error
	}{
		{"04b8:0e03", "/dev/ttyUSB0", nil},
		{"0c2e:0b61:b2", "/dev/ttyACM1", nil},
		{"0C2E:0B61:A1", "/dev/ttyACM0", nil},
		{"0c2e:0b61", "", ErrAmbiguous},
		{"05e0:1200", "", ErrNotFound},
		{"0c2e:0b61:C3", "", ErrNotFound},
	}
	for _, c := range cases {
		id, err := ParseUSBID(c.id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := id.Resolve(ports)
		if !errors.Is(err, c.wantErr) || got.Name != c.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q, %v", c.id, got.Name, err, c.want, c.wantErr)
		}
	}
}

func TestGuess(t *testing.T) {
	cases := []struct {
		p    PortInfo
		want string
	}{
		{PortInfo{IsUSB: true, VID: "0C2E", PID: "0B61"}, "barcode scanner (Honeywell)"},
		{PortInfo{IsUSB: true, VID: "05e0", PID: "1701"}, "barcode scanner (Zebra/Symbol)"},
		{PortInfo{IsUSB: true, VID: "05F9", PID: "4204"}, "barcode scanner (Datalogic)"},
		{PortInfo{IsUSB: true, VID: "1EAB", PID: "8003"}, "barcode scanner (Newland)"},
		{PortInfo{IsUSB: true, VID: "04b8", PID: "0e15"}, "receipt printer (Epson)"},
		{PortInfo{IsUSB: true, VID: "0519", PID: "0003"}, "receipt printer (Star Micronics)"},
		{PortInfo{IsUSB: true, VID: "1d90", PID: "2168"}, "receipt printer (Citizen)"},
		{PortInfo{IsUSB: true, VID: "2730", PID: "0fff"}, "receipt printer (Citizen)"},
		{PortInfo{IsUSB: true, VID: "1504", PID: "0006"}, "receipt printer (Bixolon)"},
		{PortInfo{IsUSB: true, VID: "0416", PID: "5011"}, "receipt printer (Xprinter/Zjiang (Winbond))"},
		{PortInfo{IsUSB: true, VID: "0403", PID: "6001"}, "USB-serial adapter (FTDI): RS-232 scanner or printer behind it"},
		{PortInfo{IsUSB: true, VID: "1234", PID: "0001", Product: "2D Barcode Scanner"}, "barcode scanner (by product name)"},
		{PortInfo{IsUSB: true, VID: "1234", PID: "0001", Product: "Thermal Printer"}, "receipt printer (by product name)"},
		{PortInfo{IsUSB: true, VID: "1234", PID: "0001"}, "unknown USB serial device"},
		{PortInfo{Name: "/dev/ttyS0"}, "on-board UART (RS-232 scanner or printer if wired)"},
		{PortInfo{Name: "/dev/ttyX"}, "unknown (not USB)"},
	}
	for _, c := range cases {
		if got := Guess(c.p); got != c.want {
			t.Errorf("Guess(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestConfigMode(t *testing.T) {
	cases := []struct {
		c    Config
		want serial.Mode
		err  bool
	}{
		{Config{Path: "/dev/x"}, serial.Mode{BaudRate: 9600, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}, false},
		{Config{Path: "/dev/x", Baud: 115200, DataBits: 7, Parity: "Even", StopBits: 2}, serial.Mode{BaudRate: 115200, DataBits: 7, Parity: serial.EvenParity, StopBits: serial.TwoStopBits}, false},
		{Config{Path: "/dev/x", Parity: "odd"}, serial.Mode{BaudRate: 9600, DataBits: 8, Parity: serial.OddParity}, false},
		{Config{Path: "/dev/x", Baud: -1}, serial.Mode{}, true},
		{Config{Path: "/dev/x", DataBits: 9}, serial.Mode{}, true},
		{Config{Path: "/dev/x", Parity: "mark"}, serial.Mode{}, true},
		{Config{Path: "/dev/x", StopBits: 3}, serial.Mode{}, true},
	}
	for _, c := range cases {
		got, err := c.c.Mode()
		if c.err {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Mode(%+v) err = %v, want ErrInvalidConfig", c.c, err)
			}
			continue
		}
		if err != nil || *got != c.want {
			t.Errorf("Mode(%+v) = %+v, %v; want %+v", c.c, got, err, c.want)
		}
		if got.InitialStatusBits != nil {
			t.Errorf("InitialStatusBits set: a pty would refuse the port")
		}
	}
	for _, bad := range []Config{{}, {Path: "/dev/x", USB: "0c2e:0b61"}, {USB: "nope"}} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidConfig", bad, err)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()

	p, err := Open(ctx, Config{Path: slave.Name(), Baud: 115200})
	if err != nil {
		t.Fatalf("Open(pty) = %v", err)
	}
	if _, err := master.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	n, err := p.Read(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Errorf("read through the opened port = %q, %v", buf[:n], err)
	}
	p.Close()

	regular := filepath.Join(t.TempDir(), "not-a-tty")
	if err := os.WriteFile(regular, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		c    Config
		want error
	}{
		{Config{Path: "/dev/null"}, ErrNotSerial},
		{Config{Path: regular}, ErrNotSerial},
		{Config{Path: filepath.Join(t.TempDir(), "missing")}, ErrNotFound},
		{Config{Path: slave.Name(), Parity: "weird"}, ErrInvalidConfig},
		{Config{USB: "ffff:fffe"}, ErrNotFound},
	}
	for _, c := range cases {
		p, err := Open(ctx, c.c)
		if !errors.Is(err, c.want) {
			t.Errorf("Open(%+v) = %v, want %v", c.c, err, c.want)
		}
		if p != nil {
			p.Close()
		}
		if err != nil && Hint(err) == "" && !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("no hint for %v", err)
		}
	}
	if err := Check(ctx, Config{Path: slave.Name()}); err != nil {
		t.Errorf("Check(pty) = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Open(cctx, Config{Path: slave.Name()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled ctx = %v", err)
	}
}

// TestClassify covers errors a root test run cannot provoke for real.
func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want error
	}{
		{fmt.Errorf("open: %w", fs.ErrPermission), ErrPermission},
		{&fs.PathError{Op: "open", Path: "/dev/x", Err: fs.ErrNotExist}, ErrNotFound},
	}
	for _, c := range cases {
		got := classify("/dev/x", c.err)
		if !errors.Is(got, c.want) || !errors.Is(got, c.err) {
			t.Errorf("classify(%v) = %v, want %v wrapping the cause", c.err, got, c.want)
		}
		if !strings.Contains(got.Error(), "/dev/x") {
			t.Errorf("%v does not name the device", got)
		}
	}
}

// TestList runs the real enumerator: on a build machine there may be no
// serial port at all, but it must not fail, and every port gets a guess.
func TestList(t *testing.T) {
	ports, err := List()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if p.Name == "" || p.Guess == "" {
			t.Errorf("port %+v lacks a name or a guess", p)
		}
	}
	t.Logf("%d serial ports", len(ports))
}
