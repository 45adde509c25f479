// Package base45 implements the Base45 encoding of RFC 9285. Its 45 characters are exactly the QR
// code alphanumeric set, so a QR encoder stores Base45 text at 5.5 bits a character instead of 8.
//
// Every two bytes become three characters and a trailing single byte becomes two; the last
// character of any encoding is never a space, so trimming whitespace cannot silently shorten it.
package base45

import (
	"errors"
	"fmt"
)

// Alphabet is the RFC 9285 table: value i is Alphabet[i].
const Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// Errors from Decode. Test with errors.Is.
var (
	ErrInvalidChar   = errors.New("base45: character outside the alphabet")
	ErrInvalidLength = errors.New("base45: length leaves a single character")
	ErrOverflow      = errors.New("base45: group value out of range")
)

var decodeTable = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(Alphabet); i++ {
		t[Alphabet[i]] = int8(i)
	}
	return t
}()

// EncodedLen returns the length of the encoding of n bytes.
func EncodedLen(n int) int {
	return n/2*3 + n%2*2
}

// DecodedLen returns the length of the decoding of n valid characters.
func DecodedLen(n int) int {
	return n/3*2 + n%3/2
}

// Encode returns the Base45 text of src.
func Encode(src []byte) string {
	dst := make([]byte, 0, EncodedLen(len(src)))
	for len(src) >= 2 {
		n := int(src[0])<<8 | int(src[1])
		dst = append(dst, Alphabet[n%45], Alphabet[n/45%45], Alphabet[n/2025])
		src = src[2:]
	}
	if len(src) == 1 {
		n := int(src[0])
		dst = append(dst, Alphabet[n%45], Alphabet[n/45])
	}
	return string(dst)
}

// Decode returns the bytes encoded by s. It allocates DecodedLen(len(s)) bytes, so callers bound
// len(s) first when s comes from outside.
func Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: %d characters", ErrInvalidLength, len(s))
	}
	dst := make([]byte, 0, DecodedLen(len(s)))
	for i := 0; i < len(s); i += 3 {
		group := s[i:min(i+3, len(s))]
		n := 0
		mul := 1
		for j := 0; j < len(group); j++ {
			v := decodeTable[group[j]]
			if v < 0 {
				return nil, fmt.Errorf("%w: %q at offset %d", ErrInvalidChar, group[j], i+j)
			}
			n += int(v) * mul
			mul *= 45
		}
		if len(group) == 3 {
			if n > 0xffff {
				return nil, fmt.Errorf("%w: %q at offset %d", ErrOverflow, group, i)
			}
			dst = append(dst, byte(n>>8), byte(n))
		} else {
			if n > 0xff {
				return nil, fmt.Errorf("%w: %q at offset %d", ErrOverflow, group, i)
			}
			dst = append(dst, byte(n))
		}
	}
	return dst, nil
}
