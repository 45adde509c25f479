package e2e

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/terminal/queue"
)

// crashSales is how many sales the crash test makes.
const crashSales = 200

// TestCrashKill9 kills posagent with SIGKILL at random moments during 200 sales and the forwarding
// that follows, while settlementd goes down and up (also by SIGKILL). After every restart the queue
// file must pass bbolt's consistency check. At the end every sale the register was told is approved
// must have settled exactly once, and the server must have charged nothing else.
func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "1.00", crashSales+50)
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("%d sales, random seed %d", crashSales, seed)

	queuePath := filepath.Join(lab.Dir, "queue.db")
	restartAgent := func() {
		t.Helper()
		// The queue file must be consistent after every crash, before the agent opens it.
		q, err := queue.OpenBolt(queuePath, demo.TerminalID)
		if err != nil {
			t.Fatalf("queue file after kill -9: %v", err)
		}
		q.Close()
		if err := lab.StartAgent(ctx); err != nil {
			t.Fatal(err)
		}
	}
	serverUp := true
	told := map[string]agent.SaleView{} // sales the register saw approved
	var ids []string
	kills := 0

	for i := 0; i < crashSales; i++ {
		if rng.IntN(12) == 0 {
			if serverUp {
				lab.KillServer()
			} else if err := lab.StartServer(ctx); err != nil {
				t.Fatal(err)
			}
			serverUp = !serverUp
		}
		code, err := w.Code(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "1.00", Reference: "crash"})
		if err != nil {
			t.Fatalf("sale %d: %v", i, err)
		}
		ids = append(ids, v.ID)
		killed := make(chan struct{})
		if rng.IntN(6) == 0 { // kill the agent somewhere inside this sale
			delay := time.Duration(rng.IntN(40)) * time.Millisecond
			go func() {
				time.Sleep(delay)
				lab.KillAgent()
				close(killed)
			}()
		} else {
			close(killed)
		}
		if err := lab.Scanner.Send(ctx, code); err == nil {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			final, err := lab.API.WaitFinal(wctx, v, nil)
			cancel()
			if err == nil && final.State == agent.SaleApproved {
				told[final.ID] = final
			}
		}
		<-killed
		if exited, _ := lab.AgentExited(); exited {
			kills++
			restartAgent()
		}
	}
	// Forwarding under crashes: kill the agent a few times while it drains.
	if !serverUp {
		if err := lab.StartServer(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < 3; k++ {
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		lab.KillAgent()
		kills++
		restartAgent()
	}
	if err := lab.WaitDrained(ctx, 60*time.Second); err != nil {
		t.Fatal(err)
	}

	// The agent's final word on every sale, after all recoveries.
	var approved []agent.SaleView
	for _, id := range ids {
		v, err := lab.API.Sale(ctx, id, 0, "")
		if err != nil {
			t.Fatalf("sale %s: %v", id, err)
		}
		if !v.Final {
			t.Errorf("sale %s still %s after recovery", id, v.State)
		}
		if v.State == agent.SaleApproved {
			approved = append(approved, v)
		}
		if _, ok := told[id]; ok && v.State != agent.SaleApproved {
			t.Errorf("register was told %s is approved, the agent now says %s", id, v.State)
		}
	}
	refused, err := lab.API.Queue(ctx, "refused")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range refused {
		t.Errorf("item refused by the server: %+v", it)
	}
	t.Logf("%d sales, %d told approved, %d approved in the end, %d kills of the agent", len(ids), len(told), len(approved), kills)
	if len(told) < crashSales/4 {
		t.Errorf("only %d sales approved; the test exercised too little", len(told))
	}
	settledOnce(t, lab, approved)
	voidsOK(t, lab)
}

// voidsOK checks that no void the agent queued was refused by the server.
func voidsOK(t *testing.T, lab *demo.Lab) {
	t.Helper()
	items, err := lab.API.Queue(context.Background(), "all")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Kind == protocol.KindVoid && it.State != queue.StateSettled {
			t.Errorf("void %s of %s is %s: %s", it.TxnID, it.TargetTxnID, it.State, it.LastError)
		}
	}
}
