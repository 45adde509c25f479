package e2e

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/shared/supervise"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/cli"
	"github.com/stillpay/stillpay/terminal/queue"
)

// saleLoad makes sales one after another (scanned through the pty scanner) until stop is closed or a
// sale fails (the agent stopped under it); approved lists the sales the register was told approved.
type saleLoad struct {
	mu       sync.Mutex
	approved []string
	stop     chan struct{}
	done     chan struct{}
}

func startSales(t *testing.T, lab *demo.Lab) *saleLoad {
	t.Helper()
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "1.00", 200)
	if err != nil {
		t.Fatal(err)
	}
	l := &saleLoad{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			select {
			case <-l.stop:
				return
			default:
			}
			code, err := w.Code(ctx)
			if err != nil {
				return
			}
			v, err := lab.Sale(ctx, "1.00", code)
			if err != nil {
				return
			}
			if v.State == agent.SaleApproved {
				l.mu.Lock()
				l.approved = append(l.approved, v.ID)
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// waitApproved waits until n sales were approved (the next one is then in flight).
func (l *saleLoad) waitApproved(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		l.mu.Lock()
		got := len(l.approved)
		l.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-l.done:
			t.Fatalf("the sales stopped after %d approved", got)
		default:
		}
	}
	t.Fatalf("%d sales were not approved within 2 minutes", n)
}

// end stops the load and returns the approved sales.
func (l *saleLoad) end() []string {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.approved
}

// checkQueueAfterStop opens the queue file as the next start would: it must pass bbolt's check, hold
// every sale the register was told approved as approved (or queued/settled), and no open record for a
// sale the register saw end.
func checkQueueAfterStop(t *testing.T, lab *demo.Lab, approved []string) {
	t.Helper()
	q, err := queue.OpenBolt(filepath.Join(lab.Dir, "queue.db"), demo.TerminalID)
	if err != nil {
		t.Fatalf("the queue file does not reopen: %v", err)
	}
	defer q.Close()
	ctx := context.Background()
	if err := q.Check(ctx); err != nil {
		t.Fatalf("queue check after the stop: %v", err)
	}
	err = q.View(ctx, func(tx queue.Tx) error {
		for _, id := range approved {
			r, err := tx.Get(id)
			if err != nil {
				t.Errorf("approved sale %s: %v", id, err)
				continue
			}
			switch r.State {
			case queue.StateApproved, queue.StateQueued, queue.StateSettled:
			default:
				t.Errorf("sale %s was told approved but is %s on disk", id, r.State)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runInProcess runs `posagent run` in this process until ctx ends; the channel gives what it returned.
func runInProcess(ctx context.Context, lab *demo.Lab, log *lockedBuffer) <-chan error {
	done := make(chan error, 1)
	go func() {
		root := cli.NewRoot()
		root.SetArgs([]string{"run", "--config", lab.AgentConfig})
		root.SetOut(log)
		root.SetErr(log)
		done <- root.ExecuteContext(ctx)
	}()
	return done
}

// TestAgentStopsWithoutLeaks runs posagent in this process (with -race in CI) and cancels its
// context, as SIGTERM does, while sales go through the pty scanner and the printer: run must return
// nil, every goroutine it started must have ended (goleak), and the queue must reopen clean with
// every approved sale on it.
func TestAgentStopsWithoutLeaks(t *testing.T) {
	ctx := context.Background()
	lab, err := demo.NewLab(ctx, demo.Options{Bin: binDir, Dir: filepath.Join(t.TempDir(), "lab"), OpeningBalance: "1000.00"})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	// The lab's own goroutines (simulators, settlementd's waiter) run on; the agent's must not.
	leaks := goleak.IgnoreCurrent()

	var log lockedBuffer
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := runInProcess(runCtx, lab, &log)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := lab.API.Status(ctx); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("posagent does not answer:\n%s", log.String())
		}
	}
	sales := startSales(t, lab)
	sales.waitApproved(t, 5)
	stop() // the next sale is in flight
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after the stop, want nil\n%s", err, log.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("run did not return within a minute of the stop\n%s", log.String())
	}
	approved := sales.end()
	if !strings.Contains(log.String(), "posagent stopped") {
		t.Errorf("no 'posagent stopped' in the log:\n%s", log.String())
	}
	goleak.VerifyNone(t, leaks)
	checkQueueAfterStop(t, lab, approved)
	t.Logf("%d sales approved before the stop", len(approved))
}

// TestAgentSIGTERMUnderLoad sends the real posagent SIGTERM while sales go through the pty scanner:
// it must exit 0 within its shutdown bound, and the queue must reopen clean with every approved sale.
func TestAgentSIGTERMUnderLoad(t *testing.T) {
	lab := newLab(t)
	sales := startSales(t, lab)
	sales.waitApproved(t, 5)
	if err := lab.TerminateAgent(20 * time.Second); err != nil {
		t.Fatalf("posagent after SIGTERM: %v (want exit status 0 within 20s)", err)
	}
	approved := sales.end()
	checkQueueAfterStop(t, lab, approved)
	t.Logf("%d sales approved before SIGTERM", len(approved))
}

// TestAgentStopsWhenTheLocalAPICannotListen starts posagent with its local API address taken: the
// local API part fails after the scanner, forwarder and the rest started. Everything must stop (no
// goroutine left), the error must name the part and the reason, and the binary must exit non-zero
// saying so.
func TestAgentStopsWhenTheLocalAPICannotListen(t *testing.T) {
	ctx := context.Background()
	lab, err := demo.NewLab(ctx, demo.Options{Bin: binDir, Dir: filepath.Join(t.TempDir(), "lab"), OpeningBalance: "1000.00"})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	taken, err := net.Listen("tcp", lab.AgentAPIAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	leaks := goleak.IgnoreCurrent()

	var log lockedBuffer
	select {
	case err = <-runInProcess(ctx, lab, &log):
	case <-time.After(time.Minute):
		t.Fatal("posagent did not stop after its local API failed")
	}
	var pe *supervise.PartError
	if !errors.As(err, &pe) || pe.Part != "local API" || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("run = %v, want the local API part's failure (address in use)\n%s", err, log.String())
	}
	goleak.VerifyNone(t, leaks)

	out, err := lab.Posagent(ctx, "run")
	if err == nil || !strings.Contains(err.Error(), "exit status 1") || !strings.Contains(err.Error(), "local API") ||
		!strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("posagent run with the local API address taken: %v\n%s", err, out)
	}
}
