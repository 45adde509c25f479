package update

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/terminal/bundle"
)

// posagent builds a root command shaped like posagent's: a persistent --config flag.
func posagent(args ...string) (string, error) {
	root := &cobra.Command{Use: "posagent", SilenceUsage: true, SilenceErrors: true}
	root.PersistentFlags().String("config", DefaultConfigPath, "config file")
	root.AddCommand(Command())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestCommandUpdateCheckAndRollback(t *testing.T) {
	link, real := install(t, script("v1", 0))
	bundlePath := bundleFile(t, "v2", script("v2", 0), here, releaseKey)
	pub := bundle.EncodePublicKey(releasePub)

	out, err := posagent("update", "--bundle", bundlePath, "--check", "--binary", link, "--trusted-key", pub)
	if err != nil || !strings.Contains(out, "bundle OK: v2") || read(t, real) != string(script("v1", 0)) {
		t.Fatalf("check: %v %q", err, out)
	}
	out, err = posagent("update", "--bundle", bundlePath, "--binary", link, "--trusted-key", pub)
	if err != nil || !strings.Contains(out, "new binary says: posagent v2") || !strings.Contains(out, "systemctl restart posagent") {
		t.Fatalf("update: %v %q", err, out)
	}
	out, err = posagent("update", "--rollback", "--binary", link)
	if err != nil || !strings.Contains(out, "rolled back") || read(t, real) != string(script("v1", 0)) {
		t.Fatalf("rollback: %v %q", err, out)
	}
}

func TestCommandReadsKeysFileBesideConfig(t *testing.T) {
	link, _ := install(t, script("v1", 0))
	bundlePath := bundleFile(t, "v2", script("v2", 0), here, releaseKey)
	confDir := t.TempDir()
	config := filepath.Join(confDir, "posagent.yaml")
	if _, err := posagent("update", "--config", config, "--bundle", bundlePath, "--check", "--binary", link); err == nil ||
		!strings.Contains(err.Error(), "no trusted release key") || !strings.Contains(err.Error(), "what to do") {
		t.Fatalf("without keys: %v", err)
	}
	os.WriteFile(filepath.Join(confDir, KeysFileName), []byte("# our release key\n"+bundle.EncodePublicKey(releasePub)+"\n"), 0o644)
	if out, err := posagent("update", "--config", config, "--bundle", bundlePath, "--check", "--binary", link); err != nil {
		t.Fatalf("with keys file: %v %q", err, out)
	}
}

func TestCommandRefusesTamperedBundleWithAdvice(t *testing.T) {
	link, real := install(t, script("v1", 0))
	bundlePath := tamperFile(t, bundleFile(t, "v2", script("v2", 0), here, releaseKey), bundle.BinaryName, func(b []byte) []byte { b[3] ^= 1; return b })
	_, err := posagent("update", "--bundle", bundlePath, "--binary", link, "--trusted-key", bundle.EncodePublicKey(releasePub))
	if err == nil {
		t.Fatal("tampered bundle installed")
	}
	for _, want := range []string{"update refused, nothing was changed", "does not match SHA256SUMS", "what to do: the bundle was changed or damaged"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if read(t, real) != string(script("v1", 0)) {
		t.Fatal("binary changed")
	}
	if _, err := posagent("update"); err == nil {
		t.Fatal("update without --bundle or --rollback accepted")
	}
}

func TestBuiltinTrustedKeys(t *testing.T) {
	saved := builtinTrustedKeys
	defer func() { builtinTrustedKeys = saved }()
	builtinTrustedKeys = bundle.EncodePublicKey(releasePub) + ","
	keys, err := TrustedKeys(nil, "")
	if err != nil || len(keys) != 1 || !keys[0].Equal(releasePub) {
		t.Fatalf("keys %v err %v", keys, err)
	}
	builtinTrustedKeys = "garbage"
	if _, err := TrustedKeys(nil, ""); err == nil || !strings.Contains(err.Error(), "built into this posagent") {
		t.Fatalf("damaged built-in list: %v", err)
	}
}
