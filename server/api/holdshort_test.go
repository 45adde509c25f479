package api

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/protocol"
)

// An authorization the balance cannot cover says the hold it needs and the balance it found.
func TestAuthorizeShortSaysHoldAndBalance(t *testing.T) {
	s := newStack(t)
	s.newShop() // alice's 100.00 are all held by the shop's credential
	ctx := context.Background()
	tok, err := bench.Login(ctx, s.srv.Client(), s.srv.URL, "alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bench.Authorize(ctx, s.srv.Client(), s.srv.URL, tok, "acc-alice", eur(2000), 10, time.Hour)
	var p *protocol.Problem
	if !errors.As(err, &p) || p.Code != protocol.CodeInsufficientFunds {
		t.Fatalf("Authorize = %v, want insufficient_funds", err)
	}
	for _, want := range []string{"hold of 200.00 EUR (10 codes × 20.00 EUR)", "balance is 0.00 EUR"} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("detail %q lacks %q", p.Detail, want)
		}
	}
}
