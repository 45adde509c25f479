package keys

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
		{"endorsement that does not verify", func(t *testing.T, dir string) {
			m := rotatedManifest(t, dir)
			m.Keys[1].Endorsement[0] ^= 1
			writeManifest(t, dir, m)
		}, ErrManifest},
		{"endorsed by a key not in the ring", func(t *testing.T, dir string) {
			m := rotatedManifest(t, dir)
			m.Keys[1].EndorsedBy = "k-ffffffffffff"
			writeManifest(t, dir, m)
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

// rotatedManifest makes a ring of two keys in dir and returns its manifest.
func rotatedManifest(t *testing.T, dir string) manifest {
	t.Helper()
	r, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Keys) != 2 || m.Keys[1].EndorsedBy != m.Keys[0].KeyID || len(m.Keys[1].Endorsement) == 0 {
		t.Fatalf("manifest does not store the endorsement: %+v", m)
	}
	return m
}

func writeManifest(t *testing.T, dir string, m manifest) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, manifestName), string(raw))
}

func TestRotateEndorsesTheNewKeyWithTheCurrentOne(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	enrolled := r.Public() // what a terminal enrolled now was given
	if enrolled[0].EndorsedBy != "" || enrolled[0].Endorsement != nil {
		t.Fatalf("the first key has an endorsement: %+v", enrolled[0])
	}
	k2, err := r.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if k2.EndorsedBy != enrolled[0].KeyID {
		t.Fatalf("Rotate returned a key endorsed by %q, want %q", k2.EndorsedBy, enrolled[0].KeyID)
	}
	if _, err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	reopened, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := reopened.Public()
	if len(pub) != 3 {
		t.Fatalf("%d keys after two rotations", len(pub))
	}
	for i := 1; i < len(pub); i++ {
		if pub[i].EndorsedBy != pub[i-1].KeyID {
			t.Errorf("key %d endorsed by %q, want the key current before it, %q", i, pub[i].EndorsedBy, pub[i-1].KeyID)
		}
		if err := protocol.VerifyEndorsement(pub[i], pub[i-1].PublicKey); err != nil {
			t.Errorf("key %d: %v", i, err)
		}
	}
	// A terminal that knows only the first key follows both rotations.
	merged, added, err := protocol.AcceptKeys(enrolled, pub)
	if err != nil || len(added) != 2 || len(merged) != 3 {
		t.Fatalf("AcceptKeys: merged %d, added %v, err %v", len(merged), added, err)
	}
}

// TestRingWithoutEndorsementsKeepsWorking opens a ring written before keys were endorsed: a
// manifest with ids and dates only.
func TestRingWithoutEndorsementsKeepsWorking(t *testing.T) {
	dir := t.TempDir()
	m := rotatedManifest(t, dir)
	for i := range m.Keys {
		m.Keys[i].EndorsedBy, m.Keys[i].Endorsement = "", nil
	}
	writeManifest(t, dir, m)
	raw, _ := os.ReadFile(filepath.Join(dir, manifestName))
	if strings.Contains(string(raw), "endorse") {
		t.Fatalf("the old-style manifest still has endorsements: %s", raw)
	}

	r, err := Open(dir, nil)
	if err != nil {
		t.Fatalf("old ring does not open: %v", err)
	}
	pub := r.Public()
	if pub[0].EndorsedBy != "" {
		t.Fatalf("first key: %+v", pub[0])
	}
	first := []protocol.ServerKey{pub[0]}
	first[0].Current = true
	if _, added, err := protocol.AcceptKeys(first, pub); err != nil || len(added) != 1 {
		t.Fatalf("the second key of an old ring cannot be followed: added %v, err %v", added, err)
	}
	if _, err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	after, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, added, err := protocol.AcceptKeys(first, after.Public()); err != nil || len(added) != 2 {
		t.Fatalf("after a rotation of an old ring: added %v, err %v", added, err)
	}
	raw, _ = os.ReadFile(filepath.Join(dir, manifestName))
	if n := strings.Count(string(raw), `"endorsed_by"`); n != 2 {
		t.Fatalf("manifest stores %d endorsements after the rotation, want 2:\n%s", n, raw)
	}
}
