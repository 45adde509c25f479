//go:build darwin && !cgo

package serialport

// enumerate fails on darwin without cgo: the darwin enumerator uses IOKit.
func enumerate() ([]PortInfo, error) { return nil, ErrUnsupported }
