package boltstore

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

var codecAt = time.Date(2026, 3, 2, 10, 0, 0, 123456000, time.UTC)

var codecTxns = []store.Txn{
	{},
	{Outcome: store.Outcome{Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: "T1-000000042"}, Kind: store.OpPayment,
		Status: store.StatusApproved, Offline: true, Amount: money.Amount{Minor: 1250, Currency: "EUR"}, MerchantID: "M1",
		UserID: "alice", AccountID: "A1", AuthorizationID: "Z1", CodeCounter: 1 << 40, Reference: "reg-7",
		ApprovalID: "ap_1", ApprovalCode: "4F7K2Q", KeyID: "k1", ApprovedAt: codecAt, SettledAt: codecAt.Add(time.Hour),
		EntryID: 99, Seq: 12}, RequestHash: []byte{1, 2, 3}, RefundedMinor: 250, VoidedBy: "v1", VoidedAt: codecAt},
	{Outcome: store.Outcome{Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: "x"}, Kind: store.OpVoid, Status: store.StatusDeclined,
		Code: protocol.CodeAlreadyVoided, Message: "voided — ünïcode", Amount: money.Amount{Minor: -5, Currency: "JPY"}}, Tombstone: true},
}

var codecEntries = []store.Entry{
	{},
	{ID: 7, Kind: store.EntryPayment, Currency: "EUR", Ref: "T1/42", At: codecAt,
		Legs: []store.Leg{{AccountID: "hold:Z1", Delta: -1000}, {AccountID: "A1", Delta: 1000}, {AccountID: "A1", Delta: -700}, {AccountID: "merchant:M1", Delta: 700}}},
}

var codecAuths = []store.Authorization{
	{},
	{ID: "Z1", UserID: "alice", AccountID: "A1", HoldAccountID: "hold:Z1", Currency: "EUR", CapPerPayment: 2000, MaxCodes: 20,
		HoldMinor: 40000, DevicePublicKey: make([]byte, 32), SealedSecret: []byte("sealed"), Credential: []byte("cred"),
		KeyID: "k1", CreatedAt: codecAt, ExpiresAt: codecAt.Add(24 * time.Hour), RevokedAt: codecAt.Add(time.Hour),
		UsedCodes: 3, ReplayedCodes: 1, ReleasedMinor: 6000, HoldClosedAt: codecAt.Add(48 * time.Hour)},
}

var codecUsed = [][]uint64{nil, {0}, {1, 2, 3, 1 << 40}, {7, 1<<64 - 1}}

func TestCodecRoundTrip(t *testing.T) {
	for i, want := range codecAuths {
		for _, used := range codecUsed {
			got, gotUsed, err := decodeAuthorization(encodeAuthorization(&want, used))
			if err != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotUsed, used) {
				t.Errorf("authorization %d with used %v: %+v %v, %v; want %+v", i, used, got, gotUsed, err, want)
			}
			// The read path's decoder skips the lists and gives the same record.
			if got, err := authOnly(encodeAuthorization(&want, used)); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("authOnly, authorization %d with used %v: %+v, %v; want %+v", i, used, got, err, want)
			}
		}
	}
	for i, want := range codecAuths {
		for _, txns := range codecUsed {
			x := authEntry{a: want, used: ascListOf([]uint64{3, 4}), txns: ascListOf(txns)}
			got, err := decodeAuthEntry(encodeAuthEntry(&x))
			if err != nil || !reflect.DeepEqual(got, x) {
				t.Errorf("authorization %d with txns %v: %+v, %v; want %+v", i, txns, got, err, x)
			}
			// The earlier format (fmtAuth, no txn list) still decodes, listing no txns inline.
			x.txns = ascList{}
			got, err = decodeAuthEntry(earlierAuthRecord(x))
			if err != nil || !reflect.DeepEqual(got, x) {
				t.Errorf("authorization %d in the earlier format: %+v, %v; want %+v", i, got, err, x)
			}
		}
	}
	for i, want := range codecTxns {
		got, err := decodeTxn(encodeTxn(&want))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("txn %d: %+v, %v; want %+v", i, got, err, want)
		}
	}
	for i, want := range codecEntries {
		got, err := decodeEntry(encodeEntry(&want))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("entry %d: %+v, %v; want %+v", i, got, err, want)
		}
	}
}

func TestCodecRejects(t *testing.T) {
	good := encodeTxn(&codecTxns[1])
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"JSON", []byte(`{"key":{}}`)},
		{"other format", encodeEntry(&codecEntries[1])},
		{"truncated", good[:len(good)-3]},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
		{"string longer than the record", []byte{fmtTxn, 0xff, 0x01}},
	} {
		if _, err := decodeTxn(tc.b); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: %v, want errCorrupt", tc.name, err)
		}
	}
	if _, err := decodeEntry([]byte{fmtEntry, 1, 0, 0, 0, 0, 0xff, 0xff, 0x03}); !errors.Is(err, errCorrupt) {
		t.Errorf("entry with too many legs: %v, want errCorrupt", err)
	}
	a := encodeAuthorization(&codecAuths[1], []uint64{5, 9})
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"used codes not ascending", append(append([]byte(nil), a[:len(a)-4]...), 2, 5, 0, 0)},
		{"more used codes than bytes", append(append([]byte(nil), a[:len(a)-4]...), 100, 1)},
		{"truncated", a[:len(a)-1]},
		{"txns not ascending", append(append([]byte(nil), a[:len(a)-1]...), 2, 5, 0)},
		{"more txns than bytes", append(append([]byte(nil), a[:len(a)-1]...), 100, 1)},
		{"earlier format with a txn list", append([]byte{fmtAuth}, a[1:]...)},
	} {
		if _, _, err := decodeAuthorization(tc.b); !errors.Is(err, errCorrupt) {
			t.Errorf("authorization, %s: %v, want errCorrupt", tc.name, err)
		}
		if _, err := authOnly(tc.b); !errors.Is(err, errCorrupt) {
			t.Errorf("authOnly, %s: %v, want errCorrupt", tc.name, err)
		}
	}
}

// fuzzDecode checks that decode never panics and that what it accepts re-encodes to the same value.
func fuzzDecode[T any](f *testing.F, seeds [][]byte, decode func([]byte) (T, error), encode func(*T) []byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decode(b)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v does not wrap errCorrupt", err)
			}
			return
		}
		again, err := decode(encode(&v))
		if err != nil || !reflect.DeepEqual(again, v) {
			t.Fatalf("re-encoded %+v decodes to %+v, %v", v, again, err)
		}
	})
}

func FuzzDecodeTxn(f *testing.F) {
	var seeds [][]byte
	for _, v := range codecTxns {
		seeds = append(seeds, encodeTxn(&v))
	}
	fuzzDecode(f, seeds, decodeTxn, encodeTxn)
}

func FuzzDecodeEntry(f *testing.F) {
	var seeds [][]byte
	for _, v := range codecEntries {
		seeds = append(seeds, encodeEntry(&v))
	}
	fuzzDecode(f, seeds, decodeEntry, encodeEntry)
}

// authRecordSeeds are encoded authorizations of both formats, from the codec table.
func authRecordSeeds() [][]byte {
	var seeds [][]byte
	for _, v := range codecAuths {
		for _, used := range codecUsed {
			x := authEntry{a: v, used: ascListOf(used), txns: ascListOf(used)}
			seeds = append(seeds, encodeAuthEntry(&x), earlierAuthRecord(x))
		}
	}
	return seeds
}

func FuzzDecodeAuthorization(f *testing.F) {
	fuzzDecode(f, authRecordSeeds(), decodeAuthEntry, encodeAuthEntry)
}

// FuzzAuthOnly holds the read path's decoder, which skips the lists, to the full decoder: it refuses
// what the full one refuses and gives the same record otherwise.
func FuzzAuthOnly(f *testing.F) {
	for _, s := range authRecordSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		full, fullErr := decodeAuthEntry(b)
		got, err := authOnly(b)
		if (err == nil) != (fullErr == nil) {
			t.Fatalf("authOnly: %v; the full decoder: %v", err, fullErr)
		}
		if err == nil && !reflect.DeepEqual(got, full.a) {
			t.Fatalf("authOnly: %+v; the full decoder: %+v", got, full.a)
		}
	})
}

// BenchmarkAuthOnly reads an authorization with 1,000 used codes and txns, as the bench's are near
// their end: the read path's decoder next to the full one it replaced there.
func BenchmarkAuthOnly(b *testing.B) {
	codes := make([]uint64, 1000)
	for i := range codes {
		codes[i] = uint64(i * 3)
	}
	x := authEntry{a: codecAuths[1], used: ascListOf(codes), txns: ascListOf(codes)}
	raw := encodeAuthEntry(&x)
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := decodeAuthorization(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("authOnly", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := authOnly(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
