package hwcmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/stillpay/stillpay/hardware/serialport"
)

func TestPortsCommandChecksPaths(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()

	var out bytes.Buffer
	cmd := PortsCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{slave.Name(), "/dev/null"})
	err = cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "1 of 2 paths") {
		t.Fatalf("err = %v", err)
	}
	text := out.String()
	for _, want := range []string{
		slave.Name() + ": ok",
		"/dev/null: serialport: open /dev/null: not a serial device",
		"what to do: this node is not a tty",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}

	out.Reset()
	cmd = PortsCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"--json", "/dev/null"})
	_ = cmd.Execute()
	var c portCheck
	if err := json.Unmarshal(out.Bytes(), &c); err != nil || c.OK || c.Hint == "" || c.Path != "/dev/null" {
		t.Errorf("json check = %+v, %v (%s)", c, err, out.String())
	}
}

func TestPortsCommandLists(t *testing.T) {
	var out bytes.Buffer
	cmd := PortsCommand()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var ports []serialport.PortInfo
	if err := json.Unmarshal(out.Bytes(), &ports); err != nil {
		t.Fatalf("not a JSON list: %v: %s", err, out.String())
	}
}

func TestPrintPortsTable(t *testing.T) {
	ports := []serialport.PortInfo{
		{Name: "/dev/ttyACM0", IsUSB: true, VID: "0C2E", PID: "0B61", Serial: "18012B", Product: "Honeywell Scanning", Manufacturer: "Honeywell"},
		{Name: "/dev/ttyS0"},
	}
	for i := range ports {
		ports[i].Guess = serialport.Guess(ports[i])
	}
	var out bytes.Buffer
	if err := printPorts(&out, ports, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "PORT") ||
		!strings.Contains(lines[1], "0C2E:0B61") || !strings.Contains(lines[1], "barcode scanner (Honeywell)") ||
		!strings.Contains(lines[2], "/dev/ttyS0") {
		t.Errorf("table:\n%s", out.String())
	}
	out.Reset()
	if err := printPorts(&out, nil, false); err != nil || !strings.Contains(out.String(), "USB-CDC") {
		t.Errorf("empty list: %q, %v", out.String(), err)
	}
}
