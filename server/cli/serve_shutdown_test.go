package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/boltstore"
	"github.com/stillpay/stillpay/shared/supervise"
)

// syncBuffer is a log sink the server and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `settlementd serve` in-process on data until ctx ends; the returned channel gives
// what the command returned.
func startServe(ctx context.Context, t *testing.T, data string, log io.Writer, extra ...string) (addr string, done <-chan error) {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	ch := make(chan error, 1)
	go func() {
		root := newRoot(io.Discard, log)
		root.SetArgs(append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--addr-file", addrFile,
			"--metrics-listen", "127.0.0.1:0", "--key-sync", "50ms"}, extra...))
		ch <- root.ExecuteContext(ctx)
	}()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-ch:
			ch <- err
			return "", ch
		default:
		}
		if b, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b)), ch
		}
	}
	t.Fatal("settlementd did not write its address")
	return "", nil
}

// TestServeStopsCleanlyUnderLoad cancels settlementd's context (what SIGINT/SIGTERM do) while four
// clients create merchants as fast as they can. serve must return nil, no goroutine may be left
// (goleak), the store must pass its check, and every merchant the server answered created must be in
// it: an answer is only written after the commit.
func TestServeStopsCleanlyUnderLoad(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	data := filepath.Join(t.TempDir(), "data")
	var log syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done := startServe(ctx, t, data, &log)
	if addr == "" {
		t.Fatalf("serve ended at start: %v\n%s", <-done, log.String())
	}
	tok, err := admin.LoadToken(filepath.Join(data, adminTokenFileName))
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &admin.Client{BaseURL: "http://" + addr, Token: tok, HTTP: &http.Client{Transport: tr, Timeout: time.Minute}}

	var mu sync.Mutex
	var created []string
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("m%d-%d", w, i)
				if _, err := c.AddMerchant(context.Background(), admin.MerchantRequest{MerchantID: id, Name: id, Currency: "EUR"}); err != nil {
					return // the server stopped under us
				}
				mu.Lock()
				created = append(created, id)
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(created)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel() // requests are in flight
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after the stop, want nil\n%s", err, log.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not return within a minute of the stop")
	}
	wg.Wait()
	tr.CloseIdleConnections()
	if !strings.Contains(log.String(), "settlementd stopped") {
		t.Errorf("no 'settlementd stopped' in the log:\n%s", log.String())
	}

	st, err := boltstore.Open(data, boltstore.Options{})
	if err != nil {
		t.Fatalf("the store does not reopen: %v", err)
	}
	defer st.Close()
	rep, err := st.Check(context.Background())
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("store check after the stop: %v %v", err, rep.Problems)
	}
	have := map[string]bool{}
	for after := ""; ; {
		ms, err := st.ListMerchants(context.Background(), store.Page{AfterID: after, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			have[m.ID] = true
		}
		after = ms[len(ms)-1].ID
	}
	for _, id := range created {
		if !have[id] {
			t.Errorf("merchant %s was answered created but is not in the store", id)
		}
	}
	t.Logf("%d merchants created before the stop, all on disk", len(created))
}

// TestServeStopsEverythingWhenAPartFails starts settlementd with a TLS certificate file that does not
// exist: the HTTP part fails once the others (sweeper, key sync, metrics listener) run. serve must
// return that failure, naming the part, and leave no goroutine behind.
func TestServeStopsEverythingWhenAPartFails(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	var log syncBuffer
	_, done := startServe(context.Background(), t, filepath.Join(dir, "data"), &log,
		"--tls-cert", filepath.Join(dir, "missing.crt"), "--tls-key", filepath.Join(dir, "missing.key"))
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop after its HTTP part failed")
	}
	var pe *supervise.PartError
	if !errors.As(err, &pe) || pe.Part != "http" || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serve = %v, want the http part's failure (missing certificate file)\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "settlementd stopped by a failure") {
		t.Errorf("the failure is not logged:\n%s", log.String())
	}
}
