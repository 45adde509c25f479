package storetest

import (
	"testing"

	"github.com/stillpay/stillpay/server/store"
)

// Run runs the whole suite. open must return a fresh, empty store for each call and arrange for it to
// be closed when the test ends (t.Cleanup); Run calls it once per subtest, and twice in the export test.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"Merchants", testMerchants},
		{"Terminals", testTerminals},
		{"UsersAndSessions", testUsersAndSessions},
		{"Accounts", testAccounts},
		{"Authorizations", testAuthorizations},
		{"Payments", testPayments},
		{"PaymentMoney", testPaymentMoney},
		{"OfflineGuarantee", testOfflineGuarantee},
		{"InvalidOps", testInvalidOps},
		{"Idempotency", testIdempotency},
		{"GetTxns", testGetTxns},
		{"PreDecidedDeclines", testPreDecidedDeclines},
		{"Voids", testVoids},
		{"Refunds", testRefunds},
		{"Sweep", testSweep},
		{"Nonces", testNonces},
		{"CodeFailures", testCodeFailures},
		{"ThrottleInOneCall", testThrottleInOneCall},
		{"ThrottleTerminal", testThrottleTerminal},
		{"ThrottleConcurrent", testThrottleConcurrent},
		{"ListTxns", testListTxns},
		{"ExportImport", testExportImport},
		{"Concurrency", testConcurrency},
		{"Orders", testOrders},
		{"Ping", testPing},
		{"ServerKeys", testServerKeys},
		{"OfferRecords", testOfferRecords},
		{"OfferScreening", testOfferScreening},
		{"Redemptions", testRedemptions},
		{"PushSubscriptions", testPushSubscriptions},
		{"PageSizes", testPageSizes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}
