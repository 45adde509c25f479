package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/shared/tlsca"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// Clock skew bounds. Offline payment codes live one 30 s step either side of the terminal clock, so
// a clock half a step off already turns fresh codes away near the step edges.
const (
	skewWarn = 5 * time.Second
	skewFail = otp.StepSeconds * time.Second / 2
)

// maxSelfAnswer bounds the answer of GET /v1/terminals/self (keys and limits: a few kilobytes).
const maxSelfAnswer = 1 << 20

func (r *run) checkAgent(ctx context.Context) Result {
	if r.cfg == nil {
		return skip("needs a valid config")
	}
	ctx, cancel := context.WithTimeout(ctx, agentProbeTimeout)
	defer cancel()
	c, err := localapi.ClientFor(r.cfg.LocalAPI)
	if err != nil {
		return fail("local_api.token_file: "+err.Error(), "%v", err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		if errors.Is(err, localapi.ErrAgentDown) || errors.Is(err, context.DeadlineExceeded) {
			return ok("not running (nothing on %s): scanner, printer and queue are checked directly; start it with: systemctl start posagent", r.cfg.LocalAPI.Listen)
		}
		return warn("check local_api.listen in the config; another program may use that address",
			"something answers on %s but not as posagent: %v", r.cfg.LocalAPI.Listen, err)
	}
	r.agent = &st
	return ok("running: version %s, terminal %s, up since %s; devices and queue are read from it", st.Version, st.TerminalID, st.Started.Format(time.RFC3339))
}

func (r *run) checkServer(ctx context.Context) Result {
	if r.cfg == nil {
		return skip("needs a valid config")
	}
	if r.opt.CAFile != "" {
		r.cfg.Server.CAFile = r.opt.CAFile
	}
	tlsCfg, err := tlsca.Config(r.cfg.Server.CAFile)
	if err != nil {
		return fail("give server.ca_file (or --ca-file) a PEM file of the CA that signed the server's certificate", "%v", err)
	}
	r.tls = tlsCfg
	opt := client.Options{BaseURL: r.cfg.Server.URL, Timeout: r.cfg.Server.Timeout, Clock: r.opt.Clock, TLS: tlsCfg}
	if r.identity != nil {
		opt.TerminalID, opt.Key = r.identity.TerminalID, r.key
	}
	r.server = client.New(opt)
	if err := r.server.Health(ctx); err != nil {
		if tlsca.Untrusted(err) {
			return fail(config.TrustHint, "%s answers, but %v", r.cfg.Server.URL, tlsca.Explain(err, "pass --ca-file"))
		}
		var p *protocol.Problem
		if errors.As(err, &p) {
			return fail("the server is up but unhealthy: tell the operator (settlementd logs)", "%s answers but is not healthy: %v", r.cfg.Server.URL, err)
		}
		return fail(fmt.Sprintf("check the network cable or Wi-Fi, DNS and firewall, and server.url in %s (try: curl %s%s); sales still approve offline within the offline limits meanwhile",
			r.cfg.Path, strings.TrimRight(r.cfg.Server.URL, "/"), protocol.PathHealth),
			"%s is unreachable: %v", r.cfg.Server.URL, rootCause(err))
	}
	r.reached = true
	if r.identity != nil && r.identity.ServerURL != "" && strings.TrimRight(r.identity.ServerURL, "/") != strings.TrimRight(r.cfg.Server.URL, "/") {
		return warn("if the server moved, this is right; otherwise set server.url back to the enrollment server",
			"%s is reachable, but the terminal was enrolled with %s (the agent uses server.url)", r.cfg.Server.URL, r.identity.ServerURL)
	}
	return ok("%s is reachable", r.cfg.Server.URL)
}

func (r *run) checkEnrolled(ctx context.Context) Result {
	switch {
	case r.identity == nil:
		return skip("needs the terminal identity")
	case !r.reached:
		return skip("needs the server")
	}
	self, err := r.terminalSelf(ctx)
	if err != nil {
		var p *protocol.Problem
		if errors.As(err, &p) {
			switch p.Code {
			case protocol.CodeTerminalUnknown, protocol.CodeTerminalRevoked, protocol.CodeSignatureInvalid, protocol.CodeUnauthenticated:
				return fail("this terminal's key is no longer accepted (revoked, or the terminal was re-enrolled elsewhere): get a new enrollment code and run posagent provision --force --server URL --enroll-code CODE",
					"the server refuses terminal %s: %v", r.identity.TerminalID, p)
			case protocol.CodeRequestStale:
				return fail("set the clock right (see the clock check) and run posagent doctor again", "the server refuses the request's time: %v", p)
			}
		}
		return fail("tell the operator; the server logs say why", "GET %s failed: %v", protocol.PathTerminalConfig, rootCause(err))
	}
	if self.TerminalID != r.identity.TerminalID {
		return fail("re-enroll: posagent provision --force --server URL --enroll-code CODE",
			"the server knows this key as terminal %s, the identity file says %s", self.TerminalID, r.identity.TerminalID)
	}
	return ok("the server accepts terminal %s (merchant %s)", self.TerminalID, self.MerchantName)
}

// terminalSelf sends the signed GET /v1/terminals/self.
func (r *run) terminalSelf(ctx context.Context) (protocol.EnrollResponse, error) {
	url := strings.TrimRight(r.cfg.Server.URL, "/") + protocol.PathTerminalConfig
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return protocol.EnrollResponse{}, err
	}
	req.Header.Set("Accept", "application/json")
	if err := protocol.SignRequest(req, r.identity.TerminalID, r.key, r.opt.Clock.Now(), nil); err != nil {
		return protocol.EnrollResponse{}, err
	}
	hc := &http.Client{Timeout: r.cfg.Server.Timeout, Transport: &http.Transport{Proxy: nil, TLSClientConfig: r.tls}}
	resp, err := hc.Do(req)
	if err != nil {
		return protocol.EnrollResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSelfAnswer))
	if err != nil {
		return protocol.EnrollResponse{}, err
	}
	if resp.StatusCode != http.StatusOK {
		if p, err := protocol.ParseProblem(resp.StatusCode, body); err == nil {
			return protocol.EnrollResponse{}, p
		}
		return protocol.EnrollResponse{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var self protocol.EnrollResponse
	if err := json.Unmarshal(body, &self); err != nil {
		return protocol.EnrollResponse{}, fmt.Errorf("answer is not a terminal description: %w", err)
	}
	return self, nil
}

func (r *run) checkClock(ctx context.Context) Result {
	if !r.reached {
		return skip("needs the server")
	}
	before := r.opt.Clock.Now()
	serverNow, err := r.server.Time(ctx)
	after := r.opt.Clock.Now()
	if err != nil {
		return fail("tell the operator; the server logs say why", "GET %s failed: %v", protocol.PathTime, rootCause(err))
	}
	// The server read its clock somewhere during the round trip: compare with the middle of it.
	local := before.Add(after.Sub(before) / 2)
	skew := local.Sub(serverNow)
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	const fix = "turn on network time: timedatectl set-ntp true (check with timedatectl status); offline codes are checked against this clock"
	switch {
	case abs > skewFail:
		return fail(fix, "terminal clock is %s %s the server (more than %s): fresh payment codes would be refused", abs.Round(time.Millisecond), dir, skewFail)
	case abs > skewWarn:
		return warn(fix, "terminal clock is %s %s the server", abs.Round(time.Millisecond), dir)
	}
	return ok("terminal clock within %s of the server", abs.Round(time.Millisecond))
}

// rootCause drops the client's "unreachable after N attempts" layer, keeping the part that says
// what happened (connection refused, no such host, timeout).
func rootCause(err error) error {
	var ue *client.UnreachableError
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
