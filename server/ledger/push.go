package ledger

import (
	"cmp"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/stillpay/stillpay/server/store"
)

// PreparePushSubscription validates what a store keeps of a push subscription and normalises its
// time. The endpoint's scheme and host are the service's concern (protocol.ParsePushSubscription).
func PreparePushSubscription(s store.PushSubscription) (store.PushSubscription, error) {
	s.CreatedAt = Now(s.CreatedAt)
	if err := ValidID("user id", s.UserID); err != nil {
		return s, err
	}
	if s.Endpoint == "" || len(s.Endpoint) > store.MaxPushEndpointLen || !utf8.ValidString(s.Endpoint) {
		return s, fmt.Errorf("%w: push endpoint of %d bytes", store.ErrInvalidArgument, len(s.Endpoint))
	}
	if len(s.P256dh) != store.PushP256dhLen || s.P256dh[0] != 4 {
		return s, fmt.Errorf("%w: p256dh is not an uncompressed P-256 point", store.ErrInvalidArgument)
	}
	if len(s.Auth) != store.PushAuthLen {
		return s, fmt.Errorf("%w: auth secret of %d bytes, want %d", store.ErrInvalidArgument, len(s.Auth), store.PushAuthLen)
	}
	return s, nil
}

// PushEvictions returns the endpoints to remove so that the user's subscriptions other than
// endpoint, plus endpoint itself, number at most store.MaxPushSubscriptions: the oldest go first.
// Every store applies it in the same transaction as the put.
func PushEvictions(have []store.PushSubscription, endpoint string) []string {
	others := slices.DeleteFunc(slices.Clone(have), func(s store.PushSubscription) bool { return s.Endpoint == endpoint })
	extra := len(others) + 1 - store.MaxPushSubscriptions
	if extra <= 0 {
		return nil
	}
	slices.SortFunc(others, func(a, b store.PushSubscription) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Endpoint, b.Endpoint))
	})
	out := make([]string, extra)
	for i := range out {
		out[i] = others[i].Endpoint
	}
	return out
}
