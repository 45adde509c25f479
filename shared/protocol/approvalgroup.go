package protocol

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// One signature per group of single answers (docs/protocol.md, "Approval groups"): the server signs
// the approvals of the single requests that finish together (one commit group) once, over an RFC
// 9162 Merkle head as batch answers are signed (batchsig.go), instead of one Ed25519 signature per
// approval. Each leaf binds its approval to the terminal and the nonce of the request it answers, so
// a recorded answer cannot pass for the answer to another request or another terminal.

// HeaderApprovalProof is the request header by which a terminal announces that it verifies group
// proofs (value ApprovalProofGroup). Without it the server signs each approval on its own, as
// terminals of earlier versions expect.
const (
	HeaderApprovalProof = "X-Stillpay-Approval-Proof"
	ApprovalProofGroup  = "group-v1"
)

// ApprovalGroupContext separates approval-group signatures from every other signature;
// approvalLeafContext separates approval-group leaves from batch-answer leaves.
const (
	ApprovalGroupContext = "stillpay-approval-group-v1\x00"
	approvalLeafContext  = "stillpay-approval-leaf-v1\x00"
)

// MaxApprovalGroup bounds a group's size: a proof claiming more is refused before any hashing.
const MaxApprovalGroup = 1 << 16

// ErrApprovalBinding: a group-signed approval answers another request (another nonce: a replayed
// answer) or another terminal. Test with errors.Is.
var ErrApprovalBinding = errors.New("protocol: approval answers another request")

// ApprovalGroupProof proves one approval of a group on its own: the request it answers (terminal,
// nonce), its place in the group and its audit path (RFC 9162 §2.1.3), and the server's Ed25519
// signature (by SignedApproval.KeyID) over ApprovalGroupSigningBytes.
type ApprovalGroupProof struct {
	TerminalID string   `json:"terminal_id"`
	Nonce      string   `json:"nonce"`
	Size       int      `json:"size"`
	Index      int      `json:"index"`
	Path       [][]byte `json:"path"`
	Signature  []byte   `json:"signature"`
}

// ApprovalLeaf is the Merkle leaf of one approval in a group: SHA-256 of 0x00, the leaf context and
// the terminal id, the request's nonce and the approval's JSON bytes as they travel, each with a
// uvarint length before it.
func ApprovalLeaf(terminalID, nonce string, approval []byte) [32]byte {
	b := make([]byte, 0, 1+len(approvalLeafContext)+len(terminalID)+len(nonce)+len(approval)+12)
	b = append(append(b, 0), approvalLeafContext...)
	for _, f := range [][]byte{[]byte(terminalID), []byte(nonce), approval} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return sha256.Sum256(b)
}

// ApprovalGroupSigningBytes is what the server signs for a group: the context, the number of leaves
// and the Merkle head.
func ApprovalGroupSigningBytes(size int, root [32]byte) []byte {
	b := binary.BigEndian.AppendUint32([]byte(ApprovalGroupContext), uint32(size))
	return append(b, root[:]...)
}

// MerklePaths returns the Merkle head of leaves (RFC 9162 MTH; leaves must not be empty) and every
// leaf's audit path (PATH), with n−1 inner hashes in all.
func MerklePaths(leaves [][32]byte) (root [32]byte, paths [][][]byte) {
	paths = make([][][]byte, len(leaves))
	return merklePaths(leaves, paths), paths
}

func merklePaths(leaves [][32]byte, paths [][][]byte) [32]byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(len(leaves))
	l, r := merklePaths(leaves[:k], paths[:k]), merklePaths(leaves[k:], paths[k:])
	// PATH(m) lists the siblings from the leaf up, so each level's sibling goes after the deeper ones.
	for i := range paths[:k] {
		paths[i] = append(paths[i], r[:])
	}
	for i := range paths[k:] {
		paths[k+i] = append(paths[k+i], l[:])
	}
	return batchNode(l, r)
}

// SignApprovalGroup signs the leaves of a group once with key and returns each leaf's proof fields
// (Size, Index, Path, Signature; the caller fills TerminalID and Nonce, which its leaf covers).
func SignApprovalGroup(leaves [][32]byte, key ed25519.PrivateKey) []ApprovalGroupProof {
	root, paths := MerklePaths(leaves)
	sig := ed25519.Sign(key, ApprovalGroupSigningBytes(len(leaves), root))
	proofs := make([]ApprovalGroupProof, len(leaves))
	for i := range leaves {
		proofs[i] = ApprovalGroupProof{Size: len(leaves), Index: i, Path: paths[i], Signature: sig}
	}
	return proofs
}

// verifyGroup checks sa's group proof: its leaf, path and the group signature by key.
func verifyGroup(sa SignedApproval, key ed25519.PublicKey) error {
	g := sa.Group
	if g.Size < 1 || g.Size > MaxApprovalGroup {
		return fmt.Errorf("%w: group of %d", ErrApprovalSignature, g.Size)
	}
	root, ok := rootFromPath(ApprovalLeaf(g.TerminalID, g.Nonce, sa.Approval), g.Index, g.Size, g.Path)
	if !ok {
		return fmt.Errorf("%w: audit path does not fit index %d of %d", ErrApprovalSignature, g.Index, g.Size)
	}
	if !ed25519.Verify(key, ApprovalGroupSigningBytes(g.Size, root), g.Signature) {
		return ErrApprovalSignature
	}
	return nil
}

// CheckBinding checks that a group-signed approval answers the request this terminal sent with
// nonce (ErrApprovalBinding otherwise: a replayed or misdelivered answer). An approval signed on its
// own names no request and passes; its signature and its terminal_txn_id are checked as before.
func (sa SignedApproval) CheckBinding(terminalID, nonce string) error {
	g := sa.Group
	switch {
	case g == nil:
		return nil
	case g.TerminalID != terminalID:
		return fmt.Errorf("%w: signed for terminal %q, this is %q", ErrApprovalBinding, g.TerminalID, terminalID)
	case g.Nonce != nonce:
		return fmt.Errorf("%w: signed for nonce %q, request sent with %q", ErrApprovalBinding, g.Nonce, nonce)
	}
	return nil
}
