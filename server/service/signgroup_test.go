package service

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// TestApprovalGroupSignsWaitingApprovalsOnce: approvals that wait while a group is being signed are
// signed together, once, by the first of them; each gets its own proof, which verifies alone and
// answers only its own request. A lone approval afterwards is signed at once.
func TestApprovalGroupSignsWaitingApprovalsOnce(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	keys := []protocol.ServerKey{{KeyID: "k1", PublicKey: pub}}
	key := func() (string, ed25519.PrivateKey) { return "k1", priv }
	var g approvalGroups
	sign := func(i int) protocol.SignedApproval {
		term, nonce := fmt.Sprintf("T%d", i%2), fmt.Sprintf("%032d", i)
		raw, _ := json.Marshal(protocol.Approval{ApprovalID: fmt.Sprintf("ap_%d", i), TerminalID: term})
		proof, keyID := g.sign(protocol.ApprovalLeaf(term, nonce, raw), key)
		proof.TerminalID, proof.Nonce = term, nonce
		return protocol.SignedApproval{Approval: raw, KeyID: keyID, Group: &proof}
	}

	// A group is being signed (busy): eight approvals arrive and wait.
	const n = 8
	g.busy = true
	got := make([]protocol.SignedApproval, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i] = sign(i) })
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		g.mu.Lock()
		waiting := len(g.waiting)
		g.mu.Unlock()
		if waiting == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d approvals waiting", waiting, n)
		}
		time.Sleep(time.Millisecond)
	}
	// The group in progress ends and hands the lead to the first waiting approval.
	g.mu.Lock()
	next := g.waiting[0]
	g.mu.Unlock()
	next.done <- true
	wg.Wait()

	if groups, leaves := g.groups.Load(), g.leaves.Load(); groups != 1 || leaves != n {
		t.Fatalf("%d signatures for %d approvals, want 1 for %d", groups, leaves, n)
	}
	seen := map[int]bool{}
	for i, sa := range got {
		if _, err := protocol.VerifyApproval(sa, keys); err != nil {
			t.Fatalf("approval %d: %v", i, err)
		}
		if err := sa.CheckBinding(sa.Group.TerminalID, sa.Group.Nonce); err != nil {
			t.Fatalf("approval %d: %v", i, err)
		}
		if sa.Group.Size != n || seen[sa.Group.Index] {
			t.Fatalf("approval %d: index %d of %d (seen: %v)", i, sa.Group.Index, sa.Group.Size, seen)
		}
		seen[sa.Group.Index] = true
	}
	if err := got[2].CheckBinding(got[2].Group.TerminalID, got[4].Group.Nonce); err == nil {
		t.Fatal("an approval of the group passed for another request of the same terminal")
	}

	lone := sign(99)
	if _, err := protocol.VerifyApproval(lone, keys); err != nil || lone.Group.Size != 1 {
		t.Fatalf("lone approval: size %d, %v", lone.Group.Size, err)
	}
	g.mu.Lock()
	busy := g.busy
	g.mu.Unlock()
	if groups := g.groups.Load(); groups != 2 || busy {
		t.Fatalf("after a lone approval: %d signatures, busy %v; want 2 and idle", groups, busy)
	}
}
