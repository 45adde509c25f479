package order

import (
	"testing"

	"github.com/stillpay/stillpay/shared/protocol"
)

// TestReferenceLimitMatchesProtocol: the terminal checks an order's reference against
// protocol.MaxOrderReferenceLen before it asks for the order; it must be this codec's limit.
func TestReferenceLimitMatchesProtocol(t *testing.T) {
	t.Parallel()
	if MaxReferenceLen != protocol.MaxOrderReferenceLen {
		t.Fatalf("order.MaxReferenceLen %d, protocol.MaxOrderReferenceLen %d", MaxReferenceLen, protocol.MaxOrderReferenceLen)
	}
}
