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
	msg, err := marshalApproval(ApprovalSigningContext, &a)
	if err != nil {
		return SignedApproval{}, err
	}
	sig := ed25519.Sign(key, msg)
	raw := msg[len(ApprovalSigningContext):len(msg):len(msg)]
	return SignedApproval{Approval: raw, KeyID: keyID, Signature: sig}, nil
}

// UnsignedApproval marshals a without signing it: an item of a batch answer, which the server signs
// once as a whole (SignBatch; the terminal keeps a BatchProof per sale instead).
func UnsignedApproval(a Approval, keyID string) (SignedApproval, error) {
	raw, err := marshalApproval("", &a)
	if err != nil {
		return SignedApproval{}, err
	}
	return SignedApproval{Approval: raw, KeyID: keyID}, nil
}

// marshalApproval is prefix followed by json.Marshal(*a) (AppendApproval) in one allocation.
func marshalApproval(prefix string, a *Approval) ([]byte, error) {
	n := 320 + len(prefix) + len(a.ApprovalID) + len(a.ApprovalCode) + len(a.TerminalID) + len(a.TerminalTxnID) +
		len(a.MerchantID) + len(a.Amount.Currency) + len(a.MaskedCustomer) + len(a.AuthorizationID)
	raw, err := AppendApproval(append(make([]byte, 0, n), prefix...), *a)
	if err != nil {
		return nil, fmt.Errorf("protocol: marshal approval: %w", err)
	}
	return raw, nil
}

// VerifyApproval checks sa against the server keys and returns the approval it carries: its own
// signature, or its group proof (approvalgroup.go), whose terminal must be the approval's. That a
// group proof answers this terminal's request is CheckBinding's to check, with the request's nonce.
func VerifyApproval(sa SignedApproval, keys []ServerKey) (Approval, error) {
	for _, k := range keys {
		if k.KeyID != sa.KeyID {
			continue
		}
		if len(k.PublicKey) != ed25519.PublicKeySize {
			return Approval{}, ErrApprovalSignature
		}
		pub := ed25519.PublicKey(k.PublicKey)
		if sa.Group != nil {
			if err := verifyGroup(sa, pub); err != nil {
				return Approval{}, err
			}
		} else if !ed25519.Verify(pub, append([]byte(ApprovalSigningContext), sa.Approval...), sa.Signature) {
			return Approval{}, ErrApprovalSignature
		}
		var a Approval
		if err := json.Unmarshal(sa.Approval, &a); err != nil {
			return Approval{}, fmt.Errorf("%w: %v", ErrApprovalSignature, err)
		}
		if sa.Group != nil && a.TerminalID != sa.Group.TerminalID {
			return Approval{}, fmt.Errorf("%w: approval of terminal %q proved for terminal %q", ErrApprovalSignature, a.TerminalID, sa.Group.TerminalID)
		}
		return a, nil
	}
	return Approval{}, fmt.Errorf("%w: %q", ErrUnknownKey, sa.KeyID)
}
