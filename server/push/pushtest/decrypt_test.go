package pushtest

import (
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"testing"
)

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecryptRFC8291AppendixA decrypts the RFC's worked example with its user agent keys.
func TestDecryptRFC8291AppendixA(t *testing.T) {
	ua, err := ecdh.P256().NewPrivateKey(b64(t, "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(ua.PublicKey().Bytes()); got != "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4" {
		t.Fatalf("ua_public %s", got)
	}
	auth := b64(t, "BTBZMqHH6r4Tts7J_aSIgg")
	body := b64(t, "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
	plain, err := Decrypt(body, ua, auth)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != "When I grow up, I want to be a watermelon" {
		t.Fatalf("plaintext %q", plain)
	}

	// A wrong auth secret, a flipped byte, a truncated body: each refused.
	bad := append([]byte(nil), auth...)
	bad[0] ^= 1
	if _, err := Decrypt(body, ua, bad); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong auth: %v", err)
	}
	flipped := append([]byte(nil), body...)
	flipped[len(flipped)-1] ^= 1
	if _, err := Decrypt(flipped, ua, auth); !errors.Is(err, ErrDecrypt) {
		t.Errorf("flipped byte: %v", err)
	}
	if _, err := Decrypt(body[:50], ua, auth); !errors.Is(err, ErrDecrypt) {
		t.Errorf("truncated: %v", err)
	}
}
