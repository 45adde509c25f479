package crosstest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/hardware/sim/simprinter"
	"github.com/stillpay/stillpay/hardware/sim/simscanner"
	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/terminal/bundle"
	"github.com/stillpay/stillpay/terminal/bundle/bundlecmd"
	"github.com/stillpay/stillpay/terminal/doctor"
)

// releaseKey makes a release signing key and returns its file and public key text.
func releaseKey(t *testing.T) (path, pub string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "release.key")
	key, err := keyfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, bundle.EncodePublicKey(key.Public().(ed25519.PublicKey))
}

// makeBundle builds a signed bundle of binary with the real stillbundle command and repository payload.
func makeBundle(t *testing.T, binary, version, key string) string {
	t.Helper()
	out := t.TempDir()
	cmd := bundlecmd.Command()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"build", "--binary", binary, "--version", version, "--commit", "crosstest", "--repo", repoRoot(t), "--out", out, "--key", key})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("stillbundle build: %v\n%s", err, stderr.String())
	}
	return filepath.Join(out, "posagent-"+version+"-linux-amd64.tar.gz")
}

// unpack extracts a bundle with tar, as a technician does, and returns its directory.
func unpack(t *testing.T, bundlePath string) string {
	t.Helper()
	dir := t.TempDir()
	mustRun(t, "tar", "-xzf", bundlePath, "-C", dir)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("bundle unpacks to %d entries", len(entries))
	}
	return filepath.Join(dir, entries[0].Name())
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// relocate rewrites the installed config the way this test's "machine" needs it: state paths inside
// the temporary root (as a chroot would see them), the udev names pointing at the simulators'
// ptys, and the server URL (the one edit a technician makes).
func relocate(t *testing.T, root, serverURL string, scanner, printer string) string {
	t.Helper()
	conf := filepath.Join(root, "etc/posagent/posagent.yaml")
	s := read(t, conf)
	for _, want := range []string{"key_file: /var/lib/posagent/terminal.key", "state_file: /var/lib/posagent/identity.json",
		"path: /var/lib/posagent/queue.db", "port: /dev/stillpay-scanner", "port: /dev/stillpay-printer"} {
		if !strings.Contains(s, want) {
			t.Fatalf("install.sh did not write %q into the new config:\n%s", want, s)
		}
	}
	devDir := filepath.Join(root, "dev")
	os.MkdirAll(devDir, 0o755)
	os.Symlink(scanner, filepath.Join(devDir, "stillpay-scanner"))
	os.Symlink(printer, filepath.Join(devDir, "stillpay-printer"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := ln.Addr().String()
	ln.Close()
	s = strings.ReplaceAll(s, "/var/lib/posagent/", filepath.Join(root, "var/lib/posagent")+"/")
	s = strings.ReplaceAll(s, "/dev/stillpay-", devDir+"/stillpay-")
	s = regexp.MustCompile(`(?m)^(\s*url:\s*)\S+`).ReplaceAllString(s, "${1}"+serverURL)
	s = regexp.MustCompile(`(?m)^(\s*listen:\s*)\S+`).ReplaceAllString(s, "${1}"+api)
	relocated := filepath.Join(root, "etc/posagent/posagent.test.yaml")
	if err := os.WriteFile(relocated, []byte(s), 0o640); err != nil {
		t.Fatal(err)
	}
	return relocated
}

// posagent runs the installed binary.
func posagent(t *testing.T, root string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "usr/local/bin/posagent"), args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func doctorLines(t *testing.T, root, conf string) (map[string]doctor.Result, string, error) {
	t.Helper()
	out, err := posagent(t, root, "doctor", "--json", "--config", conf)
	var rep doctor.Report
	if jerr := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &rep); jerr != nil {
		t.Fatalf("doctor --json: %v\n%s", jerr, out)
	}
	m := map[string]doctor.Result{}
	for _, c := range rep.Checks {
		m[c.Check] = c
	}
	text, _ := posagent(t, root, "doctor", "--config", conf)
	return m, text, err
}

// TestBundleInstallProvisionDoctor is the technician's path on an amd64 box, with the real bundle,
// install.sh, posagent and settlementd; the box is a temporary root and the devices are simulators.
func TestBundleInstallProvisionDoctor(t *testing.T) {
	amd64 := targets[2]
	keyPath, pub := releaseKey(t)
	bundlePath := makeBundle(t, posagentFor(t, amd64), buildVersion, keyPath)
	root := t.TempDir()

	// Install, twice: the second run must keep the config, the state and, for a changed binary, the previous one.
	dir := unpack(t, bundlePath)
	out := mustRun(t, "sh", filepath.Join(dir, "install.sh"), "--root", root)
	for _, f := range []string{"opt/stillpay/bin/posagent", "etc/posagent/posagent.yaml", "etc/posagent/posagent.example.yaml",
		"etc/systemd/system/posagent.service", "etc/udev/rules.d/60-stillpay.rules", "opt/stillpay/share/technician.md"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("install.sh did not install %s: %v\n%s", f, err, out)
		}
	}
	if st, err := os.Stat(filepath.Join(root, "var/lib/posagent")); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("state directory: %v %v", st, err)
	}
	if v, _ := posagent(t, root, "version"); !strings.Contains(v, buildVersion) {
		t.Fatalf("installed posagent version: %q", v)
	}

	server := startSettlement(t)
	scanner, err := simscanner.New(simscanner.Options{Suffix: "CR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer scanner.Close()
	printer, err := simprinter.NewPTY(simprinter.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer printer.Close()
	conf := relocate(t, root, server.URL, scanner.Path(), printer.Path())

	// Bad enrollment input first: each refused with what to do.
	if out, err := posagent(t, root, "provision", "--config", conf, "--server", server.URL, "--enroll-code", "WRONG-CODE-1"); err == nil ||
		!strings.Contains(out, "not valid") {
		t.Fatalf("wrong enrollment code: %v\n%s", err, out)
	}
	if out, err := posagent(t, root, "provision", "--config", conf, "--server", "http://127.0.0.1:1", "--enroll-code", "X"); err == nil ||
		!strings.Contains(out, "cannot reach the settlement server") {
		t.Fatalf("unreachable server: %v\n%s", err, out)
	}
	code := server.newTerminal(t, "M-LANE", "T-LANE-1")
	out, err = posagent(t, root, "provision", "--config", conf, "--server", server.URL, "--enroll-code", code)
	if err != nil || !strings.Contains(out, "enrolled: terminal T-LANE-1") {
		t.Fatalf("provision: %v\n%s", err, out)
	}
	if st, err := os.Stat(filepath.Join(root, "var/lib/posagent/terminal.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("terminal key: %v %v", st, err)
	}
	if out, err := posagent(t, root, "provision", "--config", conf, "--server", server.URL, "--enroll-code", code); err == nil ||
		!strings.Contains(out, "already enrolled") || !strings.Contains(out, "--force") {
		t.Fatalf("second provision: %v\n%s", err, out)
	}
	other := strings.Replace(read(t, conf), filepath.Join(root, "var/lib/posagent"), t.TempDir(), -1)
	otherConf := filepath.Join(t.TempDir(), "other.yaml")
	os.WriteFile(otherConf, []byte(other), 0o600)
	if out, err := posagent(t, root, "provision", "--config", otherConf, "--server", server.URL, "--enroll-code", code); err == nil ||
		!strings.Contains(out, "already used") {
		t.Fatalf("used enrollment code on another terminal: %v\n%s", err, out)
	}

	// The doctor passes against the simulators and the live server.
	checks, text, err := doctorLines(t, root, conf)
	if err != nil {
		t.Fatalf("doctor failed on a healthy lane: %v\n%s", err, text)
	}
	for _, name := range doctor.Names() {
		if checks[name].Status != doctor.StatusOK {
			t.Fatalf("doctor %s: %+v\n%s", name, checks[name], text)
		}
	}
	if !strings.Contains(text, "OK    enrolled  the server accepts terminal T-LANE-1") || !strings.Contains(text, "all checks passed") {
		t.Fatalf("doctor text:\n%s", text)
	}

	// Out of paper: one clear failing line, non-zero exit.
	printer.SetPaperOut(true)
	checks, text, err = doctorLines(t, root, conf)
	if err == nil || checks["printer"].Status != doctor.StatusFail || !regexp.MustCompile(`(?m)^FAIL  printer .*paper out -> fix: load a paper roll`).MatchString(text) {
		t.Fatalf("doctor with the printer out of paper: %v\n%s", err, text)
	}
	printer.SetPaperOut(false)

	// Reinstall: config and state kept; a changed binary is kept as posagent.prev.
	os.WriteFile(filepath.Join(root, "etc/posagent/posagent.yaml"), []byte(read(t, filepath.Join(root, "etc/posagent/posagent.yaml"))+"# technician's note\n"), 0o640)
	bin := filepath.Join(root, "opt/stillpay/bin/posagent")
	installed := read(t, bin)
	os.WriteFile(bin, []byte(installed+"x"), 0o755) // stands in for an older release
	mustRun(t, "sh", filepath.Join(dir, "install.sh"), "--root", root)
	if !strings.Contains(read(t, filepath.Join(root, "etc/posagent/posagent.yaml")), "# technician's note") {
		t.Fatal("reinstall replaced the technician's config")
	}
	if read(t, bin) != installed || read(t, bin+".prev") != installed+"x" {
		t.Fatal("reinstall did not keep the replaced binary as posagent.prev")
	}
	os.Remove(bin + ".prev")
	if _, err := os.Stat(filepath.Join(root, "var/lib/posagent/identity.json")); err != nil {
		t.Fatalf("reinstall lost the identity: %v", err)
	}

	// Update: a tampered bundle is refused and changes nothing; a signed one is installed; rollback.
	newer := goBuild(t, "linux-amd64-next", "cmd/posagent", "amd64", "", buildVersion+"-next")
	next := makeBundle(t, newer, buildVersion+"-next", keyPath)
	tampered := tamperBinary(t, next)
	out, err = posagent(t, root, "update", "--config", conf, "--bundle", tampered, "--trusted-key", pub)
	if err == nil || !strings.Contains(out, "does not match SHA256SUMS") || !strings.Contains(out, "download the bundle again") {
		t.Fatalf("tampered bundle: %v\n%s", err, out)
	}
	_, stranger := releaseKey(t)
	out, err = posagent(t, root, "update", "--config", conf, "--bundle", next, "--trusted-key", stranger)
	if err == nil || !strings.Contains(out, "does not trust") {
		t.Fatalf("bundle signed by an untrusted key: %v\n%s", err, out)
	}
	if read(t, bin) != installed {
		t.Fatal("a refused update changed the binary")
	}
	out, err = posagent(t, root, "update", "--config", conf, "--bundle", next, "--trusted-key", pub)
	if err != nil || !strings.Contains(out, "new binary says: posagent "+buildVersion+"-next") {
		t.Fatalf("update: %v\n%s", err, out)
	}
	if v, _ := posagent(t, root, "version"); !strings.Contains(v, buildVersion+"-next") {
		t.Fatalf("after update: %q", v)
	}
	out, err = posagent(t, root, "update", "--rollback")
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, out)
	}
	if v, _ := posagent(t, root, "version"); !strings.Contains(v, buildVersion+" ") {
		t.Fatalf("after rollback: %q", v)
	}

	// Server down: the doctor says so on one line.
	server.stop()
	checks, text, err = doctorLines(t, root, conf)
	if err == nil || checks["server"].Status != doctor.StatusFail || !regexp.MustCompile(`(?m)^FAIL  server .*unreachable.* -> fix: check the network`).MatchString(text) {
		t.Fatalf("doctor with the server down: %v\n%s", err, text)
	}
	if checks["printer"].Status != doctor.StatusOK {
		t.Fatalf("the printer check must still run with the server down: %+v", checks["printer"])
	}
}

// tamperBinary rewrites a bundle with one byte of its posagent changed, keeping sums and signature.
func tamperBinary(t *testing.T, bundlePath string) string {
	t.Helper()
	dir := unpack(t, bundlePath)
	bin := filepath.Join(dir, "posagent")
	data := []byte(read(t, bin))
	data[len(data)/2] ^= 0xff
	os.WriteFile(bin, data, 0o755)
	out := filepath.Join(t.TempDir(), "tampered.tar.gz")
	mustRun(t, "tar", "-czf", out, "-C", filepath.Dir(dir), filepath.Base(dir))
	return out
}
