package config

import (
	"github.com/stillpay/stillpay/terminal/pin"

	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Bounds of queue.keep_settled. Below a day, today's receipts could no longer be reprinted and the
// seen codes written by older versions (which carry no expiry) could be forgotten while their
// credential is still valid; ten years is "keep everything" on any real terminal.
const (
	MinKeepSettled = 24 * time.Hour
	MaxKeepSettled = 10 * 365 * 24 * time.Hour
)

// Problem is one thing wrong with a config value.
type Problem struct {
	Key      string // dotted path, e.g. "printer.address"
	Got      string // the value found, quoted; "" when the key is missing
	Expected string // what would be accepted
}

func (p Problem) String() string {
	if p.Got == "" {
		return fmt.Sprintf("%s: missing; want %s", p.Key, p.Expected)
	}
	return fmt.Sprintf("%s: %s is not valid; want %s", p.Key, p.Got, p.Expected)
}

// ValidationError lists every problem Validate found, so a technician fixes them in one pass.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	lines = append(lines, fmt.Sprintf("config has %d problem(s):", len(e.Problems)))
	for _, p := range e.Problems {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Validate checks every value and returns a *ValidationError listing all problems, or nil.
func (c *Config) Validate() error {
	var ps []Problem
	add := func(key, got, expected string) {
		if got != "" {
			got = fmt.Sprintf("%q", got)
		}
		ps = append(ps, Problem{Key: key, Got: got, Expected: expected})
	}
	positive := func(key string, d time.Duration, max time.Duration) {
		if d <= 0 || d > max {
			add(key, d.String(), fmt.Sprintf("a duration such as \"3s\", above 0 and at most %s", max))
		}
	}

	// server.url may be empty: provision records the URL it enrolled with in the identity file.
	if u, err := url.Parse(c.Server.URL); c.Server.URL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		add("server.url", c.Server.URL, `an http:// or https:// URL with a host`)
	}
	positive("server.timeout", c.Server.Timeout, time.Minute)

	if c.Identity.KeyFile == "" {
		add("identity.key_file", "", "a path for the terminal's private key (posagent provision creates it)")
	}
	if c.Identity.StateFile == "" {
		add("identity.state_file", "", "a path for the identity file (posagent provision writes it)")
	}
	if c.Queue.Path == "" {
		add("queue.path", "", "a path for the bbolt queue file on persistent storage")
	}
	if k := c.Queue.KeepSettled; k < MinKeepSettled || k > MaxKeepSettled {
		add("queue.keep_settled", k.String(), fmt.Sprintf("a duration such as \"720h\" (30 days), at least %s and at most %s", MinKeepSettled, MaxKeepSettled))
	}

	switch c.Scanner.Type {
	case ScannerSerial:
		if c.Scanner.Port.IsZero() {
			add("scanner.port", "", "the scanner's serial device, e.g. /dev/ttyACM0 (see: posagent ports)")
		} else if err := c.Scanner.ScannerDriver().Port.Validate(); err != nil {
			add("scanner.port", c.Scanner.Port.String(), "a valid port: "+err.Error())
		}
		if c.Scanner.Baud <= 0 || c.Scanner.Baud > 4_000_000 {
			add("scanner.baud", fmt.Sprint(c.Scanner.Baud), "a baud rate such as 9600 or 115200")
		}
		switch strings.ToUpper(c.Scanner.Suffix) {
		case "", "AUTO", "CR", "LF", "CRLF":
		default:
			add("scanner.suffix", c.Scanner.Suffix, "one of auto, CR, LF, CRLF")
		}
		if c.Scanner.Gap > 5*time.Second {
			add("scanner.gap", c.Scanner.Gap.String(), "a short duration such as 100ms (0 or absent: the default 100ms; negative: off)")
		}
	case ScannerImages:
		if c.Scanner.Dir == "" {
			add("scanner.dir", "", "the directory where the camera drops images")
		}
		if b := c.Scanner.Decode.Budget; b < 0 || b > 10*time.Second {
			add("scanner.decode.budget", b.String(), "a duration such as \"200ms\", at most 10s (0: no bound)")
		}
	case ScannerNone:
	default:
		add("scanner.type", c.Scanner.Type, "one of serial, images, none")
	}

	if t := c.Printer.StatusTimeout; t < 0 || t > time.Minute {
		add("printer.status_timeout", t.String(), "a duration such as \"2s\", at most 1m (0: the default 2s)")
	}
	if t := c.Printer.ConfirmTimeout; t < 0 || t > 10*time.Minute {
		add("printer.confirm_timeout", t.String(), "a duration such as \"60s\", at most 10m (0: the default 60s)")
	}
	switch c.Printer.Type {
	case PrinterSerial:
		if c.Printer.Port.IsZero() {
			add("printer.port", "", "the printer's serial device, e.g. /dev/ttyUSB0 (see: posagent ports)")
		} else if err := c.Printer.PrinterDriver().Serial.Validate(); err != nil {
			add("printer.port", c.Printer.Port.String(), "a valid port: "+err.Error())
		}
		if c.Printer.Baud <= 0 || c.Printer.Baud > 4_000_000 {
			add("printer.baud", fmt.Sprint(c.Printer.Baud), "a baud rate such as 19200 or 115200")
		}
	case PrinterTCP:
		if _, port, err := net.SplitHostPort(c.Printer.Address); err != nil || port == "" {
			add("printer.address", c.Printer.Address, `host:port of a network printer, e.g. "192.0.2.10:9100"`)
		}
	case PrinterUSBLP:
		if c.Printer.Device == "" {
			add("printer.device", "", "a USB printer device such as /dev/usb/lp0")
		}
	case PrinterNone:
	default:
		add("printer.type", c.Printer.Type, "one of serial, tcp, usblp, none")
	}
	prof, err := escpos.LookupProfile(c.Printer.Profile)
	if c.Printer.Type != PrinterNone && err != nil {
		add("printer.profile", c.Printer.Profile, "one of "+strings.Join(escpos.ProfileNames(), ", "))
	}
	switch d := c.Printer.CashDrawer; d {
	case "", printer.DrawerOff:
	case printer.DrawerPin2, printer.DrawerPin5:
		if err == nil && c.Printer.Type != PrinterNone && !prof.Drawer {
			add("printer.cash_drawer", d, "off: printer profile "+prof.Name+" has no cash drawer port")
		}
	default:
		add("printer.cash_drawer", d, "one of pin2, pin5, off")
	}

	if dev, same := c.sharedDevice(); same {
		add("printer.port", dev, "another device than the scanner's: one device cannot be both scanner and printer (the scanner would swallow the printer's status answers)")
	}

	if err := validateListen(c.LocalAPI.Listen, c.LocalAPI.TokenFile != ""); err != "" {
		add("local_api.listen", c.LocalAPI.Listen, err)
	}

	if _, err := money.LookupCurrency(c.Sale.Currency); err != nil {
		add("sale.currency", c.Sale.Currency, "an ISO 4217 code the system supports, e.g. EUR, USD, CNY")
	}
	positive("sale.scan_timeout", c.Sale.ScanTimeout, 10*time.Minute)
	if c.Sale.WaitBudget < time.Second || c.Sale.WaitBudget > time.Minute {
		add("sale.wait_budget", c.Sale.WaitBudget.String(), "a duration between 1s and 1m, e.g. 4s")
	}

	if c.Refunds.PINHash != "" {
		if _, err := pin.Parse(c.Refunds.PINHash); err != nil {
			add("refunds.pin_hash", "(hidden)", "a hash made by `posagent pin-hash`")
		}
	}
	if _, err := DecimalSeparator(c.Console.Locale); err != nil {
		add("console.locale", c.Console.Locale, "a language tag such as en, en-GB, de-DE, fr")
	}

	for i, l := range append(append([]string{}, c.Receipt.Header...), c.Receipt.Footer...) {
		if len(l) > MaxReceiptLine {
			key := "receipt.header"
			if i >= len(c.Receipt.Header) {
				key = "receipt.footer"
			}
			add(key, l[:20]+"…", fmt.Sprintf("lines of at most %d characters", MaxReceiptLine))
		}
	}

	positive("forwarder.interval", c.Forwarder.Interval, time.Hour)
	positive("forwarder.max_backoff", c.Forwarder.MaxBackoff, 24*time.Hour)
	if c.Forwarder.BatchSize < 1 || c.Forwarder.BatchSize > protocol.MaxBatchItems {
		add("forwarder.batch_size", fmt.Sprint(c.Forwarder.BatchSize), fmt.Sprintf("between 1 and %d (the server's batch limit)", protocol.MaxBatchItems))
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", c.Log.Level, "one of debug, info, warn, error")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", c.Log.Format, "text or json")
	}

	if len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}

// sharedDevice reports a serial scanner configured on the printer's device.
func (c *Config) sharedDevice() (string, bool) {
	if c.Scanner.Type != ScannerSerial || c.Scanner.Port.IsZero() {
		return "", false
	}
	switch c.Printer.Type {
	case PrinterSerial:
		return c.Printer.Port.String(), c.Scanner.Port.Same(c.Printer.Port)
	case PrinterUSBLP:
		return c.Printer.Device, SamePath(c.Scanner.Port.Path, c.Printer.Device)
	}
	return "", false
}

// validateListen returns "" or what a valid listen address looks like. A network address needs a
// token (local_api.token_file).
func validateListen(s string, token bool) string {
	const want = `"127.0.0.1:PORT" (loopback only, unless local_api.token_file is set) or "unix:/path/to.sock"`
	if rest, ok := strings.CutPrefix(s, "unix:"); ok {
		if rest == "" {
			return want
		}
		return ""
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return want
	}
	if ip := net.ParseIP(host); !token && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return want + ": without local_api.token_file the register API has no authentication, so it must not listen on the network"
	}
	return ""
}
