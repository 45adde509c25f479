package boltstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stillpay/stillpay/server/store"
)

// crashAcks is how many acknowledged payments the parent waits for before killing the writer.
const (
	crashAcks    = 300
	crashCallers = 8
)

// crashWorld has codes for far more payments than the child gets to make.
var crashWorld = benchWorld{auths: 200}

// TestCrashKill9 runs a child process that pays from 8 goroutines and prints each payment once
// ApplyPayments has acknowledged it, kills the child with SIGKILL mid-stream, then reopens the file:
// every acknowledged payment is there, and Check passes.
func TestCrashKill9(t *testing.T) {
	if dir := os.Getenv("BOLTSTORE_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedBench(t, s, crashCallers, crashWorld)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKill9$")
	cmd.Env = append(os.Environ(), "BOLTSTORE_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []store.TxnKey
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		term, txn, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		acked = append(acked, store.TxnKey{TerminalID: term, TerminalTxnID: txn})
		if len(acked) == crashAcks {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	_ = cmd.Wait()
	if len(acked) < crashAcks {
		t.Fatalf("child acknowledged only %d payments before it stopped", len(acked))
	}

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after kill -9: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, k := range acked {
		txn, err := s.GetTxn(ctx, k)
		if err != nil || !txn.Approved() {
			t.Fatalf("acknowledged payment %s after the crash: %+v, %v", k, txn.Outcome, err)
		}
	}
	rep, err := s.Check(ctx)
	if err != nil {
		t.Fatalf("Check after kill -9: %v %q", err, rep.Problems)
	}
	if rep.Txns < crashAcks {
		t.Errorf("Check counted %d txns, want at least %d", rep.Txns, crashAcks)
	}
}

// crashChild pays until it is killed, printing "terminal txn" after each acknowledged payment.
func crashChild(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var next atomic.Int64
	for c := range crashCallers {
		wg.Go(func() {
			for call := 0; ; call++ {
				size := 1
				if call%5 == 0 { // some batches too
					size = 10
				}
				first := int(next.Add(int64(size))) - size
				var ops []store.PaymentOp
				for i := first; i < first+size; i++ {
					ops = append(ops, crashWorld.op(c, i))
				}
				outs, err := s.ApplyPayments(context.Background(), ops)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				for _, o := range outs {
					fmt.Printf("%s %s\n", o.Key.TerminalID, o.Key.TerminalTxnID)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
