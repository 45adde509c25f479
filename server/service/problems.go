package service

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// problem builds a client-facing error.
func problem(status int, code protocol.Code, format string, args ...any) *protocol.Problem {
	return protocol.NewProblem(status, code, fmt.Sprintf(format, args...))
}

func invalidField(field, format string, args ...any) *protocol.Problem {
	p := problem(http.StatusBadRequest, protocol.CodeInvalidField, format, args...)
	p.Field = field
	return p
}

// storeProblem maps the store's sentinel errors to problems for admin and wallet calls; anything
// else is returned unchanged (an internal error, logged by the handler, answered 500).
func storeProblem(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return problem(http.StatusNotFound, protocol.CodeNotFound, "%s not found", what)
	case errors.Is(err, store.ErrExists):
		return problem(http.StatusConflict, protocol.CodeAlreadyExists, "%s already exists", what)
	case errors.Is(err, store.ErrInvalidArgument):
		p := problem(http.StatusBadRequest, protocol.CodeInvalidField, "%v", err)
		if fp := protocol.FieldProblem(err); fp != nil {
			p.Field = fp.Field
		}
		return p
	case errors.Is(err, store.ErrCurrencyMismatch):
		return problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "%v", err)
	case errors.Is(err, store.ErrInsufficientFunds):
		return problem(http.StatusPaymentRequired, protocol.CodeInsufficientFunds, "the account balance does not cover it")
	case errors.Is(err, store.ErrNotOwner):
		return problem(http.StatusForbidden, protocol.CodeAccountNotFound, "the account does not belong to this user")
	case errors.Is(err, store.ErrRevoked):
		return problem(http.StatusConflict, protocol.CodeTerminalRevoked, "%s is revoked", what)
	case errors.Is(err, store.ErrClosed):
		return problem(http.StatusServiceUnavailable, protocol.CodeUnavailable, "the server is shutting down")
	}
	return err
}

func isMismatch(err error) bool { return errors.Is(err, store.ErrIdempotencyMismatch) }
