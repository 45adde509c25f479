package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// pushSub is a well-formed subscription whose keys are derived from n, so a replacement is visible.
func pushSub(user, endpoint string, n byte, at time.Time) store.PushSubscription {
	p256 := bytes.Repeat([]byte{n}, store.PushP256dhLen)
	p256[0] = 4
	return store.PushSubscription{UserID: user, Endpoint: endpoint, P256dh: p256, Auth: bytes.Repeat([]byte{n}, store.PushAuthLen), CreatedAt: at}
}

func endpoints(subs []store.PushSubscription) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.Endpoint
	}
	return out
}

// testPushSubscriptions: put, replace by endpoint, list per user in endpoint order, the per-user
// bound (the oldest go), delete (twice), and the refusals.
func testPushSubscriptions(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.user("U1")
	f.user("U2")
	put := func(p store.PushSubscription) {
		t.Helper()
		if err := f.s.PutPushSubscription(f.ctx, p); err != nil {
			t.Fatalf("PutPushSubscription(%s): %v", p.Endpoint, err)
		}
	}
	list := func(user string) []store.PushSubscription {
		t.Helper()
		l, err := f.s.ListPushSubscriptions(f.ctx, user)
		if err != nil {
			t.Fatalf("ListPushSubscriptions(%s): %v", user, err)
		}
		return l
	}
	if l := list("U1"); len(l) != 0 {
		t.Fatalf("fresh user has %d subscriptions", len(l))
	}
	put(pushSub("U1", "https://push.example/b", 1, t0))
	put(pushSub("U1", "https://push.example/a", 2, t0.Add(time.Second)))
	put(pushSub("U2", "https://push.example/a", 3, t0))
	put(pushSub("U1", "https://push.example/b", 4, t0.Add(2*time.Second))) // the same browser again
	got := list("U1")
	if !slices.Equal(endpoints(got), []string{"https://push.example/a", "https://push.example/b"}) {
		t.Fatalf("U1 endpoints %v", endpoints(got))
	}
	want := pushSub("U1", "https://push.example/b", 4, t0.Add(2*time.Second))
	if b := got[1]; !bytes.Equal(b.P256dh, want.P256dh) || !bytes.Equal(b.Auth, want.Auth) || !b.CreatedAt.Equal(want.CreatedAt) || b.UserID != "U1" {
		t.Errorf("replaced subscription %+v, want %+v", b, want)
	}
	if l := list("U2"); len(l) != 1 || l[0].P256dh[1] != 3 {
		t.Errorf("U2 subscriptions %+v (another user's put must not touch them)", l)
	}

	// The bound: MaxPushSubscriptions newer ones push the two oldest out.
	for i := range store.MaxPushSubscriptions - 1 {
		put(pushSub("U1", fmt.Sprintf("https://push.example/n%02d", i), 5, t0.Add(time.Minute+time.Duration(i)*time.Second)))
	}
	got = list("U1")
	if len(got) != store.MaxPushSubscriptions {
		t.Fatalf("U1 has %d subscriptions, want the bound %d", len(got), store.MaxPushSubscriptions)
	}
	if slices.Contains(endpoints(got), "https://push.example/a") || !slices.Contains(endpoints(got), "https://push.example/b") {
		t.Errorf("after the bound: %v (want the oldest, /a, gone and /b kept)", endpoints(got))
	}

	if err := f.s.DeletePushSubscription(f.ctx, "U1", "https://push.example/b"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeletePushSubscription(f.ctx, "U1", "https://push.example/b"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if err := f.s.DeletePushSubscription(f.ctx, "U9", "https://push.example/b"); err != nil {
		t.Errorf("deleting an unknown user's: %v", err)
	}
	if slices.Contains(endpoints(list("U1")), "https://push.example/b") {
		t.Errorf("deleted subscription still listed")
	}
	if l := list("U2"); len(l) != 1 {
		t.Errorf("U2 lost its subscription to U1's delete: %+v", l)
	}

	wantErr(t, "unknown user", f.s.PutPushSubscription(f.ctx, pushSub("U9", "https://push.example/x", 1, t0)), store.ErrNotFound)
	bad := pushSub("U1", "https://push.example/x", 1, t0)
	bad.P256dh = bad.P256dh[:33]
	wantErr(t, "short p256dh", f.s.PutPushSubscription(f.ctx, bad), store.ErrInvalidArgument)
	bad = pushSub("U1", "https://push.example/x", 1, t0)
	bad.Auth = nil
	wantErr(t, "no auth", f.s.PutPushSubscription(f.ctx, bad), store.ErrInvalidArgument)
	bad = pushSub("U1", "", 1, t0)
	wantErr(t, "no endpoint", f.s.PutPushSubscription(f.ctx, bad), store.ErrInvalidArgument)
	bad = pushSub("U1", "https://push.example/"+string(bytes.Repeat([]byte("x"), store.MaxPushEndpointLen)), 1, t0)
	wantErr(t, "long endpoint", f.s.PutPushSubscription(f.ctx, bad), store.ErrInvalidArgument)
	if n := len(list("U1")); n != store.MaxPushSubscriptions-1 {
		t.Errorf("refused puts changed U1's subscriptions: %d", n)
	}
}
