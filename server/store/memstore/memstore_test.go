package memstore

import (
	"testing"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}
