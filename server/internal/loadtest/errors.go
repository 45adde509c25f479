package loadtest

import "errors"

// Errors the workload and its checks return, wrapped with the details; test them with errors.Is.
var (
	// ErrBuild: `go build` of a command failed.
	ErrBuild = errors.New("loadtest: build failed")
	// ErrStart: a settlementd process exited or did not answer /healthz in time.
	ErrStart = errors.New("loadtest: settlementd did not start")
	// ErrStop: a settlementd process did not stop cleanly after SIGTERM.
	ErrStop = errors.New("loadtest: settlementd did not stop cleanly")
	// ErrAdmin: a `settlementd admin` command failed or printed something that is not its JSON answer.
	ErrAdmin = errors.New("loadtest: settlementd admin failed")
	// ErrCheckFailed: `settlementd admin check` found the ledger inconsistent.
	ErrCheckFailed = errors.New("loadtest: admin check failed")
	// ErrNoAnswer: no instance answered a request within MaxSendTime.
	ErrNoAnswer = errors.New("loadtest: no answer in time")
	// ErrUnexpectedAnswer: an answer that is neither an approval nor a decline for lack of funds.
	ErrUnexpectedAnswer = errors.New("loadtest: unexpected answer")
	// ErrEndedEarly: the terminals finished short of the point where the run kills an instance.
	ErrEndedEarly = errors.New("loadtest: the run ended before its midway point")
	// ErrAnswerChanged: one idempotency key got two different answers.
	ErrAnswerChanged = errors.New("loadtest: a key got different answers")
	// ErrMerchantBalance: the merchant holds more or less than the approved answers add up to.
	ErrMerchantBalance = errors.New("loadtest: merchant balance differs from the approved sum")
	// ErrNegativeBalance: an account other than the currency's system account is below zero.
	ErrNegativeBalance = errors.New("loadtest: negative balance")
	// ErrTooFewApprovals: the run approved too few payments to have exercised anything.
	ErrTooFewApprovals = errors.New("loadtest: too few approvals")
)

// ErrLedger: the ledger's transactions differ from the approvals the terminals received.
var ErrLedger = errors.New("loadtest: ledger differs from the approvals received")
