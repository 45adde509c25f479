package keys

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
)

func TestOpenCreatesFirstKeyWithPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	r, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := r.Public()
	if len(pub) != 1 || !pub[0].Current {
		t.Fatalf("want one current key, got %+v", pub)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("want key file and manifest, got %v", entries)
	}
	for _, e := range entries {
		st, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", e.Name(), st.Mode().Perm())
		}
	}
	again, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	id1, _ := r.Current()
	id2, _ := again.Current()
	if id1 != id2 {
		t.Fatalf("reopen changed the current key: %s then %s", id1, id2)
	}
}

func TestRotateKeepsOldKeysVerifying(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	oldID, oldKey := r.Current()
	signed, err := protocol.SignApproval(protocol.Approval{ApprovalID: "a1"}, oldID, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	nk, err := r.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if nk.KeyID == oldID || !nk.Current {
		t.Fatalf("rotate returned %+v", nk)
	}
	reopened, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := reopened.Current(); id != nk.KeyID {
		t.Fatalf("current after reopen = %s, want %s", id, nk.KeyID)
	}
	if _, err := protocol.VerifyApproval(signed, reopened.Public()); err != nil {
		t.Fatalf("approval by the old key no longer verifies: %v", err)
	}
	priv, ok := reopened.Private(oldID)
	if !ok || !priv.Equal(oldKey) {
		t.Fatal("old private key lost after rotation")
	}
	if _, ok := reopened.Private("k-000000000000"); ok {
		t.Fatal("unknown key id found")
	}
	if got := KeyID(priv.Public().(ed25519.PublicKey)); got != oldID {
		t.Fatalf("KeyID = %s, want %s", got, oldID)
	}
}

func TestOpenRefusesBadState(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, dir string)
		want    error
	}{
		{"manifest not json", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, manifestName), "{nope")
		}, ErrManifest},
		{"key id with a path", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, manifestName), `{"current":"../x","keys":[{"key_id":"../x"}]}`)
		}, ErrManifest},
		{"missing key file", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, manifestName), `{"current":"k-0123456789ab","keys":[{"key_id":"k-0123456789ab"}]}`)
		}, ErrMissingKey},
		{"current not listed", func(t *testing.T, dir string) {
			r, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			id, _ := r.Current()
			write(t, filepath.Join(dir, manifestName), `{"current":"k-ffffffffffff","keys":[{"key_id":"`+id+`"}]}`)
		}, ErrManifest},
		{"manifest readable by others", func(t *testing.T, dir string) {
			if _, err := Open(dir, nil); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(dir, manifestName), 0o644); err != nil {
				t.Fatal(err)
			}
		}, keyfile.ErrPermissions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.corrupt(t, dir)
			_, err := Open(dir, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open error = %v, want %v", err, tc.want)
			}
		})
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
