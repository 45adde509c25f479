package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

const minimal = `
server:
  url: http://127.0.0.1:8080
scanner:
  port: /dev/ttyACM0
printer:
  port: /dev/ttyUSB0
`

// parseCases is the table for TestParseAndValidate and the seed corpus of FuzzParse.
var parseCases = []struct {
	name     string
	yaml     string
	wantErr  error  // nil, ErrSyntax, ErrUnknownKey, ErrInvalid, ErrTooLarge
	wantLine int    // for syntax errors: the line reported
	wantText string // a substring the message must contain
}{
	{name: "minimal", yaml: minimal},
	{name: "tcp printer no scanner", yaml: "server: {url: https://pay.example.com}\nscanner: {type: none}\nprinter: {type: tcp, address: '127.0.0.1:9100'}\n"},
	{name: "unix socket", yaml: minimal + "local_api: {listen: 'unix:/run/posagent.sock'}\n"},
	{name: "unknown top key", yaml: minimal + "prnter:\n  port: x\n", wantErr: ErrUnknownKey, wantLine: 8, wantText: `unknown key "prnter" at the top level`},
	{name: "unknown nested key", yaml: "server:\n  url: http://a\n  timout: 3s\n", wantErr: ErrUnknownKey, wantLine: 3, wantText: `unknown key "timout" in server`},
	{name: "unknown key in local_api", yaml: "local_api:\n  port: 7\n", wantErr: ErrUnknownKey, wantLine: 2, wantText: "in local_api"},
	{name: "bad indentation", yaml: "server:\n  url: a\n url2: b\n", wantErr: ErrSyntax},
	{name: "wrong type", yaml: "scanner:\n  baud: fast\n", wantErr: ErrSyntax, wantLine: 2},
	{name: "bad duration", yaml: "server:\n  timeout: soon\n", wantErr: ErrSyntax, wantLine: 2},
	{name: "two documents", yaml: minimal + "---\nserver: {}\n", wantErr: ErrSyntax},
	{name: "server url left to provision", yaml: "scanner: {port: a}\nprinter: {port: b}\n"},
	{name: "ftp url", yaml: "server: {url: 'ftp://x'}\nscanner: {port: a}\nprinter: {port: b}\n", wantErr: ErrInvalid, wantText: "server.url"},
	{name: "missing scanner port", yaml: "server: {url: 'http://x'}\nprinter: {port: b}\n", wantErr: ErrInvalid, wantText: "scanner.port: missing"},
	{name: "bad scanner type", yaml: strings.Replace(minimal, "port: /dev/ttyACM0", "type: laser", 1), wantErr: ErrInvalid, wantText: "scanner.type"},
	{name: "duplicate section", yaml: minimal + "scanner: {type: none}\n", wantErr: ErrSyntax, wantLine: 8, wantText: "already defined"},
	{name: "bad printer type", yaml: strings.Replace(minimal, "port: /dev/ttyUSB0", "type: laser", 1), wantErr: ErrInvalid, wantText: `printer.type: "laser" is not valid; want one of serial, tcp, usblp, none`},
	{name: "api on the network", yaml: minimal + "local_api: {listen: '0.0.0.0:7070'}\n", wantErr: ErrInvalid, wantText: "must not listen on the network"},
	{name: "api on the network with a token", yaml: minimal + "local_api: {listen: '0.0.0.0:7070', token_file: api.token}\n"},
	{name: "unknown currency", yaml: minimal + "sale: {currency: XBT}\n", wantErr: ErrInvalid, wantText: "sale.currency"},
	{name: "unknown printer profile", yaml: strings.Replace(minimal, "port: /dev/ttyUSB0", "{type: usblp, device: /dev/usb/lp0, profile: dotmatrix}", 1), wantErr: ErrInvalid, wantText: "generic-80mm"},
	{name: "batch too large", yaml: minimal + "forwarder: {batch_size: 5000}\n", wantErr: ErrInvalid, wantText: "between 1 and 1000"},
	{name: "keep settled a week", yaml: minimal + "queue: {keep_settled: 168h}\n"},
	{name: "keep settled too short", yaml: minimal + "queue: {keep_settled: 1h}\n", wantErr: ErrInvalid, wantText: `queue.keep_settled: "1h0m0s" is not valid; want a duration such as "720h"`},
	{name: "keep settled zero", yaml: minimal + "queue: {keep_settled: 0s}\n", wantErr: ErrInvalid, wantText: "queue.keep_settled"},
	{name: "keep settled not a duration", yaml: minimal + "queue: {keep_settled: 30d}\n", wantErr: ErrSyntax, wantLine: 8},
	{name: "negative timeout", yaml: minimal + "sale: {scan_timeout: -1s}\n", wantErr: ErrInvalid, wantText: "sale.scan_timeout"},
	{name: "several problems at once", yaml: "log: {level: loud, format: xml}\n", wantErr: ErrInvalid, wantText: "log.format"},
	{name: "tab character", yaml: "server:\n\turl: x\n", wantErr: ErrSyntax},
	{name: "rs232 port mapping", yaml: "server: {url: 'http://x'}\nscanner: {port: {path: /dev/ttyS0, baud: 9600, parity: even, data_bits: 7, stop_bits: 2}, max_frame: 2048}\nprinter: {port: {usb: '0416:5011'}, confirm_timeout: 20s, asb: true}\n"},
	{name: "unknown key in port", yaml: "server: {url: 'http://x'}\nscanner:\n  port:\n    path: /dev/ttyS0\n    partiy: even\nprinter: {port: b}\n", wantErr: ErrUnknownKey, wantLine: 5, wantText: `unknown key "partiy" in port`},
	{name: "bad parity", yaml: "server: {url: 'http://x'}\nscanner: {port: {path: /dev/ttyS0, parity: mark}}\nprinter: {port: b}\n", wantErr: ErrInvalid, wantText: "scanner.port"},
	{name: "bad stop bits", yaml: "server: {url: 'http://x'}\nscanner: {port: a}\nprinter: {port: {path: b, stop_bits: 3}}\n", wantErr: ErrInvalid, wantText: "printer.port"},
	{name: "path and usb", yaml: "server: {url: 'http://x'}\nscanner: {port: {path: a, usb: '0c2e:0b61'}}\nprinter: {port: b}\n", wantErr: ErrInvalid, wantText: "exactly one of path and usb"},
	{name: "scanner and printer on one device", yaml: "server: {url: 'http://x'}\nscanner: {port: /dev/ttyUSB0}\nprinter: {port: {path: /dev/../dev/ttyUSB0}}\n", wantErr: ErrInvalid, wantText: "one device cannot be both scanner and printer"},
	{name: "scanner and printer on one usb id", yaml: "server: {url: 'http://x'}\nscanner: {port: {usb: '0C2E:0B61'}}\nprinter: {port: {usb: '0c2e:0b61'}}\n", wantErr: ErrInvalid, wantText: "one device cannot be both scanner and printer"},
	{name: "scanner on the usblp device", yaml: "server: {url: 'http://x'}\nscanner: {port: /dev/usb/lp0}\nprinter: {type: usblp, device: /dev/usb/lp0}\n", wantErr: ErrInvalid, wantText: "one device cannot be both"},
	{name: "negative confirm timeout", yaml: minimal + "  confirm_timeout: -1s\n", wantErr: ErrInvalid, wantText: "printer.confirm_timeout"},
	{name: "cash drawer pin2", yaml: minimal + "  cash_drawer: pin2\n"},
	{name: "bad cash drawer", yaml: minimal + "  cash_drawer: pin3\n", wantErr: ErrInvalid, wantText: "printer.cash_drawer"},
	{name: "cash drawer on a printer without a drawer port", yaml: minimal + "  profile: generic-58mm\n  cash_drawer: pin5\n", wantErr: ErrInvalid, wantText: "has no cash drawer port"},
	{name: "too large", yaml: strings.Repeat("#", MaxConfigBytes+1), wantErr: ErrTooLarge},
}

func TestParseAndValidate(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.yaml))
			if err == nil {
				err = cfg.Validate()
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if tc.wantLine != 0 {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Line != tc.wantLine {
					t.Fatalf("error %v: want line %d", err, tc.wantLine)
				}
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("error %q does not mention %q", err, tc.wantText)
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	cfg, err := Parse([]byte("log: {level: loud, format: xml}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var ve *ValidationError
	if !errors.As(cfg.Validate(), &ve) {
		t.Fatal("want a *ValidationError")
	}
	keys := map[string]bool{}
	for _, p := range ve.Problems {
		keys[p.Key] = true
	}
	for _, k := range []string{"scanner.port", "printer.port", "log.level", "log.format"} {
		if !keys[k] {
			t.Errorf("problem with %s not reported; got %v", k, ve.Problems)
		}
	}
}

func TestDefaultsSurviveParse(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Timeout != 3*time.Second || cfg.Forwarder.BatchSize != 1000 || !cfg.Offline.Enabled || cfg.Sale.Currency != "EUR" ||
		cfg.Queue.KeepSettled != 720*time.Hour {
		t.Fatalf("defaults lost: %+v", cfg)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "configs", "posagent.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(cfg.Queue.Path) || cfg.Scanner.Type != ScannerSerial {
		t.Fatalf("unexpected example config: %+v", cfg)
	}
}

func TestLoadResolvesRelativePaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "posagent.yaml")
	if err := os.WriteFile(path, []byte(minimal+"local_api: {listen: 'unix:api.sock'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Queue.Path != filepath.Join(dir, "queue.db") || cfg.Identity.KeyFile != filepath.Join(dir, "terminal.key") {
		t.Fatalf("paths not resolved: %+v", cfg.Identity)
	}
	if cfg.LocalAPI.Listen != "unix:"+filepath.Join(dir, "api.sock") {
		t.Fatalf("socket not resolved: %s", cfg.LocalAPI.Listen)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestIdentityRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "identity.json")
	if _, err := LoadIdentity(path); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("missing identity: %v", err)
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentity(path); !errors.Is(err, ErrIdentityCorrupt) {
		t.Fatalf("corrupt identity: %v", err)
	}
	want := IdentityState{TerminalID: "T-1", MerchantID: "M-1", ReceiptHeader: []string{"Shop"}}
	if err := SaveIdentity(path, want); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentity(path); !errors.Is(err, ErrIdentityCorrupt) {
		t.Fatalf("identity without server keys must be refused: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("identity file mode: %v %v", st.Mode(), err)
	}
}

func TestSaveServerKeysKeepsTheRestOfTheIdentity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "identity.json")
	k1 := protocol.ServerKey{KeyID: "k-1", PublicKey: make([]byte, 32), Current: true}
	k2 := protocol.ServerKey{KeyID: "k-2", PublicKey: append(make([]byte, 31), 2), EndorsedBy: "k-1", Endorsement: make([]byte, 64)}
	if err := SaveServerKeys(path, []protocol.ServerKey{k1}); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("no identity file: %v", err)
	}
	orig := IdentityState{TerminalID: "T-1", MerchantID: "M-1", MerchantName: "Shop", ServerURL: "http://127.0.0.1:1",
		Limits: protocol.TerminalLimits{Currency: "EUR", FloorLimitMinor: 500}, ServerKeys: []protocol.ServerKey{k1}}
	if err := SaveIdentity(path, orig); err != nil {
		t.Fatal(err)
	}
	if err := SaveServerKeys(path, nil); !errors.Is(err, ErrIdentityCorrupt) {
		t.Fatalf("empty key list: %v", err)
	}
	if err := SaveServerKeys(path, []protocol.ServerKey{k1, k2}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ServerKeys) != 2 || got.ServerKeys[1].EndorsedBy != "k-1" || len(got.ServerKeys[1].Endorsement) != 64 {
		t.Fatalf("server keys after save: %+v", got.ServerKeys)
	}
	got.ServerKeys = orig.ServerKeys
	if !reflect.DeepEqual(got, orig) {
		t.Fatalf("the rest of the identity changed:\n got %+v\nwant %+v", got, orig)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("identity file mode after saving keys: %v %v", st.Mode(), err)
	}
}

// FuzzParse checks that no input makes Parse or Validate panic, and that every error is typed.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		if len(tc.yaml) <= 4096 {
			f.Add([]byte(tc.yaml))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped parse error: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("untyped validation error: %v", err)
		}
	})
}
