package serialport

import (
	"context"
	"fmt"

	"go.bug.st/serial"
)

// Open resolves the configured device (a USB id through the enumerator) and
// opens it with the configured mode. Errors wrap ErrInvalidConfig,
// ErrNotFound, ErrNotSerial, ErrPermission, ErrBusy or ErrAmbiguous; Hint
// turns them into advice.
//
// Opening a tty does not block, so ctx is only checked before starting; it is
// there so that callers in reconnect loops can stop between attempts.
func Open(ctx context.Context, c Config) (serial.Port, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	mode, err := c.Mode()
	if err != nil {
		return nil, err
	}
	path, err := c.resolvePath()
	if err != nil {
		return nil, err
	}
	p, err := serial.Open(path, mode)
	if err != nil {
		return nil, classify(path, err)
	}
	return p, nil
}

// ResolvePath returns the device path Open would use: Path itself, or the
// port that the USB id resolves to now.
func (c Config) ResolvePath() (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	return c.resolvePath()
}

func (c Config) resolvePath() (string, error) {
	if c.Path != "" {
		return c.Path, nil
	}
	id, err := ParseUSBID(c.USB)
	if err != nil {
		return "", err
	}
	ports, err := List()
	if err != nil {
		return "", fmt.Errorf("serialport: resolving usb %s: %w", id, err)
	}
	p, err := id.Resolve(ports)
	if err != nil {
		return "", err
	}
	return p.Name, nil
}

// Check opens and closes the configured port, to tell a technician whether
// it is usable. The error is the one Open would return.
func Check(ctx context.Context, c Config) error {
	p, err := Open(ctx, c)
	if err != nil {
		return err
	}
	return p.Close()
}
