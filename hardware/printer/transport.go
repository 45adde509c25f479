package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/stillpay/stillpay/hardware/serialport"
	"go.bug.st/serial"
)

// transport is a byte pipe to a printer. Read blocks until data arrives or
// the transport is closed; (0, nil) means "nothing yet" and is retried.
type transport interface {
	io.ReadWriteCloser
	// Drain waits until written bytes have left the machine (serial);
	// elsewhere it does nothing.
	Drain() error
}

// writeTimeout bounds one write: a printer that stops reading (TCP window
// full, USB stall) must not hang a job forever.
const writeTimeout = 30 * time.Second

func openTransport(ctx context.Context, c Config) (transport, error) {
	switch c.Transport {
	case TransportSerial:
		port, err := serialport.Open(ctx, c.Serial)
		if err != nil {
			return nil, fmt.Errorf("printer: %w", err)
		}
		// Bytes that arrived while nobody listened (an old ASB message, a
		// late reply) would be taken for answers to our requests.
		_ = port.ResetInputBuffer()
		return serialTransport{port}, nil
	case TransportUSBLP:
		f, err := os.OpenFile(c.Device, os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("printer: open %s: %w: %w", c.Device, ErrDisconnected, err)
		}
		return &fileTransport{f}, nil
	}
	addr := c.Addr
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, DefaultTCPPort)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("printer: dial %s: %w: %w", addr, ErrDisconnected, err)
	}
	return &netTransport{conn}, nil
}

type serialTransport struct{ serial.Port }

// fileTransport is a USB printer-class node. usblp supports poll, so Go's
// poller gives it deadlines and Close unblocks a pending Read.
type fileTransport struct{ f *os.File }

func (t *fileTransport) Read(b []byte) (int, error) {
	n, err := t.f.Read(b)
	if errors.Is(err, io.EOF) && n == 0 {
		// usblp returns 0 bytes when the printer has nothing to say.
		time.Sleep(idleReadPause)
		return 0, nil
	}
	return n, err
}

func (t *fileTransport) Write(b []byte) (int, error) {
	_ = t.f.SetWriteDeadline(time.Now().Add(writeTimeout))
	return t.f.Write(b)
}

func (t *fileTransport) Close() error { return t.f.Close() }
func (t *fileTransport) Drain() error { return nil }

// idleReadPause keeps a device that answers reads with "nothing" at once
// from spinning the reader.
const idleReadPause = 20 * time.Millisecond

type netTransport struct{ c net.Conn }

func (t *netTransport) Read(b []byte) (int, error) { return t.c.Read(b) }
func (t *netTransport) Write(b []byte) (int, error) {
	_ = t.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	return t.c.Write(b)
}
func (t *netTransport) Close() error { return t.c.Close() }
func (t *netTransport) Drain() error { return nil }
