package protocol

import (
	"regexp"
	"testing"
)

func TestOfflineApprovalCode(t *testing.T) {
	shape := regexp.MustCompile(`^OFF[A-HJ-NP-Z2-9]{4}$`)
	a, b := OfflineApprovalCode("T-1-000000001"), OfflineApprovalCode("T-1-000000002")
	if !shape.MatchString(a) || !shape.MatchString(b) {
		t.Fatalf("codes %q %q do not look like OFF + 4 characters", a, b)
	}
	if a == b {
		t.Errorf("two sales got the same code %q", a)
	}
	if again := OfflineApprovalCode("T-1-000000001"); again != a {
		t.Errorf("not deterministic: %q then %q", a, again)
	}
}
