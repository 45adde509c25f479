package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func batchAnswer(t testing.TB, n int, nonce string, key ed25519.PrivateKey) BatchResponse {
	t.Helper()
	resp := BatchResponse{BatchID: "T-1..T-9"}
	for i := range n {
		r := TransactionResponse{TerminalTxnID: fmt.Sprintf("T-%d", i), Status: StatusApproved,
			Approval: &SignedApproval{Approval: []byte(fmt.Sprintf(`{"approval_id":"ap_%d"}`, i)), KeyID: "k1"}}
		if i%3 == 2 {
			r = TransactionResponse{TerminalTxnID: fmt.Sprintf("T-%d", i), Status: StatusDeclined, Code: CodeCodeUsed}
		}
		resp.Results = append(resp.Results, r)
	}
	if err := SignBatch(&resp, nonce, "k1", key); err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestBatchAnswer: a signed batch answer verifies once for its request; a replayed answer (another
// request's nonce) and a tampered one (any result's id, status, code or approval changed, a result
// dropped or swapped, the signature gone) are refused.
func TestBatchAnswer(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	keys := []ServerKey{{KeyID: "k1", PublicKey: pub}}
	const nonce = "0123456789abcdef0123456789abcdef"
	good := batchAnswer(t, 7, nonce, key)
	if err := VerifyBatch(good, nonce, keys); err != nil {
		t.Fatalf("VerifyBatch: %v", err)
	}
	older := batchAnswer(t, 7, "ffffffffffffffffffffffffffffffff", key)
	tamper := func(f func(r *BatchResponse)) BatchResponse {
		r := good
		r.Results = append([]TransactionResponse(nil), good.Results...)
		f(&r)
		return r
	}
	tests := []struct {
		name string
		resp BatchResponse
		want error
	}{
		{"replayed answer of another request", older, ErrBatchNonce},
		{"another request's answer with this nonce written in", func() BatchResponse { r := older; r.Nonce = nonce; return r }(), ErrBatchSignature},
		{"declined turned approved", tamper(func(r *BatchResponse) { r.Results[2].Status, r.Results[2].Code = StatusApproved, "" }), ErrBatchSignature},
		{"approved turned declined", tamper(func(r *BatchResponse) { r.Results[0].Status, r.Results[0].Code = StatusDeclined, CodeCodeInvalid }), ErrBatchSignature},
		{"approval bytes changed", tamper(func(r *BatchResponse) {
			a := *r.Results[1].Approval
			a.Approval = bytes.Replace(a.Approval, []byte("ap_1"), []byte("ap_X"), 1)
			r.Results[1].Approval = &a
		}), ErrBatchSignature},
		{"result id changed", tamper(func(r *BatchResponse) { r.Results[3].TerminalTxnID = "T-99" }), ErrBatchSignature},
		{"results swapped", tamper(func(r *BatchResponse) { r.Results[0], r.Results[1] = r.Results[1], r.Results[0] }), ErrBatchSignature},
		{"result dropped", tamper(func(r *BatchResponse) { r.Results = r.Results[:6] }), ErrBatchSignature},
		{"batch id changed", tamper(func(r *BatchResponse) { r.BatchID = "other" }), ErrBatchSignature},
		{"unsigned", tamper(func(r *BatchResponse) { r.Signature = nil }), ErrBatchSignature},
		{"unknown key", tamper(func(r *BatchResponse) { s := *r.Signature; s.KeyID = "k9"; r.Signature = &s }), ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyBatch(tt.resp, nonce, keys); !errors.Is(err, tt.want) {
				t.Fatalf("VerifyBatch = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestBatchProof: every result of answers of 1 to 33 results is proven alone by its audit path, and
// the proof refuses another result, another index and a shortened path.
func TestBatchProof(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	keys := []ServerKey{{KeyID: "k1", PublicKey: pub}}
	for n := 1; n <= 33; n++ {
		resp := batchAnswer(t, n, "n", key)
		all := ProofsFor(resp)
		for i := range n {
			p := ProofFor(resp, i)
			if !reflect.DeepEqual(all[i], p) {
				t.Fatalf("size %d index %d: ProofsFor %+v, ProofFor %+v", n, i, all[i], p)
			}
			if err := p.Verify(resp.Results[i], keys); err != nil {
				t.Fatalf("size %d index %d: %v", n, i, err)
			}
			if n == 1 {
				continue
			}
			other := resp.Results[(i+1)%n]
			if err := p.Verify(other, keys); !errors.Is(err, ErrBatchSignature) {
				t.Fatalf("size %d index %d: another result passed: %v", n, i, err)
			}
			moved := p
			moved.Index = (i + 1) % n
			if err := moved.Verify(resp.Results[i], keys); !errors.Is(err, ErrBatchSignature) {
				t.Fatalf("size %d index %d: another index passed: %v", n, i, err)
			}
			short := p
			short.Path = p.Path[:len(p.Path)-1]
			if err := short.Verify(resp.Results[i], keys); !errors.Is(err, ErrBatchSignature) {
				t.Fatalf("size %d index %d: a shortened path passed: %v", n, i, err)
			}
		}
	}
}

// fuzzKey is fixed so the fuzz corpus stays meaningful between runs.
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

const fuzzNonce = "0123456789abcdef0123456789abcdef"

// FuzzVerifyBatch feeds batch answers, as JSON from the network, to VerifyBatch and a proof of each
// result to BatchProof.Verify. Nothing panics, and whatever verifies has exactly the genuine
// answer's results (the fuzzer holds no key). Seeds: the answers of TestBatchAnswer's table.
func FuzzVerifyBatch(f *testing.F) {
	good := batchAnswer(f, 7, fuzzNonce, fuzzKey)
	seeds := []BatchResponse{good, batchAnswer(f, 1, fuzzNonce, fuzzKey), batchAnswer(f, 7, "ffffffffffffffffffffffffffffffff", fuzzKey)}
	tampered := good
	tampered.Results = append([]TransactionResponse(nil), good.Results...)
	tampered.Results[2].Status = StatusApproved
	seeds = append(seeds, tampered)
	for _, s := range seeds {
		b, _ := json.Marshal(s)
		f.Add(b)
	}
	keys := []ServerKey{{KeyID: "k1", PublicKey: fuzzKey.Public().(ed25519.PublicKey)}}
	genuine := map[[32]byte]bool{}
	for _, s := range seeds[:3] {
		genuine[BatchRoot(batchLeaves(s))] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp BatchResponse
		if json.Unmarshal(data, &resp) != nil {
			return
		}
		if err := VerifyBatch(resp, resp.Nonce, keys); err == nil && !genuine[BatchRoot(batchLeaves(resp))] {
			t.Fatalf("a batch answer the fuzzer made verified: %s", data)
		}
		for i := range resp.Results {
			p := ProofFor(resp, i)
			if err := p.Verify(resp.Results[i], keys); err == nil && !genuine[BatchRoot(batchLeaves(resp))] {
				t.Fatalf("a proof of result %d of a made-up answer verified: %s", i, data)
			}
		}
	})
}

// BenchmarkBatchProofs1000 is the forwarder's work per answered batch of 1,000: every result's
// proof (ProofsFor hashes the tree once; ProofFor per result hashed it once per result).
func BenchmarkBatchProofs1000(b *testing.B) {
	_, key, _ := ed25519.GenerateKey(nil)
	resp := batchAnswer(b, 1000, "n", key)
	b.Run("ProofsFor", func(b *testing.B) {
		for b.Loop() {
			ProofsFor(resp)
		}
	})
	b.Run("ProofFor each", func(b *testing.B) {
		for b.Loop() {
			for i := range resp.Results {
				ProofFor(resp, i)
			}
		}
	})
}

// batchPath is the audit path of leaf m by RFC 9162's recursive definition (PATH): the reference
// MerklePaths is tested against.
func batchPath(m int, leaves [][32]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		r := BatchRoot(leaves[k:])
		return append(batchPath(m, leaves[:k]), r[:])
	}
	l := BatchRoot(leaves[:k])
	return append(batchPath(m-k, leaves[k:]), l[:])
}

// TestBatchLeafAllocations: a leaf and an inner node are hashed without allocating (the server
// hashes one leaf per batched payment).
func TestBatchLeafAllocations(t *testing.T) {
	r := TransactionResponse{TerminalTxnID: "t-1", Status: StatusApproved,
		Approval: &SignedApproval{Approval: []byte(`{"approval_id":"a"}`)}}
	if n := testing.AllocsPerRun(100, func() { BatchLeaf(r) }); n != 0 {
		t.Fatalf("BatchLeaf allocates %.0f times", n)
	}
	l := BatchLeaf(r)
	if n := testing.AllocsPerRun(100, func() { batchNode(l, l) }); n != 0 {
		t.Fatalf("batchNode allocates %.0f times", n)
	}
}

// referenceLeaf is BatchLeaf as docs/protocol.md defines it, written the plain way: terminals of
// every version compute it, so the optimised BatchLeaf must not change a single bit.
func referenceLeaf(r TransactionResponse) [32]byte {
	var raw []byte
	if r.Approval != nil {
		raw = r.Approval.Approval
	}
	b := []byte{0}
	for _, f := range [][]byte{[]byte(r.TerminalTxnID), []byte(r.Status), []byte(r.Code), raw} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return sha256.Sum256(b)
}

func TestBatchLeafMatchesDefinition(t *testing.T) {
	long := strings.Repeat("x", 3000) // longer than BatchLeaf's stack buffer
	for _, r := range []TransactionResponse{
		{},
		{TerminalTxnID: "t-1", Status: StatusApproved, Approval: &SignedApproval{Approval: []byte(`{"approval_id":"a"}`)}},
		{TerminalTxnID: "t-2", Status: StatusDeclined, Code: CodeCodeInvalid},
		{TerminalTxnID: long, Status: StatusApproved, Approval: &SignedApproval{Approval: []byte(long)}},
		{TerminalTxnID: strings.Repeat("é", 200), Status: StatusApproved, Approval: &SignedApproval{}},
	} {
		if got, want := BatchLeaf(r), referenceLeaf(r); got != want {
			t.Fatalf("BatchLeaf(%.40q) = %x, want %x", r.TerminalTxnID, got, want)
		}
	}
	l, r := BatchLeaf(TransactionResponse{TerminalTxnID: "l"}), BatchLeaf(TransactionResponse{TerminalTxnID: "r"})
	if got, want := batchNode(l, r), sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...)); got != want {
		t.Fatalf("batchNode = %x, want %x", got, want)
	}
}
