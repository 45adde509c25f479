package bundlecmd

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/terminal/bundle"
)

// Command returns the stillbundle root command.
func Command() *cobra.Command {
	root := &cobra.Command{
		Use:           "stillbundle",
		Short:         "Build, sign and verify posagent install bundles",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(buildCommand(), verifyCommand(), keygenCommand(), pubkeyCommand())
	return root
}

// payload maps a file name inside the bundle to its path under the repository root and its mode.
var payload = []struct {
	name, path string
	mode       os.FileMode
}{
	{"install.sh", "configs/install.sh", 0o755},
	{"posagent.example.yaml", "configs/posagent.example.yaml", 0o644},
	{"posagent.service", "configs/systemd/posagent.service", 0o644},
	{"60-stillpay.rules", "configs/udev/60-stillpay.rules", 0o644},
	{"technician.md", "docs/technician.md", 0o644},
}

func buildCommand() *cobra.Command {
	var binaries []string
	var version, commit, repo, outDir, keyPath, devKey string
	cmd := &cobra.Command{
		Use:   "build --binary bin/cross/linux-armv7/posagent [--binary ...] --version VERSION",
		Short: "Build a signed bundle for each cross-built posagent binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := signingKey(keyPath, devKey, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			for _, binary := range binaries {
				out, err := buildOne(binary, version, commit, repo, outDir, key)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&binaries, "binary", nil, "cross-built posagent binary (from make cross); repeatable")
	f.StringVar(&version, "version", "", "release version written into MANIFEST")
	f.StringVar(&commit, "commit", "", "source commit written into MANIFEST")
	f.StringVar(&repo, "repo", ".", "repository root holding configs/ and docs/")
	f.StringVar(&outDir, "out", "bin/bundles", "directory for the bundles")
	f.StringVar(&keyPath, "key", "", "release signing key file (default $"+ReleaseKeyEnv+")")
	f.StringVar(&devKey, "dev-key", DefaultDevKey, "development key used when no release key is given")
	cmd.MarkFlagRequired("binary")
	cmd.MarkFlagRequired("version")
	return cmd
}

// buildOne writes the bundle for one binary into outDir and returns a line describing it.
func buildOne(binary, version, commit, repo, outDir string, key ed25519.PrivateKey) (string, error) {
	info, err := bundle.Inspect(binary)
	if err != nil {
		return "", err
	}
	if err := bundle.CheckShippable(info); err != nil {
		return "", fmt.Errorf("%s: %w", binary, err)
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return "", err
	}
	files := map[string]bundle.File{bundle.BinaryName: {Mode: 0o755, Data: bin}}
	for _, p := range payload {
		data, err := os.ReadFile(filepath.Join(repo, p.path))
		if err != nil {
			return "", fmt.Errorf("bundle payload: %w", err)
		}
		files[p.name] = bundle.File{Mode: p.mode, Data: data}
	}
	m := bundle.Manifest{
		Format: bundle.FormatVersion, Product: bundle.Product, Version: version, Commit: commit,
		Target: info.Target, Created: createdTime().Format(time.RFC3339),
	}
	var buf bytes.Buffer
	if err := bundle.Build(&buf, m, files, key); err != nil {
		return "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(outDir, m.FileName())
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s  %s %s, binary %.1f MB static, signed by key %s",
		out, m.Version, m.Target, float64(info.Size)/1e6, bundle.KeyID(key.Public().(ed25519.PublicKey))), nil
}

// createdTime honours SOURCE_DATE_EPOCH so that two builds of the same commit give identical bundles.
func createdTime() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

func verifyCommand() *cobra.Command {
	var trusted []string
	cmd := &cobra.Command{
		Use:   "verify --trusted-key KEY BUNDLE...",
		Short: "Verify bundles exactly as posagent update does",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := bundle.ParseTrustedKeys(trusted)
			if err != nil {
				return withHint(err)
			}
			for _, path := range args {
				b, err := bundle.OpenFile(path, keys)
				if err != nil {
					return withHint(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: OK  %s %s (commit %s), signed by key %s, %d files\n",
					path, b.Manifest.Version, b.Manifest.Target, b.Manifest.Commit, b.KeyID, len(b.Names()))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&trusted, "trusted-key", nil, "release public key (base64) or a file of them; repeatable")
	return cmd
}

func keygenCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen FILE",
		Short: "Create a release signing key (mode 0600) and print its public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := keyfile.Create(args[0])
			if err != nil {
				return err
			}
			pub := key.Public().(ed25519.PublicKey)
			fmt.Fprintf(cmd.ErrOrStderr(), "created %s (key id %s); keep it offline. Public key:\n", args[0], bundle.KeyID(pub))
			fmt.Fprintln(cmd.OutOrStdout(), bundle.EncodePublicKey(pub))
			return nil
		},
	}
}

func pubkeyCommand() *cobra.Command {
	var keyPath, devKey string
	cmd := &cobra.Command{
		Use:   "pubkey",
		Short: "Print the public key of the signing key build would use",
		Long: "Print the public key of the signing key build would use ($" + ReleaseKeyEnv + ", else the development key,\n" +
			"created when missing). Its output is what posagent's -ldflags trusted key list takes.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := signingKey(keyPath, devKey, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), bundle.EncodePublicKey(key.Public().(ed25519.PublicKey)))
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "release signing key file (default $"+ReleaseKeyEnv+")")
	cmd.Flags().StringVar(&devKey, "dev-key", DefaultDevKey, "development key used when no release key is given")
	return cmd
}

func withHint(err error) error {
	if h := bundle.Hint(err); h != "" {
		return fmt.Errorf("%w\n  what to do: %s", err, h)
	}
	return err
}
