package scaletest

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stillpay/stillpay/server/internal/loadtest"
)

// bins are the settlementd binary the tests run, built once by TestMain.
var bins = loadtest.NewBinaries(filepath.Join("..", ".."), "settlementd")

func TestMain(m *testing.M) {
	os.Exit(bins.RunTests(m))
}

// shareKeys copies what every instance must hold alike from the first instance's data directory:
// the signing keys (terminals verify approvals with them), the seal key (one-time-code secrets in the
// database are sealed with it) and the admin token.
func shareKeys(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if rel == "stillpay.db" {
			return nil // an embedded store file never exists with --store postgres://, but skip it anyway
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			dst.Close()
			return err
		}
		return dst.Close()
	})
	if err != nil {
		t.Fatalf("share keys: %v", err)
	}
}
