package bench

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/protocol"
)

// TestCountApproved: the load generator counts a payment only when its answer approves it, and fails
// the phase on a decline, a problem or a batch answer with the wrong number of results.
func TestCountApproved(t *testing.T) {
	approved := protocol.TransactionResponse{TerminalTxnID: "t-1", Status: protocol.StatusApproved,
		Approval: &protocol.SignedApproval{Approval: json.RawMessage(`{"approval_id":"a"}`), KeyID: "k1"}}
	declined := protocol.TransactionResponse{TerminalTxnID: "t-2", Status: protocol.StatusDeclined,
		Code: protocol.CodeCodeInvalid, Message: "the code does not match"}
	body := func(v any) []byte {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	batch := func(rs ...protocol.TransactionResponse) []byte {
		return body(protocol.BatchResponse{BatchID: "b", Results: rs})
	}
	tests := []struct {
		name    string
		ans     Answer
		size    int
		want    int
		wantErr string
	}{
		{"single approved", Answer{Status: http.StatusOK, Body: body(approved)}, 1, 1, ""},
		{"single declined", Answer{Status: http.StatusPaymentRequired, Body: body(declined)}, 1, 0, "declined code_invalid"},
		{"problem", Answer{Status: http.StatusBadRequest, Body: []byte(`{"type":"about:blank","title":"Bad Request","status":400,"code":"malformed_json","detail":"no"}`)}, 1, 0, "no"},
		{"batch approved", Answer{Status: http.StatusOK, Body: batch(approved, approved)}, 2, 2, ""},
		{"batch with a decline", Answer{Status: http.StatusOK, Body: batch(approved, declined)}, 2, 0, "batch item t-2 declined"},
		{"batch short of results", Answer{Status: http.StatusOK, Body: batch(approved)}, 2, 0, "answered with 1 results"},
		{"not JSON", Answer{Status: http.StatusOK, Body: []byte("<html>")}, 1, 0, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := countApproved(tt.ans, tt.size)
			if tt.wantErr == "" {
				if err != nil || n != tt.want {
					t.Fatalf("countApproved = %d, %v; want %d, nil", n, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("countApproved = %d, %v; want an error with %q", n, err, tt.wantErr)
			}
		})
	}
}
