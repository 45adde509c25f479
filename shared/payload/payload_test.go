package payload

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestBuildParse(t *testing.T) {
	t.Parallel()
	credBytes := testCredential(t, "alice", serverKey)
	code := otp.PaymentCode(secret, nowStep, 3)
	text := build(t, credBytes, 3, nowStep)
	if !strings.HasPrefix(text, "SP2:") {
		t.Fatalf("text %q does not start with SP2:", text)
	}
	p, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p.Version != Version || p.UserID != "alice" || p.AuthorizationID != testAuthID ||
		p.Counter != 3 || p.Step != nowStep || p.Code != code || !bytes.Equal(p.CredentialBytes, credBytes) ||
		p.Credential.CapPerPayment != 2000 || p.Credential.KeyID != testKeyID || p.Offer != nil || len(p.MAC) != MACSize {
		t.Fatalf("Parse = %+v", p)
	}
	if err := p.VerifyDevice(); err != nil {
		t.Fatalf("VerifyDevice: %v", err)
	}
	if err := p.VerifyMAC(secret); err != nil {
		t.Fatalf("VerifyMAC: %v", err)
	}
	if err := p.VerifyOffline(serverKeys, eur(1999), now); err != nil {
		t.Fatalf("VerifyOffline: %v", err)
	}
	if err := otp.VerifyPaymentCode(secret, p.Step, p.Counter, p.Code, now); err != nil {
		t.Fatalf("server-side code check: %v", err)
	}
	if p.UseKey() != testAuthID+"/3" {
		t.Fatalf("UseKey = %q", p.UseKey())
	}
}

// TestBuildParseFields round-trips credentials and codes at the edges of every compact field.
func TestBuildParseFields(t *testing.T) {
	t.Parallel()
	offer := bytes.Repeat([]byte{0xa5}, MaxOfferLen)
	tests := []struct {
		name             string
		keyID, user, aid string
		cap              int64
		maxCodes         uint32
		validity         time.Duration
		counter          uint32
		step             uint64
		offer            []byte
	}{
		{"typical", testKeyID, "alice", testAuthID, 2000, 10, 24 * time.Hour, 3, nowStep, nil},
		{"raw ids", "K1", "u", "a-1", 1, 1, time.Second, 0, otp.StepAt(issued), []byte{0}},
		{"upper-case hex stays raw", "k-ABCDEF", "bob", "au_0A", 1, 1, time.Hour, 0, nowStep, nil},
		{"odd hex stays raw", "k-abc", "bob", "au_abc", 1, 1, time.Hour, 0, nowStep, nil},
		{"largest numbers", testKeyID, "alice", testAuthID, (1<<63 - 1) / credential.MaxCodes, credential.MaxCodes,
			400 * 24 * time.Hour, credential.MaxCodes - 1, otp.StepAt(issued.Add(400*24*time.Hour)) + StepSlack, nil},
		{"earliest step", testKeyID, "alice", testAuthID, 2000, 10, time.Hour, 9, otp.StepAt(issued) - StepSlack, nil},
		{"offer", testKeyID, "alice", testAuthID, 2000, 10, time.Hour, 0, nowStep, offer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := credential.Sign(credential.Credential{
				UserID: tt.user, AuthorizationID: tt.aid, DevicePublicKey: deviceKey.Public().(ed25519.PublicKey),
				Currency: "EUR", CapPerPayment: tt.cap, MaxCodes: tt.maxCodes, IssuedAt: issued, ExpiresAt: issued.Add(tt.validity),
			}, tt.keyID, serverKey)
			if err != nil {
				t.Fatal(err)
			}
			text := buildSpec(t, Spec{Credential: c.Marshal(), Counter: tt.counter, Step: tt.step, Offer: tt.offer})
			p, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !bytes.Equal(p.CredentialBytes, c.Marshal()) || p.Counter != tt.counter || p.Step != tt.step ||
				!bytes.Equal(p.Offer, tt.offer) || p.VerifyDevice() != nil || p.VerifyMAC(secret) != nil {
				t.Fatalf("round trip: %+v", p)
			}
		})
	}
}

// TestGolden pins the text format documented in docs/protocol.md.
func TestGolden(t *testing.T) {
	t.Parallel()
	for name, text := range map[string]string{
		"payload.txt":    validText(t),
		"payload-v1.txt": validV1Text(t),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if text+"\n" != string(want) {
			t.Fatalf("%s changed:\n got %s\nwant %s", name, text, want)
		}
	}
}

// TestSize checks the figures docs/protocol.md quotes and that the text is scanner- and QR-safe.
// wallet/cli's TestQRVersion checks the QR versions go-qrcode picks for them.
func TestSize(t *testing.T) {
	t.Parallel()
	sizes := map[string]int{"alice": 345, "alice@example.com": 363, "user-twelve1": 355}
	for user, want := range sizes {
		text := build(t, testCredential(t, user, serverKey), 3, nowStep)
		if len(text) != want {
			t.Errorf("payload for %q is %d characters, docs/protocol.md says %d", user, len(text), want)
		}
		for i := 0; i < len(text); i++ {
			if !strings.ContainsRune(base45.Alphabet, rune(text[i])) {
				t.Fatalf("character %q at %d is not QR alphanumeric", text[i], i)
			}
		}
		if strings.ContainsAny(text, "\r\n\x00") || strings.TrimSpace(text) != text {
			t.Fatalf("payload %q has CR, LF, NUL or outer spaces", text)
		}
	}
	if MaxTextLen != qrAlphanumericCapacity12L || MaxTextLen > protocol.MaxPayloadChars {
		t.Fatalf("MaxTextLen = %d: must be QR 12-L's capacity (%d) and fit protocol.MaxPayloadChars (%d)",
			MaxTextLen, qrAlphanumericCapacity12L, protocol.MaxPayloadChars)
	}
}

// qrAlphanumericCapacity12L is the alphanumeric capacity of a version 12 QR code at error
// correction L (ISO/IEC 18004 table 7): the budget of the longest payload.
const qrAlphanumericCapacity12L = 535

// TestBudget builds the longest payloads: the longest ids with the largest offer that fits the
// budget (exactly MaxBinaryLen bytes), and a typical code with the largest offer.
func TestBudget(t *testing.T) {
	t.Parallel()
	long := longestCredential(t)
	room := MaxBinaryLen - len(binaryOf(t, build(t, long, credential.MaxCodes-1, nowStep)))
	if room < 1 || room > 127 {
		t.Fatalf("the longest ids leave %d bytes for an offer", room) // up to 127, its length stays one byte
	}
	text := buildSpec(t, Spec{Credential: long, Counter: credential.MaxCodes - 1, Step: nowStep, Offer: make([]byte, room)})
	if n := len(binaryOf(t, text)); n != MaxBinaryLen || len(text) != MaxTextLen {
		t.Fatalf("longest payload: %d bytes, %d characters; want %d, %d", n, len(text), MaxBinaryLen, MaxTextLen)
	}
	if _, err := Build(Spec{Credential: long, Secret: secret, Counter: credential.MaxCodes - 1, Step: nowStep, DeviceKey: deviceKey,
		Offer: make([]byte, room+1)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one offer byte over the budget: Build = %v, want ErrTooLarge", err)
	}
	if room != LongestIDsOfferRoom {
		t.Fatalf("the longest ids leave %d offer bytes; LongestIDsOfferRoom (docs) says %d", room, LongestIDsOfferRoom)
	}
	typical := buildSpec(t, Spec{Credential: testCredential(t, "alice@example.com", serverKey), Counter: 3, Step: nowStep,
		Offer: make([]byte, MaxOfferLen)})
	if n := len(binaryOf(t, typical)); n > MaxBinaryLen {
		t.Fatalf("alice@example.com with the largest offer: %d bytes", n)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	credBytes := testCredential(t, "alice", serverKey)
	early, err := credential.Sign(credential.Credential{UserID: "u", AuthorizationID: testAuthID,
		DevicePublicKey: deviceKey.Public().(ed25519.PublicKey), Currency: "EUR", CapPerPayment: 1, MaxCodes: 1,
		IssuedAt: Epoch.Add(-time.Second), ExpiresAt: Epoch.Add(time.Hour)}, testKeyID, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	expires := otp.StepAt(issued.Add(24 * time.Hour))
	tests := []struct {
		name string
		spec Spec
		want error
	}{
		{"bad credential", Spec{Credential: credBytes[:20]}, credential.ErrMalformed},
		{"another device key", Spec{Credential: credBytes, DeviceKey: otherKey}, ErrDeviceKey},
		{"short device key", Spec{Credential: credBytes, DeviceKey: deviceKey[:32]}, ErrDeviceKey},
		{"counter at MaxCodes", Spec{Credential: credBytes, Counter: 10}, ErrCounterExceeded},
		{"step too large", Spec{Credential: credBytes, Step: otp.MaxStep}, ErrMalformed},
		{"step long before issue", Spec{Credential: credBytes, Step: otp.StepAt(issued) - StepSlack - 1}, ErrMalformed},
		{"step long after expiry", Spec{Credential: credBytes, Step: expires + StepSlack + 1}, ErrMalformed},
		{"ten-digit code", Spec{Credential: credBytes, Code: otp.MaxCode}, ErrMalformed},
		{"short secret", Spec{Credential: credBytes, Secret: secret[:15]}, otp.ErrSecretSize},
		{"offer too long", Spec{Credential: credBytes, Offer: make([]byte, MaxOfferLen+1)}, ErrTooLarge},
		{"issued before the epoch", Spec{Credential: early.Marshal()}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.spec
			if s.Step == 0 {
				s.Step = nowStep
			}
			if s.Secret == nil {
				s.Secret = secret
			}
			if s.DeviceKey == nil {
				s.DeviceKey = deviceKey
			}
			if _, err := Build(s); !errors.Is(err, tt.want) {
				t.Fatalf("Build = %v, want %v", err, tt.want)
			}
		})
	}
}

type parseCase struct {
	name string
	text string
	want error
}

// parseCases are texts Parse must refuse (and two it must accept); the fuzz targets start from them.
func parseCases(t testing.TB) []parseCase {
	good := validText(t)
	bin := binaryOf(t, good)
	f := fieldsOf(t, bin)
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), bin...)
		f(b)
		return b
	}
	xxx, _ := packCurrency("XXX")
	withOffer := buildSpec(t, Spec{Credential: testCredential(t, "alice", serverKey), Counter: 3, Step: nowStep, Offer: []byte("offer")})
	return []parseCase{
		{"valid", good, nil},
		{"valid with an offer", withOffer, nil},
		{"version 1", validV1Text(t), nil},
		{"empty", "", ErrPrefix},
		{"prefix only", Prefix, ErrMalformed},
		{"lower-case prefix", "sp2:" + good[4:], ErrPrefix},
		{"no colon", "SP2-" + good[4:], ErrPrefix},
		{"other scheme", "https://example.com/pay", ErrPrefix},
		{"version 3 prefix", "SP3:" + good[4:], ErrVersion},
		{"version 2 under SP1", "SP1:" + good[4:], ErrVersion},
		{"letter version", "SPX:" + good[4:], ErrPrefix},
		{"too long", good + strings.Repeat("0", MaxTextLen), ErrTooLong},
		{"lower-case body", Prefix + strings.ToLower(good[4:]), ErrEncoding},
		{"trailing newline", good + "\n", ErrEncoding},
		{"one character short", good[:len(good)-1], ErrEncoding},
		{"last byte missing", good[:len(good)-2], ErrChecksum},
		{"three characters more", good + "000", ErrChecksum},
		{"checksum flipped", textOf(mod(func(b []byte) { b[len(b)-1] ^= 1 }), false), ErrChecksum},
		{"binary version 3", textOf(mod(func(b []byte) { b[0] = 3 }), true), ErrVersion},
		{"binary version 1", textOf(mod(func(b []byte) { b[0] = 1 }), true), ErrVersion},
		{"only a checksum", textOf(make([]byte, 4), true), ErrVersion},
		{"short binary", textOf(mod(func(b []byte) {})[:MinBinaryLen-2], true), ErrMalformed},
		{"trailing byte", textOf(append(mod(func(b []byte) {}), 0), true), ErrMalformed},
		{"key id unpacked", textOf(join(f, fKeyID, append([]byte{byte(len(testKeyID) << 1)}, testKeyID...)), false), ErrMalformed},
		{"authorization id unpacked", textOf(join(f, fAuthID, append([]byte{byte(len(testAuthID) << 1)}, testAuthID...)), false), ErrMalformed},
		{"empty packed key id", textOf(join(f, fKeyID, []byte{1}), false), ErrMalformed},
		{"user id too long", textOf(join(f, fUserID, append([]byte{65}, strings.Repeat("u", 65)...)), false), ErrMalformed},
		{"user id with a space", textOf(join(f, fUserID, []byte("\x05al ce")), false), ErrMalformed},
		{"currency past ZZZ", textOf(join(f, fCurrency, []byte{0xff, 0xff}), false), ErrMalformed},
		{"unknown currency", textOf(join(f, fCurrency, binary.BigEndian.AppendUint16(nil, xxx)), false), ErrMalformed},
		{"cap zero", textOf(join(f, fCap, []byte{0}), false), ErrMalformed},
		{"cap varint not minimal", textOf(join(f, fCap, []byte{0xd0, 0x8f, 0x00}), false), ErrMalformed},
		{"max codes over 2^24", textOf(join(f, fMaxCodes, binary.AppendUvarint(nil, credential.MaxCodes+1)), false), ErrMalformed},
		{"validity zero", textOf(join(f, fValidity, []byte{0}), false), ErrMalformed},
		{"step past the validity", textOf(join(f, fStep, binary.AppendUvarint(nil, 2880+2*StepSlack+1)), false), ErrMalformed},
		{"ten-digit code", textOf(join(f, fCode, []byte{0xff, 0xff, 0xff, 0xff}), false), ErrMalformed},
		{"offer over MaxOfferLen", textOf(join(f, fOfferLen, binary.AppendUvarint(nil, MaxOfferLen+1)), false), ErrMalformed},
		{"offer length past the end", textOf(join(f, fOfferLen, []byte{100}), false), ErrMalformed},
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range parseCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.text)
			if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
			if err != nil && (p != nil || DeclineCode(err) == "") {
				t.Fatalf("Parse error %v: payload %v, decline code %q", err, p, DeclineCode(err))
			}
		})
	}
}

// TestEveryByteChange changes every byte of a valid payload's binary, in several ways, and checks
// that the result is refused: as a damaged scan (checksum left alone) by Parse with ErrChecksum; as
// a forgery (checksum recomputed) by a terminal (Parse and VerifyOffline) unless only the MAC
// changed, which the terminal cannot check, and by the server (Parse and VerifyMAC) unless only the
// device signature changed, which the server does not check.
func TestEveryByteChange(t *testing.T) {
	t.Parallel()
	good := binaryOf(t, validText(t))
	sigStart := len(good) - trailerLen
	macStart := sigStart + ed25519.SignatureSize
	for i := range good {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b := append([]byte(nil), good...)
			b[i] ^= x
			if _, err := Parse(textOf(b, false)); !errors.Is(err, ErrChecksum) {
				t.Fatalf("byte %d ^ %#x, checksum kept: Parse = %v, want ErrChecksum", i, x, err)
			}
			if i >= len(good)-checksumLen {
				continue // resealing restores the original checksum
			}
			p, err := Parse(textOf(b, true))
			terminal, server := err, err
			if err == nil {
				terminal = p.VerifyOffline(serverKeys, eur(100), now)
				server = p.VerifyMAC(secret)
			}
			inMAC, inSig := i >= macStart, i >= sigStart && i < macStart
			if (terminal == nil) != inMAC || (server == nil) != inSig {
				t.Fatalf("byte %d ^ %#x with a recomputed checksum: terminal %v, server %v", i, x, terminal, server)
			}
			for _, err := range []error{terminal, server} {
				if err != nil && DeclineCode(err) == "" {
					t.Fatalf("byte %d ^ %#x: untyped error %v", i, x, err)
				}
			}
		}
	}
}

// TestEveryCharacterChange replaces every character of a valid payload text with every other
// character of the alphabet and with characters a scanner line must never carry.
func TestEveryCharacterChange(t *testing.T) {
	t.Parallel()
	good := validText(t)
	replacements := base45.Alphabet + "\r\n\x00a_\x7f\xff"
	for i := 0; i < len(good); i++ {
		for j := 0; j < len(replacements); j++ {
			c := replacements[j]
			if c == good[i] {
				continue
			}
			text := good[:i] + string(c) + good[i+1:]
			p, err := Parse(text)
			if err == nil {
				err = p.VerifyOffline(serverKeys, eur(100), now)
			}
			if err == nil {
				t.Fatalf("character %d changed to %q was accepted", i, c)
			}
			if DeclineCode(err) == "" {
				t.Fatalf("character %d changed to %q: untyped error %v", i, c, err)
			}
		}
	}
}

// FuzzParse feeds texts to Parse. Whatever parses must be the canonical encoding of what it parsed,
// and nothing but the valid seeds can pass the terminal's offline check or the server's MAC check
// (the fuzzer holds no key).
func FuzzParse(f *testing.F) {
	cases := parseCases(f)
	for _, tt := range cases {
		f.Add(tt.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkParse(t, text, cases)
	})
}

// FuzzParseBinary feeds version-2 bytes with a correct checksum, so the fuzzer gets past the
// checksum and exercises the structure, the signatures and the MAC.
func FuzzParseBinary(f *testing.F) {
	cases := parseCases(f)
	for _, tt := range cases {
		if b, err := base45.Decode(strings.TrimPrefix(tt.text, Prefix)); err == nil && len(b) >= checksumLen {
			f.Add(b[:len(b)-checksumLen])
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParse(t, textOf(append(body, 0, 0, 0, 0), true), cases)
	})
}

func checkParse(t *testing.T, text string, cases []parseCase) {
	p, err := Parse(text)
	if err != nil {
		if p != nil || DeclineCode(err) == "" {
			t.Fatalf("Parse(%q): payload %v, error %v without a decline code", text, p, err)
		}
		return
	}
	if len(text) > MaxTextLen {
		t.Fatalf("accepted %d characters", len(text))
	}
	b := append(append(append([]byte(nil), p.signed...), p.DeviceSignature...), p.MAC...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	if again := text[:len(Prefix)] + base45.Encode(b); again != text {
		t.Fatalf("Parse(%q) is not canonical: re-encodes as %q", text, again)
	}
	// The device signature does not cover the MAC (the terminal cannot check it; the server does,
	// below), and the MAC does not cover the device signature, so a payload that keeps a valid seed's
	// signed bytes with one of the two proofs changed rightly passes the other check.
	seed, sigSeed, macSeed := false, false, false
	for _, c := range cases {
		seed = seed || (c.want == nil && c.text == text)
		if q, err := Parse(c.text); c.want == nil && err == nil && string(q.signed) == string(p.signed) {
			sigSeed = sigSeed || string(q.DeviceSignature) == string(p.DeviceSignature)
			macSeed = macSeed || string(q.MAC) == string(p.MAC)
		}
	}
	offline := p.VerifyOffline(serverKeys, eur(100), now)
	if offline == nil && !seed && !sigSeed {
		t.Fatalf("a payload the fuzzer made passed the offline check: %q", text)
	}
	if offline != nil && DeclineCode(offline) == "" {
		t.Fatalf("VerifyOffline error %v has no decline code", offline)
	}
	if err := p.VerifyMAC(secret); err == nil && !seed && !macSeed {
		t.Fatalf("a payload the fuzzer made passed the MAC check: %q", text)
	}
}
