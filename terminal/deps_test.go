package terminal

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPosagentLinksNoServerCode guards the design rule that the terminal never links server or
// database code: a POS box has no business carrying the ledger, and the binary must stay small.
func TestPosagentLinksNoServerCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/stillpay/stillpay/cmd/posagent").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list returned %d packages; the guard would prove nothing", len(deps))
	}
	forbidden := []string{"github.com/stillpay/stillpay/server", "github.com/jackc/pgx", "database/sql", "github.com/lib/pq"}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("posagent links %s", d)
			}
		}
	}
}
