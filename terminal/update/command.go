package update

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/terminal/bundle"
)

// builtinTrustedKeys is the comma-separated list of release public keys compiled into posagent:
//
//	go build -ldflags "-X github.com/stillpay/stillpay/terminal/update.builtinTrustedKeys=KEY1,KEY2"
//
// (`stillbundle pubkey` prints the key). A terminal built without it trusts only keys given on the
// command line or in the keys file beside the config.
var builtinTrustedKeys string

// KeysFileName is the file of trusted release public keys kept beside posagent.yaml, one a line.
const KeysFileName = "release-keys.pub"

// DefaultConfigPath is used when the root command has no --config flag.
const DefaultConfigPath = "/etc/posagent/posagent.yaml"

// TrustedKeys gathers the release keys an update may be signed with: flagKeys (keys or key files),
// the keys file beside the config, and the list compiled into the binary. None comes from a bundle.
func TrustedKeys(flagKeys []string, configPath string) ([]ed25519.PublicKey, error) {
	keys, err := bundle.ParseTrustedKeys(flagKeys)
	if err != nil {
		return nil, fmt.Errorf("--trusted-key: %w", err)
	}
	if configPath != "" {
		file := filepath.Join(filepath.Dir(configPath), KeysFileName)
		if _, err := os.Stat(file); err == nil {
			fileKeys, err := bundle.ParseTrustedKeys([]string{file})
			if err != nil {
				return nil, err
			}
			keys = append(keys, fileKeys...)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("update: %w", err)
		}
	}
	builtin, err := bundle.ParseTrustedKeys(strings.Split(builtinTrustedKeys, ","))
	if err != nil {
		return nil, fmt.Errorf("the release key list built into this posagent is damaged (%w): pass --trusted-key", err)
	}
	return append(keys, builtin...), nil
}

// Command returns `posagent update`. It reads the root command's --config flag when there is one
// (for the keys file beside the config).
func Command() *cobra.Command {
	var bundlePath, binary string
	var trusted []string
	var rollback, check bool
	cmd := &cobra.Command{
		Use:   "update (--bundle FILE [--check] | --rollback)",
		Short: "Install posagent from a signed bundle, or roll back to the previous binary",
		Long: `Install posagent from a signed bundle (posagent-VERSION-TARGET.tar.gz), or roll back.

The bundle's signature and checksums are verified against the trusted release keys (--trusted-key,
the file ` + KeysFileName + ` beside the config, and the keys built into this binary) before anything
changes. The new binary is run once (posagent version) to prove it starts on this machine, then swapped
in; the replaced binary is kept as posagent.prev. Restart the agent afterwards:
    sudo systemctl restart posagent
--rollback swaps posagent and posagent.prev (run it again to go forward).
Only the binary changes; to install a new systemd unit or udev rules, run the bundle's install.sh.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rollback == (bundlePath != "") {
				return errors.New("give either --bundle FILE or --rollback")
			}
			opts := Options{Binary: binary, Logger: slog.New(slog.DiscardHandler)}
			out := cmd.OutOrStdout()
			if rollback {
				res, err := Rollback(contextOf(cmd), opts)
				if err != nil {
					return explain("rollback refused", err)
				}
				fmt.Fprintf(out, "rolled back: %s is the previous binary again (%s)\n", res.Binary, res.SelfTest)
				fmt.Fprintf(out, "the binary it replaced is kept as %s (posagent update --rollback again to return to it)\n", res.Previous)
				fmt.Fprintln(out, "restart the agent to run it: sudo systemctl restart posagent")
				return nil
			}
			keys, err := TrustedKeys(trusted, configPath(cmd))
			if err != nil {
				return explain("update refused", err)
			}
			opts.Trusted = keys
			if check {
				b, err := Check(contextOf(cmd), bundlePath, opts)
				if err != nil {
					return explain("bundle refused", err)
				}
				fmt.Fprintf(out, "bundle OK: %s %s, signed by release key %s; nothing was changed\n", b.Manifest.Version, b.Manifest.Target, b.KeyID)
				return nil
			}
			res, err := Apply(contextOf(cmd), bundlePath, opts)
			if err != nil {
				return explain("update refused, nothing was changed", err)
			}
			fmt.Fprintf(out, "verified %s: version %s for %s, signed by release key %s\n", bundlePath, res.Version, res.Target, res.KeyID)
			if res.Unchanged {
				fmt.Fprintf(out, "%s is already this binary; nothing to do\n", res.Binary)
				return nil
			}
			fmt.Fprintf(out, "replaced %s (new binary says: %s)\n", res.Binary, res.SelfTest)
			fmt.Fprintf(out, "the previous binary is kept as %s; to go back: sudo posagent update --rollback\n", res.Previous)
			fmt.Fprintln(out, "restart the agent to run it: sudo systemctl restart posagent")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&bundlePath, "bundle", "", "signed bundle to install (posagent-VERSION-TARGET.tar.gz)")
	f.BoolVar(&check, "check", false, "only verify the bundle; change nothing")
	f.BoolVar(&rollback, "rollback", false, "swap the installed binary with the previous one (posagent.prev)")
	f.StringArrayVar(&trusted, "trusted-key", nil, "trusted release public key (base64, from stillbundle pubkey) or a file of them; repeatable")
	f.StringVar(&binary, "binary", "", "installed binary to replace (default: this posagent, symlinks resolved)")
	return cmd
}

// configPath returns the value of a --config flag of this command or a parent, or DefaultConfigPath.
func configPath(cmd *cobra.Command) string {
	if f := cmd.Flag("config"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	return DefaultConfigPath
}

func contextOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// explain turns err into the message a technician reads: what happened and what to do.
func explain(what string, err error) error {
	if h := Hint(err); h != "" {
		return fmt.Errorf("%s: %w\n  what to do: %s", what, err, h)
	}
	return fmt.Errorf("%s: %w", what, err)
}
