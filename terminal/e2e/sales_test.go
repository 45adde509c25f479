package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

func mustCode(t *testing.T, w *demo.Wallet) string {
	t.Helper()
	code, err := w.Code(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func mustSale(t *testing.T, lab *demo.Lab, amount, code string) agent.SaleView {
	t.Helper()
	v, err := lab.Sale(context.Background(), amount, code)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// settledOnce checks that each approved sale settled exactly once on the server and that nothing
// else was charged.
func settledOnce(t *testing.T, lab *demo.Lab, approved []agent.SaleView) {
	t.Helper()
	txns, err := lab.Transactions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A payment counts as charged unless an approved void reversed it.
	voided := map[string]bool{}
	for _, x := range txns {
		if x.Kind == protocol.KindVoid && x.Status == protocol.StatusApproved {
			voided[x.TargetTxnID] = true
		}
	}
	count := map[string]int{}
	for _, x := range txns {
		if x.Status == protocol.StatusApproved && x.Kind != protocol.KindVoid && !voided[x.TerminalTxnID] {
			count[x.TerminalTxnID]++
		}
	}
	for _, v := range approved {
		if voided[v.ID] {
			t.Errorf("sale %s was approved at the register and then voided", v.ID)
		}
	}
	t.Logf("%d payments reversed by voids after a crash", len(voided))
	want := map[string]bool{}
	var total int64
	for _, v := range approved {
		want[v.ID] = true
		total += v.Amount.Minor
		if count[v.ID] != 1 {
			t.Errorf("sale %s settled %d times", v.ID, count[v.ID])
		}
	}
	for id, n := range count {
		if !want[id] {
			var related []demo.ServerTxn
			for _, x := range txns {
				if x.TerminalTxnID == id || x.TargetTxnID == id {
					related = append(related, x)
				}
			}
			agentView, _ := lab.API.QueueItem(context.Background(), id)
			t.Errorf("server charged %s (%d times), which the register was not told is approved\n  server: %+v\n  agent: %+v", id, n, related, agentView)
		}
	}
	bs, err := lab.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := demo.MerchantBalance(bs); got != total {
		t.Errorf("merchant balance %d, approved sales total %d", got, total)
	}
	if out, err := lab.Admin(context.Background(), "check"); err != nil {
		t.Errorf("ledger check: %v %s", err, out)
	}
}

func TestOnlineOfflineDrainAndBadInput(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 20)
	if err != nil {
		t.Fatal(err)
	}
	var approved []agent.SaleView

	online := mustSale(t, lab, "12.50", mustCode(t, w))
	if online.State != agent.SaleApproved || online.Offline || online.PrintStatus != agent.PrintPrinted {
		t.Fatalf("online sale: %+v", online)
	}
	approved = append(approved, online)

	t.Run("noise and a product EAN while a sale waits", func(t *testing.T) {
		approved = append(approved, notPaymentScans(t, lab, mustCode(t, w)))
	})
	t.Run("scanner suffix mismatch", func(t *testing.T) {
		approved = append(approved, suffixMismatch(t, lab, mustCode(t, w)))
	})
	t.Run("garbage typed at the register", func(t *testing.T) {
		v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "1.00"})
		if err != nil {
			t.Fatal(err)
		}
		if err := lab.API.SubmitCode(ctx, v.ID, "4006381333931"); err != nil {
			t.Fatal(err)
		}
		if v, _ = lab.API.WaitFinal(ctx, v, nil); v.State != agent.SaleDeclined || v.Code != protocol.CodePayloadMalformed {
			t.Fatalf("%+v", v)
		}
	})
	t.Run("replay on the same terminal", func(t *testing.T) {
		code := mustCode(t, w)
		if v := mustSale(t, lab, "1.00", code); v.State != agent.SaleApproved {
			t.Fatalf("first use: %+v", v)
		} else {
			approved = append(approved, v)
		}
		if v := mustSale(t, lab, "1.00", code); v.State != agent.SaleDeclined || v.Code != protocol.CodeCodeUsed {
			t.Fatalf("replay: %+v", v)
		}
	})
	t.Run("code of another currency", func(t *testing.T) {
		v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "1.00", Currency: "USD"})
		if err != nil {
			t.Fatal(err)
		}
		lab.Scanner.Send(ctx, mustCode(t, w))
		v, _ = lab.API.WaitFinal(ctx, v, nil)
		if v.State != agent.SaleDeclined || v.Code != protocol.CodeCurrencyMismatch {
			t.Fatalf("%+v", v)
		}
	})
	t.Run("printer out of paper", func(t *testing.T) {
		lab.Printer.SetPaperOut(true)
		v := mustSale(t, lab, "2.00", mustCode(t, w))
		if v.State != agent.SaleApproved || !strings.Contains(v.PrintStatus, "out of paper") {
			t.Fatalf("%+v", v)
		}
		approved = append(approved, v)
		lab.Printer.SetPaperOut(false)
		r, err := lab.API.Reprint(ctx, v.ID, false)
		if err != nil || r.PrintStatus != agent.PrintPrinted {
			t.Fatalf("reprint: %+v %v", r, err)
		}
		// The paper ran out before the original printed, so the reprint is the only receipt: no COPY.
		rs := lab.Printer.Receipts()
		if last := rs[len(rs)-1]; strings.Contains(last.Text, "COPY") || len(last.QR) != 1 || last.QR[0] != v.ID {
			t.Fatalf("reprinted receipt (the only one, so not a COPY):\n%s", last.Text)
		}
	})

	big, err := lab.NewWallet(ctx, "big-spender", "60.00", 2)
	if err != nil {
		t.Fatal(err)
	}
	lab.StopServer()
	var offline []agent.SaleView
	for _, amount := range []string{"3.20", "4.50", "7.80"} {
		v := mustSale(t, lab, amount, mustCode(t, w))
		if v.State != agent.SaleApproved || !v.Offline {
			t.Fatalf("offline sale %s: %+v", amount, v)
		}
		offline = append(offline, v)
	}
	t.Run("over the floor limit offline", func(t *testing.T) {
		// Within the credential's cap (60.00) but over the terminal's floor limit (50.00).
		if v := mustSale(t, lab, "55.00", mustCode(t, big)); v.State != agent.SaleDeclined || v.Code != protocol.CodeOverFloorLimit {
			t.Fatalf("%+v", v)
		}
	})
	t.Run("garbage scan offline", func(t *testing.T) {
		if v := mustSale(t, lab, "1.00", "SP1:garbled"); v.State != agent.SaleDeclined || !strings.HasPrefix(string(v.Code), "payload_") {
			t.Fatalf("%+v", v)
		}
	})
	st, err := lab.API.Status(ctx)
	if err != nil || st.QueueDepth != 3 || st.Offline.Count != 3 {
		t.Fatalf("status offline: %+v %v", st, err)
	}
	approved = append(approved, offline...)
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, v := range offline {
		it, err := lab.API.QueueItem(ctx, v.ID)
		if err != nil || it.State != "settled" {
			t.Fatalf("%s after drain: %+v %v", v.ID, it, err)
		}
	}
	settledOnce(t, lab, approved)

	metrics, err := lab.API.Metrics(ctx)
	if err != nil || !strings.Contains(metrics, "posagent_queue_depth 0") || !strings.Contains(metrics, `posagent_sales_total{outcome="approved_offline"} 3`) {
		t.Fatalf("metrics:\n%s %v", metrics, err)
	}
}

func TestExportImportSettlesOnce(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 10)
	if err != nil {
		t.Fatal(err)
	}
	lab.StopServer()
	var approved []agent.SaleView
	for _, amount := range []string{"1.10", "2.20"} {
		v := mustSale(t, lab, amount, mustCode(t, w))
		if v.State != agent.SaleApproved || !v.Offline {
			t.Fatalf("%+v", v)
		}
		approved = append(approved, v)
	}
	// The terminal dies; the technician exports its queue from the file.
	lab.KillAgent()
	exportPath := filepath.Join(lab.Dir, "export.json")
	if out, err := lab.Posagent(ctx, "queue", "export", "-o", exportPath); err != nil {
		t.Fatalf("export: %v %s", err, out)
	}
	data, _ := os.ReadFile(exportPath)
	var e protocol.Export
	if err := json.Unmarshal(data, &e); err != nil || len(e.Items) != 2 || e.TerminalID != demo.TerminalID {
		t.Fatalf("export file: %v %+v", err, e)
	}
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := lab.Admin(ctx, "import", exportPath)
	if err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	// Importing twice changes nothing.
	if _, err := lab.Admin(ctx, "import", exportPath); err != nil {
		t.Fatalf("second import: %v", err)
	}
	// The terminal comes back and forwards the same items: settled, not charged again.
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	settledOnce(t, lab, approved)
}

func TestCorruptQueueFileIsKept(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	lab.StopAgent()
	queuePath := filepath.Join(lab.Dir, "queue.db")
	garbage := []byte(strings.Repeat("this is not a bbolt file ", 400))
	if err := os.WriteFile(queuePath, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	err := lab.StartAgent(ctx)
	if err == nil {
		t.Fatal("posagent started on a corrupt queue file")
	}
	if !strings.Contains(err.Error(), "queue file is corrupt") || !strings.Contains(err.Error(), "left in place") {
		t.Fatalf("message does not say what happened and what to do: %v", err)
	}
	after, _ := os.ReadFile(queuePath)
	if string(after) != string(garbage) {
		t.Fatal("the corrupt queue file was modified")
	}
}

func TestConfigTypoAndProvisionErrors(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	bad := filepath.Join(lab.Dir, "typo.yaml")
	os.WriteFile(bad, []byte("server:\n  url: http://127.0.0.1:1\nprnter:\n  port: /dev/null\n"), 0o600)
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "posagent"), "status", "--config", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `config line 3: unknown key "prnter"`) {
		t.Fatalf("typo: %v %s", err, out)
	}
	if _, err := lab.Posagent(ctx, "provision", "--enroll-code", "NOPE"); err == nil || !strings.Contains(err.Error(), "already enrolled") {
		t.Fatalf("re-provision without --force: %v", err)
	}
	if _, err := lab.Posagent(ctx, "provision", "--enroll-code", "NOPE", "--force"); err == nil || !strings.Contains(err.Error(), "ask the operator for a new one") {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := lab.Posagent(ctx, "provision", "--enroll-code", "NOPE", "--force", "--server", "http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "cannot reach the settlement server") {
		t.Fatalf("unreachable server: %v", err)
	}
}
