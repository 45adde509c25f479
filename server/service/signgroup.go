package service

import (
	"crypto/ed25519"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/stillpay/stillpay/shared/protocol"
)

// approvalGroups signs the approvals of concurrent single requests together: one Ed25519 signature
// over a Merkle head per group instead of one per approval (protocol.SignApprovalGroup;
// docs/protocol.md, "Approval groups"). The requests of one store commit group finish at the same
// moment, so they meet here.
//
// There is no signer goroutine and no linger: the first request to arrive when no group is being
// signed leads, takes every leaf waiting (its own among them), signs and hands the answers out;
// requests that arrive meanwhile wait, and the first of them leads the next group. A lone request
// signs at once, as it did before groups.
type approvalGroups struct {
	mu      sync.Mutex
	waiting []*groupJob
	busy    bool // a leader is signing

	groups, leaves atomic.Uint64 // signatures made, approvals signed: GroupStats
}

// groupJob is one approval waiting for its group's signature.
type groupJob struct {
	leaf  [32]byte
	proof protocol.ApprovalGroupProof
	keyID string
	// done says "your proof is ready" (false) or "lead the next group" (true).
	done chan bool
}

// sign returns leaf's proof fields (Size, Index, Path, Signature) and the signing key's id, signed
// with key() in a group with every other leaf waiting.
func (g *approvalGroups) sign(leaf [32]byte, key signingKey) (protocol.ApprovalGroupProof, string) {
	j := &groupJob{leaf: leaf, done: make(chan bool, 1)}
	g.mu.Lock()
	g.waiting = append(g.waiting, j)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if !lead && !<-j.done {
		return j.proof, j.keyID
	}
	// Let the goroutines that are already runnable (the other requests of this commit group, woken
	// together) render and join before the group closes. This waits for no timer: a lone request
	// is back at once.
	runtime.Gosched()
	g.mu.Lock()
	group := g.waiting
	g.waiting = nil
	g.mu.Unlock()

	leaves := make([][32]byte, len(group))
	for i, w := range group {
		leaves[i] = w.leaf
	}
	keyID, priv := key()
	proofs := protocol.SignApprovalGroup(leaves, priv)
	g.groups.Add(1)
	g.leaves.Add(uint64(len(group)))
	for i, w := range group {
		w.proof, w.keyID = proofs[i], keyID
		if w != j {
			w.done <- false
		}
	}

	g.mu.Lock()
	if len(g.waiting) == 0 {
		g.busy = false
		g.mu.Unlock()
	} else {
		next := g.waiting[0]
		g.mu.Unlock()
		next.done <- true
	}
	return j.proof, j.keyID
}

// signingKey is the key a group is signed with: the server's current key (Signer.Current).
type signingKey func() (keyID string, key ed25519.PrivateKey)

// proveApprovals gives every approval in results a group proof bound to terminal t and the
// request's nonce, in place of its own signature (renderAs rendered it unsigned).
func (s *Service) proveApprovals(results []Result, terminalID, nonce string) {
	for i := range results {
		sa := results[i].Response.Approval
		if results[i].Problem != nil || sa == nil {
			continue
		}
		proof, keyID := s.groups.sign(protocol.ApprovalLeaf(terminalID, nonce, sa.Approval), s.keys.Current)
		proof.TerminalID, proof.Nonce = terminalID, nonce
		signed := *sa
		signed.KeyID, signed.Signature, signed.Group = keyID, nil, &proof
		results[i].Response.Approval = &signed
	}
}

// GroupStats is how well approval groups share signatures: groups signed and approvals in them.
func (s *Service) GroupStats() (groups, approvals uint64) {
	return s.groups.groups.Load(), s.groups.leaves.Load()
}
