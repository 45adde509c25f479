package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.bug.st/serial"

	"github.com/stillpay/stillpay/hardware/serialport"
)

// Reconnect backoff after an unplug or a failed open: start fast so that a
// replugged scanner is back before the next customer, cap it so that a
// missing scanner does not spin.
const (
	ReconnectInitialBackoff = 100 * time.Millisecond
	ReconnectMaxBackoff     = 5 * time.Second
	reconnectBackoffFactor  = 2
	// reconnectLogEvery: after the first failures, log a failed reopen only
	// this often so that a scanner left unplugged does not flood the log.
	reconnectLogEvery = 20
)

const (
	// readBufferSize is the size of the one buffer every Read fills.
	readBufferSize = 4096
	// frameQueueLen bounds frames read but not yet taken by Next; when it
	// is full the reader waits, so frames are never dropped here.
	frameQueueLen = 32
)

// Scanner is a serial barcode scanner. It reads in a background goroutine,
// reconnects after unplug, and hands frames to Next in arrival order.
type Scanner struct {
	cfg    Config
	log    *slog.Logger
	framer *Framer
	frames chan Frame

	cancel context.CancelFunc
	done   chan struct{}

	mu           sync.Mutex
	port         serial.Port
	state        State
	stateChanged chan struct{} // closed and replaced at every state change
	closed       bool

	stats struct{ frames, rejected, reconnects, mismatches atomic.Int64 }
}

// Stats counts what a Scanner has seen since Open.
type Stats struct {
	Frames     int64 // frames framed and queued for Next
	Rejected   int64 // frames rejected by the Framer (noise, too long, half frames)
	Reconnects int64 // successful reopens after a disconnect
	// SuffixMismatches counts frames that ended in another line ending than
	// the configured suffix.
	SuffixMismatches int64
}

// mismatchLogEvery: the suffix mismatch is logged at the first frame and then
// only this often, as every frame repeats it.
const mismatchLogEvery = 100

var _ Source = (*Scanner)(nil)

// Open validates cfg, opens the port and starts reading in the background.
// A configuration error, a path that is not a serial device or a permission
// problem fails Open. A device that is absent (unplugged at boot) does not:
// the Scanner starts Reconnecting and picks the device up when it appears.
// ctx bounds the first open only; the Scanner lives until Close.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Scanner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fc, err := cfg.FramerConfig()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("device", cfg.Port.String())
	s := &Scanner{
		cfg:          cfg,
		log:          log,
		frames:       make(chan Frame, frameQueueLen),
		done:         make(chan struct{}),
		stateChanged: make(chan struct{}),
		state:        Connecting,
	}
	fc.OnReject = s.onReject
	fc.OnSuffixMismatch = s.onSuffixMismatch
	s.framer = NewFramer(fc)

	port, err := serialport.Open(ctx, cfg.Port)
	switch {
	case err == nil:
		s.port = port
		s.setState(Connected)
		log.Info("scanner connected")
	case errors.Is(err, serialport.ErrNotFound):
		log.Warn("scanner not present, waiting for it", "err", err)
	default:
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.run(runCtx, port)
	return s, nil
}

// Next returns the next frame in arrival order.
func (s *Scanner) Next(ctx context.Context) (Frame, error) {
	select {
	case <-s.done:
		return Frame{}, ErrClosed
	default:
	}
	select {
	case f := <-s.frames:
		return f, nil
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	case <-s.done:
		return Frame{}, ErrClosed
	}
}

// State reports the current connection state.
func (s *Scanner) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// WaitState blocks until the state is one of want, ctx ends, or the Scanner
// is closed (ErrClosed, unless Closed is wanted).
func (s *Scanner) WaitState(ctx context.Context, want ...State) error {
	for {
		s.mu.Lock()
		st, ch := s.state, s.stateChanged
		s.mu.Unlock()
		for _, w := range want {
			if st == w {
				return nil
			}
		}
		if st == Closed {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats returns counters since Open.
func (s *Scanner) Stats() Stats {
	return Stats{
		Frames:     s.stats.frames.Load(),
		Rejected:   s.stats.rejected.Load(),
		Reconnects: s.stats.reconnects.Load(),

		SuffixMismatches: s.stats.mismatches.Load(),
	}
}

// Close stops the reader and closes the port. Frames not yet taken by Next
// are dropped. Close is safe to call more than once.
func (s *Scanner) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	port := s.port
	s.mu.Unlock()

	s.cancel()
	var err error
	if port != nil {
		err = port.Close() // unblocks a pending Read
	}
	<-s.done
	s.setState(Closed)
	return err
}

func (s *Scanner) setState(st State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == st || s.state == Closed {
		return
	}
	s.state = st
	close(s.stateChanged)
	s.stateChanged = make(chan struct{})
}

func (s *Scanner) setPort(p serial.Port) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.port = p
	return true
}

func (s *Scanner) onReject(r Rejection) {
	s.stats.rejected.Add(1)
	s.log.Warn("scanner frame rejected", "reason", r.Reason.Error(), "bytes", r.Len)
}

// onSuffixMismatch tells the technician how to fix the config: without gap
// framing such a scanner would deliver nothing at all.
func (s *Scanner) onSuffixMismatch(seen Suffix) {
	if n := s.stats.mismatches.Add(1); n == 1 || n%mismatchLogEvery == 0 {
		s.log.Warn(MismatchMessage(seen), "configured", s.cfg.Suffix, "frames", n)
	}
}

// MismatchMessage is the log line for a scanner whose frames end in seen
// while the config names another suffix.
func MismatchMessage(seen Suffix) string {
	return fmt.Sprintf("scanner suffix mismatch: frames end in %s; set scanner.suffix: %s or auto", seen, seen)
}

// run owns the port and the Framer until ctx ends.
func (s *Scanner) run(ctx context.Context, port serial.Port) {
	defer close(s.done)
	buf := make([]byte, readBufferSize)
	for {
		if port == nil {
			port = s.reconnect(ctx)
			if port == nil {
				return
			}
		}
		err := s.readLoop(ctx, port, buf)
		port.Close()
		s.setPort(nil)
		port = nil
		if n := s.framer.Reset(time.Now()); n > 0 {
			s.log.Info("dropped partial frame at disconnect", "bytes", n)
		}
		if ctx.Err() != nil {
			return
		}
		s.setState(Disconnected)
		s.log.Warn("scanner disconnected", "err", err)
	}
}

// reconnect reopens the port with exponential backoff; nil means ctx ended.
func (s *Scanner) reconnect(ctx context.Context) serial.Port {
	backoff := ReconnectInitialBackoff
	for attempt := 1; ; attempt++ {
		s.setState(Reconnecting)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		port, err := serialport.Open(ctx, s.cfg.Port)
		if err == nil {
			if !s.setPort(port) {
				port.Close()
				return nil
			}
			s.stats.reconnects.Add(1)
			s.setState(Connected)
			s.log.Info("scanner reconnected", "attempt", attempt)
			return port
		}
		if ctx.Err() != nil {
			return nil
		}
		if attempt <= 3 || attempt%reconnectLogEvery == 0 {
			level := slog.LevelInfo
			if !errors.Is(err, serialport.ErrNotFound) {
				level = slog.LevelError // plugged in but unusable: needs a person
			}
			s.log.Log(ctx, level, "scanner reopen failed", "attempt", attempt, "next_in", backoff, "err", err, "hint", serialport.Hint(err))
		}
		backoff = min(backoff*reconnectBackoffFactor, ReconnectMaxBackoff)
	}
}

// readLoop reads until the port fails or ctx ends. The Framer's clock is the
// time spent waiting inside Read only: time spent waiting for a slow consumer
// of frames is not silence on the line and must not end a frame by gap.
func (s *Scanner) readLoop(ctx context.Context, port serial.Port, buf []byte) error {
	if err := port.SetReadTimeout(s.cfg.readTimeout()); err != nil {
		return err
	}
	lineClock := time.Now()
	for {
		start := time.Now()
		n, err := port.Read(buf)
		lineClock = lineClock.Add(time.Since(start))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var frames []Frame
		switch {
		case n > 0:
			frames = s.framer.Feed(buf[:n], lineClock)
		case err == nil:
			// (0, nil) is go.bug.st/serial's read timeout, not EOF.
			frames = s.framer.Flush(lineClock)
		}
		for _, f := range frames {
			f.At = time.Now()
			s.stats.frames.Add(1)
			select {
			case s.frames <- f:
				s.log.Debug("scanner frame", "bytes", len(f.Data), "symbology", f.Symbology)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err != nil {
			if !isDisconnect(err) {
				s.log.Error("scanner read failed, reopening", "err", err)
			}
			return err
		}
	}
}

// isDisconnect reports the errors an unplugged device gives: PortClosed
// (Linux reports a hung-up tty as readable with zero bytes), EIO, ENXIO and
// ENODEV from the read itself.
func isDisconnect(err error) bool {
	var pe *serial.PortError
	if errors.As(err, &pe) && pe.Code() == serial.PortClosed {
		return true
	}
	return errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV)
}
