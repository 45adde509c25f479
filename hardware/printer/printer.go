package printer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/stillpay/stillpay/hardware/serialport"
)

// Result is what Print knows about a job. Its zero value is Unknown, so a
// forgotten assignment never reads as Printed.
type Result int

const (
	// Unknown: the job may or may not have printed; the printer did not
	// confirm it (no status support, or no answer in time).
	Unknown Result = iota
	// Printed: the printer confirmed (GS r) that everything up to the end
	// of the job has printed.
	Printed
	// NotPrinted: the job was refused (paper out, cover open, offline) or
	// interrupted and cleared from the printer; print it again.
	NotPrinted
)

func (r Result) String() string {
	switch r {
	case Printed:
		return "printed"
	case NotPrinted:
		return "not printed"
	}
	return "unknown"
}

// Printer is a receipt printer.
type Printer interface {
	// Print sends one job (ESC/POS bytes, e.g. from receipt.ESCPOS) and
	// reports whether it printed. See the package documentation for the
	// exact semantics.
	Print(ctx context.Context, job []byte) (Result, error)
	// Status asks the printer's real-time status. A printer that does not
	// answer in time gives Status{Unknown: true} and a nil error; the error
	// is for a broken connection.
	Status(ctx context.Context) (Status, error)
	// Profile is the printer's model description, for layout.
	Profile() Profile
	Close() error
}

// Transports.
const (
	TransportSerial = "serial"
	TransportUSBLP  = "usblp"
	TransportTCP    = "tcp"
)

// Defaults applied to zero Config fields.
const (
	DefaultStatusTimeout  = 2 * time.Second
	DefaultConfirmTimeout = 60 * time.Second
	// DefaultSerialPaceBytes and DefaultSerialPaceDelay pace serial
	// writes: the port has no RTS/CTS, so a burst larger than the
	// printer's receive buffer (4 KB on cheap models) is lost.
	DefaultSerialPaceBytes = 1024
	DefaultSerialPaceDelay = 20 * time.Millisecond
	// DefaultTCPPort is the raw printing port of network printers.
	DefaultTCPPort = "9100"
	// StatusPollInitial and StatusPollMax: while Print waits for the
	// confirmation it re-reads the real-time status to notice paper out
	// mid-job, first after StatusPollInitial, then at doubling intervals up
	// to StatusPollMax, so that a printer that never confirms is not asked
	// twice a second for the whole wait.
	StatusPollInitial = 500 * time.Millisecond
	StatusPollMax     = 4 * time.Second
	// JobWriteAllowance is the part of a job's budget for writing it: a
	// raster receipt of 20 KB at 19200 baud, paced, takes about 10 s.
	JobWriteAllowance = 15 * time.Second
)

// JobTimeout is the whole budget of one Print with c's settings: the
// status check before the job, writing it and waiting for the confirmation.
// A caller bounding Print with a context gives it at least this, so that the
// driver's own confirmation wait, not the caller, ends a slow job: the
// agent's print timeout is JobTimeout of the configured printer.
func (c Config) JobTimeout() time.Duration {
	st, conf := c.StatusTimeout, c.ConfirmTimeout
	if st <= 0 {
		st = DefaultStatusTimeout
	}
	if conf <= 0 {
		conf = DefaultConfirmTimeout
	}
	return st + JobWriteAllowance + conf
}

// Config says how to reach a printer and how patient to be with it.
type Config struct {
	Transport string            `yaml:"transport" json:"transport"` // serial | usblp | tcp
	Serial    serialport.Config `yaml:"serial" json:"serial,omitempty"`
	Device    string            `yaml:"device" json:"device,omitempty"` // usblp: /dev/usb/lp0
	Addr      string            `yaml:"addr" json:"addr,omitempty"`     // tcp: host[:port], port 9100 by default
	Profile   string            `yaml:"profile" json:"profile,omitempty"`

	// StatusTimeout bounds one status exchange (default 2 s).
	StatusTimeout time.Duration `yaml:"status_timeout" json:"status_timeout,omitempty"`
	// ConfirmTimeout bounds the wait for the "printed" answer after a job
	// (default 60 s: a long receipt on a slow printer).
	ConfirmTimeout time.Duration `yaml:"confirm_timeout" json:"confirm_timeout,omitempty"`
	// PaceBytes and PaceDelay: write at most PaceBytes, wait until they
	// are out of the port and then PaceDelay, before the next chunk.
	// Serial defaults to 1024 bytes / 20 ms; 0 elsewhere (TCP and USB have
	// flow control).
	PaceBytes int           `yaml:"pace_bytes" json:"pace_bytes,omitempty"`
	PaceDelay time.Duration `yaml:"pace_delay" json:"pace_delay,omitempty"`
	// ASB turns on Automatic Status Back (GS a) so that paper out during a
	// job is noticed at once instead of at the next status poll.
	ASB bool `yaml:"asb" json:"asb,omitempty"`
	// CashDrawer is the drawer port pin OpenDrawer pulses: pin2, pin5 or
	// off (default). A pin on a profile without a drawer port is refused.
	CashDrawer string `yaml:"cash_drawer" json:"cash_drawer,omitempty"`
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, Profile, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("printer: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch c.Transport {
	case TransportSerial:
		if err := c.Serial.Validate(); err != nil {
			return c, Profile{}, fmt.Errorf("printer: %w: %w", ErrInvalidConfig, err)
		}
		if c.PaceBytes == 0 {
			c.PaceBytes = DefaultSerialPaceBytes
		}
		if c.PaceDelay == 0 {
			c.PaceDelay = DefaultSerialPaceDelay
		}
	case TransportUSBLP:
		if c.Device == "" {
			return c, Profile{}, bad("usblp transport needs device (e.g. /dev/usb/lp0)")
		}
	case TransportTCP:
		if c.Addr == "" {
			return c, Profile{}, bad("tcp transport needs addr (host or host:9100)")
		}
	default:
		return c, Profile{}, bad("transport %q, want serial, usblp or tcp", c.Transport)
	}
	if c.StatusTimeout == 0 {
		c.StatusTimeout = DefaultStatusTimeout
	}
	if c.ConfirmTimeout == 0 {
		c.ConfirmTimeout = DefaultConfirmTimeout
	}
	if c.StatusTimeout < 0 || c.ConfirmTimeout < 0 || c.PaceBytes < 0 || c.PaceDelay < 0 {
		return c, Profile{}, bad("timeouts and pacing must not be negative")
	}
	p, err := LookupProfile(c.Profile)
	if err != nil {
		return c, Profile{}, fmt.Errorf("printer: %w: %w", ErrInvalidConfig, err)
	}
	if _, on, err := drawerPin(c.CashDrawer); err != nil {
		return c, Profile{}, err
	} else if on && !p.Drawer {
		return c, Profile{}, bad("cash_drawer %s: profile %s has no cash drawer port", c.CashDrawer, p.Name)
	}
	return c, p, nil
}

// Open connects to the printer described by cfg. It does not talk to the
// printer yet; call Status to check that it answers.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (Printer, error) {
	cfg, prof, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &escposPrinter{cfg: cfg, profile: prof, log: log.With("printer", cfg.name())}
	if err := p.connect(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// name identifies the printer in logs.
func (c Config) name() string {
	switch c.Transport {
	case TransportSerial:
		return "serial:" + c.Serial.String()
	case TransportUSBLP:
		return "usblp:" + c.Device
	}
	return "tcp:" + c.Addr
}
