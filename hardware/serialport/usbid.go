package serialport

import (
	"fmt"
	"strings"
)

// maxUSBSerialLen bounds the serial-number part of a USB id; USB string
// descriptors hold at most 126 UTF-16 code units.
const maxUSBSerialLen = 126

// USBID identifies a USB device by vendor and product id and, optionally, its
// serial number. VID and PID are normalised to 4 lower-case hex digits.
type USBID struct {
	VID, PID string
	Serial   string // empty matches any serial number
}

// String formats the id as VID:PID[:SERIAL].
func (u USBID) String() string {
	if u.Serial == "" {
		return u.VID + ":" + u.PID
	}
	return u.VID + ":" + u.PID + ":" + u.Serial
}

// ParseUSBID parses "VID:PID" or "VID:PID:SERIAL" with hex ids in any case
// ("0C2E:0B61", "0c2e:0b61:18012B4A3F"). Errors wrap ErrInvalidConfig.
func ParseUSBID(s string) (USBID, error) {
	parts := strings.SplitN(strings.TrimSpace(s), ":", 3)
	if len(parts) < 2 {
		return USBID{}, fmt.Errorf("serialport: %w: usb id %q, want VID:PID or VID:PID:SERIAL in hex", ErrInvalidConfig, s)
	}
	vid, err := parseHexID(parts[0])
	if err != nil {
		return USBID{}, fmt.Errorf("serialport: %w: usb vendor id in %q: %v", ErrInvalidConfig, s, err)
	}
	pid, err := parseHexID(parts[1])
	if err != nil {
		return USBID{}, fmt.Errorf("serialport: %w: usb product id in %q: %v", ErrInvalidConfig, s, err)
	}
	id := USBID{VID: vid, PID: pid}
	if len(parts) == 3 {
		if parts[2] == "" || len(parts[2]) > maxUSBSerialLen {
			return USBID{}, fmt.Errorf("serialport: %w: usb serial number in %q must be 1..%d characters", ErrInvalidConfig, s, maxUSBSerialLen)
		}
		id.Serial = parts[2]
	}
	return id, nil
}

func parseHexID(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s) == 0 || len(s) > 4 {
		return "", fmt.Errorf("%q is not 1..4 hex digits", s)
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return "", fmt.Errorf("%q is not hex", s)
		}
	}
	return strings.Repeat("0", 4-len(s)) + strings.ToLower(s), nil
}

// Matches reports whether a port belongs to the id, comparing VID and PID
// case-insensitively (the enumerator reports upper case since v1.8.0, sysfs
// and udev lower case).
func (u USBID) Matches(p PortInfo) bool {
	if !p.IsUSB {
		return false
	}
	vid, err1 := parseHexID(p.VID)
	pid, err2 := parseHexID(p.PID)
	if err1 != nil || err2 != nil || vid != u.VID || pid != u.PID {
		return false
	}
	return u.Serial == "" || strings.EqualFold(u.Serial, p.Serial)
}

// Resolve picks the port for the id among ports. It fails with ErrNotFound
// when none matches and ErrAmbiguous when several do.
func (u USBID) Resolve(ports []PortInfo) (PortInfo, error) {
	var found []PortInfo
	for _, p := range ports {
		if u.Matches(p) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return PortInfo{}, fmt.Errorf("serialport: usb %s: %w among %d serial ports", u, ErrNotFound, len(ports))
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, p := range found {
		names[i] = p.Name + " (serial " + p.Serial + ")"
	}
	return PortInfo{}, fmt.Errorf("serialport: usb %s: %w: %s", u, ErrAmbiguous, strings.Join(names, ", "))
}
