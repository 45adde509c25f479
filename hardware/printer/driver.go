package printer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stillpay/stillpay/hardware/escpos"
)

// escposPrinter is the Printer for every transport: the transports differ
// only in how bytes move.
type escposPrinter struct {
	cfg     Config
	profile Profile
	log     *slog.Logger

	jobMu   sync.Mutex // one job at a time
	queryMu sync.Mutex // one status exchange at a time
	writeMu sync.Mutex // a job's bytes are never interleaved with a request

	mu     sync.Mutex // guards c and closed
	c      *conn
	closed bool

	// noConfirm: the printer answered the real-time status but let a whole
	// confirmation wait pass without answering GS r (a clone without it).
	// Later jobs wait only StatusTimeout for the confirmation; a late GS r
	// answer found before the next job clears it. Guarded by jobMu.
	noConfirm bool
}

// asbMask enables every ASB group: drawer, online/offline, error, paper.
const asbMask = 0x0f

// xoffPoll is how often a paused writer looks whether XON has come.
const xoffPoll = 10 * time.Millisecond

func (p *escposPrinter) Profile() Profile { return p.profile }

func (p *escposPrinter) connect(ctx context.Context) error {
	t, err := openTransport(ctx, p.cfg)
	if err != nil {
		return err
	}
	c := newConn(t, p.log)
	p.c = c
	if p.cfg.ASB && p.profile.ASB {
		if _, err := p.send(ctx, c, escpos.ASBCommand(asbMask)); err != nil {
			_ = c.close()
			return err
		}
	}
	p.log.Debug("printer connected", "profile", p.profile.Name)
	return nil
}

// current returns the open connection, reconnecting once if the last one
// died (a USB printer replugged, a network printer rebooted).
func (p *escposPrinter) current(ctx context.Context) (*conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if p.c != nil && p.c.alive() {
		return p.c, nil
	}
	if p.c != nil {
		p.log.Info("reconnecting to printer", "after", p.c.deadErr)
		_ = p.c.close()
		p.c = nil
	}
	if err := p.connect(ctx); err != nil {
		return nil, err
	}
	return p.c, nil
}

// send writes b, paced in chunks when the transport needs it, honouring
// XOFF from the printer. It returns how many bytes went out.
func (p *escposPrinter) send(ctx context.Context, c *conn, b []byte) (int, error) {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	chunk := len(b)
	if p.cfg.PaceBytes > 0 {
		chunk = p.cfg.PaceBytes
	}
	sent := 0
	for sent < len(b) {
		if err := p.waitXON(ctx, c); err != nil {
			return sent, err
		}
		end := min(sent+chunk, len(b))
		n, err := c.t.Write(b[sent:end])
		sent += n
		if err != nil {
			return sent, fmt.Errorf("printer: write after %d of %d bytes: %w: %w", sent, len(b), ErrDisconnected, err)
		}
		if p.cfg.PaceBytes > 0 && sent < len(b) {
			if err := c.t.Drain(); err != nil {
				return sent, fmt.Errorf("printer: drain: %w: %w", ErrDisconnected, err)
			}
			if err := sleep(ctx, p.cfg.PaceDelay); err != nil {
				return sent, err
			}
		}
	}
	return sent, nil
}

// waitXON blocks while the printer has paused us, up to ConfirmTimeout.
func (p *escposPrinter) waitXON(ctx context.Context, c *conn) error {
	if !c.xoff.Load() {
		return nil
	}
	deadline := time.Now().Add(p.cfg.ConfirmTimeout)
	for c.xoff.Load() {
		if time.Now().After(deadline) {
			return &StatusError{Status: Status{}, Err: fmt.Errorf("%w: paused by XOFF for more than %s", ErrOffline, p.cfg.ConfirmTimeout)}
		}
		if err := sleep(ctx, xoffPoll); err != nil {
			return err
		}
		if !c.alive() {
			return c.deadErr
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Status implements Printer.
func (p *escposPrinter) Status(ctx context.Context) (Status, error) {
	c, err := p.current(ctx)
	if err != nil {
		return Status{Unknown: true}, err
	}
	return p.status(ctx, c)
}

// status asks DLE EOT 1..4, one at a time (the way Epson documents it),
// all within one StatusTimeout.
func (p *escposPrinter) status(ctx context.Context, c *conn) (Status, error) {
	p.queryMu.Lock()
	defer p.queryMu.Unlock()
	timer := time.NewTimer(p.cfg.StatusTimeout)
	defer timer.Stop()
	// Anything queued answers an earlier request that timed out.
	drain(c.realtime)
	var cond escpos.Condition
	for _, n := range []byte{escpos.StatusPrinter, escpos.StatusOffline, escpos.StatusError, escpos.StatusPaper} {
		if _, err := p.send(ctx, c, escpos.RealTimeStatusCommand(n)); err != nil {
			return Status{Unknown: true}, err
		}
		select {
		case b := <-c.realtime:
			if err := cond.ApplyRealTime(n, b); err != nil {
				p.log.Warn("bad status byte", "err", err)
				return Status{Unknown: true}, nil
			}
		case <-timer.C:
			p.log.Debug("no status answer", "request", n, "timeout", p.cfg.StatusTimeout)
			return Status{Unknown: true}, nil
		case <-ctx.Done():
			return Status{Unknown: true}, ctx.Err()
		case <-c.dead:
			return Status{Unknown: true}, c.deadErr
		}
	}
	return statusFrom(cond), nil
}

// Print implements Printer.
func (p *escposPrinter) Print(ctx context.Context, job []byte) (Result, error) {
	p.jobMu.Lock()
	defer p.jobMu.Unlock()
	c, err := p.current(ctx)
	if err != nil {
		return NotPrinted, err
	}
	st, err := p.status(ctx, c)
	if err != nil {
		return NotPrinted, err
	}
	if err := st.Err(); err != nil {
		p.log.Warn("print job refused", "status", st.String(), "bytes", len(job))
		return NotPrinted, fmt.Errorf("printer: job not sent: %w", err)
	}
	mute := st.Unknown
	// A confirmation or ASB message still queued belongs to an earlier job;
	// a late confirmation shows that the printer does answer GS r.
	if drain(c.paper) > 0 && p.noConfirm {
		p.log.Info("printer answered GS r late; waiting for confirmations again")
		p.noConfirm = false
	}
	drain(c.asb)
	if sent, err := p.send(ctx, c, job); err != nil {
		if sent == 0 {
			return NotPrinted, err
		}
		return Unknown, err
	}
	if !p.profile.TransmitStatus {
		// No GS r on this model: nothing can confirm the job.
		p.log.Debug("printer cannot confirm jobs (no GS r); result unknown")
		return Unknown, nil
	}
	if _, err := p.send(ctx, c, escpos.TransmitPaperStatusCommand()); err != nil {
		return Unknown, err
	}
	if mute || p.noConfirm {
		// It did not answer DLE EOT, or it never answers GS r; give GS r
		// one status timeout, not the long confirmation wait.
		return p.confirm(ctx, c, p.cfg.StatusTimeout, false)
	}
	res, err := p.confirm(ctx, c, p.cfg.ConfirmTimeout, true)
	if res == Unknown && err == nil {
		p.noConfirm = true
		p.log.Warn("printer answers status but not GS r: its receipts are reported sent, not confirmed", "waited", p.cfg.ConfirmTimeout)
	}
	return res, err
}

// confirm waits for the GS r answer that follows the job. With poll, it
// also watches the real-time status (at backed-off intervals), so that a
// job stuck on paper out ends with ErrPaperOut instead of running into the
// timeout. Bytes were sent, so it never returns NotPrinted except for an
// interruption the printer reported.
func (p *escposPrinter) confirm(ctx context.Context, c *conn, wait time.Duration, poll bool) (Result, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	interval := StatusPollInitial
	pollTimer := time.NewTimer(interval)
	defer pollTimer.Stop()
	var tick <-chan time.Time
	if poll {
		tick = pollTimer.C
	}
	for {
		select {
		case b := <-c.paper:
			var cond escpos.Condition
			if err := cond.ApplyPaperSensor(b); err == nil && cond.PaperNearEnd {
				p.log.Warn("printer paper near end")
			}
			return Printed, nil
		case m := <-c.asb:
			var cond escpos.Condition
			if err := cond.ApplyASB(m); err != nil {
				continue
			}
			if st := statusFrom(cond); st.Err() != nil {
				return p.interrupted(ctx, c, st)
			}
		case <-tick:
			st, err := p.status(ctx, c)
			if err != nil {
				return Unknown, err
			}
			if st.Err() != nil {
				return p.interrupted(ctx, c, st)
			}
			interval = min(2*interval, StatusPollMax)
			pollTimer.Reset(interval)
		case <-timer.C:
			p.log.Warn("no print confirmation; the receipt may or may not have printed", "timeout", wait)
			return Unknown, nil
		case <-ctx.Done():
			return Unknown, ctx.Err()
		case <-c.dead:
			return Unknown, c.deadErr
		}
	}
}

// interrupted handles a printer that stopped mid-job: it clears the
// printer's buffers so that the rest of the receipt does not come out when
// the paper is loaded (the cashier reprints the whole job instead).
func (p *escposPrinter) interrupted(ctx context.Context, c *conn, st Status) (Result, error) {
	p.log.Warn("print job interrupted; clearing printer buffers", "status", st.String())
	if _, err := p.send(ctx, c, escpos.ClearBuffersCommand()); err != nil {
		return Unknown, err
	}
	drain(c.paper)
	return NotPrinted, fmt.Errorf("printer: job interrupted: %w", st.Err())
}

// Close implements Printer.
func (p *escposPrinter) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.c == nil {
		return nil
	}
	return p.c.close()
}
