package loadtest

import "time"

// Names and limits every workload shares.
const (
	// MerchantID owns every terminal of the workload.
	MerchantID = "M1"
	// Currency of every account and payment.
	Currency = "EUR"
	// Password of every workload user (and of the e2e wallet users).
	Password = "correct horse battery"
	// MaxSendTime bounds how long a terminal keeps resending one request while instances are down.
	MaxSendTime = 30 * time.Second
	// sendPause is the wait after the first send of a request that got no answer; it doubles with
	// each further one up to maxSendPause, so that terminals waiting out a database failover do not
	// flood the instances (the failover gap the chaos test reports is as precise as maxSendPause).
	sendPause    = 10 * time.Millisecond
	maxSendPause = 160 * time.Millisecond
	// authorizationTTL outlives any run.
	authorizationTTL = time.Hour
	// requestTimeout bounds one HTTP request of a simulated terminal or wallet.
	requestTimeout = 20 * time.Second
)

// Shape is how much load a run makes and what it sends again.
type Shape struct {
	// Terminals enroll under MerchantID as T00, T01, ...; the first BatchTerminals of them send
	// batches of offline approvals, the others single online payments.
	Terminals, BatchTerminals int
	PaymentsPerTerminal       int
	BatchesPerTerminal        int
	BatchSize                 int
	// RetryPercent of payments and batches are sent twice (a lost answer); a payment's two sends
	// run at once.
	RetryPercent int
	// Users each hold one account and one authorization for CodesPerUser codes of at most CapMinor.
	Users, CodesPerUser int
	CapMinor            int64
	// OpeningMinor is every account's opening balance; above CapMinor*CodesPerUser it leaves room
	// for online payments that decline for lack of funds.
	OpeningMinor int64
	// KillAfterPercent of the requests are sent before the run calls its midway function.
	KillAfterPercent int
	// ResendOneIn: after the run, one single payment in ResendOneIn is sent once more (1: all).
	ResendOneIn int
	// Seed makes the run's random choices repeatable.
	Seed uint64
}

// requests is how many payments and batches the run sends, not counting retries.
func (s Shape) requests() int64 {
	return int64((s.Terminals-s.BatchTerminals)*s.PaymentsPerTerminal + s.BatchTerminals*s.BatchesPerTerminal)
}

// Standard is the reference load run (docs/benchmarks.md, docs/scaling.md): 64 terminals of which 8 send batches of offline
// approvals, 30% of requests sent twice, 8 users with a cap of 5.00, and the midway kill once 40% of
// the requests are answered. Callers set how many payments, batches and codes, and the seed.
func Standard() Shape {
	return Shape{
		Terminals:          64,
		BatchTerminals:     8,
		BatchesPerTerminal: 2,
		RetryPercent:       30,
		Users:              8,
		CapMinor:           500,
		KillAfterPercent:   40,
	}
}

// WithCodes sets CodesPerUser and an opening balance that covers them all at the cap plus
// headroomMinor.
func (s Shape) WithCodes(codesPerUser int, headroomMinor int64) Shape {
	s.CodesPerUser = codesPerUser
	s.OpeningMinor = s.CapMinor*int64(codesPerUser) + headroomMinor
	return s
}
