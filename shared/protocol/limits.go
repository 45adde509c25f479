package protocol

// Size limits every implementation enforces. A body over MaxBodyBytes is refused with
// CodeBodyTooLarge before it is parsed.
const (
	MaxBodyBytes      = 64 << 10 // one transaction, authorization or admin request
	MaxBatchBodyBytes = 4 << 20  // a batch of MaxBatchItems
	MaxBatchItems     = 1000
	MaxPayloadChars   = 1200 // the QR payload text; see docs/protocol.md
	MaxIDLen          = 64   // user, terminal, merchant, account, transaction ids
)
