package keys

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/protocol"
)

// refSessionKeyInput and refTerminalSessionKey are protocol.SessionKeyInput and TerminalSessionKey
// as they were with crypto/hmac: the keys of sessions already open, which the new code must keep.
func refSessionKeyInput(terminalID string, terminalKey []byte, sessionID string) []byte {
	b := make([]byte, 0, len(protocol.SessionKeyContext)+len(terminalID)+len(terminalKey)+len(sessionID)+12)
	b = append(b, protocol.SessionKeyContext...)
	for _, f := range [][]byte{[]byte(terminalID), terminalKey, []byte(sessionID)} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func refTerminalSessionKey(secret []byte, terminalID string, terminalKey []byte, sessionID string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(refSessionKeyInput(terminalID, terminalKey, sessionID))
	return m.Sum(nil)
}

// sessionKeyCase is one set of TerminalSessionKey's inputs.
type sessionKeyCase struct {
	name, terminalID, sessionID string
	terminalKey                 []byte
	golden                      string // hex of the key under goldenSecret, when pinned
}

// goldenSecret stands for a Sealer's session secret in the pinned cases.
var goldenSecret = bytes.Repeat([]byte{0x42}, 32)

func sessionKeyCases() []sessionKeyCase {
	pub := bytes.Repeat([]byte{0x11}, 32)
	session := "0000000068fae700" + "0123456789abcdef0123456789abcdef"
	return []sessionKeyCase{
		{name: "bench terminal", terminalID: "T1", terminalKey: pub, sessionID: session,
			golden: "d611416de3226a02b75f3ed1fe126ad849186f2a809f10ae25a9e5cda23a6f66"},
		{name: "longest ids", terminalID: strings.Repeat("t", protocol.MaxIDLen), terminalKey: pub, sessionID: strings.Repeat("s", 64)},
		{name: "empty", terminalID: "", terminalKey: nil, sessionID: ""},
		{name: "unicode id", terminalID: "t\u00e9rm-\u20ac-\U0001F600", terminalKey: pub, sessionID: session},
		// Lengths of 128 and more take two varint bytes, and the input overflows the stack buffer.
		{name: "two-byte lengths", terminalID: strings.Repeat("i", 128), terminalKey: bytes.Repeat([]byte{0xee}, 300), sessionID: strings.Repeat("s", 200)},
		{name: "input just over the buffer", terminalID: strings.Repeat("i", 127),
			terminalKey: pub, sessionID: strings.Repeat("s", sessionKeyInputBufSize-len(protocol.SessionKeyContext)-3-127-32+1)},
	}
}

// TestTerminalSessionKeyMatchesReference: TerminalSessionKey gives crypto/hmac's key for every case,
// under a fixed secret (the pinned case also equals its golden value) and under a real Sealer's.
func TestTerminalSessionKeyMatchesReference(t *testing.T) {
	t.Parallel()
	opened, err := OpenSealer(filepath.Join(t.TempDir(), "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range sessionKeyCases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []*Sealer{{session: goldenSecret}, opened} {
				got := s.TerminalSessionKey(tc.terminalID, tc.terminalKey, tc.sessionID)
				if want := refTerminalSessionKey(s.session, tc.terminalID, tc.terminalKey, tc.sessionID); !bytes.Equal(got, want) {
					t.Fatalf("TerminalSessionKey = %x, crypto/hmac = %x", got, want)
				}
			}
			got := (&Sealer{session: goldenSecret}).TerminalSessionKey(tc.terminalID, tc.terminalKey, tc.sessionID)
			if tc.golden != "" && hex.EncodeToString(got) != tc.golden {
				t.Fatalf("TerminalSessionKey = %x, golden %s", got, tc.golden)
			}
		})
	}
}

// TestTerminalSessionKeyAllocations: deriving a session key allocates only the key it returns (the
// SessionKeyer interface returns a slice; crypto/hmac allocated its state, two digests and both pads
// besides, and SessionKeyInput its input).
func TestTerminalSessionKeyAllocations(t *testing.T) {
	s := &Sealer{session: goldenSecret}
	tc := sessionKeyCases()[0]
	if n := testing.AllocsPerRun(100, func() { s.TerminalSessionKey(tc.terminalID, tc.terminalKey, tc.sessionID) }); n > 1 {
		t.Errorf("TerminalSessionKey: %v allocations, want 1 (the returned key)", n)
	}
}

// FuzzTerminalSessionKey: TerminalSessionKey equals the crypto/hmac reference for any secret and
// inputs; seeded from the table.
func FuzzTerminalSessionKey(f *testing.F) {
	for _, tc := range sessionKeyCases() {
		f.Add(goldenSecret, tc.terminalID, tc.terminalKey, tc.sessionID)
	}
	f.Fuzz(func(t *testing.T, secret []byte, terminalID string, terminalKey []byte, sessionID string) {
		got := (&Sealer{session: secret}).TerminalSessionKey(terminalID, terminalKey, sessionID)
		if want := refTerminalSessionKey(secret, terminalID, terminalKey, sessionID); !bytes.Equal(got, want) {
			t.Fatalf("TerminalSessionKey = %x, crypto/hmac = %x", got, want)
		}
	})
}

// BenchmarkTerminalSessionKey: a session key by the crypto/hmac reference and by TerminalSessionKey,
// in one run.
func BenchmarkTerminalSessionKey(b *testing.B) {
	s := &Sealer{session: goldenSecret}
	tc := sessionKeyCases()[0]
	b.Run("crypto-hmac", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			refTerminalSessionKey(s.session, tc.terminalID, tc.terminalKey, tc.sessionID)
		}
	})
	b.Run("otp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.TerminalSessionKey(tc.terminalID, tc.terminalKey, tc.sessionID)
		}
	})
}
