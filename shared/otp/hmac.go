package otp

import (
	"crypto/sha256"
	"encoding"
)

// The HMAC-SHA-256 (RFC 2104) and HKDF-SHA-256 (RFC 5869) that the payment code and the payload MAC
// (shared/payload) are made of, computed without allocating: the server checks both for every
// payment. crypto/hmac allocates an HMAC, two digests and both padded keys per call (24 allocations
// and ~4.5 µs for a payload MAC with its key derivation); crypto/hkdf does it twice. Here each digest
// is a local sha256.New(), which the compiler inlines and devirtualizes so that it and every buffer
// stay on the stack (BenchmarkHMACSHA256 reports 0 allocations; TestNoAllocations holds it), and the
// states after the pads of HKDF's all-zero salt are computed once. The results are byte-identical to
// crypto/hmac and crypto/hkdf: hmac_test.go compares them on keys and messages of every length.

// blockSize is SHA-256's block: keys up to it are zero-padded, longer ones are hashed first.
const blockSize = 64

// zeroKeyInner and zeroKeyOuter are the marshaled SHA-256 states after the inner and the outer pad of
// an all-zero key: HKDF-Extract without a salt is HMAC keyed with HashLen zero bytes (RFC 5869 §2.2),
// so both pads are constants and hashing them once saves two of the derivation's compressions.
var zeroKeyInner, zeroKeyOuter = zeroKeyState(0x36), zeroKeyState(0x5c)

func zeroKeyState(b byte) []byte {
	var pad [blockSize]byte
	for i := range pad {
		pad[i] = b
	}
	h := sha256.New()
	h.Write(pad[:])
	s, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("otp: a SHA-256 state does not marshal: " + err.Error())
	}
	return s
}

// pads sets ipad and opad to key XOR 0x36 and XOR 0x5c, zero-padded to a block. A key longer than a
// block is replaced by its hash first (RFC 2104 §2).
func pads(ipad, opad *[blockSize]byte, key []byte) {
	var long [sha256.Size]byte
	if len(key) > blockSize {
		long = sha256.Sum256(key)
		key = long[:]
	}
	for i := range ipad {
		ipad[i], opad[i] = 0x36, 0x5c
	}
	for i, k := range key {
		ipad[i], opad[i] = k^0x36, k^0x5c
	}
	clear(long[:])
}

// HMACSHA256 sets out to HMAC-SHA-256(key, msg), as crypto/hmac.New(sha256.New, key) computes it,
// for keys of any length.
func HMACSHA256(out *[sha256.Size]byte, key, msg []byte) {
	var ipad, opad [blockSize]byte
	pads(&ipad, &opad, key)
	h := sha256.New()
	h.Write(ipad[:])
	h.Write(msg)
	var inner [sha256.Size]byte
	h.Sum(inner[:0])
	h.Reset()
	h.Write(opad[:])
	h.Write(inner[:])
	h.Sum(out[:0])
	clear(ipad[:])
	clear(opad[:])
}

// HKDFSHA256 sets out to HKDF-SHA-256 (RFC 5869) of secret with no salt and info, 32 bytes long, as
// crypto/hkdf.Key(sha256.New, secret, nil, info, 32) computes it: PRK = HMAC(0^32, secret), then
// T(1) = HMAC(PRK, info || 0x01). info is at most 63 bytes (one block with its counter byte); a
// longer one panics, as it is always a constant label.
func HKDFSHA256(out *[sha256.Size]byte, secret []byte, info string) {
	var msg [blockSize]byte
	if len(info) >= len(msg) {
		panic("otp: HKDF info longer than 63 bytes")
	}
	n := copy(msg[:], info)
	msg[n] = 1
	// Extract, from the all-zero key's saved pad states.
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(zeroKeyInner); err != nil {
		panic(err) // the state was marshaled by this very digest type
	}
	h.Write(secret)
	var prk [sha256.Size]byte
	h.Sum(prk[:0])
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(zeroKeyOuter); err != nil {
		panic(err)
	}
	h.Write(prk[:])
	h.Sum(prk[:0])
	// Expand: one block of output is all that is asked.
	HMACSHA256(out, prk[:], msg[:n+1])
	clear(prk[:])
}
