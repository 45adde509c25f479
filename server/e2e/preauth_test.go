package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/internal/loadtest"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// procMiB reads a "VmXXX:  N kB" line of /proc/PID/status, in MiB.
func procMiB(t *testing.T, pid int, field string) float64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestConcurrentLoginsKeepTheProcessSmall: 64 concurrent logins against the real settlementd (the
// attack that took it from 1.3 GB to 4 GB) leave its peak resident memory far below 64 argon2id
// hashes of 19 MiB: at most --password-hashes run at once, so the peak is bounded by the hashes
// (19 MiB each) times the collector's slack (--gc-percent 400 lets garbage reach 4x the live heap)
// whatever the number of logins.
func TestConcurrentLoginsKeepTheProcessSmall(t *testing.T) {
	const hashes = 2
	srv := &server{Process: loadtest.StartT(t, loadtest.Config{Binary: bins.Path("settlementd"), Data: t.TempDir(),
		Extra: []string{"--password-hashes", strconv.Itoa(hashes)}}), t: t}
	defer srv.stop()
	ctx := context.Background()
	ac, err := srv.AdminClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.AddUser(ctx, admin.UserRequest{UserID: "bob", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	before := procMiB(t, srv.PID(), "VmRSS")
	body, _ := json.Marshal(protocol.SessionRequest{UserID: "bob", Password: "correct horse battery"})
	const logins = 64
	codes := make([]int, logins)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(srv.URL+protocol.PathSessions, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	peak := procMiB(t, srv.PID(), "VmHWM")
	counts := map[int]int{}
	for _, c := range codes {
		counts[c]++
	}
	t.Logf("%d concurrent logins to settlementd: answers %v; resident %.0f MiB before, peak %.0f MiB (64 unbounded hashes alone: %d MiB)",
		logins, counts, before, peak, logins*19)
	if counts[http.StatusCreated]+counts[http.StatusServiceUnavailable] != logins || counts[http.StatusCreated] == 0 {
		t.Fatalf("answers %v", counts)
	}
	// Live hashes and the garbage the collector lets accumulate (5x at --gc-percent 400), plus the
	// process before and room for the 64 connections.
	if limit := before + 5*hashes*19 + 64; peak > limit {
		t.Fatalf("peak resident memory %.0f MiB, over %.0f MiB: password hashing is not bounded", peak, limit)
	}
}

// TestNULReferenceBatchOnPostgres: the real settlementd on PostgreSQL answers a batch whose first
// item's reference holds a NUL byte with that item refused alone (invalid_field) and the next one
// approved, on every retry; before, the whole batch was a 500 each time, and the terminal's queue
// was stuck behind it.
func TestNULReferenceBatchOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	srv := &server{Process: loadtest.StartT(t, loadtest.Config{Binary: bins.Path("settlementd"), Data: t.TempDir(), Store: dsn}), t: t}
	defer srv.stop()
	ctx := context.Background()
	ac, err := srv.AdminClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	eur := func(m int64) money.Amount { return money.Amount{Minor: m, Currency: "EUR"} }
	if _, err := ac.AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M1", Name: "Kiosk", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	tc, err := ac.AddTerminal(ctx, admin.TerminalRequest{TerminalID: "T1", MerchantID: "M1"})
	if err != nil {
		t.Fatal(err)
	}
	term, _, err := bench.Enroll(ctx, http.DefaultClient, srv.URL, tc.EnrollCode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.AddUser(ctx, admin.UserRequest{UserID: "bob", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-bob", UserID: "bob", OpeningBalance: eur(5000)}); err != nil {
		t.Fatal(err)
	}
	tok, err := bench.Login(ctx, http.DefaultClient, srv.URL, "bob", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	w, err := bench.Authorize(ctx, http.DefaultClient, srv.URL, tok, "acc-bob", eur(1000), 5, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var items []protocol.BatchItem
	for i, ref := range []string{"INV\x00-1", "INV-2"} {
		code, err := w.Code(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, protocol.BatchItem{Kind: protocol.KindOnline, TerminalTxnID: fmt.Sprintf("T1-%d", i), Amount: eur(100), Payload: code, Reference: ref})
	}
	for try := range 2 {
		ans, err := term.Post(ctx, protocol.PathBatches, protocol.BatchRequest{BatchID: "b1", Items: items})
		if err != nil {
			t.Fatal(err)
		}
		var r protocol.BatchResponse
		if ans.Status != http.StatusOK || ans.Decode(&r) != nil || len(r.Results) != 2 {
			t.Fatalf("try %d: %d %s", try, ans.Status, ans.Body)
		}
		if r.Results[0].Code != protocol.CodeInvalidField || !strings.HasPrefix(r.Results[0].Message, "reference ") || r.Results[1].Status != protocol.StatusApproved {
			t.Fatalf("try %d: %+v", try, r.Results)
		}
	}
	if _, err := srv.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
