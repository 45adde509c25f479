package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/money"
)

// Fleet is one workload's enrolled terminals and authorized wallets, and the cluster they talk to.
type Fleet struct {
	shape   Shape
	cluster *Cluster
	terms   []*bench.Terminal
	wallets []*bench.Wallet
	// sent counts payments and batches answered during Run, retries not counted.
	sent atomic.Int64
	// resent counts sends of a request again because the last one got no answer (503 or a transport
	// error); retried counts the requests that needed at least one such send; unavailable counts the
	// 503 answers among them.
	resent, retried, unavailable atomic.Int64
}

// RetryStats says how often the terminals had to send a request again because an instance answered
// 503 or did not answer. The workload's own duplicate sends (RetryPercent) are not counted.
type RetryStats struct {
	Requests    int64 // requests sent more than once
	Sends       int64 // extra sends in all
	Unavailable int64 // 503 answers (each with Retry-After)
}

// Retried returns the retry counters since Setup.
func (f *Fleet) Retried() RetryStats {
	return RetryStats{Requests: f.retried.Load(), Sends: f.resent.Load(), Unavailable: f.unavailable.Load()}
}

// Setup creates MerchantID, enrolls shape.Terminals terminals and authorizes shape.Users wallets,
// each step on an instance picked at random (sessions and enrollments live in the shared store).
func Setup(ctx context.Context, cluster *Cluster, adminToken string, shape Shape) (*Fleet, error) {
	client := &http.Client{Timeout: requestTimeout}
	rng := rand.New(rand.NewPCG(shape.Seed, shape.Seed))
	ac := func() *admin.Client {
		return &admin.Client{BaseURL: cluster.Pick(rng), Token: adminToken, HTTP: client}
	}
	if _, err := ac().AddMerchant(ctx, admin.MerchantRequest{MerchantID: MerchantID, Name: "Chain", Currency: Currency}); err != nil {
		return nil, err
	}
	f := &Fleet{shape: shape, cluster: cluster, terms: make([]*bench.Terminal, shape.Terminals), wallets: make([]*bench.Wallet, shape.Users)}
	for i := range f.terms {
		tc, err := ac().AddTerminal(ctx, admin.TerminalRequest{TerminalID: fmt.Sprintf("T%02d", i), MerchantID: MerchantID})
		if err != nil {
			return nil, err
		}
		if f.terms[i], _, err = bench.Enroll(ctx, client, cluster.Pick(rng), tc.EnrollCode); err != nil {
			return nil, err
		}
	}
	for i := range f.wallets {
		user := fmt.Sprintf("u%02d", i)
		if _, err := ac().AddUser(ctx, admin.UserRequest{UserID: user, Password: Password}); err != nil {
			return nil, err
		}
		if _, err := ac().AddAccount(ctx, admin.AccountRequest{AccountID: "acc-" + user, UserID: user,
			OpeningBalance: money.Amount{Minor: shape.OpeningMinor, Currency: Currency}}); err != nil {
			return nil, err
		}
		// Log in on one instance, authorize on another when there are several.
		session, err := bench.Login(ctx, client, cluster.Pick(rng), user, Password)
		if err != nil {
			return nil, err
		}
		if f.wallets[i], err = bench.Authorize(ctx, client, cluster.Pick(rng), session, "acc-"+user,
			money.Amount{Minor: shape.CapMinor, Currency: Currency}, shape.CodesPerUser, authorizationTTL); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Requests is how many payments and batches Run sends, retries not counted.
func (f *Fleet) Requests() int64 { return f.shape.requests() }

// Sent is how many of them have been answered so far.
func (f *Fleet) Sent() int64 { return f.sent.Load() }
