package storetest

import (
	"fmt"
	"testing"

	"github.com/stillpay/stillpay/server/store"
)

// testPageSizes: a listing's Limit of 0 or less means store.DefaultPageSize, any other is taken as
// given (up to store.MaxPageSize), whatever the store.
func testPageSizes(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	for i := range store.DefaultPageSize + 1 {
		f.user(fmt.Sprintf("U%03d", i))
	}
	for _, tc := range []struct {
		limit, want int
	}{
		{0, store.DefaultPageSize},
		{-5, store.DefaultPageSize},
		{3, 3},
		{store.DefaultPageSize + 1, store.DefaultPageSize + 1},
		{store.MaxPageSize + 1, store.DefaultPageSize + 1}, // capped at MaxPageSize: all there are
	} {
		got, err := f.s.ListUsers(f.ctx, store.Page{Limit: tc.limit})
		if err != nil || len(got) != tc.want {
			t.Errorf("ListUsers(Limit %d) = %d users, %v; want %d", tc.limit, len(got), err, tc.want)
		}
	}
}
