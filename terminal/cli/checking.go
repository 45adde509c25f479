package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/stillpay/stillpay/terminal/agent"
)

// checkingEvery is how often the cashier sees the elapsed time while a sale is being decided.
const checkingEvery = time.Second

// checkingLine shows the cashier that a scanned sale is being decided: "checking with server…"
// at once, then the elapsed time every checkingEvery until stop. onChange is WaitFinal's callback.
type checkingLine struct {
	out     io.Writer
	mu      sync.Mutex
	stopped chan struct{}
	done    chan struct{}
}

func newCheckingLine(out io.Writer) *checkingLine { return &checkingLine{out: out} }

func (c *checkingLine) onChange(v agent.SaleView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v.State != agent.SaleProcessing || c.stopped != nil {
		return
	}
	since := v.CheckingSince
	if since.IsZero() {
		since = time.Now()
	}
	c.stopped, c.done = make(chan struct{}), make(chan struct{})
	fmt.Fprintf(c.out, "sale %s: checking with server…\n", v.ID)
	go func(stopped, done chan struct{}) {
		defer close(done)
		t := time.NewTicker(checkingEvery)
		defer t.Stop()
		for {
			select {
			case <-stopped:
				return
			case <-t.C:
				fmt.Fprintf(c.out, "checking with server… %.0fs\n", time.Since(since).Seconds())
			}
		}
	}(c.stopped, c.done)
}

// stop ends the elapsed-time lines (the outcome is known).
func (c *checkingLine) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped != nil {
		close(c.stopped)
		<-c.done
		c.stopped = nil
	}
}
