package api

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/stillpay/stillpay/shared/protocol"
)

// passwordTransport refuses a request that carries a password over plain HTTP from a client that is
// not on this host: anyone on the path could read it. It answers 403 tls_required itself and
// returns false; the request has been sent already, but a client learns at once to fix its URL
// instead of logging in in clear every day.
func (s *Server) passwordTransport(w http.ResponseWriter, r *http.Request) bool {
	if r.TLS != nil || s.plainPasswordsOK || isLoopback(r.RemoteAddr) {
		return true
	}
	writeProblem(w, problem(http.StatusForbidden, protocol.CodeTLSRequired,
		"passwords are accepted over plain HTTP only from this host; use https:// (settlementd serve --tls-cert --tls-key)"))
	return false
}

// isLoopback reports whether a RemoteAddr ("host:port") is a loopback address.
func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
