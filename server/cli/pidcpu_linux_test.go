package cli

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, stat string
		want       time.Duration
		bad        bool
	}{
		{"plain", "4242 (settlementd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 100 0 0", 3250 * time.Millisecond, false},
		{"name with spaces and parens", "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0", 70 * time.Millisecond, false},
		{"truncated", "7 (x) R 1 7 7", 0, true},
		{"no name", "garbage", 0, true},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 u s 0 0", 0, true},
	}
	for _, tt := range tests {
		got, err := parseStatCPU(tt.stat)
		if got != tt.want || (err != nil) != tt.bad || (tt.bad && !errors.Is(err, errStatFormat)) {
			t.Errorf("%s: %v, %v; want %v (refused: %v)", tt.name, got, err, tt.want, tt.bad)
		}
	}
}

// TestPidCPUReadsThisProcess: the reading of this process grows as it burns CPU.
func TestPidCPUReadsThisProcess(t *testing.T) {
	before := pidCPU(os.Getpid())
	deadline := time.Now().Add(200 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	if after := pidCPU(os.Getpid()); after <= before {
		t.Fatalf("CPU %v then %v after 200 ms of spinning (%d)", before, after, x)
	}
	if pidCPU(-1) != 0 {
		t.Fatal("a process that does not exist reads nonzero")
	}
	if err := checkPID(-1); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("checkPID of no process: %v", err)
	}
	if err := checkPID(os.Getpid()); err != nil {
		t.Fatalf("checkPID of this process: %v", err)
	}
}
