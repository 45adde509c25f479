package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// MaxConfigBytes bounds the config file: a real one is a few kilobytes.
const MaxConfigBytes = 256 << 10

// Errors from Parse, Load and Validate. Test with errors.Is; *SyntaxError and *ValidationError carry
// the details.
var (
	ErrSyntax     = errors.New("config: not valid YAML")
	ErrUnknownKey = errors.New("config: unknown key")
	ErrInvalid    = errors.New("config: invalid value")
	ErrTooLarge   = errors.New("config: file too large")
	ErrNotFound   = errors.New("config: file not found")
)

// Config is posagent's configuration. Relative paths are resolved against the directory of the
// config file by Load.
type Config struct {
	Server    Server    `yaml:"server"`
	Identity  Identity  `yaml:"identity"`
	Queue     Queue     `yaml:"queue"`
	Scanner   Scanner   `yaml:"scanner"`
	Printer   Printer   `yaml:"printer"`
	LocalAPI  LocalAPI  `yaml:"local_api"`
	Sale      Sale      `yaml:"sale"`
	Offline   Offline   `yaml:"offline"`
	Receipt   Receipt   `yaml:"receipt"`
	Forwarder Forwarder `yaml:"forwarder"`
	Log       Log       `yaml:"log"`
	Refunds   Refunds   `yaml:"refunds"`
	Console   Console   `yaml:"console"`

	// Path is the file the config was loaded from; empty for Parse.
	Path string `yaml:"-"`
}

// Server is the settlement server.
type Server struct {
	URL string `yaml:"url"`
	// Timeout bounds one HTTP attempt; a sale makes at most client.MaxSendAttempts of them.
	Timeout time.Duration `yaml:"timeout"`
	// CAFile is a PEM file of the CA that signed the server's certificate, for a server with a
	// certificate of a private CA (the system's roots are trusted too).
	CAFile string `yaml:"ca_file"`
}

// TrustHint is what to do when the server's certificate is not trusted.
const TrustHint = "pass --ca-file with the CA that signed it, or set server.ca_file in the config"

// Identity names the terminal's key and the identity file provision writes.
type Identity struct {
	KeyFile   string `yaml:"key_file"`
	StateFile string `yaml:"state_file"`
}

// Queue is the durable bbolt queue.
type Queue struct {
	Path string `yaml:"path"`
	// KeepSettled is how long a final record (settled, approved, declined, cancelled) is kept after
	// its last change before the agent prunes it. Queued, open and refused records are never pruned.
	KeepSettled time.Duration `yaml:"keep_settled"`
}

// Scanner source types.
const (
	ScannerSerial = "serial" // a serial or USB-CDC barcode scanner (or a simulator's pty)
	ScannerImages = "images" // image files dropped into a directory (a camera's snapshots)
	ScannerNone   = "none"   // codes arrive only through the local API (tests, manual entry)
)

// Scanner is where payment codes come from.
type Scanner struct {
	Type   string        `yaml:"type"`
	Port   Port          `yaml:"port"`
	Baud   int           `yaml:"baud"`
	Suffix string        `yaml:"suffix"`
	Gap    time.Duration `yaml:"gap"`
	// MaxFrame bounds one scanned frame in bytes (0: scanner.DefaultMaxFrame).
	MaxFrame int    `yaml:"max_frame"`
	Dir      string `yaml:"dir"`
	// Decode tunes the QR decoder of type images.
	Decode Decode `yaml:"decode"`
}

// Decode tunes camera-image decoding (hardware/imaging). Zero fields take the decoder's defaults.
type Decode struct {
	// MaxSide is the first pass's downscale target (0: 640; negative: full resolution).
	MaxSide int `yaml:"max_side"`
	// RetrySide is the second pass's longer side when the first fails (0: 1920; negative: none).
	RetrySide int `yaml:"retry_side"`
	// Budget bounds one image's decoding time (0: no bound).
	Budget time.Duration `yaml:"budget"`
}

// Printer types.
const (
	PrinterSerial = "serial" // ESC/POS over a serial port or pty
	PrinterTCP    = "tcp"    // ESC/POS over a raw TCP socket (port 9100)
	PrinterUSBLP  = "usblp"  // a USB printer-class device file, /dev/usb/lpN
	PrinterNone   = "none"   // no printer: receipts are kept for the register only
)

// Printer is the receipt printer.
type Printer struct {
	Type    string `yaml:"type"`
	Port    Port   `yaml:"port"`
	Baud    int    `yaml:"baud"`
	Address string `yaml:"address"`
	Device  string `yaml:"device"`
	Profile string `yaml:"profile"`
	// StatusTimeout bounds one status exchange, ConfirmTimeout the wait for the printer's "printed"
	// answer after a job (0: the driver's defaults, 2s and 60s). The agent's budget for one receipt
	// is printer.Config.JobTimeout of these, so the driver's wait always ends first.
	StatusTimeout  time.Duration `yaml:"status_timeout"`
	ConfirmTimeout time.Duration `yaml:"confirm_timeout"`
	// ASB turns on Automatic Status Back on profiles that have it.
	ASB bool `yaml:"asb"`
	// CashDrawer is the drawer the agent kicks on cash-like events (refund payout): pin2, pin5 or
	// off (the default). A pin on a profile without a drawer port is refused.
	CashDrawer string `yaml:"cash_drawer"`
}

// LocalAPI is where the cash register talks to the agent: "127.0.0.1:PORT" or "unix:/path/to.sock".
// TokenFile (0600) holds a bearer token every request must carry; with it the API may listen on a
// network address for a register on another host.
type LocalAPI struct {
	Listen    string `yaml:"listen"`
	TokenFile string `yaml:"token_file"`
}

// Sale holds the cashier-facing defaults.
type Sale struct {
	Currency    string        `yaml:"currency"`
	ScanTimeout time.Duration `yaml:"scan_timeout"`
	// WaitBudget bounds the cashier's wait after the scan: the online attempts, then the offline
	// decision. After an online attempt gets no answer, the next sales go offline at once.
	WaitBudget time.Duration `yaml:"wait_budget"`
}

// Refunds guards refunds and voids at the lane.
type Refunds struct {
	// PINHash is the hash of the supervisor PIN every refund and void must carry (made by
	// `posagent pin-hash`; the PIN itself is never stored or logged). Empty: no PIN is asked.
	PINHash string `yaml:"pin_hash"`
}

// Console is the cashier screen (`posagent console`).
type Console struct {
	// Locale decides how amounts are typed and shown: "4,20" in a locale that writes a decimal comma
	// (de, fr, es, it, nl, ...), "4.20" otherwise. Empty: a decimal point.
	Locale string `yaml:"locale"`
}

// Offline switches offline approvals. The limits themselves come from the server at enrollment.
type Offline struct {
	Enabled bool `yaml:"enabled"`
}

// Receipt holds extra receipt text; the merchant header comes from enrollment.
type Receipt struct {
	Header []string `yaml:"header"`
	Footer []string `yaml:"footer"`
}

// MaxReceiptLine bounds a receipt header or footer line, in bytes.
const MaxReceiptLine = 64

// Forwarder tunes the store-and-forward drain.
type Forwarder struct {
	Interval   time.Duration `yaml:"interval"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	BatchSize  int           `yaml:"batch_size"`
}

// Log configures log/slog output on stderr.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Default returns the configuration every file starts from.
func Default() Config {
	return Config{
		Server:    Server{Timeout: 3 * time.Second},
		Identity:  Identity{KeyFile: "terminal.key", StateFile: "identity.json"},
		Queue:     Queue{Path: "queue.db", KeepSettled: 30 * 24 * time.Hour},
		Scanner:   Scanner{Type: ScannerSerial, Baud: 9600, Suffix: "auto"},
		Printer:   Printer{Type: PrinterSerial, Baud: 19200, Profile: "generic-80mm"},
		LocalAPI:  LocalAPI{Listen: "127.0.0.1:7070"},
		Sale:      Sale{Currency: "EUR", ScanTimeout: 60 * time.Second, WaitBudget: 4 * time.Second},
		Offline:   Offline{Enabled: true},
		Forwarder: Forwarder{Interval: 2 * time.Second, MaxBackoff: time.Minute, BatchSize: 1000},
		Log:       Log{Level: "info", Format: "text"},
	}
}

// SyntaxError is a YAML error or an unknown key, with the line it is on.
type SyntaxError struct {
	Line int    // 1-based; 0 when unknown
	Key  string // the unknown key, if that is the problem
	Msg  string
	kind error
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config line %d: %s", e.Line, e.Msg)
	}
	return "config: " + e.Msg
}

// Unwrap returns ErrUnknownKey or ErrSyntax.
func (e *SyntaxError) Unwrap() error { return e.kind }

var (
	unknownFieldRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type config\.(\w+)`)
	yamlLineRE     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// Parse reads a config from YAML bytes on top of Default. It does not resolve paths or validate.
func Parse(data []byte) (Config, error) {
	cfg := Default()
	if len(data) > MaxConfigBytes {
		return Config{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxConfigBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&cfg)
	if errors.Is(err, io.EOF) {
		return cfg, nil // an empty file is all defaults; Validate says what is missing
	}
	if err != nil {
		return Config{}, translateYAMLError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, &SyntaxError{Line: extra.Line, Msg: "more than one YAML document; a config is one document", kind: ErrSyntax}
	}
	return cfg, nil
}

func translateYAMLError(err error) error {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se // from Port.UnmarshalYAML
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		first := te.Errors[0]
		if m := unknownFieldRE.FindStringSubmatch(first); m != nil {
			var line int
			fmt.Sscan(m[1], &line)
			section := sectionName(m[3])
			where := "at the top level"
			if section != "" {
				where = "in " + section
			}
			return &SyntaxError{Line: line, Key: m[2], kind: ErrUnknownKey,
				Msg: fmt.Sprintf("unknown key %q %s (check the spelling against configs/posagent.example.yaml)", m[2], where)}
		}
		return syntaxFromText(first)
	}
	return syntaxFromText(err.Error())
}

func syntaxFromText(s string) error {
	if m := yamlLineRE.FindStringSubmatch(s); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &SyntaxError{Line: line, Msg: strings.TrimPrefix(m[2], "yaml: "), kind: ErrSyntax}
	}
	return &SyntaxError{Msg: strings.TrimPrefix(s, "yaml: "), kind: ErrSyntax}
}

// sectionName maps a Go type name from a yaml error back to the YAML key of its section.
func sectionName(typeName string) string {
	switch typeName {
	case "Config":
		return ""
	case "LocalAPI":
		return "local_api"
	}
	return strings.ToLower(typeName)
}

// Load reads, parses, resolves and validates the config file at path.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("%w: %s (create it from configs/posagent.example.yaml or pass --config)", ErrNotFound, path)
	}
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("config: read %s: %w", path, err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg.Path = abs
	cfg.ResolvePaths(filepath.Dir(abs))
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ResolvePaths makes the file paths in c absolute relative to dir.
func (c *Config) ResolvePaths(dir string) {
	for _, p := range []*string{&c.Identity.KeyFile, &c.Identity.StateFile, &c.Queue.Path, &c.Scanner.Dir, &c.LocalAPI.TokenFile, &c.Server.CAFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if rest, ok := strings.CutPrefix(c.LocalAPI.Listen, "unix:"); ok && rest != "" && !filepath.IsAbs(rest) {
		c.LocalAPI.Listen = "unix:" + filepath.Join(dir, rest)
	}
}
