package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Port is a serial device of the scanner or the printer. In YAML it is a path (`port: /dev/ttyACM0`)
// or a mapping with the line settings RS-232 devices need:
//
//	port: {path: /dev/ttyS0, baud: 9600, parity: even, data_bits: 7, stop_bits: 1}
//	port: {usb: "0c2e:0b61"}   # VID:PID[:SERIAL]; the agent finds the tty
//
// A baud given here wins over the section's baud.
type Port struct {
	Path     string `yaml:"path"`
	USB      string `yaml:"usb"`
	Baud     int    `yaml:"baud"`
	DataBits int    `yaml:"data_bits"`
	Parity   string `yaml:"parity"` // none | even | odd
	StopBits int    `yaml:"stop_bits"`
}

// portKeys are the keys a port mapping may have; yaml.v3 does not apply KnownFields inside a
// custom unmarshaler, so they are checked here.
var portKeys = map[string]bool{"path": true, "usb": true, "baud": true, "data_bits": true, "parity": true, "stop_bits": true}

// UnmarshalYAML reads a path or a mapping.
func (p *Port) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*p = Port{}
		return n.Decode(&p.Path)
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !portKeys[k.Value] {
				return &SyntaxError{Line: k.Line, Key: k.Value, kind: ErrUnknownKey,
					Msg: fmt.Sprintf("unknown key %q in port (want path or usb, and baud, parity, data_bits, stop_bits)", k.Value)}
			}
		}
	}
	type plain Port
	var v plain
	if err := n.Decode(&v); err != nil {
		return err
	}
	*p = Port(v)
	return nil
}

// String names the device: its path, or usb:VID:PID.
func (p Port) String() string {
	if p.USB != "" {
		return "usb:" + p.USB
	}
	return p.Path
}

// IsZero reports a port that names no device.
func (p Port) IsZero() bool { return p.Path == "" && p.USB == "" }

// Same reports whether p and q name the same device: the same USB id, or paths that are equal once
// cleaned and, where they exist, once symlinks (udev names) are resolved.
func (p Port) Same(q Port) bool {
	if p.USB != "" || q.USB != "" {
		return p.USB != "" && strings.EqualFold(p.USB, q.USB)
	}
	return SamePath(p.Path, q.Path)
}

// SamePath reports whether two device paths name the same device.
func SamePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b {
		return true
	}
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ra == rb
}
