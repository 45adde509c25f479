package service

import (
	"errors"
	"net/http"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// checkID applies protocol.CheckID, the one id rule of every part of the system, as a problem.
func checkID(field, id string) error { return fieldProblem(protocol.CheckID(field, id)) }

// checkText applies protocol.CheckText (printable UTF-8, at most maxLen bytes) as a problem.
func checkText(field, s string, maxLen int) error {
	return fieldProblem(protocol.CheckText(field, s, maxLen))
}

// checkPasswordText refuses passwords with control characters or invalid UTF-8: the same text rule
// as every other field (the length is checked by the caller, whose minimum differs).
func checkPasswordText(field, password string) error {
	return checkText(field, password, protocol.MaxPasswordLen)
}

// fieldProblem turns a *protocol.FieldError into a 400 invalid_field problem naming the field.
func fieldProblem(err error) error {
	if p := protocol.FieldProblem(err); p != nil {
		return p
	}
	return err
}

// checkAmount accepts a positive amount in a known currency.
func checkAmount(field string, a money.Amount) error {
	if a == (money.Amount{}) {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidAmount, "%s is required: {\"minor\": N, \"currency\": \"EUR\"}", field)
		p.Field = field
		return p
	}
	err := a.Validate(money.ParseOptions{})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, money.ErrUnknownCurrency):
		p := problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "%s: unknown currency %q", field, truncate(a.Currency))
		p.Field = field + ".currency"
		return p
	default:
		p := problem(http.StatusBadRequest, protocol.CodeInvalidAmount, "%s must be a positive number of minor units", field)
		p.Field = field + ".minor"
		return p
	}
}

func truncate(s string) string {
	if len(s) > protocol.MaxIDLen {
		return s[:protocol.MaxIDLen] + "…"
	}
	return s
}
