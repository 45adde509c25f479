package cli

import (
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/lift"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestReportPrintsMoneyForPeople checks that the report a merchant reads shows amounts as decimals
// with their currency (as every other output a person reads does), not as minor units.
func TestReportPrintsMoneyForPeople(t *testing.T) {
	tests := []struct {
		currency string
		revenue  int64
		want     []string
	}{
		{"EUR", 720, []string{"revenue 7.20 EUR", "incremental revenue 5.20 EUR"}},
		{"JPY", 720, []string{"revenue 720 JPY", "incremental revenue 520 JPY"}},
	}
	for _, tt := range tests {
		r := admin.CampaignReport{Campaign: protocol.Campaign{ID: "cmp_1", Currency: tt.currency}}
		r.Treatment = lift.Group{Members: 2, Converters: 1, Purchases: 1, Revenue: tt.revenue}
		r.Holdout = lift.Group{Members: 1, Converters: 1, Purchases: 1, Revenue: 200}
		r.IncrementalRevenue = tt.revenue - 200
		var b strings.Builder
		printReport(&b, r)
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s report lacks %q:\n%s", tt.currency, w, b.String())
			}
		}
		if strings.Contains(b.String(), "minor") {
			t.Errorf("%s report still prints minor units:\n%s", tt.currency, b.String())
		}
	}
}
