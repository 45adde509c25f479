package protocol

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
)

// Errors from VerifyApproval.
var (
	ErrUnknownKey        = errors.New("protocol: signed by an unknown server key")
	ErrApprovalSignature = errors.New("protocol: approval signature does not verify")
)

// SignApproval marshals a and signs it with key, which is known to clients as keyID.
// Ed25519 is deterministic, so the same approval and key always give the same bytes; the server
// relies on that to replay answers byte-identically.
func SignApproval(a Approval, keyID string, key ed25519.PrivateKey) (SignedApproval, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return SignedApproval{}, fmt.Errorf("protocol: marshal approval: %w", err)
	}
	sig := ed25519.Sign(key, append([]byte(ApprovalSigningContext), raw...))
	return SignedApproval{Approval: raw, KeyID: keyID, Signature: sig}, nil
}

// UnsignedApproval marshals a without signing it: an item of a batch answer, which the server signs
// once as a whole (SignBatch; the terminal keeps a BatchProof per sale instead).
func UnsignedApproval(a Approval, keyID string) (SignedApproval, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return SignedApproval{}, fmt.Errorf("protocol: marshal approval: %w", err)
	}
	return SignedApproval{Approval: raw, KeyID: keyID}, nil
}

// VerifyApproval checks sa against the server keys and returns the approval it carries.
func VerifyApproval(sa SignedApproval, keys []ServerKey) (Approval, error) {
	for _, k := range keys {
		if k.KeyID != sa.KeyID {
			continue
		}
		if len(k.PublicKey) != ed25519.PublicKeySize ||
			!ed25519.Verify(ed25519.PublicKey(k.PublicKey), append([]byte(ApprovalSigningContext), sa.Approval...), sa.Signature) {
			return Approval{}, ErrApprovalSignature
		}
		var a Approval
		if err := json.Unmarshal(sa.Approval, &a); err != nil {
			return Approval{}, fmt.Errorf("%w: %v", ErrApprovalSignature, err)
		}
		return a, nil
	}
	return Approval{}, fmt.Errorf("%w: %q", ErrUnknownKey, sa.KeyID)
}
