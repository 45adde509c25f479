package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealerRoundTripAndPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	s, err := OpenSealer(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("seal key mode %04o, want 0600", st.Mode().Perm())
	}
	secret := []byte("0123456789abcdef0123456789abcdef")
	sealed, err := s.Seal(secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed bytes contain the secret")
	}
	again, err := OpenSealer(path)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := again.Open(sealed)
	if err != nil || !bytes.Equal(plain, secret) {
		t.Fatalf("Open after reload = %q, %v", plain, err)
	}
	other, err := OpenSealer(filepath.Join(t.TempDir(), "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"other key": sealed,
		"flipped":   append(append([]byte(nil), sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1),
		"short":     sealed[:5],
	} {
		opener := again
		if name == "other key" {
			opener = other
		}
		if _, err := opener.Open(in); !errors.Is(err, ErrSealed) {
			t.Errorf("%s: Open error = %v, want ErrSealed", name, err)
		}
	}
}
