//go:build !darwin || cgo

package serialport

import (
	"fmt"

	"go.bug.st/serial/enumerator"
)

// enumerate reads the port list from the OS. On Linux the enumerator reads
// sysfs only, so no active USB probing is requested.
func enumerate() ([]PortInfo, error) {
	details, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("serialport: listing ports: %w", err)
	}
	out := make([]PortInfo, 0, len(details))
	for _, d := range details {
		out = append(out, fromDetails(d))
	}
	return out, nil
}

func fromDetails(d *enumerator.PortDetails) PortInfo {
	return PortInfo{
		Name:         d.Name,
		VID:          d.VID,
		PID:          d.PID,
		Serial:       d.SerialNumber,
		Product:      d.Product,
		Manufacturer: d.Manufacturer,
		IsUSB:        d.IsUSB,
	}
}
