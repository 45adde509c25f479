package tlsca_test

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/tlsca"
	"github.com/stillpay/stillpay/shared/tlsca/tlscatest"
)

// privateServer is an HTTPS server on 127.0.0.1 with a certificate of a CA made for the test.
func privateServer(t *testing.T) (*httptest.Server, tlscatest.Files) {
	t.Helper()
	files, err := tlscatest.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(files.ServerCert, files.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, files
}

func TestPrivateCA(t *testing.T) {
	srv, files := privateServer(t)

	hc, err := tlsca.HTTPClient(files.CA, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("with the CA file: HTTP %d", resp.StatusCode)
	}

	plain, err := tlsca.HTTPClient("", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = plain.Get(srv.URL)
	if !tlsca.Untrusted(err) {
		t.Fatalf("without the CA file: %v; want a trust failure", err)
	}
	explained := tlsca.Explain(err, "pass --ca-file")
	if !errors.Is(explained, tlsca.ErrUntrusted) {
		t.Errorf("Explain does not wrap ErrUntrusted: %v", explained)
	}
	if want := "certificate signed by an unknown authority — pass --ca-file"; !strings.Contains(explained.Error(), want) {
		t.Errorf("Explain = %q, want it to contain %q", explained, want)
	}
}

func TestNotTrustFailures(t *testing.T) {
	// A refused connection is a network failure, left as it is.
	hc, _ := tlsca.HTTPClient("", 5*time.Second)
	_, err := hc.Get("https://127.0.0.1:1/")
	if err == nil || tlsca.Untrusted(err) {
		t.Fatalf("connection refused: %v; want an error that is not a trust failure", err)
	}
	if got := tlsca.Explain(err, "pass --ca-file"); got != err {
		t.Errorf("Explain changed a network error: %v", got)
	}
	if tlsca.Explain(nil, "x") != nil {
		t.Error("Explain(nil) is not nil")
	}
}

func TestBadCAFile(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tlsca.Config(notPEM); !errors.Is(err, tlsca.ErrNoCertificates) {
		t.Errorf("Config(not PEM) = %v, want ErrNoCertificates", err)
	}
	if _, err := tlsca.Config(filepath.Join(dir, "missing.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Config(missing) = %v, want ErrNotExist", err)
	}
	if cfg, err := tlsca.Config(""); cfg != nil || err != nil {
		t.Errorf("Config(\"\") = %v, %v; want nil, nil", cfg, err)
	}
}
