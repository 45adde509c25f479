package protocol

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// One signature per batch answer (docs/protocol.md, "Batch answers"): the server signs a Merkle
// tree head (RFC 9162 §2.1) over every result of a batch, bound to the request's nonce, instead of
// one Ed25519 signature per approved item. The terminal verifies the head once per batch and keeps,
// per sale, the result with its audit path (BatchProof), which proves that result on its own.

// BatchSigningContext separates batch-answer signatures from every other signature.
const BatchSigningContext = "stillpay-batch-answer-v1\x00"

// Errors from VerifyBatch and BatchProof.Verify. Test with errors.Is.
var (
	ErrBatchSignature = errors.New("protocol: batch answer signature does not verify")
	ErrBatchNonce     = errors.New("protocol: batch answer is for another request")
)

// BatchSignature is the server's signature over a batch answer.
type BatchSignature struct {
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"` // Ed25519 over BatchSigningBytes
}

// BatchLeaf is the Merkle leaf hash of one result: SHA-256 of 0x00 and the result's id, status,
// code and approval bytes, each with a uvarint length before it. It covers the approval's JSON as
// it travels, so the approval needs no signature of its own.
func BatchLeaf(r TransactionResponse) [32]byte {
	var raw []byte
	if r.Approval != nil {
		raw = r.Approval.Approval
	}
	// The leaf is built in a stack buffer (an approval's JSON is a few hundred bytes), so it costs no
	// allocation: the server hashes one per batched payment.
	var buf [1024]byte
	b := append(buf[:0], 0)
	b = appendLeafField(b, r.TerminalTxnID)
	b = appendLeafField(b, r.Status)
	b = appendLeafField(b, string(r.Code))
	b = binary.AppendUvarint(b, uint64(len(raw)))
	b = append(b, raw...)
	return sha256.Sum256(b)
}

// appendLeafField appends f's uvarint length and f.
func appendLeafField(b []byte, f string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(f))), f...)
}

// batchNode is an inner node: SHA-256 of 0x01, left and right.
func batchNode(l, r [32]byte) [32]byte {
	var b [65]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[33:], r[:])
	return sha256.Sum256(b[:])
}

// split is the largest power of two below n (n ≥ 2).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// BatchRoot is the Merkle tree head of leaves (RFC 9162 MTH); leaves must not be empty.
func BatchRoot(leaves [][32]byte) [32]byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(len(leaves))
	return batchNode(BatchRoot(leaves[:k]), BatchRoot(leaves[k:]))
}

// rootFromPath recomputes the head from a leaf, its index, the tree size and its audit path
// (RFC 9162 §2.1.3.2); ok is false when the path does not fit the index and size.
func rootFromPath(leaf [32]byte, index, size int, path [][]byte) (root [32]byte, ok bool) {
	if index < 0 || index >= size {
		return root, false
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range path {
		if sn == 0 || len(p) != 32 {
			return root, false
		}
		var h [32]byte
		copy(h[:], p)
		if fn&1 == 1 || fn == sn {
			r = batchNode(h, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = batchNode(r, h)
		}
		fn >>= 1
		sn >>= 1
	}
	return r, sn == 0
}

// BatchSigningBytes is what the server signs: the context, the batch id and the request's nonce
// (each with a uvarint length before it), the number of results and the tree head.
func BatchSigningBytes(batchID, nonce string, size int, root [32]byte) []byte {
	b := []byte(BatchSigningContext)
	for _, f := range []string{batchID, nonce} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	return append(b, root[:]...)
}

// batchLeaves hashes every result of resp.
func batchLeaves(resp BatchResponse) [][32]byte {
	leaves := make([][32]byte, len(resp.Results))
	for i, r := range resp.Results {
		leaves[i] = BatchLeaf(r)
	}
	return leaves
}

// SignBatch sets resp.Nonce to the request's nonce and signs the answer with key (known to clients
// as keyID): one Ed25519 signature for every result.
func SignBatch(resp *BatchResponse, nonce, keyID string, key ed25519.PrivateKey) error {
	if len(resp.Results) == 0 {
		return fmt.Errorf("protocol: an empty batch answer is not signed")
	}
	resp.Nonce = nonce
	root := BatchRoot(batchLeaves(*resp))
	resp.Signature = &BatchSignature{KeyID: keyID, Signature: ed25519.Sign(key, BatchSigningBytes(resp.BatchID, nonce, len(resp.Results), root))}
	return nil
}

// VerifyBatch checks a batch answer once: that it answers the request sent with nonce
// (ErrBatchNonce: a replayed answer), and its signature over every result with keys
// (ErrUnknownKey, ErrBatchSignature: a missing signature or any changed result).
func VerifyBatch(resp BatchResponse, nonce string, keys []ServerKey) error {
	if resp.Nonce != nonce {
		return fmt.Errorf("%w: nonce %q, sent %q", ErrBatchNonce, resp.Nonce, nonce)
	}
	if resp.Signature == nil || len(resp.Results) == 0 {
		return fmt.Errorf("%w: unsigned", ErrBatchSignature)
	}
	return verifyHead(resp.Signature, resp.BatchID, resp.Nonce, len(resp.Results), BatchRoot(batchLeaves(resp)), keys)
}

func verifyHead(sig *BatchSignature, batchID, nonce string, size int, root [32]byte, keys []ServerKey) error {
	for _, k := range keys {
		if k.KeyID != sig.KeyID {
			continue
		}
		if len(k.PublicKey) != ed25519.PublicKeySize ||
			!ed25519.Verify(ed25519.PublicKey(k.PublicKey), BatchSigningBytes(batchID, nonce, size, root), sig.Signature) {
			return ErrBatchSignature
		}
		return nil
	}
	return fmt.Errorf("%w: %q", ErrUnknownKey, sig.KeyID)
}

// BatchProof is what a terminal keeps per sale to prove the server's answer to it on its own: the
// batch's signed head and the result's audit path.
type BatchProof struct {
	BatchID   string         `json:"batch_id"`
	Nonce     string         `json:"nonce"`
	Size      int            `json:"size"`
	Index     int            `json:"index"`
	Path      [][]byte       `json:"path"`
	Signature BatchSignature `json:"signature"`
}

// ProofFor is result i's proof in a verified answer. It hashes the whole answer: for every
// result's proof use ProofsFor, which hashes it once.
func ProofFor(resp BatchResponse, i int) BatchProof { return ProofsFor(resp)[i] }

// ProofsFor is every result's proof in a verified answer, with the tree hashed once (n leaves and
// n−1 inner nodes); ProofFor per result would hash the whole answer for each of them.
func ProofsFor(resp BatchResponse) []BatchProof {
	if len(resp.Results) == 0 {
		return nil
	}
	_, paths := MerklePaths(batchLeaves(resp))
	proofs := make([]BatchProof, len(resp.Results))
	for i := range proofs {
		proofs[i] = BatchProof{BatchID: resp.BatchID, Nonce: resp.Nonce, Size: len(resp.Results), Index: i, Path: paths[i]}
		if resp.Signature != nil {
			proofs[i].Signature = *resp.Signature
		}
	}
	return proofs
}

// Verify checks that the server answered r in a batch it signed: one Ed25519 verification and
// about log2(size) hashes.
func (p BatchProof) Verify(r TransactionResponse, keys []ServerKey) error {
	root, ok := rootFromPath(BatchLeaf(r), p.Index, p.Size, p.Path)
	if !ok {
		return fmt.Errorf("%w: audit path does not fit index %d of %d", ErrBatchSignature, p.Index, p.Size)
	}
	return verifyHead(&p.Signature, p.BatchID, p.Nonce, p.Size, root, keys)
}
