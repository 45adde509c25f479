package simprinter

import (
	"errors"
	"fmt"
	"github.com/stillpay/stillpay/hardware/sim/simpty"
	"log/slog"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// NewPTY starts a printer on a new pty. The host opens Path (the slave)
// like any serial port.
func NewPTY(opts Options, log *slog.Logger) (*Printer, error) {
	p, err := newPrinter(opts, log)
	if err != nil {
		return nil, err
	}
	// Raw mode, so that bytes pass unchanged in both directions even when
	// the host opens the slave as a plain file (no echo, no CR/LF games).
	master, slave, err := simpty.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("simprinter: %w", err)
	}
	// pty.Open called Fd() on the master, which leaves it in blocking mode
	// outside Go's poller, where Close cannot interrupt a Read. Re-wrap a
	// non-blocking duplicate so that it can.
	if master, err = pollable(master); err != nil {
		slave.Close()
		return nil, fmt.Errorf("simprinter: pty master: %w", err)
	}
	// The printer keeps its own handle on the slave: without one, reading
	// the master fails (EIO) whenever the host has the port closed.
	p.master, p.slave = master, slave
	p.sink = newSink(master, p.log)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.serve(master)
	}()
	p.log.Info("virtual printer on pty", "path", slave.Name())
	return p, nil
}

// Path is the serial device the host opens (pty printers only).
func (p *Printer) Path() string {
	if p.slave == nil {
		return ""
	}
	return p.slave.Name()
}

// Link makes path a symlink to the pty, e.g. /tmp/stillpay-printer, so that
// configuration can name a stable path. Close removes it.
func (p *Printer) Link(path string) error {
	if p.slave == nil {
		return errors.New("simprinter: Link needs a pty printer")
	}
	if err := simpty.ReplaceSymlink(p.slave.Name(), path); err != nil {
		return fmt.Errorf("simprinter: %w", err)
	}
	p.linkPath = path
	return nil
}

// pollable returns a non-blocking duplicate of f managed by Go's poller,
// and closes f.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// ListenTCP starts a network printer on addr (":9100", "127.0.0.1:0").
// Like a real one it serves one connection at a time; others wait.
func ListenTCP(addr string, opts Options, log *slog.Logger) (*Printer, error) {
	p, err := newPrinter(opts, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simprinter: listen: %w", err)
	}
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.acceptLoop()
	}()
	p.log.Info("virtual printer on tcp", "addr", ln.Addr().String())
	return p, nil
}

// Addr is the listening address (TCP printers only).
func (p *Printer) Addr() string {
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

func (p *Printer) acceptLoop() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.serveConn(c)
	}
}

func (p *Printer) serveConn(c net.Conn) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Close()
		return
	}
	// A half-received command from the last connection is not continued.
	p.parser.Reset()
	s := newSink(c, p.log)
	p.sink = s
	p.conn = c
	p.mu.Unlock()
	p.log.Debug("host connected", "remote", c.RemoteAddr().String())

	p.serve(c)

	p.mu.Lock()
	if p.sink == s {
		p.sink = nil
	}
	p.conn = nil
	p.mu.Unlock()
	s.stop()
	c.Close()
}
