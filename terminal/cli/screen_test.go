package cli

import (
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
)

func TestScreenAmountsAndOutcomes(t *testing.T) {
	var b strings.Builder
	comma := &screen{out: &b, sep: ','}
	if got := comma.amount(money.Amount{Minor: 420, Currency: "EUR"}); got != "4,20 EUR" {
		t.Errorf("amount: %q", got)
	}
	for in, want := range map[string]string{"4,20": "4.20", "4.20": "4.20", "1,000.50": "1,000.50", "12": "12"} {
		if got := comma.typedAmount(in); got != want {
			t.Errorf("typedAmount(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (&screen{sep: '.'}).typedAmount("4,20"); got != "4,20" {
		t.Errorf("a point locale rewrote %q", got)
	}
	comma.saleOutcome(agent.SaleView{ID: "T-1-1", State: agent.SaleDeclined, Amount: money.Amount{Minor: 420, Currency: "EUR"}, Code: protocol.CodeCodeUsed, Reason: "raw"})
	if out := b.String(); !strings.Contains(out, "✘ DECLINED 4,20 EUR") || !strings.Contains(out, "Code already used — ask the customer to refresh the code") || strings.Contains(out, "\x1b[") {
		t.Errorf("declined without colour:\n%s", out)
	}
	b.Reset()
	colour := &screen{out: &b, sep: '.', color: true}
	colour.saleOutcome(agent.SaleView{ID: "T-1-2", State: agent.SaleApproved, Amount: money.Amount{Minor: 420, Currency: "EUR"}, PrintAlert: "RECEIPT NOT PRINTED — load paper, then reprint"})
	if out := b.String(); !strings.Contains(out, sgrGreen) || !strings.Contains(out, "✔ APPROVED 4.20 EUR") || !strings.Contains(out, "RECEIPT NOT PRINTED") {
		t.Errorf("approved in colour:\n%q", out)
	}
}
