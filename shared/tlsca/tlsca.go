// Package tlsca builds the TLS configuration every stillpay client (the admin CLI, posagent, its
// doctor and provision, the wallet) uses to reach settlementd: the system's roots plus, optionally,
// a private CA from a PEM file. It also tells a certificate trust failure apart from a network
// failure, so that people are told to pass the CA file rather than to check the firewall.
package tlsca

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// MaxCAFile bounds what Config reads of a CA file: a bundle of a few certificates is kilobytes.
const MaxCAFile = 1 << 20

// Errors. Test with errors.Is.
var (
	// ErrNoCertificates: the CA file holds no PEM certificate.
	ErrNoCertificates = errors.New("tlsca: no PEM certificate in the CA file")
	// ErrUntrusted wraps a TLS handshake that failed because the server's certificate is not
	// trusted (unknown authority, wrong host name, expired): a network that works.
	ErrUntrusted = errors.New("the server's TLS certificate is not trusted")
)

// Config returns the client TLS configuration for caFile: nil for "" (Go's default, the system
// roots), else the system roots plus the certificates in the file.
func Config(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	f, err := os.Open(caFile)
	if err != nil {
		return nil, fmt.Errorf("tlsca: CA file: %w", err)
	}
	defer f.Close()
	pem, err := io.ReadAll(io.LimitReader(f, MaxCAFile+1))
	if err != nil {
		return nil, fmt.Errorf("tlsca: CA file %s: %w", caFile, err)
	}
	if len(pem) > MaxCAFile {
		return nil, fmt.Errorf("tlsca: CA file %s is larger than %d bytes", caFile, MaxCAFile)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: %s", ErrNoCertificates, caFile)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, nil
}

// HTTPClient returns an HTTP client with timeout whose transport trusts caFile (see Config) and
// uses no proxy (stillpay's clients talk to their server directly).
func HTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	cfg, err := Config(caFile)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = cfg
	return &http.Client{Timeout: timeout, Transport: tr}, nil
}

// Untrusted reports whether err is a failed verification of the server's certificate.
func Untrusted(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
	)
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostname) || errors.As(err, &verify)
}

// Explain turns a certificate trust failure into an error that says so and what to do (hint, e.g.
// "pass --ca-file" or "set server.ca_file"), wrapping ErrUntrusted and err. Any other error is
// returned unchanged.
func Explain(err error, hint string) error {
	if err == nil || !Untrusted(err) {
		return err
	}
	var unknown x509.UnknownAuthorityError
	what := "the server's certificate is not trusted"
	if errors.As(err, &unknown) {
		what = "certificate signed by an unknown authority"
	}
	return &UntrustedError{What: what, Hint: hint, Err: err}
}

// UntrustedError is a certificate trust failure with what to do about it.
type UntrustedError struct {
	What, Hint string
	Err        error
}

func (e *UntrustedError) Error() string {
	return fmt.Sprintf("%s — %s (%v)", e.What, e.Hint, rootCause(e.Err))
}

// Unwrap returns ErrUntrusted and the handshake error.
func (e *UntrustedError) Unwrap() []error { return []error{ErrUntrusted, e.Err} }

// rootCause drops the url.Error layer (method and URL are said by the caller).
func rootCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) && verify.Err != nil {
		return verify.Err
	}
	return err
}
