package cli

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/spf13/cobra"
)

func TestApplyGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tests := []struct {
		name    string
		args    []string
		gogc    string // "" leaves GOGC unset
		want    int
		wantErr bool
	}{
		{"default", nil, "", DefaultGCPercent, false},
		{"flag", []string{"--gc-percent", "250"}, "", 250, false},
		{"flag beats GOGC", []string{"--gc-percent", "150"}, "300", 150, false},
		{"GOGC kept without the flag", nil, "300", 123, false}, // 123: what the runtime had before
		{"off", []string{"--gc-percent", "-1"}, "", -1, false},
		{"nonsense", []string{"--gc-percent", "-7"}, "", 123, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", tt.gogc) // restored after the subtest
			if tt.gogc == "" {
				os.Unsetenv("GOGC")
			}
			debug.SetGCPercent(123)
			var pct int
			cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
			addGCFlag(cmd.Flags(), &pct)
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			err := applyGCPercent(cmd, pct)
			if (err != nil) != tt.wantErr {
				t.Fatalf("applyGCPercent = %v, want error %v", err, tt.wantErr)
			}
			if got := debug.SetGCPercent(123); got != tt.want {
				t.Errorf("GC percent = %d, want %d", got, tt.want)
			}
		})
	}
}
