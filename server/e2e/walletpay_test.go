package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/internal/loadtest"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/shared/emvqr"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/wallet"
)

// TestWalletPay: the real settlementd and wallet binaries pay flow 2 orders end to end, on the
// embedded store and on PostgreSQL: a terminal creates an order, `wallet pay --image` reads its QR
// from a PNG, checks the server's signature and confirms; the money moves once, whatever is retried,
// tampered with or presented too late.
func TestWalletPay(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) { walletPayFlow(t, "") })
	t.Run("postgres", func(t *testing.T) { walletPayFlow(t, pgtest.DSN(t)) })
}

func walletPayFlow(t *testing.T, store string) {
	ctx := context.Background()
	srv := &server{Process: loadtest.StartT(t, loadtest.Config{Binary: bins.Path("settlementd"), Data: t.TempDir(), Store: store,
		Extra: []string{"--key-sync", "100ms"}}), t: t}
	tc := srv.shop()
	term, _, err := bench.Enroll(ctx, http.DefaultClient, srv.URL, tc.EnrollCode)
	if err != nil {
		t.Fatal(err)
	}
	newOrder := func(id string, minor, ttl int64) protocol.Order {
		t.Helper()
		ans, err := term.Post(ctx, protocol.PathOrders, protocol.OrderRequest{TerminalOrderID: id,
			Amount: money.Amount{Minor: minor, Currency: "EUR"}, Reference: "INV-" + id, ExpiresInSeconds: ttl})
		var o protocol.Order
		if err != nil || ans.Status != http.StatusCreated || ans.Decode(&o) != nil || o.MPM == "" {
			t.Fatalf("create order %s: %v %d %s", id, err, ans.Status, ans.Body)
		}
		return o
	}
	orderState := func(id string) string {
		t.Helper()
		ans, err := term.Get(ctx, protocol.OrderPath(id))
		var o protocol.Order
		if err != nil || ans.Status != http.StatusOK || ans.Decode(&o) != nil {
			t.Fatalf("get order %s: %v %d %s", id, err, ans.Status, ans.Body)
		}
		return o.State
	}
	want := map[string]int64{"acc-alice": 10000, "system:EUR": -10000}

	home := t.TempDir()
	walletCmd(t, home, "login", "--server", srv.URL, "--user", "alice")

	// 1. A dynamic order, read from a PNG of its QR code, confirmed, paid once.
	o := newOrder("T1-O-1", 1250, 0)
	png := filepath.Join(t.TempDir(), "order.png")
	if err := qrcode.WriteFile(o.MPM, qrcode.Medium, 6, png); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := walletRun(t, home, "pay", "--image", png, "--account", "acc-alice", "--yes")
	if code != 0 || !strings.Contains(out, "Corner shop (M1)") || !strings.Contains(out, "reference  INV-T1-O-1") ||
		!strings.Contains(out, "paid 12.50 EUR to Corner shop (M1)") {
		t.Fatalf("wallet pay: %d\n%s\n%s", code, out, errOut)
	}
	want["acc-alice"] -= 1250
	want["merchant:M1"] = 1250
	assertBalances(t, srv.balances(), want)
	if s := orderState(o.OrderID); s != protocol.OrderPaid {
		t.Fatalf("order state %q after pay", s)
	}

	// The same phone again: the identical confirmation is answered as paid, and nothing moves.
	if out, errOut, code := walletRun(t, home, "pay", "--text", o.MPM, "--account", "acc-alice", "--yes"); code != 0 || !strings.Contains(out, "paid 12.50 EUR") {
		t.Fatalf("repeat: %d\n%s\n%s", code, out, errOut)
	}
	assertBalances(t, srv.balances(), want)

	// Another phone of the same user: its confirmation differs, the order is paid already.
	home2 := t.TempDir()
	walletCmd(t, home2, "login", "--server", srv.URL, "--user", "alice")
	if _, errOut, code := walletRun(t, home2, "pay", "--text", o.MPM, "--account", "acc-alice", "--yes"); code != 1 || !strings.Contains(errOut, string(protocol.CodeOrderAlreadyPaid)) {
		t.Fatalf("second phone: %d %s", code, errOut)
	}
	assertBalances(t, srv.balances(), want)

	// 2. A changed amount (CRC recomputed) is refused by the phone: the signature does not verify.
	o2 := newOrder("T1-O-2", 800, 0)
	tampered := strings.Replace(o2.MPM, "54048.00", "54041.00", 1)
	tampered = tampered[:len(tampered)-4] + fmt.Sprintf("%04X", emvqr.CRC16([]byte(tampered[:len(tampered)-4])))
	if _, errOut, code := walletRun(t, home, "pay", "--text", tampered, "--account", "acc-alice", "--yes"); code != 1 || !strings.Contains(errOut, "signature does not verify") {
		t.Fatalf("tampered amount: %d %s", code, errOut)
	}

	// 3. Asked, the customer says no: nothing is sent.
	if out, _, code := walletRunIn(t, home, "n\n", "pay", "--text", o2.MPM, "--account", "acc-alice"); code != 1 || !strings.Contains(out, "not paid") {
		t.Fatalf("declined at the prompt: %d %s", code, out)
	}
	if s := orderState(o2.OrderID); s != protocol.OrderPending {
		t.Fatalf("order state %q after the customer said no", s)
	}
	// ... and then yes.
	if out, errOut, code := walletRunIn(t, home, "y\n", "pay", "--text", o2.MPM, "--account", "acc-alice"); code != 0 || !strings.Contains(out, "paid 8.00 EUR") {
		t.Fatalf("confirmed at the prompt: %d %s %s", code, out, errOut)
	}
	want["acc-alice"] -= 800
	want["merchant:M1"] += 800

	// 4. Another scheme's code is shown and never paid.
	pix := "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
	if out, _, code := walletRun(t, home, "pay", "--text", pix, "--yes"); code != 1 || !strings.Contains(out, "not a stillpay order: Fulano de Tal, BRASILIA") {
		t.Fatalf("Pix code: %d %s", code, out)
	}

	// 5. An order that expired before the phone read it.
	o3 := newOrder("T1-O-3", 300, 1)
	time.Sleep(1100 * time.Millisecond)
	if _, errOut, code := walletRun(t, home, "pay", "--text", o3.MPM, "--account", "acc-alice", "--yes"); code != 1 || !strings.Contains(errOut, "expired") {
		t.Fatalf("expired order: %d %s", code, errOut)
	}

	// 6. The lane's static sticker: the phone enters the amount.
	ans, err := term.Get(ctx, protocol.PathTerminalStick)
	var st protocol.Sticker
	if err != nil || ans.Status != http.StatusOK || ans.Decode(&st) != nil {
		t.Fatalf("sticker: %v %d %s", err, ans.Status, ans.Body)
	}
	if out, errOut, code := walletRun(t, home, "pay", "--text", st.MPM, "--account", "acc-alice", "--yes"); code != 1 || !strings.Contains(errOut, "--amount") {
		t.Fatalf("sticker without an amount: %d %s %s", code, out, errOut)
	}
	out, errOut, code = walletRun(t, home, "pay", "--text", st.MPM, "--amount", "4.80", "--payment-id", "p-e2e-1", "--account", "acc-alice", "--yes", "--json")
	if code != 0 || !strings.Contains(out, `"paid": true`) {
		t.Fatalf("sticker: %d\n%s\n%s", code, out, errOut)
	}
	want["acc-alice"] -= 480
	want["merchant:M1"] += 480
	// The same payment id again (a retry after a lost answer): paid once.
	if _, errOut, code := walletRun(t, home, "pay", "--text", st.MPM, "--amount", "4.80", "--payment-id", "p-e2e-1", "--account", "acc-alice", "--yes"); code != 0 {
		t.Fatalf("sticker retry: %d %s", code, errOut)
	}
	assertBalances(t, srv.balances(), want)

	// 7. The server rotates its key: the next order is signed with the new key, which the wallet
	// learns from GET /v1/keys because the key it trusts endorses it.
	// On a shared database the new key signs from a few key-sync intervals on (server/keysync).
	var rotated protocol.ServerKey
	srv.adminJSON(&rotated, "rotate-key")
	for deadline := time.Now().Add(10 * time.Second); !isCurrent(serverKeys(t, srv.URL), rotated.KeyID); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("key %s not current 10 s after the rotation", rotated.KeyID)
		}
	}
	o4 := newOrder("T1-O-4", 150, 0)
	if out, errOut, code := walletRun(t, home, "pay", "--text", o4.MPM, "--account", "acc-alice", "--yes"); code != 0 || !strings.Contains(out, "paid 1.50 EUR") {
		t.Fatalf("order signed with the rotated key: %d\n%s\n%s", code, out, errOut)
	}
	var trusted []protocol.ServerKey
	if raw, err := os.ReadFile(filepath.Join(home, wallet.ServerKeysFile)); err != nil || json.Unmarshal(raw, &trusted) != nil || len(trusted) != 2 {
		t.Fatalf("the wallet's trusted keys after the rotation: %d keys, %v", len(trusted), err)
	}
	want["acc-alice"] -= 150
	want["merchant:M1"] += 150
	assertBalances(t, srv.balances(), want)
	srv.check()
}

func isCurrent(keys []protocol.ServerKey, id string) bool {
	for _, k := range keys {
		if k.KeyID == id {
			return k.Current
		}
	}
	return false
}
