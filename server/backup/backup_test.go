package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stillpay/stillpay/server/keys"
	"github.com/stillpay/stillpay/server/push"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/boltstore"
)

// dataDir makes a data directory with a store holding one merchant, a ring with two keys and a seal
// key, and returns the open store.
func dataDir(t *testing.T) (string, *boltstore.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.CreateMerchant(context.Background(), store.Merchant{ID: "M1", Name: "Cafe", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	ring, err := keys.Open(filepath.Join(dir, KeysDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Rotate(); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.OpenSealer(filepath.Join(dir, SealKey)); err != nil {
		t.Fatal(err)
	}
	if _, err := push.LoadOrCreateVAPID(filepath.Join(dir, push.VAPIDKeyFile)); err != nil {
		t.Fatal(err)
	}
	return dir, st
}

func TestWriteRestoreRoundTrip(t *testing.T) {
	dir, st := dataDir(t)
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, st, dir); err != nil {
		t.Fatal(err)
	}
	if err := Verify(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("Verify of a fresh archive: %v", err)
	}
	to := filepath.Join(t.TempDir(), "restored")
	if err := Restore(bytes.NewReader(buf.Bytes()), to); err != nil {
		t.Fatal(err)
	}
	// The key files are byte for byte what is on disk, 0600.
	entries, _ := os.ReadDir(filepath.Join(dir, KeysDir))
	for _, name := range append([]string{SealKey, push.VAPIDKeyFile}, func() (n []string) {
		for _, e := range entries {
			n = append(n, filepath.Join(KeysDir, e.Name()))
		}
		return n
	}()...) {
		want, _ := os.ReadFile(filepath.Join(dir, name))
		got, err := os.ReadFile(filepath.Join(to, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s restored as %d bytes (%v), want the %d bytes on disk", name, len(got), err, len(want))
		}
		if fi, _ := os.Stat(filepath.Join(to, name)); fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s restored with mode %v", name, fi.Mode().Perm())
		}
	}
	ring, err := keys.Open(filepath.Join(to, KeysDir), nil)
	if err != nil || len(ring.Public()) != 2 {
		t.Fatalf("restored ring: %v, %d keys", err, len(ring.Public()))
	}
	restored, err := boltstore.Open(to, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if m, err := restored.GetMerchant(context.Background(), "M1"); err != nil || m.Name != "Cafe" {
		t.Fatalf("restored merchant: %+v, %v", m, err)
	}
	if _, err := restored.Check(context.Background()); err != nil {
		t.Fatalf("check of the restored store: %v", err)
	}
	// A second restore into the same directory is refused.
	if err := Restore(bytes.NewReader(buf.Bytes()), to); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore into a non-empty directory: %v, want ErrNotEmpty", err)
	}
}

// archive builds a tar of the given entries.
func archive(t testing.TB, entries ...[2]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e[0], Size: int64(len(e[1])), Mode: 0o600}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e[1]))
	}
	tw.Close()
	return buf.Bytes()
}

// badArchives are archives Verify and Restore must refuse with ErrArchive.
func badArchives(t testing.TB) map[string][]byte {
	complete := [][2]string{{StoreFile, "db"}, {SealKey, "seal"}, {manifest, "{}"}, {endMark, ""}}
	full := archive(t, complete...)
	return map[string][]byte{
		"empty":           nil,
		"not a tar":       []byte("hello, this is not an archive at all, but it is long enough to read a header from it ............................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................."),
		"truncated":       full[:len(full)-1100],
		"no seal key":     archive(t, complete[0], complete[2]),
		"no store":        archive(t, complete[1], complete[2]),
		"no manifest":     archive(t, complete[0], complete[1]),
		"escapes the dir": archive(t, append(complete, [2]string{"../evil", "x"})...),
		"escapes keys/":   archive(t, append(complete, [2]string{"keys/../../evil", "x"})...),
		"nested key dir":  archive(t, append(complete, [2]string{"keys/sub/k", "x"})...),
		"unknown file":    archive(t, append(complete, [2]string{"admin.token", "x"})...),
		"duplicate":       archive(t, append(complete, complete[1])...),
		"absolute path":   archive(t, append(complete, [2]string{"/etc/passwd", "x"})...),
		"hidden key file": archive(t, append(complete, [2]string{"keys/.x", "x"})...),
	}
}

func TestVerifyAndRestoreRefuseBadArchives(t *testing.T) {
	for name, raw := range badArchives(t) {
		t.Run(name, func(t *testing.T) {
			if err := Verify(bytes.NewReader(raw)); !errors.Is(err, ErrArchive) {
				t.Fatalf("Verify = %v, want ErrArchive", err)
			}
			parent := t.TempDir()
			to := filepath.Join(parent, "restored")
			if err := Restore(bytes.NewReader(raw), to); !errors.Is(err, ErrArchive) {
				t.Fatalf("Restore = %v, want ErrArchive", err)
			}
			if left, _ := os.ReadDir(to); len(left) > 0 {
				t.Fatalf("a failed restore left %d entries behind", len(left))
			}
			if left, _ := os.ReadDir(parent); len(left) > 1 {
				t.Fatalf("a failed restore wrote next to the directory: %v", left)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	for _, raw := range badArchives(f) {
		f.Add(raw)
	}
	f.Add(archive(f, [2]string{StoreFile, "db"}, [2]string{SealKey, "seal"}, [2]string{manifest, "{}"}, [2]string{endMark, ""}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := Verify(bytes.NewReader(raw))
		if err != nil && !errors.Is(err, ErrArchive) {
			t.Fatalf("Verify = %v, want nil or ErrArchive", err)
		}
	})
}
