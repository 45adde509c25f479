package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseBP(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"10", 1000, true}, {"12.5", 1250, true}, {"0.01", 1, true}, {"100", 10000, true}, {"0", 0, true},
		{"12.505", 0, false}, {"-1", 0, false}, {"abc", 0, false}, {"", 0, false}, {".5", 0, false}, {"1e3", 0, false},
	} {
		got, err := parseBP("percent", c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseBP(%q) = %d, %v; want %d (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestMerchantCommandNeedsAToken(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main([]string{"merchant", "campaign", "list"}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "--token-file") {
		t.Errorf("exit %d, stderr %q: want a failure that says how to give the merchant token", code, errOut.String())
	}
	code = Main([]string{"merchant", "campaign", "create", "--percent", "12.345", "--token-file", "/nonexistent"}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "two decimals") {
		t.Errorf("bad percent: exit %d, stderr %q", code, errOut.String())
	}
}
