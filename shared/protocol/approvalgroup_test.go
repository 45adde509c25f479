package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// groupAnswers signs n approvals of terminals T0, T1, … (each with its own nonce) as one group, as
// the server does for single requests that finish together.
func groupAnswers(t testing.TB, n int, key ed25519.PrivateKey) []SignedApproval {
	t.Helper()
	leaves := make([][32]byte, n)
	sas := make([]SignedApproval, n)
	for i := range n {
		raw, err := json.Marshal(Approval{ApprovalID: fmt.Sprintf("ap_%d", i), TerminalID: fmt.Sprintf("T%d", i%3), TerminalTxnID: fmt.Sprintf("txn-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		sas[i] = SignedApproval{Approval: raw, KeyID: "k1", Group: &ApprovalGroupProof{TerminalID: fmt.Sprintf("T%d", i%3), Nonce: fmt.Sprintf("%032x", i)}}
		leaves[i] = ApprovalLeaf(sas[i].Group.TerminalID, sas[i].Group.Nonce, raw)
	}
	for i, p := range SignApprovalGroup(leaves, key) {
		p.TerminalID, p.Nonce = sas[i].Group.TerminalID, sas[i].Group.Nonce
		sas[i].Group = &p
	}
	return sas
}

// TestMerklePathsMatchTheBatchTree: the all-paths builder gives the same head and audit paths as the
// batch answer's tree (RFC 9162), for every size up to 33.
func TestMerklePathsMatchTheBatchTree(t *testing.T) {
	for n := 1; n <= 33; n++ {
		leaves := make([][32]byte, n)
		for i := range leaves {
			leaves[i][0], leaves[i][1] = byte(i), byte(n)
		}
		root, paths := MerklePaths(leaves)
		if root != BatchRoot(leaves) {
			t.Fatalf("n=%d: head differs from BatchRoot", n)
		}
		for i := range leaves {
			want := batchPath(i, leaves)
			if len(paths[i]) != len(want) {
				t.Fatalf("n=%d leaf %d: path of %d hashes, want %d", n, i, len(paths[i]), len(want))
			}
			for j := range want {
				if !bytes.Equal(paths[i][j], want[j]) {
					t.Fatalf("n=%d leaf %d: path hash %d differs", n, i, j)
				}
			}
			if r, ok := rootFromPath(leaves[i], i, n, paths[i]); !ok || r != root {
				t.Fatalf("n=%d leaf %d: path does not lead to the head", n, i)
			}
		}
	}
}

// TestApprovalGroup: every approval of groups of 1 to 17 verifies on its own and answers only its
// own request: a tampered proof or approval, another request's answer (another nonce: a replay) and
// another terminal's proof are refused.
func TestApprovalGroup(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	keys := []ServerKey{{KeyID: "k1", PublicKey: pub}}
	for n := 1; n <= 17; n++ {
		for i, sa := range groupAnswers(t, n, key) {
			a, err := VerifyApproval(sa, keys)
			if err != nil || a.ApprovalID != fmt.Sprintf("ap_%d", i) {
				t.Fatalf("n=%d approval %d: %+v, %v", n, i, a, err)
			}
			if err := sa.CheckBinding(sa.Group.TerminalID, sa.Group.Nonce); err != nil {
				t.Fatalf("n=%d approval %d: CheckBinding: %v", n, i, err)
			}
		}
	}
	group := groupAnswers(t, 7, key)
	good := group[4] // terminal T1
	with := func(f func(sa *SignedApproval, g *ApprovalGroupProof)) SignedApproval {
		sa, g := good, *good.Group
		g.Path = append([][]byte(nil), g.Path...)
		f(&sa, &g)
		sa.Group = &g
		return sa
	}
	other := group[1] // terminal T1 too, another request's nonce
	tests := []struct {
		name string
		sa   SignedApproval
		want error
	}{
		{"approval bytes changed", with(func(sa *SignedApproval, _ *ApprovalGroupProof) {
			sa.Approval = bytes.Replace(sa.Approval, []byte("ap_4"), []byte("ap_X"), 1)
		}), ErrApprovalSignature},
		{"another approval of the group under this proof", with(func(sa *SignedApproval, _ *ApprovalGroupProof) { sa.Approval = group[1].Approval }), ErrApprovalSignature},
		{"nonce rewritten to this request's", func() SignedApproval {
			sa, g := other, *other.Group
			g.Nonce = good.Group.Nonce
			sa.Group = &g
			return sa
		}(), ErrApprovalSignature},
		{"terminal rewritten", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.TerminalID = "T0" }), ErrApprovalSignature},
		{"index changed", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Index = 5 }), ErrApprovalSignature},
		{"index out of the group", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Index = 7 }), ErrApprovalSignature},
		{"negative index", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Index = -1 }), ErrApprovalSignature},
		{"size changed", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Size = 8 }), ErrApprovalSignature},
		{"size zero", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Size = 0 }), ErrApprovalSignature},
		{"size beyond the bound", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Size = MaxApprovalGroup + 1 }), ErrApprovalSignature},
		{"path shortened", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Path = g.Path[:len(g.Path)-1] }), ErrApprovalSignature},
		{"path hash changed", with(func(_ *SignedApproval, g *ApprovalGroupProof) {
			h := bytes.Clone(g.Path[0])
			h[0] ^= 1
			g.Path[0] = h
		}), ErrApprovalSignature},
		{"path hash truncated", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Path[0] = g.Path[0][:31] }), ErrApprovalSignature},
		{"signature changed", with(func(_ *SignedApproval, g *ApprovalGroupProof) {
			g.Signature = bytes.Clone(g.Signature)
			g.Signature[5] ^= 1
		}), ErrApprovalSignature},
		{"no signature", with(func(_ *SignedApproval, g *ApprovalGroupProof) { g.Signature = nil }), ErrApprovalSignature},
		{"unknown key", with(func(sa *SignedApproval, _ *ApprovalGroupProof) { sa.KeyID = "k9" }), ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := VerifyApproval(tt.sa, keys); !errors.Is(err, tt.want) {
				t.Fatalf("VerifyApproval = %v, want %v", err, tt.want)
			}
		})
	}
	// A genuine answer of the group, but to another request: it verifies, and CheckBinding refuses it.
	if _, err := VerifyApproval(other, keys); err != nil {
		t.Fatal(err)
	}
	if err := other.CheckBinding(good.Group.TerminalID, good.Group.Nonce); !errors.Is(err, ErrApprovalBinding) {
		t.Fatalf("replayed answer (another nonce): CheckBinding = %v, want ErrApprovalBinding", err)
	}
	if err := group[3].CheckBinding(good.Group.TerminalID, group[3].Group.Nonce); !errors.Is(err, ErrApprovalBinding) {
		t.Fatalf("another terminal's answer: CheckBinding = %v, want ErrApprovalBinding", err)
	}
}

// TestApprovalGroupTerminalMustMatchTheApproval: a group proof bound to terminal A over an approval
// that names terminal B is refused, even though the server's signature over it is genuine.
func TestApprovalGroupTerminalMustMatchTheApproval(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	raw, _ := json.Marshal(Approval{ApprovalID: "ap_1", TerminalID: "B"})
	proofs := SignApprovalGroup([][32]byte{ApprovalLeaf("A", "n1", raw)}, key)
	proofs[0].TerminalID, proofs[0].Nonce = "A", "n1"
	sa := SignedApproval{Approval: raw, KeyID: "k1", Group: &proofs[0]}
	if _, err := VerifyApproval(sa, []ServerKey{{KeyID: "k1", PublicKey: pub}}); !errors.Is(err, ErrApprovalSignature) {
		t.Fatalf("VerifyApproval = %v, want ErrApprovalSignature", err)
	}
}

// TestApprovalSignedAloneStillVerifies: the answer of terminals that do not announce group proofs.
func TestApprovalSignedAloneStillVerifies(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	sa, err := SignApproval(Approval{ApprovalID: "ap_1", TerminalID: "A"}, "k1", key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyApproval(sa, []ServerKey{{KeyID: "k1", PublicKey: pub}}); err != nil {
		t.Fatal(err)
	}
	if err := sa.CheckBinding("A", "any"); err != nil {
		t.Fatalf("CheckBinding of an approval signed alone: %v", err)
	}
}

// FuzzVerifyApprovalGroup: a group answer as it arrives (JSON from the network) never panics the
// terminal's check, and nothing but the genuine answer verifies. Seeds: the genuine answer and the
// table's tampered ones.
func FuzzVerifyApprovalGroup(f *testing.F) {
	pub, key, _ := ed25519.GenerateKey(nil)
	keys := []ServerKey{{KeyID: "k1", PublicKey: pub}}
	group := groupAnswers(f, 5, key)
	for _, sa := range group {
		b, _ := json.Marshal(sa)
		f.Add(b)
		g := *sa.Group
		g.Index, g.Size = g.Size, 1
		sa.Group = &g
		b, _ = json.Marshal(sa)
		f.Add(b)
	}
	f.Add([]byte(`{"approval":{},"key_id":"k1","signature":null,"group":{"size":65537,"index":3,"path":[""]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sa SignedApproval
		if json.Unmarshal(data, &sa) != nil || sa.Group == nil {
			return
		}
		_, err := VerifyApproval(sa, keys)
		if err != nil {
			return
		}
		// Accepted: it must be one of the genuine answers (its approval bytes, terminal and nonce).
		for _, g := range group {
			if bytes.Equal(g.Approval, sa.Approval) && g.Group.Nonce == sa.Group.Nonce && g.Group.TerminalID == sa.Group.TerminalID {
				return
			}
		}
		t.Fatalf("accepted a group answer that the server never made: %s", data)
	})
}
