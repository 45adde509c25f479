package pgstore_test

import (
	"context"
	"testing"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/pgstore"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/server/store/storetest"
)

// open opens a store on a fresh schema and closes it when the test ends.
func open(t *testing.T) *pgstore.Store {
	t.Helper()
	dsn := pgtest.DSN(t)
	s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	testenv.SkipIfShort(t, "the whole store conformance suite, a fresh PostgreSQL schema per subtest (memstore and boltstore run it under -short)")
	pgtest.Require(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}
