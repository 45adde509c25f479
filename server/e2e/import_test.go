package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestImportExportFile: a technician carries a dead terminal's signed queue to the operator, who runs
// `settlementd admin import FILE`; when the terminal comes back and forwards the same queue, nothing
// settles twice. A tampered file is refused.
func TestImportExportFile(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	srv := startServer(t, data)
	ac, err := srv.AdminClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M1", Name: "Kiosk", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	tc, err := ac.AddTerminal(ctx, admin.TerminalRequest{TerminalID: "T7", MerchantID: "M1"})
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
	if _, err := ac.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-bob", UserID: "bob", OpeningBalance: money.Amount{Minor: 5000, Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	st, err := bench.Login(ctx, http.DefaultClient, srv.URL, "bob", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	w, err := bench.Authorize(ctx, http.DefaultClient, srv.URL, st, "acc-bob", money.Amount{Minor: 1000, Currency: "EUR"}, 5, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	approvedAt := time.Now().Add(-30 * time.Second)
	var items []protocol.BatchItem
	amounts := []int64{450, 999, 120}
	for i, a := range amounts {
		code, err := w.Code(approvedAt)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, protocol.BatchItem{Kind: protocol.KindOffline, TerminalTxnID: fmt.Sprintf("T7-%06d", i+1),
			Amount: money.Amount{Minor: a, Currency: "EUR"}, Payload: code, ApprovedAt: approvedAt})
	}
	exp, err := protocol.SignExport("T7", items, time.Now(), term.Key)
	if err != nil {
		t.Fatal(err)
	}
	writeExport := func(e protocol.Export) string {
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "T7-export.json")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	// A tampered file (one amount raised) is refused and settles nothing.
	tampered := exp
	tampered.Items = append([]protocol.BatchItem(nil), exp.Items...)
	tampered.Items[0].Amount.Minor = 1000
	out, err := srv.Admin(ctx, "import", writeExport(tampered))
	if err == nil || !strings.Contains(err.Error(), string(protocol.CodeSignatureInvalid)) {
		t.Fatalf("tampered import: %v %s", err, out)
	}
	if got := srv.balances()["merchant:M1"]; got != 0 {
		t.Fatalf("tampered import moved money: %d", got)
	}

	var res admin.ImportResult
	srv.adminJSON(&res, "import", writeExport(exp))
	if res.Items != 3 || res.Approved != 3 || res.Declined != 0 {
		t.Fatalf("import result %+v", res)
	}
	total := amounts[0] + amounts[1] + amounts[2]
	if got := srv.balances()["merchant:M1"]; got != total {
		t.Fatalf("merchant after import: %d, want %d", got, total)
	}

	// The terminal comes back and forwards its queue: the same keys replay the same answers.
	ans, err := term.Post(ctx, protocol.PathBatches, protocol.BatchRequest{BatchID: "late", Items: items})
	if err != nil {
		t.Fatal(err)
	}
	var br protocol.BatchResponse
	if ans.Status != http.StatusOK || ans.Decode(&br) != nil {
		t.Fatalf("late batch: %d %s", ans.Status, ans.Body)
	}
	// The batch answer is signed once (its approvals carry no signature of their own); each
	// approval is the import's, byte for byte.
	var keys struct {
		Keys []protocol.ServerKey `json:"keys"`
	}
	if ka, err := term.Get(ctx, protocol.PathServerKeys); err != nil || ka.Decode(&keys) != nil {
		t.Fatalf("keys: %v", err)
	}
	if err := protocol.VerifyBatch(br, ans.Nonce, keys.Keys); err != nil {
		t.Fatalf("late batch answer: %v", err)
	}
	compact := func(raw []byte) string {
		var b bytes.Buffer
		json.Compact(&b, raw) // the admin CLI prints indented JSON
		return b.String()
	}
	for i, r := range br.Results {
		want := res.Results[i]
		if r.Status != want.Status || r.Approval == nil || want.Approval == nil ||
			compact(r.Approval.Approval) != compact(want.Approval.Approval) {
			w, _ := json.Marshal(want)
			g, _ := json.Marshal(r)
			t.Fatalf("item %d: batch answer differs from the import's:\n%s\n%s", i, w, g)
		}
	}
	if got := srv.balances()["merchant:M1"]; got != total {
		t.Fatalf("merchant after the late batch: %d, want %d (settled twice?)", got, total)
	}
	srv.check()
}
