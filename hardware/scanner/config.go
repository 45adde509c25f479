package scanner

import (
	"fmt"
	"time"

	"github.com/stillpay/stillpay/hardware/serialport"
)

// Defaults for Config fields left zero.
const (
	// DefaultGap is the inter-character gap that ends a frame without a
	// suffix: 50-100 ms is the usual advice; at 9600 baud one character
	// takes about 1 ms and USB-CDC scanners send 64-byte packets back to back.
	DefaultGap = 100 * time.Millisecond
	// DefaultReadTimeout is how long one Read waits; it sets how quickly a
	// gap is noticed and Close is honoured.
	DefaultReadTimeout = 25 * time.Millisecond
)

// Config configures a Scanner.
type Config struct {
	Port   serialport.Config `yaml:"port" json:"port"`
	Suffix string            `yaml:"suffix" json:"suffix,omitempty"` // "CR" | "LF" | "CRLF" | "auto" (default)
	// Gap ends a frame after this much silence (default DefaultGap); a
	// negative value turns gap framing off.
	Gap time.Duration `yaml:"gap" json:"gap,omitempty"`
	// MaxFrame bounds one frame in bytes (default DefaultMaxFrame).
	MaxFrame int `yaml:"max_frame" json:"max_frame,omitempty"`
	// ReadTimeout bounds one Read (default DefaultReadTimeout).
	ReadTimeout time.Duration `yaml:"read_timeout" json:"read_timeout,omitempty"`
	// KeepAIM and AllowBinary are passed to the Framer.
	KeepAIM     bool `yaml:"keep_aim" json:"keep_aim,omitempty"`
	AllowBinary bool `yaml:"allow_binary" json:"allow_binary,omitempty"`
}

// maxReadTimeout keeps Close responsive.
const maxReadTimeout = time.Second

// Validate reports configuration mistakes, wrapping ErrInvalidConfig or
// serialport.ErrInvalidConfig.
func (c Config) Validate() error {
	if err := c.Port.Validate(); err != nil {
		return err
	}
	if _, err := ParseSuffix(c.Suffix); err != nil {
		return err
	}
	if c.MaxFrame < 0 {
		return fmt.Errorf("%w: max_frame %d is negative", ErrInvalidConfig, c.MaxFrame)
	}
	if c.ReadTimeout < 0 || c.ReadTimeout > maxReadTimeout {
		return fmt.Errorf("%w: read_timeout %v, want 0..%v", ErrInvalidConfig, c.ReadTimeout, maxReadTimeout)
	}
	return nil
}

// FramerConfig returns the Framer settings of c with defaults applied.
func (c Config) FramerConfig() (FramerConfig, error) {
	suffix, err := ParseSuffix(c.Suffix)
	if err != nil {
		return FramerConfig{}, err
	}
	gap := c.Gap
	switch {
	case gap == 0:
		gap = DefaultGap
	case gap < 0:
		gap = 0
	}
	return FramerConfig{Suffix: suffix, Gap: gap, MaxFrame: c.MaxFrame, KeepAIM: c.KeepAIM, AllowBinary: c.AllowBinary}, nil
}

func (c Config) readTimeout() time.Duration {
	if c.ReadTimeout == 0 {
		return DefaultReadTimeout
	}
	return c.ReadTimeout
}
