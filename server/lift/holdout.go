package lift

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// MaxBP is 100% in basis points.
const MaxBP = 10000

// InHoldout assigns an account of a campaign to the holdout: HMAC-SHA256 under the campaign's holdout
// key of campaignID \0 userID, its first 8 bytes as a big-endian number mod 10000, below holdoutBP.
// The key is random per campaign and stored with it, so an auditor can recompute every assignment
// and nobody can steer one.
func InHoldout(key []byte, campaignID, userID string, holdoutBP int) bool {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(campaignID))
	m.Write([]byte{0})
	m.Write([]byte(userID))
	sum := m.Sum(nil)
	return int(binary.BigEndian.Uint64(sum[:8])%MaxBP) < holdoutBP
}
