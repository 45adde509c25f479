package cli

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/terminal/agent"
)

// lockedBuffer is a bytes.Buffer safe for the ticker's writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The cashier sees "checking with server…" as soon as the sale is processing, then the elapsed
// seconds counted from checking_since, and nothing after stop.
func TestCheckingLine(t *testing.T) {
	var out lockedBuffer
	c := newCheckingLine(&out)
	c.onChange(agent.SaleView{ID: "T-1", State: agent.SaleWaiting})
	if out.String() != "" {
		t.Fatalf("printed for a waiting sale: %q", out.String())
	}
	c.onChange(agent.SaleView{ID: "T-1", State: agent.SaleProcessing, CheckingSince: time.Now().Add(-2 * time.Second)})
	c.onChange(agent.SaleView{ID: "T-1", State: agent.SaleProcessing}) // a second report starts no second ticker
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "checking with server… ") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	c.stop()
	text := out.String()
	if !strings.HasPrefix(text, "sale T-1: checking with server…\n") || strings.Count(text, "sale T-1:") != 1 {
		t.Fatalf("output: %q", text)
	}
	// The elapsed time counts from checking_since (2 s before), not from the first line.
	m := regexp.MustCompile(`checking with server… (\d+)s\n`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no elapsed time: %q", text)
	}
	if n, _ := strconv.Atoi(m[1]); n < 3 {
		t.Fatalf("no elapsed time counted from checking_since: %q", text)
	}
	time.Sleep(checkingEvery + 200*time.Millisecond)
	if out.String() != text {
		t.Fatalf("printed after stop: %q", out.String())
	}
}
