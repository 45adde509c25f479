package scaletest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/internal/loadtest"
)

// bins are the settlementd binary the tests run, built once by TestMain.
var bins = loadtest.NewBinaries(filepath.Join("..", ".."), "settlementd")

func TestMain(m *testing.M) {
	testenv.MainSkipIfShort(m, "starts several settlementd processes under load")
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

// startInstances starts n settlementd processes on the database dsn, with extra serve flags: the
// first creates the schema and the keys, the others start at once with copies of its keys. They are
// killed when t ends.
func startInstances(t *testing.T, dsn string, n int, extra ...string) []*loadtest.Process {
	t.Helper()
	nodes := make([]*loadtest.Process, n)
	config := func(i int) loadtest.Config {
		return loadtest.Config{Binary: bins.Path("settlementd"), Name: fmt.Sprintf("node%d", i),
			Data: filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i)), Store: dsn, Extra: extra}
	}
	nodes[0] = loadtest.StartT(t, config(0))
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 1; i < n; i++ {
		cfg := config(i)
		shareKeys(t, nodes[0].Data, cfg.Data)
		wg.Go(func() { nodes[i], errs[i] = loadtest.Start(context.Background(), cfg) })
	}
	wg.Wait()
	for _, p := range nodes[1:] {
		if p != nil {
			t.Cleanup(p.Kill)
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return nodes
}
