package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func TestBindEnvFillsUnsetFlagsOnly(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
		err  bool
	}{
		{"default", nil, nil, "127.0.0.1:8080", false},
		{"from the environment", nil, map[string]string{"SETTLEMENTD_LISTEN": "127.0.0.1:9"}, "127.0.0.1:9", false},
		{"the flag wins", []string{"--listen", "127.0.0.1:7"}, map[string]string{"SETTLEMENTD_LISTEN": "127.0.0.1:9"}, "127.0.0.1:7", false},
		{"a bad value is an error", nil, map[string]string{"SETTLEMENTD_PORT": "x"}, "127.0.0.1:8080", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var listen string
			var port int
			cmd := &cobra.Command{Use: "x", RunE: func(cmd *cobra.Command, _ []string) error { return bindEnv(cmd) }}
			cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "")
			cmd.Flags().IntVar(&port, "port", 0, "")
			cmd.SetArgs(tc.args)
			err := cmd.Execute()
			if (err != nil) != tc.err {
				t.Fatalf("error = %v, want error %v", err, tc.err)
			}
			if listen != tc.want {
				t.Fatalf("listen = %q, want %q", listen, tc.want)
			}
		})
	}
}

func TestMainReportsProblemsAndExitCodes(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"serve"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--data DIR is required") {
		t.Fatalf("serve without --data: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := Main([]string{"admin", "check"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--token-file") {
		t.Fatalf("admin without a token: exit %d, %q", code, errb.String())
	}
}

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "settlementd dev (commit unknown)") {
		t.Errorf("version: exit %d, %q %q", code, out.String(), errOut.String())
	}
}

func TestUnknownSubcommandFails(t *testing.T) {
	for _, args := range [][]string{{"admin", "merchant", "frobnicate"}, {"admin", "terminal"}, {"admin", "nope"}} {
		var out, errOut bytes.Buffer
		code := Main(args, &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), "Usage:") || !strings.Contains(errOut.String(), "subcommand") {
			t.Errorf("%v: exit %d, stderr %q; want a failure with the usage", args, code, errOut.String())
		}
	}
}

func TestJSONLogDurationsInSeconds(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("x", "wait", 1500*time.Millisecond)
	if !strings.Contains(buf.String(), `"wait":1.5`) {
		t.Errorf("log line %q: want the duration as 1.5 seconds", buf.String())
	}
}
