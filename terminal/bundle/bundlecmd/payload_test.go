package bundlecmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/hardware/serialport"
)

// repoFile reads a file of the real repository (the bundle payload).
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPayloadFilesExist(t *testing.T) {
	for _, p := range payload {
		if repoFile(t, p.path) == "" {
			t.Errorf("%s is empty", p.path)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	unit := repoFile(t, "configs/systemd/posagent.service")
	for _, want := range []string{
		"User=posagent", "SupplementaryGroups=dialout", "Restart=always", "StateDirectory=posagent",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"ReadWritePaths=/var/lib/posagent", "DevicePolicy=closed",
		"DeviceAllow=char-ttyACM rw", "DeviceAllow=char-ttyUSB rw", "DeviceAllow=char-usb rw", "DeviceAllow=char-lp rw",
		"ExecStart=/opt/stillpay/bin/posagent run --config /etc/posagent/posagent.yaml",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want)).MatchString(unit) {
			t.Errorf("posagent.service lacks %q", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: the unit's syntax was not checked by systemd")
		return
	}
	// systemd-analyze verify wants the ExecStart binary to exist: point it at a stand-in.
	dir := t.TempDir()
	exe := filepath.Join(dir, "posagent")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	unitPath := filepath.Join(dir, "posagent.service")
	os.WriteFile(unitPath, []byte(strings.ReplaceAll(unit, "/opt/stillpay/bin/posagent", exe)), 0o644)
	out, err := exec.Command(analyze, "verify", unitPath).CombinedOutput()
	if err != nil || strings.Contains(string(out), "Unknown key") || strings.Contains(string(out), "Unknown lvalue") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestUdevRules(t *testing.T) {
	rules := repoFile(t, "configs/udev/60-stillpay.rules")
	labels := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^LABEL="([^"]+)"`).FindAllStringSubmatch(rules, -1) {
		labels[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`GOTO="([^"]+)"`).FindAllStringSubmatch(rules, -1) {
		if !labels[m[1]] {
			t.Errorf("GOTO %q has no LABEL", m[1])
		}
	}
	// Every rule line is a comma-separated list of KEY op "value".
	pair := regexp.MustCompile(`^[A-Z_]+(\{[A-Za-z_]+\})?(==|!=|=|\+=|:=)"[^"]*"$`)
	for n, line := range strings.Split(rules, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, p := range strings.Split(line, ", ") {
			if !pair.MatchString(p) {
				t.Errorf("line %d: %q is not KEY op \"value\"", n+1, p)
			}
		}
	}
	for _, want := range []string{`ENV{ID_MM_DEVICE_IGNORE}="1"`, `GROUP="dialout"`, `SYMLINK+="stillpay-scanner"`, `SYMLINK+="stillpay-printer"`} {
		if !strings.Contains(rules, want) {
			t.Errorf("rules lack %s", want)
		}
	}
	// The vendors the rules name agree with what `posagent ports` guesses.
	vendor := regexp.MustCompile(`ATTRS\{idVendor\}=="([0-9a-f]{4})", ENV\{STILLPAY_KIND\}="(scanner|printer)"`)
	seen := map[string]bool{}
	for _, m := range vendor.FindAllStringSubmatch(rules, -1) {
		seen[m[1]] = true
		guess := serialport.Guess(serialport.PortInfo{Name: "/dev/ttyACM0", IsUSB: true, VID: strings.ToUpper(m[1])})
		want := map[string]string{"scanner": "barcode scanner", "printer": "receipt printer"}[m[2]]
		if !strings.HasPrefix(guess, want) {
			t.Errorf("vendor %s is a %s in the rules but `posagent ports` guesses %q", m[1], m[2], guess)
		}
	}
	for _, v := range []string{"0c2e", "05e0", "05f9", "1eab", "04b8"} {
		if !seen[v] {
			t.Errorf("vendor %s missing from the rules", v)
		}
	}
}

func TestInstallScriptParses(t *testing.T) {
	path := filepath.Join("..", "..", "..", "configs", "install.sh")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Fatalf("install.sh not executable: %v", err)
	}
	if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("sh -n install.sh: %v\n%s", err, out)
	}
}

func TestSettlementdSystemdUnit(t *testing.T) {
	unit := repoFile(t, "configs/systemd/settlementd.service")
	for _, want := range []string{
		"User=settlementd", "StateDirectory=settlementd", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
		"PrivateTmp=yes", "PrivateDevices=yes", "ReadWritePaths=/var/lib/settlementd", "CapabilityBoundingSet=",
		"SystemCallFilter=@system-service", "ExecStart=/opt/stillpay/bin/settlementd serve --data /var/lib/settlementd",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want)).MatchString(unit) {
			t.Errorf("settlementd.service lacks %q", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: the unit's syntax was not checked by systemd")
		return
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "settlementd")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	unitPath := filepath.Join(dir, "settlementd.service")
	os.WriteFile(unitPath, []byte(strings.ReplaceAll(unit, "/opt/stillpay/bin/settlementd", exe)), 0o644)
	out, err := exec.Command(analyze, "verify", unitPath).CombinedOutput()
	if err != nil || strings.Contains(string(out), "Unknown key") || strings.Contains(string(out), "Unknown lvalue") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
