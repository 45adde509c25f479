package scaletest

import (
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

// shareKeys copies the keys, seal key and admin token of the first instance to another's data
// directory (loadtest.CopyKeys).
func shareKeys(t *testing.T, from, to string) {
	t.Helper()
	if err := loadtest.CopyKeys(from, to); err != nil {
		t.Fatalf("share keys: %v", err)
	}
}
