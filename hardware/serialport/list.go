package serialport

import (
	"sort"
	"strings"
)

// PortInfo describes one serial port found on the machine.
type PortInfo struct {
	Name         string `json:"name"`
	VID          string `json:"vid,omitempty"` // as reported by the enumerator (upper case hex since serial v1.8.0)
	PID          string `json:"pid,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Product      string `json:"product,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	IsUSB        bool   `json:"is_usb"`
	Guess        string `json:"guess"` // e.g. "barcode scanner (Honeywell)", "receipt printer (Epson)", "unknown"
}

// List returns the serial ports the OS enumerates, sorted by name, each with
// a guess of the device type from its USB vendor id. Ptys and symlinks such as
// /dev/scanner are never listed (the OS does not enumerate them).
func List() ([]PortInfo, error) {
	ports, err := enumerate()
	if err != nil {
		return nil, err
	}
	for i := range ports {
		ports[i].Guess = Guess(ports[i])
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	return ports, nil
}

// Guess names the likely device type of a port from its USB vendor id and,
// when the vendor is unknown, its product string.
func Guess(p PortInfo) string {
	if !p.IsUSB {
		if strings.Contains(p.Name, "ttyS") || strings.Contains(p.Name, "ttyAMA") || strings.Contains(p.Name, "ttymxc") {
			return "on-board UART (RS-232 scanner or printer if wired)"
		}
		return "unknown (not USB)"
	}
	vid, err := parseHexID(p.VID)
	if err == nil {
		if v, ok := knownVendors[vid]; ok {
			return v.kind + " (" + v.name + ")"
		}
	}
	product := strings.ToLower(p.Product + " " + p.Manufacturer)
	switch {
	case strings.Contains(product, "scan"), strings.Contains(product, "barcode"), strings.Contains(product, "imager"):
		return "barcode scanner (by product name)"
	case strings.Contains(product, "print"), strings.Contains(product, "pos"):
		return "receipt printer (by product name)"
	}
	if v, ok := usbSerialBridges[vid]; ok {
		return "USB-serial adapter (" + v + "): RS-232 scanner or printer behind it"
	}
	return "unknown USB serial device"
}

type vendor struct{ name, kind string }

const (
	kindScanner = "barcode scanner"
	kindPrinter = "receipt printer"
)

// knownVendors maps lower-case USB vendor ids to the device types POS boxes
// meet. Sources: vendor udev rules and manuals (docs/hardware.md).
var knownVendors = map[string]vendor{
	"0c2e": {"Honeywell", kindScanner},
	"05e0": {"Zebra/Symbol", kindScanner},
	"05f9": {"Datalogic", kindScanner},
	"1eab": {"Newland", kindScanner},
	"065a": {"Opticon", kindScanner},
	"0536": {"Hand Held Products", kindScanner},
	"04b8": {"Epson", kindPrinter},
	"0519": {"Star Micronics", kindPrinter},
	"1d90": {"Citizen", kindPrinter},
	"2730": {"Citizen", kindPrinter},
	"1504": {"Bixolon", kindPrinter},
	"0416": {"Xprinter/Zjiang (Winbond)", kindPrinter},
	"0dd4": {"Custom", kindPrinter},
	"154f": {"SNBC", kindPrinter},
	"0fe6": {"ICS/Rongta", kindPrinter},
}

// usbSerialBridges are USB-to-RS-232 chips: the device behind them is unknown.
var usbSerialBridges = map[string]string{
	"0403": "FTDI",
	"067b": "Prolific",
	"10c4": "Silicon Labs CP210x",
	"1a86": "WCH CH340",
}
