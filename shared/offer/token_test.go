package offer

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
)

var (
	testSeed = [32]byte{7, 7, 7}
	testKey  = ed25519.NewKeyFromSeed(testSeed[:])
	t0       = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
)

var keys = map[string]ed25519.PublicKey{"k-test": testKey.Public().(ed25519.PublicKey)}

func sample(t testing.TB, r Rule) Token {
	t.Helper()
	tok, err := Sign(Token{
		ID: [IDLen]byte{1, 2, 3, 4, 5, 6, 7, 8}, UserHash: Bind("alice"), MerchHash: Bind("m-cafe"),
		Currency: "EUR", Rule: r, ValidFrom: t0, ValidUntil: t0.Add(14 * 24 * time.Hour),
	}, "k-test", testKey)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var tenPercent = Rule{Kind: KindPercent, Value: 1000, MinSpend: 500, MaxDiscount: 300}

func TestRoundTripAndSize(t *testing.T) {
	t.Parallel()
	tok := sample(t, tenPercent)
	b := tok.Marshal()
	// The whole point of the compact form: it fits payload v2's offer field.
	if MaxLen > payload.MaxOfferLen {
		t.Fatalf("MaxLen %d > payload.MaxOfferLen %d", MaxLen, payload.MaxOfferLen)
	}
	if len(b) > MaxLen || MaxLen != 112 || MinLen != 102 || len(b) != 106 {
		t.Fatalf("token of %d bytes, MinLen %d, MaxLen %d (docs: 102..112, this one 106)", len(b), MinLen, MaxLen)
	}
	big := sample(t, Rule{Kind: KindFixed, Value: MaxMinor, MinSpend: MaxMinor, MaxDiscount: MaxMinor})
	big.ValidUntil = big.ValidFrom.Add(MaxValidity)
	if big, err := Sign(big, "k-test", testKey); err != nil || len(big.Marshal()) != MaxLen {
		t.Fatalf("largest token: %d bytes, %v", len(big.Marshal()), err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Marshal()) != string(b) || got.IDString() != "0102030405060708" {
		t.Fatalf("round trip changed the token: %+v", got)
	}
	if err := got.Verify(keys, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	tok := sample(t, tenPercent)
	tampered := tok.Marshal()
	tampered[len(tampered)-66] ^= 1 // a byte of ValidFrom
	tt, err := Parse(tampered)
	if err != nil {
		t.Fatal(err)
	}
	other := tok
	other.KeyTag = KeyTag("k-other")
	for _, c := range []struct {
		name string
		tok  Token
		now  time.Time
		want error
	}{
		{"ok", tok, t0, nil},
		{"before", tok, t0.Add(-time.Second), ErrNotYetValid},
		{"expired", tok, t0.Add(14 * 24 * time.Hour), ErrExpired},
		{"tampered", tt, t0.Add(time.Hour), ErrSignature},
		{"unknown key", other, t0, ErrUnknownKey},
	} {
		if err := c.tok.Verify(keys, c.now); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestDiscount(t *testing.T) {
	t.Parallel()
	eur := func(m int64) money.Amount { return money.Amount{Minor: m, Currency: "EUR"} }
	for _, c := range []struct {
		name     string
		rule     Rule
		user     string
		merchant string
		amount   money.Amount
		want     int64
		err      error
	}{
		{"ten percent", tenPercent, "alice", "m-cafe", eur(2000), 200, nil},
		{"capped", tenPercent, "alice", "m-cafe", eur(5000), 300, nil},
		{"below minimum", tenPercent, "alice", "m-cafe", eur(499), 0, ErrBelowMinimum},
		{"other user", tenPercent, "bob", "m-cafe", eur(2000), 0, ErrOtherUser},
		{"other merchant", tenPercent, "alice", "m-shoes", eur(2000), 0, ErrOtherMerchant},
		{"other currency", tenPercent, "alice", "m-cafe", money.Amount{Minor: 2000, Currency: "USD"}, 0, ErrCurrency},
		{"fixed larger than sale", Rule{Kind: KindFixed, Value: 5000}, "alice", "m-cafe", eur(1200), 1199, nil},
		{"fixed", Rule{Kind: KindFixed, Value: 250, MinSpend: 1000}, "alice", "m-cafe", eur(1000), 250, nil},
		{"huge percent no overflow", Rule{Kind: KindPercent, Value: 5000}, "alice", "m-cafe", eur(1 << 62), 1 << 61, nil},
	} {
		d, err := sample(t, c.rule).Discount(c.user, c.merchant, c.amount)
		if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) || d != c.want {
			t.Errorf("%s: %d, %v; want %d, %v", c.name, d, err, c.want, c.err)
		}
	}
}

func TestSignRejects(t *testing.T) {
	t.Parallel()
	base := Token{Currency: "EUR", Rule: tenPercent, ValidFrom: t0, ValidUntil: t0.Add(time.Hour)}
	for name, mut := range map[string]func(*Token){
		"zero percent":    func(x *Token) { x.Rule.Value = 0 },
		"over 100%":       func(x *Token) { x.Rule.Value = MaxPercentBP + 1 },
		"bad kind":        func(x *Token) { x.Rule.Kind = 9 },
		"negative min":    func(x *Token) { x.Rule.MinSpend = -1 },
		"absurd fixed":    func(x *Token) { x.Rule = Rule{Kind: KindFixed, Value: MaxMinor + 1} },
		"bad currency":    func(x *Token) { x.Currency = "XXX" },
		"empty validity":  func(x *Token) { x.ValidUntil = x.ValidFrom },
		"too long":        func(x *Token) { x.ValidUntil = x.ValidFrom.Add(MaxValidity + time.Hour) },
		"not whole hours": func(x *Token) { x.ValidUntil = x.ValidFrom.Add(90 * time.Minute) },
	} {
		tok := base
		mut(&tok)
		if _, err := Sign(tok, "k-test", testKey); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// parseCases is the table TestParse checks and FuzzParse starts from.
func parseCases(t testing.TB) []struct {
	name string
	b    []byte
	want error
} {
	good := sample(t, tenPercent).Marshal()
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	return []struct {
		name string
		b    []byte
		want error
	}{
		{"good", good, nil},
		{"empty", nil, ErrMalformed},
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"trailing", append(append([]byte(nil), good...), 0), ErrMalformed},
		{"version", mut(func(b []byte) []byte { b[0] = 0x21; return b }), ErrVersion},
		{"kind", mut(func(b []byte) []byte { b[0] = 0x13; return b }), ErrInvalid},
		{"zero hours", mut(func(b []byte) []byte { // 336 hours (d0 02) become 0 (00)
			n := len(b)
			return append(append(b[:n-66:n-66], 0), b[n-64:]...)
		}), ErrInvalid},
		{"non-minimal varint", mut(func(b []byte) []byte {
			i := 1 + IDLen + KeyTagLen + 2*BindLen + 3 // value's first byte: 1000 = e8 07
			return append(b[:i:i], append([]byte{0xe8, 0x87, 0x00}, b[i+2:]...)...)
		}), ErrMalformed},
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, c := range parseCases(t) {
		_, err := Parse(c.b)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range parseCases(f) {
		f.Add(c.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if string(tok.Marshal()) != string(b) {
			t.Fatalf("accepted a non-canonical encoding")
		}
		_, _ = tok.Discount("alice", "m-cafe", money.Amount{Minor: 1000, Currency: tok.Currency})
	})
}
