package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/shared/tlsca"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/config"
)

// Errors of provision. Test with errors.Is.
var (
	ErrAlreadyEnrolled = errors.New("provision: this terminal is already enrolled")
	ErrEnrollRefused   = errors.New("provision: the server refused the enrollment")
	ErrBadEnrollment   = errors.New("provision: the server's enrollment answer is unusable")
)

// maxTerminalIDLen leaves room for "-" and a 9-digit sequence within protocol.MaxIDLen.
const maxTerminalIDLen = protocol.MaxIDLen - 10

// provisionTimeout bounds the enrollment call.
const provisionTimeout = 30 * time.Second

func provisionCommand(g *globals) *cobra.Command {
	var server, code, caFile string
	var force bool
	cmd := &cobra.Command{
		Use:   "provision --server URL --enroll-code CODE",
		Short: "Enroll this terminal: create its key, enroll with the server, store its identity",
		Long: "Creates the terminal key (mode 0600) if there is none, enrolls with the settlement server using a\n" +
			"one-time enrollment code, and writes the identity file named by identity.state_file (terminal id,\n" +
			"merchant, receipt header, offline limits, server keys). Refuses to replace an enrolled identity\n" +
			"without --force. Safe to rerun after a failure: the key is reused.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if server == "" {
				server = cfg.Server.URL
			}
			if caFile != "" {
				cfg.Server.CAFile = caFile
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), provisionTimeout)
			defer cancel()
			id, err := Provision(ctx, cfg, server, code, force)
			if err != nil {
				return err
			}
			printIdentity(cmd.OutOrStdout(), cfg, id)
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "settlement server URL (default: server.url of the config)")
	cmd.Flags().StringVar(&code, "enroll-code", "", "one-time enrollment code from the operator (required)")
	cmd.Flags().StringVar(&caFile, "ca-file", "", "PEM file of the CA that signed the server's certificate (default: server.ca_file of the config)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing identity (a new key is made; the old terminal id stops working here)")
	cmd.MarkFlagRequired("enroll-code")
	return cmd
}

// Provision enrolls the terminal described by cfg with the server at serverURL.
func Provision(ctx context.Context, cfg config.Config, serverURL, code string, force bool) (config.IdentityState, error) {
	if u, err := url.Parse(serverURL); serverURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config.IdentityState{}, fmt.Errorf("provision: --server %q is not an http(s) URL; pass the settlement server's address, e.g. --server https://pay.example.com", serverURL)
	}
	existing, err := config.LoadIdentity(cfg.Identity.StateFile)
	switch {
	case err == nil && !force:
		return existing, fmt.Errorf("%w as %s (merchant %s) by %s; to replace that identity run provision again with --force",
			ErrAlreadyEnrolled, existing.TerminalID, existing.MerchantName, cfg.Identity.StateFile)
	case err != nil && !errors.Is(err, config.ErrNotEnrolled) && !force:
		return existing, fmt.Errorf("%w; rerun with --force to enroll afresh", err)
	}

	var key ed25519.PrivateKey
	if force && err == nil {
		// A new identity gets a new key: the old one stays with the old terminal id.
		_, key, err = ed25519.GenerateKey(nil)
		if err == nil {
			err = keyfile.Save(cfg.Identity.KeyFile, key)
		}
	} else {
		key, _, err = keyfile.LoadOrCreate(cfg.Identity.KeyFile)
	}
	if err != nil {
		return config.IdentityState{}, fmt.Errorf("provision: terminal key %s: %w", cfg.Identity.KeyFile, err)
	}

	host, _ := os.Hostname()
	tlsCfg, err := tlsca.Config(cfg.Server.CAFile)
	if err != nil {
		return config.IdentityState{}, fmt.Errorf("provision: %w", err)
	}
	c := client.New(client.Options{BaseURL: serverURL, Timeout: 10 * time.Second, TLS: tlsCfg})
	resp, err := c.Enroll(ctx, protocol.EnrollRequest{EnrollCode: code, PublicKey: key.Public().(ed25519.PublicKey), Hostname: host, Version: version})
	if err != nil {
		return config.IdentityState{}, enrollError(serverURL, err)
	}
	if err := checkEnrollment(resp); err != nil {
		return config.IdentityState{}, err
	}
	id := config.IdentityState{
		TerminalID: resp.TerminalID, MerchantID: resp.MerchantID, MerchantName: resp.MerchantName,
		ReceiptHeader: resp.ReceiptHeader, Limits: resp.Limits, ServerKeys: resp.ServerKeys,
		ServerURL: serverURL, EnrolledAt: time.Now().UTC(), SeqFloor: resp.SeqFloor,
	}
	if err := config.SaveIdentity(cfg.Identity.StateFile, id); err != nil {
		return id, fmt.Errorf("provision: enrolled as %s but could not write %s: %w; fix the disk and ask the operator for a new enrollment code",
			id.TerminalID, cfg.Identity.StateFile, err)
	}
	return id, nil
}

// enrollError turns an enrollment failure into what the technician should do.
func enrollError(server string, err error) error {
	switch protocol.ProblemCode(err) {
	case protocol.CodeEnrollCodeInvalid:
		return fmt.Errorf("%w: the enrollment code is not valid (mistyped or expired); check it or ask the operator for a new one: %w", ErrEnrollRefused, err)
	case protocol.CodeEnrollCodeUsed:
		return fmt.Errorf("%w: the enrollment code was already used; each code enrolls one terminal once, ask the operator for a new one: %w", ErrEnrollRefused, err)
	case protocol.CodeThrottled:
		return fmt.Errorf("%w: too many attempts; wait a minute and rerun: %w", ErrEnrollRefused, err)
	case "":
	default:
		return fmt.Errorf("%w: %w", ErrEnrollRefused, err)
	}
	if tlsca.Untrusted(err) {
		return fmt.Errorf("provision: %s: %w", server, tlsca.Explain(err, config.TrustHint))
	}
	if errors.Is(err, client.ErrUnreachable) {
		return fmt.Errorf("provision: cannot reach the settlement server at %s: check the URL, the network and the firewall, then rerun (the key is kept): %w", server, err)
	}
	return fmt.Errorf("provision: %w", err)
}

func checkEnrollment(r protocol.EnrollResponse) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadEnrollment, fmt.Sprintf(format, args...))
	}
	switch {
	case r.TerminalID == "" || len(r.TerminalID) > maxTerminalIDLen:
		return bad("terminal id %q (1..%d characters)", r.TerminalID, maxTerminalIDLen)
	case len(r.ServerKeys) == 0:
		return bad("no server keys")
	case r.Limits.Currency == "":
		return bad("no offline limits")
	}
	for _, k := range r.ServerKeys {
		if len(k.PublicKey) != ed25519.PublicKeySize {
			return bad("server key %q is not an Ed25519 key", k.KeyID)
		}
	}
	return nil
}

func printIdentity(w io.Writer, cfg config.Config, id config.IdentityState) {
	fmt.Fprintf(w, "enrolled: terminal %s of merchant %s (%s)\n", id.TerminalID, id.MerchantName, id.MerchantID)
	fmt.Fprintf(w, "offline limits: %s\n", id.Limits.Text())
	fmt.Fprintf(w, "key: %s\nidentity: %s\nnext: posagent run --config %s\n", cfg.Identity.KeyFile, cfg.Identity.StateFile, cfg.Path)
}
