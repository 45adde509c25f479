package doctor

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/sim/simprinter"
	"github.com/stillpay/stillpay/hardware/sim/simscanner"
	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/config"
)

// protocolServer answers the three requests the doctor makes, over real HTTP on 127.0.0.1, checking
// terminal signatures with shared/protocol exactly as settlementd does. (The end-to-end test in
// internal/crosstest runs the doctor against the real settlementd.)
type protocolServer struct {
	URL string
	srv *http.Server

	mu        sync.Mutex
	terminals map[string]ed25519.PublicKey
	revoked   map[string]bool
	offset    time.Duration // server clock = now + offset
}

func newProtocolServer(t *testing.T) *protocolServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &protocolServer{URL: "http://" + ln.Addr().String(), terminals: map[string]ed25519.PublicKey{}, revoked: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+protocol.PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET "+protocol.PathTime, func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		json.NewEncoder(w).Encode(protocol.TimeResponse{Now: time.Now().Add(s.offset)})
	})
	mux.HandleFunc("GET "+protocol.PathTerminalConfig, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		sr, err := protocol.ParseSignedRequest(r.Header)
		pub, known := s.terminals[sr.TerminalID]
		switch {
		case err != nil:
			problem(w, http.StatusUnauthorized, protocol.CodeSignatureMissing)
		case !known:
			problem(w, http.StatusUnauthorized, protocol.CodeTerminalUnknown)
		case s.revoked[sr.TerminalID]:
			problem(w, http.StatusForbidden, protocol.CodeTerminalRevoked)
		case protocol.VerifyRequest(sr, pub, r.Method, r.URL.Path, nil, time.Now().Add(s.offset)) != nil:
			problem(w, http.StatusUnauthorized, protocol.CodeSignatureInvalid)
		default:
			json.NewEncoder(w).Encode(protocol.EnrollResponse{TerminalID: sr.TerminalID, MerchantID: "M-1", MerchantName: "Corner Cafe"})
		}
	})
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func problem(w http.ResponseWriter, status int, code protocol.Code) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(protocol.Problem{Title: http.StatusText(status), Status: status, Code: code})
}

// lane is a POS lane on the test machine: config, identity, simulated scanner and printer on ptys.
type lane struct {
	dir, config string
	server      *protocolServer
	scanner     *simscanner.Scanner
	printer     *simprinter.Printer
	terminalID  string
}

type laneOptions struct {
	noIdentity bool
	extra      string // appended to the config
	scannerAt  string // overrides the scanner port
	serverURL  string // overrides the server URL
}

func newLane(t *testing.T, lo laneOptions) *lane {
	t.Helper()
	l := &lane{dir: t.TempDir(), server: newProtocolServer(t), terminalID: "T-0042"}
	var err error
	if l.scanner, err = simscanner.New(simscanner.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.scanner.Close() })
	if l.printer, err = simprinter.NewPTY(simprinter.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.printer.Close() })

	if !lo.noIdentity {
		key, err := keyfile.Create(filepath.Join(l.dir, "terminal.key"))
		if err != nil {
			t.Fatal(err)
		}
		l.server.terminals[l.terminalID] = key.Public().(ed25519.PublicKey)
		id := config.IdentityState{TerminalID: l.terminalID, MerchantID: "M-1", MerchantName: "Corner Cafe",
			ServerKeys: []protocol.ServerKey{{KeyID: "k1", PublicKey: make([]byte, 32), Current: true}}, ServerURL: l.server.URL}
		if err := config.SaveIdentity(filepath.Join(l.dir, "identity.json"), id); err != nil {
			t.Fatal(err)
		}
	}
	scannerAt := l.scanner.Path()
	if lo.scannerAt != "" {
		scannerAt = lo.scannerAt
	}
	url := l.server.URL
	if lo.serverURL != "" {
		url = lo.serverURL
	}
	l.config = filepath.Join(l.dir, "posagent.yaml")
	yaml := fmt.Sprintf(`server:
  url: %s
  timeout: 2s
scanner:
  port: %s
printer:
  port: %s
local_api:
  listen: %s
%s`, url, scannerAt, l.printer.Path(), freeAddr(t), lo.extra)
	if err := os.WriteFile(l.config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// plenty is a disk with room to spare.
func plenty(string) (uint64, uint64, error) { return 10 << 30, 20 << 30, nil }

func (l *lane) run(t *testing.T, edit func(*Options)) Report {
	t.Helper()
	opt := Options{ConfigPath: l.config, Version: "v-test", Disk: plenty, ScanTimeout: 10 * time.Second}
	if edit != nil {
		edit(&opt)
	}
	return Run(context.Background(), opt)
}

func byName(r Report) map[string]Result {
	m := map[string]Result{}
	for _, c := range r.Checks {
		m[c.Check] = c
	}
	return m
}

// expect asserts the status of each named check and that its line mentions want.
func expect(t *testing.T, r Report, status Status, check, want string) {
	t.Helper()
	c, found := byName(r)[check]
	if !found {
		t.Fatalf("no %s check in %+v", check, r)
	}
	if c.Status != status || !strings.Contains(c.Detail+" "+c.Fix, want) {
		var b strings.Builder
		r.WriteText(&b)
		t.Fatalf("%s: %s %q (fix %q), want %s mentioning %q\n%s", check, c.Status, c.Detail, c.Fix, status, want, b.String())
	}
	if (status == StatusFail || status == StatusWarn) && c.Fix == "" {
		t.Fatalf("%s: a problem without a fix hint: %q", check, c.Detail)
	}
}
