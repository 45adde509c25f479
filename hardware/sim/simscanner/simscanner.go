package simscanner

import (
	"context"
	"errors"
	"fmt"
	"github.com/stillpay/stillpay/hardware/sim/simpty"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/stillpay/stillpay/hardware/imaging"
	"github.com/stillpay/stillpay/hardware/scanner"
)

// Errors of the simulator.
var (
	ErrUnplugged = errors.New("simscanner: unplugged")
	ErrClosed    = errors.New("simscanner: closed")
	// ErrBadPayload: the payload holds a byte the configured suffix uses,
	// which no real scanner could transmit unambiguously.
	ErrBadPayload = errors.New("simscanner: payload contains the suffix")
)

// Options configures the simulated scanner.
type Options struct {
	Suffix      string // "CR" (default), "LF", "CRLF", "mixed" (a random one per frame) or "none"
	AIM         bool   // prefix each payload with its AIM identifier (]Q1 by default)
	Symbology   string // AIM identifier to send when AIM is set (default "]Q1")
	SplitWrites bool   // write each frame in random pieces of 1..MaxChunk bytes
	MaxChunk    int    // largest piece for SplitWrites (default 16)
	Noise       bool   // send line noise (control bytes, invalid UTF-8) between frames, each burst ended by the suffix
	NoiseRate   float64
	Seed        int64  // seeds splits and noise; equal seeds give equal byte streams
	Link        string // if set, a symlink to the current pty slave (like udev's /dev/scanner)
}

const (
	defaultMaxChunk  = 16
	defaultNoiseRate = 0.3
	maxNoiseBurst    = 12
)

// Scanner is one simulated scanner.
type Scanner struct {
	opts   Options
	suffix []byte
	log    *slog.Logger

	mu     sync.Mutex
	rng    *rand.Rand
	master *os.File // nil while unplugged
	slave  *os.File // held open so the line settings survive between driver opens
	path   string
	closed bool
}

// New opens a pty pair and, if opts.Link is set, points the link at it.
func New(opts Options, log *slog.Logger) (*Scanner, error) {
	suffix, err := suffixBytes(opts.Suffix)
	if err != nil {
		return nil, err
	}
	if opts.Noise && len(suffix) == 0 {
		return nil, fmt.Errorf("simscanner: noise needs a suffix to end each burst (suffix %q)", opts.Suffix)
	}
	if opts.MaxChunk <= 0 {
		opts.MaxChunk = defaultMaxChunk
	}
	if opts.NoiseRate <= 0 {
		opts.NoiseRate = defaultNoiseRate
	}
	if opts.Symbology == "" {
		opts.Symbology = "]Q1"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scanner{
		opts:   opts,
		suffix: suffix,
		log:    log,
		rng:    rand.New(rand.NewPCG(uint64(opts.Seed), 0x5c4e)),
	}
	if err := s.plug(); err != nil {
		return nil, err
	}
	return s, nil
}

func suffixBytes(s string) ([]byte, error) {
	switch strings.ToLower(s) {
	case "none":
		return nil, nil
	case "mixed":
		return []byte("\r\n"), nil // every byte a payload must avoid
	}
	sfx, err := scanner.ParseSuffix(s)
	if err != nil {
		return nil, fmt.Errorf("simscanner: %w", err)
	}
	if s == "" {
		return []byte{'\r'}, nil
	}
	return sfx.Bytes(), nil
}

// plug creates a new pty pair in raw mode and repoints the link. Raw mode is
// set here, before any byte is written, because the driver may open the
// slave later: bytes arriving in the default cooked mode would have CR
// turned into LF and be echoed back.
func (s *Scanner) plug() error {
	master, slave, err := simpty.OpenRaw()
	if err != nil {
		return fmt.Errorf("simscanner: %w", err)
	}
	s.master, s.slave, s.path = master, slave, slave.Name()
	if s.opts.Link != "" {
		if err := simpty.ReplaceSymlink(s.path, s.opts.Link); err != nil {
			master.Close()
			slave.Close()
			s.master, s.slave = nil, nil
			return err
		}
	}
	s.log.Info("simulated scanner plugged in", "pty", s.path, "link", s.opts.Link)
	return nil
}

// Path returns the device path the driver should open: the link when one
// is configured, else the current pty slave.
func (s *Scanner) Path() string {
	if s.opts.Link != "" {
		return s.opts.Link
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.path
}

// PTY returns the current pty slave path (it changes at every Replug).
func (s *Scanner) PTY() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.path
}

// Frame returns the bytes Send would write for payload before the suffix and
// before splitting: [AIM id][payload].
func (s *Scanner) Frame(payload string) ([]byte, error) {
	return s.frame(payload, s.opts.Symbology)
}

func (s *Scanner) frame(payload, symbology string) ([]byte, error) {
	for _, b := range s.suffix {
		for i := 0; i < len(payload); i++ {
			if payload[i] == b {
				return nil, fmt.Errorf("%w: byte 0x%02x at offset %d", ErrBadPayload, b, i)
			}
		}
	}
	var out []byte
	if s.opts.AIM {
		out = append(out, symbology...)
	}
	out = append(out, payload...)
	return out, nil
}

// suffixLocked returns the terminator for the next frame.
func (s *Scanner) suffixLocked() []byte {
	if strings.EqualFold(s.opts.Suffix, "mixed") {
		return mixedSuffixes[s.rng.IntN(len(mixedSuffixes))]
	}
	return s.suffix
}

// mixedSuffixes are what a fleet of differently programmed scanners sends.
var mixedSuffixes = [][]byte{[]byte("\r"), []byte("\n"), []byte("\r\n")}

// Send writes one barcode, preceded by a noise burst when Noise is set.
func (s *Scanner) Send(ctx context.Context, payload string) error {
	return s.send(ctx, payload, s.opts.Symbology)
}

// SendSymbology writes one barcode of another symbology, e.g. a product's
// EAN-13 as "]E0" + digits when AIM is set.
func (s *Scanner) SendSymbology(ctx context.Context, payload, symbology string) error {
	return s.send(ctx, payload, symbology)
}

// SendImage decodes the QR code in an image file with gozxing and sends its
// text; with AIM set, the identifier is the one gozxing computed (]Q1 plain,
// ]Q2 ECI, ]Q3 GS1 ...), as a scanner's decoder would report it.
func (s *Scanner) SendImage(ctx context.Context, path string) error {
	res, err := imaging.DecodeFile(path, imaging.DefaultOptions())
	if err != nil {
		return fmt.Errorf("simscanner: %w", err)
	}
	return s.send(ctx, res.Text, res.Symbology)
}

func (s *Scanner) send(ctx context.Context, payload, symbology string) error {
	frame, err := s.frame(payload, symbology)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if s.opts.Noise && s.rng.Float64() < s.opts.NoiseRate {
		if err := s.writeLocked(ctx, s.noiseLocked()); err != nil {
			return err
		}
	}
	return s.writeLocked(ctx, append(frame, s.suffixLocked()...))
}

// SendRaw writes bytes as they are, split like a frame when SplitWrites is
// set: for traces, garbage and half frames.
func (s *Scanner) SendRaw(ctx context.Context, p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	return s.writeLocked(ctx, p)
}

func (s *Scanner) usable() error {
	if s.closed {
		return ErrClosed
	}
	if s.master == nil {
		return ErrUnplugged
	}
	return nil
}

// noiseLocked returns a burst of bytes that no text barcode contains (C0
// controls other than the ones barcodes carry, DEL, bytes never valid in
// UTF-8), ended by the suffix so that it stays a frame of its own.
func (s *Scanner) noiseLocked() []byte {
	const noiseBytes = "\x00\x01\x02\x03\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1f\x7f\xc0\xc1\xf5\xf8\xfe\xff"
	n := 1 + s.rng.IntN(maxNoiseBurst)
	out := make([]byte, 0, n+len(s.suffix))
	for range n {
		out = append(out, noiseBytes[s.rng.IntN(len(noiseBytes))])
	}
	return append(out, s.suffixLocked()...)
}

func (s *Scanner) writeLocked(ctx context.Context, p []byte) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = s.master.SetWriteDeadline(dl)
	} else {
		_ = s.master.SetWriteDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = s.master.SetWriteDeadline(time.Now()) })
	defer stop()
	for len(p) > 0 {
		n := len(p)
		if s.opts.SplitWrites {
			n = min(n, 1+s.rng.IntN(s.opts.MaxChunk))
		}
		if _, err := s.master.Write(p[:n]); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("simscanner: write: %w", err)
		}
		p = p[n:]
	}
	return nil
}

// Unplug simulates pulling the cable: the link disappears and the pty
// master closes, so the driver's Read fails with PortClosed.
func (s *Scanner) Unplug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if s.opts.Link != "" {
		if err := os.Remove(s.opts.Link); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("simscanner: remove link: %w", err)
		}
	}
	err := errors.Join(s.master.Close(), s.slave.Close())
	s.master, s.slave = nil, nil
	s.log.Info("simulated scanner unplugged", "pty", s.path)
	return err
}

// Replug simulates plugging the scanner back in: a new pty, and the link
// (if any) points at it.
func (s *Scanner) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.master != nil {
		return fmt.Errorf("simscanner: replug: already plugged in")
	}
	return s.plug()
}

// Close unplugs the scanner for good.
func (s *Scanner) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.master != nil {
		err = errors.Join(s.master.Close(), s.slave.Close())
		s.master, s.slave = nil, nil
	}
	if s.opts.Link != "" {
		if rerr := os.Remove(s.opts.Link); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}
