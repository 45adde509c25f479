package simprinter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// Control commands, one per line on the control socket:
//
//	paper-out on|off    empty or load the roll
//	near-end on|off     paper near-end sensor
//	cover-open on|off   open or close the cover
//	offline on|off      take the printer offline
//	status              report the state
//	receipts            report how many receipts were cut
//
// Each command gets one line back: "ok ..." or "error ...".
const controlHelp = "commands: paper-out|near-end|cover-open|offline on|off, status, receipts"

// maxControlLine bounds one control command.
const maxControlLine = 256

// controlIdle bounds one control exchange.
const controlIdle = 5 * time.Second

// ServeControl listens for control commands on a unix socket at path, so
// that a demo script can switch the printer to paper out and back. Close
// stops it and removes the socket.
func (p *Printer) ServeControl(path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(path) // a stale socket from a killed run
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("simprinter: control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("simprinter: control socket: %w", err)
	}
	p.mu.Lock()
	p.ctl = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.serveControl(c)
		}
	}()
	return nil
}

func (p *Printer) serveControl(c net.Conn) {
	defer c.Close()
	// One command per connection, with a short deadline, so that an idle
	// client cannot hold up Close.
	_ = c.SetDeadline(time.Now().Add(controlIdle))
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, maxControlLine), maxControlLine)
	if !sc.Scan() {
		if sc.Err() != nil {
			fmt.Fprintln(c, "error: command too long or unreadable")
		}
		return
	}
	fmt.Fprintln(c, p.Command(sc.Text()))
}

// Command executes one control command and returns the answer line.
func (p *Printer) Command(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "error: empty command; " + controlHelp
	}
	switch f[0] {
	case "status":
		out, cover, off := p.State()
		return fmt.Sprintf("ok paper-out=%v cover-open=%v offline=%v", out, cover, off)
	case "receipts":
		p.mu.Lock()
		n := p.seq
		p.mu.Unlock()
		return fmt.Sprintf("ok %d", n)
	}
	if len(f) != 2 || (f[1] != "on" && f[1] != "off") {
		return "error: want <setting> on|off; " + controlHelp
	}
	on := f[1] == "on"
	switch f[0] {
	case "paper-out":
		p.SetPaperOut(on)
	case "near-end":
		p.SetPaperNearEnd(on)
	case "cover-open":
		p.SetCoverOpen(on)
	case "offline":
		p.SetOffline(on)
	default:
		return fmt.Sprintf("error: unknown setting %q; %s", f[0], controlHelp)
	}
	return "ok " + f[0] + " " + f[1]
}

// Control sends one command to a printer's control socket and returns its
// answer; an "error ..." answer comes back as an error.
func Control(ctx context.Context, socket, command string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", fmt.Errorf("simprinter: control: %w", err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Now().Add(controlIdle))
	}
	if _, err := fmt.Fprintln(c, command); err != nil {
		return "", fmt.Errorf("simprinter: control: %w", err)
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), 4096)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return "", fmt.Errorf("simprinter: control: %w", err)
		}
		return "", errors.New("simprinter: control: no answer")
	}
	answer := sc.Text()
	if strings.HasPrefix(answer, "error") {
		return answer, fmt.Errorf("simprinter: control: %s", answer)
	}
	return answer, nil
}
